/**
 * Schema validation against libvirt's real RelaxNG grammar.
 *
 * The first part needs nothing installed: xmllint's output format, schema
 * lookup, the grammar reader on a small stand-in grammar, message wording and
 * the validator's scheduling (with a scripted engine). The second part runs
 * libxml2 on test/fixtures/schema/*.xml against /usr/share/libvirt/schemas
 * and compares our verdict with `xmllint --relaxng` run directly, then checks
 * the exact findings. Without the schemas (or xmllint) those tests are
 * skipped and say how to install them: scripts/install-test-deps.sh.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseXml } from '../server/src/xml/parser';
import { LineIndex } from '../server/src/xml/lineIndex';
import { ancestors, elementAt } from '../server/src/xml/query';
import type { Finding, RuleCode } from '../server/src/rules/types';
import { parseXmllintOutput, asUtf8Document, type EngineResult, type SchemaEngine, type SchemaSet } from '../server/src/schema/engine';
import { DEFAULT_SCHEMA_DIR, hasDomainSchema, locateSchemas } from '../server/src/schema/locate';
import { versionFromLibraryName } from '../server/src/domain/versions';
import { chooseGrammar, grammarStatusOf } from '../server/src/schema/grammarSource';
import { schemaValidatorFor } from '../server/src/cli/schema';
import { loadSchema, dataCheck } from '../server/src/schema/rng';
import { isolate } from '../server/src/schema/localize';
import { closest } from '../server/src/xml/closestName';
import { XmllintEngine, systemXmllintAvailable } from '../server/src/schema/engineXmllint';
import { WasmEngine } from '../server/src/schema/engineWasm';
import { blank, checkText, mergeFindings, prepareSchema, SchemaValidator, DEFAULT_SCHEMA_SETTINGS, type SchemaSetup } from '../server/src/schema/validator';

const FIXTURES = path.join(__dirname, 'fixtures', 'schema');
const MINI = path.join(FIXTURES, 'mini');
const HAVE_SCHEMAS = hasDomainSchema(DEFAULT_SCHEMA_DIR);
const HAVE_XMLLINT = systemXmllintAvailable();
const SKIP_SCHEMAS = `libvirt schemas not found in ${DEFAULT_SCHEMA_DIR}: run scripts/install-test-deps.sh`;
const SKIP_XMLLINT = 'xmllint not found on PATH: run scripts/install-test-deps.sh';

/** A finding as the line (1-based), the covered text, code and message. */
interface Shown {
  line: number;
  text: string;
  code: string;
  message: string;
}
function show(text: string, findings: readonly Finding[]): Shown[] {
  const lines = new LineIndex(text);
  return findings.map((f) => ({ line: lines.positionAt(f.start).line + 1, text: text.slice(f.start, f.end), code: f.code, message: f.message }));
}

/** An engine whose answers the test scripts; it counts its runs. */
class ScriptedEngine implements SchemaEngine {
  readonly name = 'xmllint' as const;
  runs = 0;
  private readonly waiting: ((r: EngineResult[]) => void)[] = [];
  constructor(private readonly answer?: (texts: readonly string[]) => EngineResult[]) {}
  validate(): Promise<never> {
    throw new Error('not used');
  }
  validateMany(texts: readonly string[]): Promise<EngineResult[]> {
    this.runs++;
    if (this.answer) return Promise.resolve(this.answer(texts));
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  /** Lets the oldest waiting run finish as valid. */
  release(): void {
    this.waiting.shift()?.([{ valid: true, errors: [] }]);
  }
  get pending(): number {
    return this.waiting.length;
  }
}

/** Waits (polling) until `cond` holds; fails the test if it never does. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition never became true');
}

const DOMAIN = `<domain type='kvm'>\n  <name>t</name>\n</domain>\n`;

describe('xmllint output', () => {
  test('messages are split per document, unlocated ones going to the document being read', () => {
    const stderr = [
      'Relax-NG validity error : Extra element devices in interleave',
      'doc0.xml:7: element devices: Relax-NG validity error : Element domain failed to validate content',
      'doc0.xml fails to validate',
      'doc1.xml validates',
      "doc2.xml:3: element memory: Relax-NG validity error : Type unsignedLong doesn't allow value 'two'",
      'doc2.xml fails to validate',
    ].join('\n');
    assert.deepEqual(parseXmllintOutput(stderr, ['doc0.xml', 'doc1.xml', 'doc2.xml']), [
      {
        valid: false,
        errors: [
          { line: undefined, element: undefined, message: 'Extra element devices in interleave' },
          { line: 7, element: 'devices', message: 'Element domain failed to validate content' },
        ],
      },
      { valid: true, errors: [] },
      { valid: false, errors: [{ line: 3, element: 'memory', message: "Type unsignedLong doesn't allow value 'two'" }] },
    ]);
  });

  test('a parser error marks the document as not well-formed, and its context lines are not messages', () => {
    const stderr = ['doc0.xml:4: parser error : Opening and ending tag mismatch: name line 3 and domain', '</domain>', '         ^', 'doc0.xml fails to validate'].join('\n');
    assert.deepEqual(parseXmllintOutput(stderr, ['doc0.xml']), [
      { valid: false, notWellFormed: true, errors: [{ line: 4, element: undefined, message: 'Opening and ending tag mismatch: name line 3 and domain', parserError: true }] },
    ]);
  });

  test('a declared encoding other than UTF-8 is restated as UTF-8 on the same line', () => {
    assert.equal(asUtf8Document(`<?xml version='1.0' encoding='ISO-8859-1'?>\n<domain/>`), `<?xml version='1.0' encoding='UTF-8'?>\n<domain/>`);
    assert.equal(asUtf8Document(`<?xml version="1.0" encoding="utf-8"?><domain/>`), `<?xml version="1.0" encoding="utf-8"?><domain/>`);
  });
});

describe('finding the schemas', () => {
  test('the libvirt version is read from the library file name', () => {
    assert.deepEqual(['libvirt.so.0.9000.0', 'libvirt.so.0.11010.0', 'libvirt.so.0.12002.1', 'libvirt.so.0', 'libvirt-qemu.so.0.9000.0'].map(versionFromLibraryName), [
      '9.0.0',
      '11.10.0',
      '12.2.1',
      undefined,
      undefined,
    ]);
  });

  test('explicit directory, then the installed schemas (default, else the virsh on PATH) when recent enough, then the shipped ones', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'schema-locate-'));
    try {
      const prefix = path.join(tmp, 'opt', 'libvirt');
      const schemas = path.join(prefix, 'share', 'libvirt', 'schemas');
      mkdirSync(schemas, { recursive: true });
      writeFileSync(path.join(schemas, 'domain.rng'), '<grammar/>');
      mkdirSync(path.join(prefix, 'bin'));
      writeFileSync(path.join(prefix, 'bin', 'virsh'), '#!/bin/sh\n');
      chmodSync(path.join(prefix, 'bin', 'virsh'), 0o755);
      mkdirSync(path.join(prefix, 'lib64'));
      writeFileSync(path.join(prefix, 'lib64', 'libvirt.so.0.11010.0'), '');
      const shipped = path.join(tmp, 'libvirt-schemas');
      mkdirSync(shipped);
      writeFileSync(path.join(shipped, 'domain.rng'), '<grammar/>');
      writeFileSync(path.join(shipped, 'RELEASE'), '12.8.0\n');
      const missing = path.join(tmp, 'none');
      const pathEnv = [path.join(tmp, 'empty-bin'), 'relative/bin', path.join(prefix, 'bin')].join(path.delimiter);
      const installed11 = { dir: schemas, source: 'default', libvirtVersion: '11.10.0' };
      const shipped12 = { dir: shipped, source: 'shipped', libvirtVersion: '12.8.0' };
      const order = (o: Parameters<typeof locateSchemas>[0]) => {
        const r = locateSchemas(o);
        return { candidates: r.candidates, notes: r.notes };
      };
      assert.deepEqual(
        [
          order({ directory: shipped, defaultDir: schemas, pathEnv, shippedDir: shipped }),
          order({ defaultDir: schemas, pathEnv: '', shippedDir: shipped }),
          order({ defaultDir: schemas, pathEnv: '', shippedDir: shipped, targetVersion: '11.10.0' }),
          order({ defaultDir: schemas, pathEnv: '', shippedDir: shipped, targetVersion: '12.0.0' }),
          order({ defaultDir: missing, pathEnv, shippedDir: null }),
          order({ defaultDir: missing, pathEnv: '', shippedDir: null }),
          order({ directory: missing, defaultDir: schemas, pathEnv, shippedDir: shipped }),
        ],
        [
          { candidates: [{ dir: shipped, source: 'setting', libvirtVersion: '12.8.0' }, installed11, shipped12], notes: [] },
          { candidates: [installed11, shipped12], notes: [] },
          { candidates: [installed11, shipped12], notes: [] },
          // 11.10 is older than the target: the shipped 12.8 first, the installed ones as the last resort.
          { candidates: [shipped12, installed11], notes: [] },
          { candidates: [{ dir: schemas, source: 'virsh', libvirtVersion: '11.10.0' }], notes: [] },
          { candidates: [], notes: [] },
          { candidates: [installed11, shipped12], notes: [`the schema directory given, ${missing}, holds no readable domain.rng`] },
        ],
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('a broken or partial schema directory is passed over with one note, and the next source is used', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'schema-choose-'));
    try {
      const good = path.join(tmp, 'good');
      const broken = path.join(tmp, 'broken');
      const partial = path.join(tmp, 'partial');
      for (const d of [good, broken, partial]) mkdirSync(d);
      writeFileSync(path.join(good, 'domain.rng'), '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="domain"><empty/></element></start></grammar>');
      writeFileSync(path.join(good, 'RELEASE'), '12.8.0');
      writeFileSync(path.join(broken, 'domain.rng'), '<grammar><start><element name="domain">');
      writeFileSync(path.join(partial, 'domain.rng'), '<grammar><include href="domaincommon.rng"/></grammar>');
      const choose = (directory: string) => chooseGrammar({ directory, defaultDir: path.join(tmp, 'none'), pathEnv: '', shippedDir: good });
      const [b, p] = [await choose(broken), await choose(partial)];
      assert.deepEqual(
        [b.grammar?.description, b.notes, p.grammar?.description, p.notes],
        [
          'libvirt 12.8.0, shipped with the extension',
          [`the libvirt schema in ${broken} is incomplete: domain.rng is not a well-formed RelaxNG grammar`],
          'libvirt 12.8.0, shipped with the extension',
          [`the libvirt schema in ${partial} is incomplete: domaincommon.rng (included by the grammar) is missing`],
        ],
      );
      // The status item: which grammar, and what was passed over.
      assert.deepEqual(grammarStatusOf(b), {
        text: 'libvirt 12.8.0 grammar',
        detail: `Grammar: libvirt 12.8.0, shipped with the extension (${good}).\nPassed over: ${b.notes[0]}.`,
      });
      const none = await chooseGrammar({ directory: broken, defaultDir: path.join(tmp, 'none'), pathEnv: '', shippedDir: null });
      assert.equal(none.grammar, undefined);
      assert.match(none.unavailable ?? '', /^no usable libvirt schema: the libvirt schema in .*broken is incomplete/);
      assert.equal(grammarStatusOf(none).text, 'no libvirt grammar');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('grammar reader (stand-in grammar)', () => {
  test('reads the grammar and its include; knows attributes, values, required ones and children', async () => {
    const s = await loadSchema(MINI);
    const m = s.model;
    const domain = m.rootPatterns('domain');
    const devices = m.childPatterns(domain, 'devices');
    const disk = m.childPatterns(devices, 'disk');
    const target = m.childPatterns(disk, 'target');
    const info = m.info(target[0]);
    assert.deepEqual(
      {
        files: s.files.map((f) => f.name),
        domainAttrs: [...m.info(domain[0]).attributes.values()].map((a) => [a.name, a.values, a.kinds]),
        domainRequired: [...m.info(domain[0]).requiredAttributes],
        domainChildren: [...m.info(domain[0]).children.keys()],
        diskRequired: [...m.info(disk[0]).requiredAttributes],
        targetAttrs: [...info.attributes.values()].map((a) => [a.name, a.values, a.kinds]),
        targetRequired: [...info.requiredAttributes],
        memoryText: m.info(m.childPatterns(domain, 'memory')[0]).text.kinds,
        unknownChild: m.childPatterns(devices, 'gpu').length,
        knowsBus: m.knowsAttribute('bus'),
        knowsPciBus: m.knowsAttribute('pciBus'),
      },
      {
        files: ['domain.rng', 'common.rng'],
        domainAttrs: [['type', ['kvm', 'qemu'], []]],
        domainRequired: ['type'],
        domainChildren: ['name', 'memory', 'devices'],
        diskRequired: [],
        targetAttrs: [
          ['dev', [], ['text matching [a-z]+']],
          ['bus', ['virtio', 'sata'], []],
        ],
        targetRequired: ['dev'],
        memoryText: ['a non-negative integer'],
        unknownChild: 0,
        knowsBus: true,
        knowsPciBus: false,
      },
    );
  });

  test('a pattern is restated with what it inherits, for a grammar whose start is that pattern', async () => {
    const m = (await loadSchema(MINI)).model;
    const disk = m.childPatterns(m.childPatterns(m.rootPatterns('domain'), 'devices'), 'disk')[0];
    const text = m.patternText(disk);
    assert.deepEqual(
      [text.slice(0, text.indexOf('>') + 1), text.endsWith('</element></group>')],
      ['<group xmlns:a="http://relaxng.org/ns/compatibility/annotations/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">', true],
    );
  });

  test('typed values are checked the way the schema types them', () => {
    const data = (xml: string) => dataCheck(parseXml(xml).roots[0]);
    const uint8 = data(`<data type='unsignedByte'/>`);
    const hex = data(`<data type='string'><param name='pattern'>(0x)?[0-7]</param></data>`);
    const ranged = data(`<data type='int'><param name='minInclusive'>1</param><param name='maxInclusive'>254</param></data>`);
    const excepted = data(`<data type='string'><param name='pattern'>[^/]+</param><except><choice><value>.</value><value>..</value></choice></except></data>`);
    const xsdOnly = data(`<data type='string'><param name='pattern'>\\i\\c*</param></data>`);
    assert.deepEqual(
      [
        ['255', '256', '-1', ' 7 ', 'x'].map((v) => uint8.accepts(v)),
        ['0x7', '7', '0x9', '0x77'].map((v) => hex.accepts(v)),
        ['1', '254', '0', '255'].map((v) => ranged.accepts(v)),
        ['disk.img', '..', 'a/b'].map((v) => excepted.accepts(v)),
        xsdOnly.accepts('anything at all'),
      ],
      [[true, false, false, true, false], [true, true, false, false], [true, true, false, false], [true, false, false], true],
    );
  });
});

describe('helpers', () => {
  test('blanking keeps every offset and line break', () => {
    const text = `<driver pciBus='1'\n  accel='on'/>`;
    const out = blank(text, [
      { start: 8, end: 18 },
      { start: 21, end: 31 },
    ]);
    assert.deepEqual([out, out.length], [`<driver           \n            />`, text.length]);
  });

  test('an element on its own restates inherited namespaces and knows its line offset', () => {
    const text = `<domain xmlns:qemu='urn:q'>\n  <name>x</name>\n  <qemu:commandline>\n    <qemu:arg value='-s'/>\n  </qemu:commandline>\n</domain>`;
    const doc = parseXml(text);
    const cl = doc.roots[0].children[1];
    assert.deepEqual(isolate(text, new LineIndex(text), cl), {
      text: `<qemu:commandline xmlns:qemu="urn:q">\n    <qemu:arg value='-s'/>\n  </qemu:commandline>\n`,
      lineOffset: 2,
    });
  });

  test('"did you mean" only for close words, not for numbers', () => {
    assert.deepEqual(
      [closest('flie', ['file', 'block']), closest('devics', ['devices', 'disk']), closest('kvmm', ['kvm', 'qemu']), closest('9', ['2', '3']), closest('zzzz', ['file'])],
      ['file', 'devices', 'kvm', undefined, undefined],
    );
  });
});

describe('validator scheduling (scripted engine, stand-in grammar)', () => {
  const settings = { directory: MINI };

  test('a run for an older version is superseded by a newer one; only the newer gets findings', async () => {
    const engine = new ScriptedEngine();
    const v = new SchemaValidator({ settings, engine });
    const first = v.validate('file:///a.xml', 1, DOMAIN);
    await until(() => engine.pending === 1);
    const second = v.validate('file:///a.xml', 2, DOMAIN.replace('t', 'u'));
    engine.release();
    await until(() => engine.pending === 1);
    engine.release();
    assert.deepEqual([await first, await second, engine.runs], ['superseded', [], 2]);
  });

  test('calls made during the debounce delay collapse into one run', async () => {
    const engine = new ScriptedEngine(() => [{ valid: true, errors: [] }]);
    const v = new SchemaValidator({ settings, engine });
    const a = v.validate('file:///a.xml', 1, DOMAIN, { delayMs: 30 });
    const b = v.validate('file:///a.xml', 2, DOMAIN, { delayMs: 30 });
    assert.deepEqual([await a, await b, engine.runs], ['superseded', [], 1]);
  });

  test('disabled, half-typed or not a domain: no run, no finding', async () => {
    const engine = new ScriptedEngine(() => [{ valid: true, errors: [] }]);
    const v = new SchemaValidator({ settings, engine });
    const results = [
      await v.validate('file:///half.xml', 1, `<domain type='kvm'>\n  <devices>\n    <disk type='fi`),
      await v.validate('file:///net.xml', 1, `<network><name>n</name></network>`),
    ];
    v.configure({ enable: false });
    results.push(await v.validate('file:///a.xml', 1, DOMAIN));
    assert.deepEqual([results, engine.runs], [[[], [], []], 0]);
  });

  test('one engine per engine setting, prepared before its first run; a new engine setting or refresh() disposes it', async () => {
    const events: string[] = [];
    let made = 0;
    const createEngine = (choice: string): SchemaEngine => {
      const n = made++;
      events.push(`made ${n} ${choice}`);
      const engine = new ScriptedEngine(() => [{ valid: true, errors: [] }]);
      return Object.assign(engine, {
        prepare: () => events.push(`prepare ${n}`),
        dispose: () => events.push(`dispose ${n}`),
        validateMany: (texts: readonly string[]) => (events.push(`run ${n}`), ScriptedEngine.prototype.validateMany.call(engine, texts)),
      });
    };
    const v = new SchemaValidator({ settings, createEngine });
    await v.validate('file:///a.xml', 1, DOMAIN);
    // A new grammar choice (here the target release) keeps the engine and the grammars it compiled.
    v.configure({ targetVersion: '12.0.0' });
    await v.validate('file:///a.xml', 2, DOMAIN.replace('t', 'u'));
    assert.deepEqual(events, ['made 0 auto', 'prepare 0', 'run 0', 'prepare 0', 'run 0']);
    events.length = 0;
    v.configure({ engine: 'xmllint' });
    await v.validate('file:///a.xml', 3, DOMAIN);
    v.refresh();
    await v.validate('file:///a.xml', 4, DOMAIN.replace('t', 'v'));
    assert.deepEqual(events, ['dispose 0', 'made 1 xmllint', 'prepare 1', 'run 1', 'dispose 1', 'made 2 xmllint', 'prepare 2', 'run 2']);
  });

  test('validation status: the engine in words, or why there is no validation', async () => {
    const engine = Object.assign(new ScriptedEngine(), { describe: () => Promise.resolve('libxml2 in the language server') });
    const v = new SchemaValidator({ settings, engine });
    assert.equal(await v.validationStatus(), 'Schema validation: libxml2 in the language server.');
    // An engine that does not describe itself is named.
    assert.equal(await new SchemaValidator({ settings, engine: new ScriptedEngine() }).validationStatus(), 'Schema validation: xmllint.');
    v.configure({ enable: false });
    assert.equal(await v.validationStatus(), 'Schema validation is switched off (libvirtDomainXml.schema.enable).');
    const missing = path.join(FIXTURES, 'no-such-dir');
    const none = new SchemaValidator({ settings: { directory: missing }, engine, locate: { defaultDir: missing, pathEnv: '', shippedDir: null } });
    assert.match(await none.validationStatus(), /^No schema validation: .*no-such-dir/);
  });

  test('the same text is not validated twice', async () => {
    const engine = new ScriptedEngine(() => [{ valid: true, errors: [] }]);
    const v = new SchemaValidator({ settings, engine });
    await v.validate('file:///a.xml', 1, DOMAIN);
    await v.validate('file:///a.xml', 2, DOMAIN);
    assert.equal(engine.runs, 1);
  });

  test('no schemas: one information finding, on the first domain document only, and it stays there until refresh', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'schema-none-'));
    try {
      const engine = new ScriptedEngine(() => [{ valid: true, errors: [] }]);
      const logged: string[] = [];
      const v = new SchemaValidator({ engine, locate: { defaultDir: tmp, pathEnv: '', shippedDir: null }, log: (m) => logged.push(m) });
      const results = [
        await v.validate('file:///net.xml', 1, `<network/>`),
        await v.validate('file:///a.xml', 1, DOMAIN),
        await v.validate('file:///b.xml', 1, DOMAIN),
        await v.validate('file:///a.xml', 2, DOMAIN + '\n'),
      ];
      const message = `Schema validation is off: no libvirt schemas found (looked in ${tmp}, and none shipped with this build). Install libvirt's schemas (Debian: package libvirt0) or name a schema directory (setting libvirtDomainXml.schema.directory, CLI --schema DIR).`;
      const info = { code: 'schema-unavailable', severity: 'information', start: 1, end: 7, message };
      // Once libvirt is installed, refresh() finds the schemas and validation starts.
      for (const f of ['domain.rng', 'common.rng']) writeFileSync(path.join(tmp, f), readFileSync(path.join(MINI, f)));
      v.refresh();
      results.push(await v.validate('file:///b.xml', 2, DOMAIN));
      assert.deepEqual([results, engine.runs, logged.length], [[[], [info], [], [info], []], 1, 2]);
      assert.equal(logged[0], `schema validation off: ${message.slice('Schema validation is off: '.length)}`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('an explicit directory without domain.rng is named in the message, and the next source is used', async () => {
    const given = path.join(FIXTURES, 'no-such-dir');
    const none = new SchemaValidator({ settings: { directory: given }, engine: new ScriptedEngine(), locate: { defaultDir: given, pathEnv: '', shippedDir: null } });
    assert.deepEqual(await none.status(), {
      available: false,
      reason: `no usable libvirt schema: the schema directory given, ${given}, holds no readable domain.rng.`,
    });
    const fallback = new SchemaValidator({
      settings: { directory: given },
      engine: new ScriptedEngine(() => [{ valid: true, errors: [] }]),
      locate: { defaultDir: given, pathEnv: '', shippedDir: MINI },
    });
    const s = await fallback.status();
    assert.deepEqual(s.available && [s.dir, s.grammar, s.notes], [
      MINI,
      'libvirt (release unknown), shipped with the extension',
      [`the schema directory given, ${given}, holds no readable domain.rng`],
    ]);
    const findings = await fallback.validate('file:///a.xml', 1, DOMAIN);
    assert.deepEqual(findings !== 'superseded' && findings.map((f) => [f.code, f.message]), [
      [
        'schema-unavailable',
        `Schema source passed over: the schema directory given, ${given}, holds no readable domain.rng. Using libvirt (release unknown), shipped with the extension instead.`,
      ],
    ]);
  });

  test('merging: a newer-libvirt warning on text the version rule flags is dropped, others kept', () => {
    const f = (code: RuleCode, start: number, end: number): Finding => ({ code, severity: 'warning', start, end, message: code }) as Finding;
    const rules = [f('version-too-new', 10, 16), f('iommu-accel-only', 20, 25)];
    const schema = [f('schema-newer-libvirt', 10, 16), f('schema-newer-libvirt', 30, 35), f('schema-invalid', 10, 16)];
    assert.deepEqual(
      mergeFindings(rules, schema).map((x) => `${x.code}@${x.start}`),
      ['version-too-new@10', 'iommu-accel-only@20', 'schema-newer-libvirt@30', 'schema-invalid@10'],
    );
  });

  test('the CLI mode off validates nothing', async () => {
    assert.equal(schemaValidatorFor('off'), undefined);
  });
});

describe('stand-in grammar with the system xmllint', () => {
  const miniSet = async (): Promise<SchemaSet> => {
    const s = await loadSchema(MINI);
    return { dir: s.dir, main: s.main, files: new Map(s.files.map((f) => [f.name, f.text])) };
  };

  test('one run answers for several documents: valid, not well-formed, invalid', async (t) => {
    if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
    const results = await new XmllintEngine().validateMany(
      [`<domain type='kvm'><name>a</name></domain>`, `<domain type='kvm'><name>b</domain>`, `<domain type='kvm'>\n  <memory>x</memory>\n  <name>c</name>\n</domain>`],
      await miniSet(),
    );
    // The message without a location comes after the parser errors of the second document: it is the third's.
    assert.deepEqual(
      results.map((r) => ({ valid: r.valid, notWellFormed: !!r.notWellFormed, validity: r.errors.filter((e) => !e.parserError) })),
      [
        { valid: true, notWellFormed: false, validity: [] },
        { valid: false, notWellFormed: true, validity: [] },
        {
          valid: false,
          notWellFormed: false,
          validity: [
            { line: undefined, element: undefined, message: 'Extra element memory in interleave' },
            { line: 2, element: 'memory', message: 'Element domain failed to validate content' },
          ],
        },
      ],
    );
  });

  test('a cancelled run stops xmllint and rejects with AbortError', async (t) => {
    if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(new XmllintEngine().validateMany([DOMAIN], await miniSet(), undefined, controller.signal), { name: 'AbortError' });
  });

  test('errors are placed, explained, and pciBus is recognised as newer syntax when the schema lacks it', async (t) => {
    if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
    const setup = await prepareSchema({ ...DEFAULT_SCHEMA_SETTINGS, directory: MINI }, {}, new XmllintEngine());
    assert.ok(!('unavailable' in setup));
    const text = [
      `<domain type='kvm'>`,
      `  <name>m</name>`,
      `  <devices>`,
      `    <disk type='flie'>`,
      `      <target dev='vda' bus='virtio'/>`,
      `    </disk>`,
      `    <iommu model='smmuv3'>`,
      `      <driver pciBus='1' aw_bits='300'/>`,
      `    </iommu>`,
      `  </devices>`,
      `</domain>`,
      ``,
    ].join('\n');
    const r = await checkText(text, setup as SchemaSetup);
    assert.deepEqual(
      [r.verdict, show(text, r.findings)],
      [
        'invalid',
        [
          { line: 4, text: 'flie', code: 'schema-invalid', message: "'flie' is not a valid type for <disk>; the libvirt schema expects one of file, block. Did you mean 'file'?" },
          { line: 8, text: 'pciBus', code: 'schema-newer-libvirt', message: 'pciBus needs libvirt 11.10.0; the schema installed here does not know it.' },
          { line: 8, text: '300', code: 'schema-invalid', message: "'300' is not a valid aw_bits for <driver>; the libvirt schema expects an integer from 0 to 255." },
        ],
      ],
    );
  });
});

// ---------------------------------------------------------------------------
// libvirt's own schemas

/** The verdict of `xmllint --relaxng` run directly, and the lines it names. */
function xmllintVerdict(file: string): { valid: boolean; lines: number[] } {
  try {
    execFileSync('xmllint', ['--noout', '--relaxng', path.join(DEFAULT_SCHEMA_DIR, 'domain.rng'), file], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { valid: true, lines: [] };
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer };
    assert.equal(err.status, 3, `xmllint failed on ${file}: ${err.stderr}`);
    const lines = [...String(err.stderr).matchAll(/^[^\n]*?:(\d+): /gm)].map((m) => Number(m[1]));
    return { valid: false, lines };
  }
}

const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.xml'))
  .sort();

/** What we expect for each invalid fixture (valid-*.xml expect nothing). */
const EXPECTED: Record<string, Shown[]> = {
  'invalid-disk-type-typo.xml': [
    {
      line: 12,
      text: 'flie',
      code: 'schema-invalid',
      message: "'flie' is not a valid type for <disk>; the libvirt schema expects one of file, block, dir, network, volume, nvme, vhostuser. Did you mean 'file'?",
    },
  ],
  'invalid-domain-type.xml': [
    {
      line: 1,
      text: 'kvmm',
      code: 'schema-invalid',
      message:
        "'kvmm' is not a valid type for <domain>; the libvirt schema expects one of qemu, kqemu, kvm, xen, lxc, uml, openvz, test, vmware, hyperv, vbox, phyp, … (15 in all). Did you mean 'kvm'?",
    },
  ],
  'invalid-duplicate-memory.xml': [
    { line: 7, text: 'memory', code: 'schema-invalid', message: '<domain> may contain only one <memory> in the libvirt schema; this is another one.' },
  ],
  'invalid-expander-busnr.xml': [
    {
      line: 11,
      text: 'two-fifty',
      code: 'schema-invalid',
      message: "'two-fifty' is not a valid busNr for <target>; the libvirt schema expects a hexadecimal number from 0x0 to 0xff or an integer from 0 to 255.",
    },
  ],
  'invalid-gic-version.xml': [{ line: 9, text: '4', code: 'schema-invalid', message: "'4' is not a valid version for <gic>; the libvirt schema expects one of host, 2, 3." }],
  // libxml2 blames <type>hvm</type>; the value is fine, the relative <loader> path is not.
  'invalid-loader-relative.xml': [
    {
      line: 4,
      text: 'os',
      code: 'schema-invalid',
      message:
        "The libvirt schema does not accept this <os> as written: 'hvm' in <type> is fine, so another attribute or child of <os> does not fit (libxml2 reports it at <type>).",
    },
  ],
  'invalid-hostdev-source.xml': [
    {
      line: 10,
      text: '0x9',
      code: 'schema-invalid',
      message: "'0x9' is not a valid function for <address>; the libvirt schema expects a function number from 0x0 to 0x7 or an integer from 0 to 7.",
    },
  ],
  'invalid-iommu-model.xml': [
    { line: 8, text: 'smmu', code: 'schema-invalid', message: "'smmu' is not a valid model for <iommu>; the libvirt schema expects one of intel, smmuv3, virtio." },
  ],
  'invalid-lifecycle-value.xml': [
    {
      line: 8,
      text: 'explode',
      code: 'schema-invalid',
      message: "'explode' is not valid content for <on_crash>; the libvirt schema expects one of destroy, restart, preserve, rename-restart, coredump-destroy, coredump-restart.",
    },
  ],
  'invalid-mac-address.xml': [
    {
      line: 9,
      text: '52:54:00:zz:00:01',
      code: 'schema-invalid',
      message: "'52:54:00:zz:00:01' is not a valid address for <mac>; the libvirt schema expects a unicast MAC address.",
    },
  ],
  'invalid-memory-text.xml': [
    { line: 3, text: 'two', code: 'schema-invalid', message: "'two' is not valid content for <memory>; the libvirt schema expects a non-negative integer." },
  ],
  'invalid-missing-attribute.xml': [{ line: 10, text: 'target', code: 'schema-invalid', message: "<target> needs the attribute 'dev'." }],
  'invalid-missing-name.xml': [{ line: 1, text: 'domain', code: 'schema-invalid', message: '<domain> is missing the required <name> element.' }],
  'invalid-misspelt-section.xml': [
    { line: 7, text: 'feature', code: 'schema-invalid', message: '<feature> is not allowed in <domain> by the libvirt schema. Did you mean <features>?' },
  ],
  'invalid-qemu-namespace.xml': [
    {
      line: 9,
      text: 'qemu:argument',
      code: 'schema-invalid',
      message: '<qemu:argument> is not allowed in <qemu:commandline> by the libvirt schema. It allows <qemu:arg>, <qemu:env>.',
    },
  ],
  'invalid-undeclared-prefix.xml': [
    {
      line: 7,
      text: 'qemu:commandline',
      code: 'schema-invalid',
      message:
        "The namespace prefix 'qemu' of <qemu:commandline> is not declared: add xmlns:qemu='…' to the root element (libvirt's qemu namespace is http://libvirt.org/schemas/domain/qemu/1.0).",
    },
  ],
  'invalid-unknown-attribute.xml': [
    {
      line: 10,
      text: 'buss',
      code: 'schema-invalid',
      message: "<target> has no attribute 'buss' in the libvirt schema. Did you mean 'bus'? It allows dev, bus, tray, removable, rotation_rate.",
    },
  ],
  'invalid-unknown-element.xml': [{ line: 12, text: 'gpu', code: 'schema-invalid', message: '<gpu> is not allowed in <devices> by the libvirt schema.' }],
  'newer-iommu-amd.xml': [
    { line: 8, text: 'amd', code: 'schema-newer-libvirt', message: "IOMMU model 'amd' needs libvirt 11.5.0; the schema installed here (libvirt 9.0.0) does not know it." },
  ],
  'newer-pcibus-accel.xml': [
    {
      line: 32,
      text: 'iommufd',
      code: 'schema-newer-libvirt',
      message: 'iommufd on <hostdev> <driver> needs libvirt 12.1.0; the schema installed here (libvirt 9.0.0) does not know it.',
    },
    { line: 39, text: 'pciBus', code: 'schema-newer-libvirt', message: 'pciBus needs libvirt 11.10.0; the schema installed here (libvirt 9.0.0) does not know it.' },
    // One warning for the five attributes of one <driver> that the same release brought.
    {
      line: 39,
      text: "accel='on' ats='on' ril='off' ssidsize='20' oas",
      code: 'schema-newer-libvirt',
      message: 'accel, ats, ril, ssidsize and oas need libvirt 12.7.0; the schema installed here (libvirt 9.0.0) does not know them.',
    },
  ],
  'newer-pcibus-and-typo.xml': [
    {
      line: 16,
      text: 'flie',
      code: 'schema-invalid',
      message: "'flie' is not a valid type for <disk>; the libvirt schema expects one of file, block, dir, network, volume, nvme, vhostuser. Did you mean 'file'?",
    },
    { line: 14, text: 'pciBus', code: 'schema-newer-libvirt', message: 'pciBus needs libvirt 11.10.0; the schema installed here (libvirt 9.0.0) does not know it.' },
  ],
  'newer-two-vsmmus.xml': [
    { line: 18, text: 'iommufd', code: 'schema-newer-libvirt', message: '<iommufd> needs libvirt 12.2.0; the schema installed here (libvirt 9.0.0) does not know it.' },
    { line: 58, text: 'pciBus', code: 'schema-newer-libvirt', message: 'pciBus needs libvirt 11.10.0; the schema installed here (libvirt 9.0.0) does not know it.' },
    { line: 58, text: 'accel', code: 'schema-newer-libvirt', message: 'accel needs libvirt 12.7.0; the schema installed here (libvirt 9.0.0) does not know it.' },
    { line: 61, text: 'pciBus', code: 'schema-newer-libvirt', message: 'pciBus needs libvirt 11.10.0; the schema installed here (libvirt 9.0.0) does not know it.' },
    { line: 61, text: 'accel', code: 'schema-newer-libvirt', message: 'accel needs libvirt 12.7.0; the schema installed here (libvirt 9.0.0) does not know it.' },
    {
      line: 60,
      text: 'iommu',
      code: 'schema-newer-libvirt',
      message: 'More than one <iommu> needs libvirt 11.10.0; the schema installed here (libvirt 9.0.0) does not know that.',
    },
  ],
};

describe('libvirt schemas: our verdict against xmllint --relaxng', () => {
  let setup: SchemaSetup | undefined;
  const getSetup = async (): Promise<SchemaSetup> => {
    if (!setup) {
      const s = await prepareSchema(DEFAULT_SCHEMA_SETTINGS, {}, new XmllintEngine());
      if ('unavailable' in s) throw new Error(s.unavailable);
      setup = s;
    }
    return setup;
  };

  test('the fixtures cover at least ten valid and ten invalid documents', (t) => {
    if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
    if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
    const verdicts = fixtureFiles.map((f) => xmllintVerdict(path.join(FIXTURES, f)).valid);
    assert.deepEqual([verdicts.filter((v) => v).length >= 10, verdicts.filter((v) => !v).length >= 10], [true, true]);
  });

  for (const file of fixtureFiles) {
    test(file, async (t) => {
      if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
      if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
      const full = path.join(FIXTURES, file);
      const text = readFileSync(full, 'utf8');
      const reference = xmllintVerdict(full);
      const r = await checkText(text, await getSetup());
      // Newer syntax is invalid for this libvirt: xmllint says invalid, and we say why in warnings
      // (the verdict stays 'invalid' when a real error comes with it).
      const expected = EXPECTED[file] ?? [];
      const expectedVerdict = reference.valid ? 'valid' : expected.some((f) => f.code === 'schema-invalid') ? 'invalid' : 'newer-syntax';
      const invalidFindings = r.findings.filter((f) => f.code === 'schema-invalid');
      // Each error sits in (or is) an element on a line xmllint names, or xmllint names none.
      const doc = parseXml(text);
      const lines = new LineIndex(text);
      const consistent = invalidFindings.every((f) => {
        if (!reference.lines.length) return true;
        const el = elementAt(doc, f.start);
        const chain = el ? [el, ...ancestors(el)] : [];
        return chain.some((e) => reference.lines.includes(lines.positionAt(e.startTagEnd - 1).line + 1));
      });
      assert.deepEqual(
        { verdict: r.verdict, consistentWithXmllint: consistent, findings: show(text, r.findings) },
        { verdict: expectedVerdict, consistentWithXmllint: true, findings: expected },
      );
    });
  }

  test('half-typed text never throws: cut anywhere, it is skipped or validated', async (t) => {
    if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
    if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
    const text = readFileSync(path.join(FIXTURES, 'invalid-disk-type-typo.xml'), 'utf8');
    const verdicts = new Set<string>();
    for (let cut = 0; cut <= text.length; cut += 9) verdicts.add((await checkText(text.slice(0, cut), await getSetup())).verdict);
    verdicts.add((await checkText(text, await getSetup())).verdict);
    assert.deepEqual([...verdicts].sort(), ['invalid', 'skipped']);
  });

  test('xmllint-wasm gives the same findings as the system xmllint', async (t) => {
    if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
    const wasm = await prepareSchema(DEFAULT_SCHEMA_SETTINGS, {}, new WasmEngine());
    assert.ok(!('unavailable' in wasm));
    const files = ['invalid-disk-type-typo.xml', 'valid-namespaces.xml', 'newer-pcibus-and-typo.xml'];
    const ours: Shown[][] = [];
    for (const f of files) {
      const text = readFileSync(path.join(FIXTURES, f), 'utf8');
      ours.push(show(text, (await checkText(text, wasm as SchemaSetup)).findings));
    }
    assert.deepEqual(
      ours,
      files.map((f) => EXPECTED[f] ?? []),
    );
  });

  test('the CLI function finds the installed schemas and reports the typo', async (t) => {
    if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
    const text = readFileSync(path.join(FIXTURES, 'invalid-disk-type-typo.xml'), 'utf8');
    const findingsIn = async (mode: string) => {
      const [r] = await schemaValidatorFor(mode)!.validateBatch([{ uri: 'file:///typo.xml', text }]);
      assert.ok('findings' in r, JSON.stringify(r));
      return r.findings;
    };
    const [auto, dir] = [await findingsIn('auto'), await findingsIn(DEFAULT_SCHEMA_DIR)];
    assert.deepEqual([show(text, auto), show(text, dir)], [EXPECTED['invalid-disk-type-typo.xml'], EXPECTED['invalid-disk-type-typo.xml']]);
  });

  test('the validator reports the schema it uses', async (t) => {
    if (!HAVE_SCHEMAS) return t.skip(SKIP_SCHEMAS);
    if (!HAVE_XMLLINT) return t.skip(SKIP_XMLLINT);
    const v = new SchemaValidator({ locate: { shippedDir: null } });
    const status = await v.status();
    assert.deepEqual(
      { ...status, libvirtVersion: typeof (status as { libvirtVersion?: unknown }).libvirtVersion, grammar: undefined },
      {
        available: true,
        dir: DEFAULT_SCHEMA_DIR,
        engine: 'libxml2-wasm',
        libvirtVersion: 'string',
        grammar: undefined,
        notes: [],
      },
    );
    assert.match(status.available ? status.grammar : '', /^libvirt \d+\.\d+\.\d+, installed in \/usr\/share\/libvirt\/schemas$/);
  });
});
