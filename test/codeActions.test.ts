/**
 * Quick fixes and the "generate vSMMU topology" source action, end to end:
 * a document from test/fixtures/fixes goes through the real rules, the fix
 * offered for one diagnostic is applied to the text, and the test states
 * the exact resulting document and that re-validating it leaves no warning
 * or error behind (or exactly the ones not addressed by this fix).
 *
 * Expected documents are written as the input with exact-once replacements
 * (`edit`), which keeps each test's change readable while still comparing
 * whole texts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver-types';
import type { LanguageService } from '../server/src/languageService';
import type { RuleFamily } from '../server/src/rules/types';
import type { HostTopology } from '../server/src/host/types';
import type { RuleSettings } from '../server/src/rules/settings';
import { readDomain } from '../server/src/domain/model';
import { parseXml } from '../server/src/xml/parser';
import { busNrForNewExpander, busNrRoom, freeChassis, freeRootPorts, freeSlot, nextFreePciIndex, PciAllocator } from '../server/src/domain/allocate';
import { armDomain, DOC_URI as URI, loadHostFile, parse, service } from './helpers';
import { RULE_FAMILIES } from '../server/src/rules/index';
import { devices, expander, hostdev, IOMMUFD_DRIVER, PCIE_ROOT, rootPort, vsmmu } from './fixtures/domains';

const FIXTURES = path.join(__dirname, 'fixtures', 'fixes');
const HOST = loadHostFile(path.join(FIXTURES, 'host.json'));

function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

interface Opts {
  host?: HostTopology | null;
  settings?: Partial<RuleSettings>;
  rules?: readonly RuleFamily[];
}

/**
 * Every family but numa and mmio unless `rules` says otherwise: the fixture
 * GPUs have no Generic Initiator cells, and those fixes (with the MMIO
 * window's) are tested in fixes-property and rules-numa-mmio, not here.
 */
const SMMU_RULES = RULE_FAMILIES.filter((f) => f.name !== 'numa' && f.name !== 'mmio');

/** The fixtures' host unless `host` is null (no topology). */
function lsFor(opts: Opts = {}): LanguageService {
  return service({ host: opts.host === null ? undefined : (opts.host ?? HOST), settings: opts.settings, rules: opts.rules ?? SMMU_RULES });
}

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create(URI, 'xml', 1, text), [...edits]);
}

function applyAction(text: string, a: CodeAction): string {
  const edits = a.edit?.changes?.[URI];
  assert.ok(edits, `action '${a.title}' has no edit for the document`);
  return applyEdits(text, edits);
}

/** Codes of the warnings and errors, in document order. */
function problems(ls: LanguageService, text: string): string[] {
  return ls
    .validate(parse(text, ls))
    .filter((d) => d.severity !== undefined && d.severity <= 2)
    .map((d) => String(d.code));
}

/** Replaces each `from` (which must occur exactly once) by `to`. */
function edit(text: string, ...pairs: [string, string][]): string {
  let out = text;
  for (const [from, to] of pairs) {
    const i = out.indexOf(from);
    assert.ok(i >= 0 && out.indexOf(from, i + 1) < 0, `'${from}' must occur exactly once`);
    out = out.slice(0, i) + to + out.slice(i + from.length);
  }
  return out;
}

/** An `edit` pair that writes `inserted` right after `anchor`. */
const after = (anchor: string, inserted: string): [string, string] => [anchor, anchor + inserted];

const HOSTDEV_START = "    <hostdev mode='subsystem' type='pci' managed='yes'>\n";
/** An `edit` pair that inserts `<driver iommufd='yes'/>` as the first child of the hostdev whose start tag `rest` follows. */
const iommufdFirst = (rest: string): [string, string] => [HOSTDEV_START + rest, `${HOSTDEV_START}      ${IOMMUFD_DRIVER}\n${rest}`];

/** The validated document, the `nth` diagnostic with `code`, and the quick fixes offered for it alone. */
function quickFixes(text: string, code: string, opts: Opts = {}, nth = 0) {
  const ls = lsFor(opts);
  const doc = parse(text, ls);
  const diagnostic = ls.validate(doc).filter((d) => d.code === code)[nth];
  assert.ok(diagnostic, `no diagnostic ${code}`);
  return { ls, doc, diagnostic, actions: ls.codeActions(doc, diagnostic.range, [diagnostic], ['quickfix']) };
}

/** The quick fixes offered at the first diagnostic for all of the document's diagnostics at once. */
function quickFixesForAll(text: string): CodeAction[] {
  const ls = lsFor();
  const doc = parse(text, ls);
  const diagnostics = ls.validate(doc);
  return ls.codeActions(doc, diagnostics[0].range, diagnostics, ['quickfix']);
}

interface FixResult {
  titles: string[];
  text: string;
  before: string[];
  after: string[];
  action: CodeAction;
  diagnostic: Diagnostic;
}

/** Validates, takes the `nth` diagnostic with `code`, applies its quick fix titled `title`. */
function fix(text: string, code: string, title: string, opts: Opts = {}, nth = 0): FixResult {
  const { ls, diagnostic, actions } = quickFixes(text, code, opts, nth);
  const titles = actions.map((a) => a.title);
  const action = actions.find((a) => a.title === title);
  assert.ok(action, `no action '${title}' among ${JSON.stringify(titles)}`);
  assert.deepEqual(action.diagnostics, [diagnostic]);
  const out = applyAction(text, action);
  return { titles, text: out, before: problems(ls, text), after: problems(ls, out), action, diagnostic };
}

function sourceActions(text: string, only: string[] | undefined, opts: Opts = {}): { actions: CodeAction[]; ls: LanguageService } {
  const ls = lsFor(opts);
  const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { ls, actions: ls.codeActions(parse(text, ls), zero, [], only) };
}

/** A hand-built diagnostic's range: the first character of the document. */
const FIRST_CHARACTER = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };

/** What the fixes write for a new expander: a comment naming its host SMMU, the pxb-pcie on pcie-root, and one root port on it. */
const newExpander = (smmu: string, index: number, busNr: number, node: number, slot: number): string =>
  `\n    <!-- expander for host SMMU ${smmu} -->\n${expander(index, busNr, slot, { node })}\n${rootPort(index + 1, index, 0, 0)}`;

/** The end of the accelerated vSMMU on expander 1 that several fixtures have; new vSMMUs go after it. */
const VSMMU_1_END = "      <driver pciBus='1' accel='on'/>\n    </iommu>";

describe('pciBus fixes', () => {
  test('iommu-pcibus-is-busnr: the busNr 252 becomes the expander index 1, quotes kept', () => {
    const input = fixture('pcibus-busnr.xml');
    const r = fix(input, 'iommu-pcibus-is-busnr', 'Change pciBus to 1');
    assert.deepEqual(r.titles, ['Change pciBus to 1']);
    assert.deepEqual(r.text, edit(input, ["pciBus='252'", "pciBus='1'"]));
    assert.deepEqual(r.before, ['iommu-pcibus-is-busnr']);
    assert.deepEqual(r.after, []);
    assert.equal(r.action.isPreferred, true);
  });

  test('iommu-pcibus-missing: an index naming no controller becomes the one unclaimed expander', () => {
    const input = fixture('pcibus-missing.xml');
    const r = fix(input, 'iommu-pcibus-missing', 'Change pciBus to 1');
    assert.deepEqual(r.text, edit(input, ["pciBus='7'", "pciBus='1'"]));
    assert.deepEqual([r.before, r.after], [['iommu-pcibus-missing'], []]);
  });

  test('iommu-pcibus-not-expander: a root port index becomes the expander above it', () => {
    const input = fixture('pcibus-not-expander.xml');
    const r = fix(input, 'iommu-pcibus-not-expander', 'Change pciBus to 1');
    assert.deepEqual(r.text, edit(input, ["<driver pciBus='2' accel='on'/>", "<driver pciBus='1' accel='on'/>"]));
    assert.deepEqual([r.before, r.after], [['iommu-pcibus-not-expander'], []]);
  });

  test('iommu-needs-pcibus: pciBus is added to the <driver>', () => {
    const input = fixture('needs-pcibus.xml');
    const r = fix(input, 'iommu-needs-pcibus', "Add pciBus='1'");
    assert.deepEqual(r.text, edit(input, ["<driver accel='on'/>", "<driver accel='on' pciBus='1'/>"]));
    assert.deepEqual([r.before, r.after], [['iommu-needs-pcibus'], []]);
  });

  test('no fix when the suggested index already carries another vSMMU', () => {
    const input = edit(fixture('pcibus-busnr.xml'), ['    <iommu', `${vsmmu(1, '')}\n    <iommu`]);
    assert.deepEqual(quickFixes(input, 'iommu-pcibus-is-busnr').actions, []);
  });
});

describe('disk target names', () => {
  test('disk-target-duplicate: the second disk takes the first free name; nothing else changes', () => {
    const input = fixture('disk-target-duplicate.xml');
    const r = fix(input, 'disk-target-duplicate', 'Rename target vda to vdb');
    assert.deepEqual(r.text, edit(input, ["data.img'/>\n      <target dev='vda'", "data.img'/>\n      <target dev='vdb'"]));
    assert.deepEqual([r.before, r.after], [['disk-target-duplicate'], []]);
  });

  test('the free name is chosen again in the current text, not taken from the diagnostic', () => {
    const input = fixture('disk-target-duplicate.xml');
    const ls = lsFor({ rules: [] });
    const doc = parse(input, ls);
    const at = input.lastIndexOf("'vda'") + 1;
    const range = doc.lines.range(at, at + 3);
    const d: Diagnostic = { range, message: 'x', code: 'disk-target-duplicate', data: { dev: 'vda', suggested: 'vdq' } };
    assert.deepEqual(
      ls.codeActions(doc, range, [d], ['quickfix']).map((a) => a.title),
      ['Rename target vda to vdb'],
    );
    // A diagnostic whose name no longer matches the text gets no fix.
    assert.deepEqual(ls.codeActions(doc, range, [{ ...d, data: { dev: 'vdc' } }], ['quickfix']), []);
  });
});

describe('attribute spelling', () => {
  test('iommu-attribute-spelling: only the attribute name changes', () => {
    const input = fixture('attribute-spelling.xml');
    const r = fix(input, 'iommu-attribute-spelling', 'Rename ssidSize to ssidsize');
    assert.deepEqual(r.text, edit(input, ["ssidSize='20'", "ssidsize='20'"]));
    assert.deepEqual([r.before, r.after], [['iommu-attribute-spelling'], []]);
  });

  test('a hand-built diagnostic is enough: the fix keys on code and data only', () => {
    const input = fixture('attribute-spelling.xml');
    const ls = lsFor({ rules: [] });
    const doc = parse(input, ls);
    const at = input.indexOf('ssidSize');
    const range = doc.lines.range(at, at + 'ssidSize'.length);
    const d: Diagnostic = { range, message: 'x', code: 'iommu-attribute-spelling', data: { from: 'ssidSize', to: 'ssidsize' } };
    const [a] = ls.codeActions(doc, range, [d], ['quickfix']);
    assert.deepEqual(a.edit, { changes: { [URI]: [{ range, newText: 'ssidsize' }] } });
  });

  test('no rename onto an attribute that is already there', () => {
    const input = edit(fixture('attribute-spelling.xml'), ["ssidSize='20'", "ssidSize='20' ssidsize='20'"]);
    assert.deepEqual(quickFixes(input, 'iommu-attribute-spelling').actions, []);
  });
});

describe('iommufd', () => {
  test('a hostdev without <driver> gets one as its first child, indented like its children', () => {
    const input = fixture('no-iommufd.xml');
    const r = fix(input, 'smmu-map-no-iommufd', 'Use the iommufd backend for this device');
    assert.deepEqual(r.titles, ['Use the iommufd backend for this device', 'Enable iommufd for the whole domain']);
    assert.deepEqual(r.text, edit(input, iommufdFirst("      <source>\n        <address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/>")));
    assert.deepEqual([r.before, r.after], [['smmu-map-no-iommufd', 'smmu-map-no-iommufd'], ['smmu-map-no-iommufd']]);
  });

  test('an existing <driver> gets the attribute', () => {
    const input = fixture('no-iommufd.xml');
    const r = fix(input, 'smmu-map-no-iommufd', 'Use the iommufd backend for this device', {}, 1);
    assert.deepEqual(r.text, edit(input, ["<driver name='vfio'/>", "<driver name='vfio' iommufd='yes'/>"]));
    assert.deepEqual(r.after, ['smmu-map-no-iommufd']);
  });

  test('the whole domain: <iommufd enabled=yes/> before <devices>, fixing every device at once', () => {
    const input = fixture('no-iommufd.xml');
    const r = fix(input, 'smmu-map-no-iommufd', 'Enable iommufd for the whole domain');
    assert.deepEqual(r.text, edit(input, ['  </cpu>\n  <devices>', "  </cpu>\n  <iommufd enabled='yes'/>\n  <devices>"]));
    assert.deepEqual(r.after, []);
  });

  test("a domain-wide <iommufd enabled='no'/> is switched on in place", () => {
    const input = fixture('iommufd-disabled.xml');
    const r = fix(input, 'smmu-map-no-iommufd', 'Enable iommufd for the whole domain');
    assert.deepEqual(r.text, edit(input, ["<iommufd enabled='no'/>", "<iommufd enabled='yes'/>"]));
    assert.deepEqual(r.after, []);
  });

  test("a device that opts out (iommufd='no') is switched itself; the domain switch would not reach it", () => {
    const input = edit(fixture('no-iommufd.xml'), ["<driver name='vfio'/>", "<driver name='vfio' iommufd='no'/>"]);
    const r = fix(input, 'smmu-map-no-iommufd', 'Use the iommufd backend for this device', {}, 1);
    assert.deepEqual(r.titles, ['Use the iommufd backend for this device']);
    assert.deepEqual(r.text, edit(input, ["iommufd='no'", "iommufd='yes'"]));
  });

  test('targeting 12.1.0: per device only, the domain-wide <iommufd> came in 12.2.0', () => {
    const r = fix(fixture('no-iommufd.xml'), 'smmu-map-no-iommufd', 'Use the iommufd backend for this device', { settings: { libvirtVersion: '12.1.0' } });
    assert.deepEqual(r.titles, ['Use the iommufd backend for this device']);
    // accel itself came in 12.7.0: its version warning stays, whatever the fix does.
    assert.deepEqual(r.after, ['version-too-new', 'smmu-map-no-iommufd']);
  });

  test('not offered for a libvirt older than per-device iommufd (12.1.0)', () => {
    assert.deepEqual(quickFixes(fixture('no-iommufd.xml'), 'smmu-map-no-iommufd', { settings: { libvirtVersion: '12.0.0' } }).actions, []);
  });
});

/**
 * The smmu-map-missing-expander fix on missing-expander.xml: an expander and
 * root port for GPU B's host SMMU after the last controller, GPU B moved
 * behind them with iommufd, and a vSMMU like the existing one.
 */
/** Root port 4 of mixed-bound-home.xml and mixed-empty-home.xml, on expander 1 and moved to expander 2. */
const PORT_4_ON_EXPANDER_1 = "<target chassis='4' port='0x8'/>\n      <address type='pci' domain='0x0000' bus='0x01' slot='0x01'";
const PORT_4_ON_EXPANDER_2 = "<target chassis='4' port='0x8'/>\n      <address type='pci' domain='0x0000' bus='0x02' slot='0x01'";

const GPU_B_EXPANDER_EDITS: [string, string][] = [
  after("      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n    </controller>", newExpander('smmu3.0x0000000036000000', 3, 248, 1, 2)),
  [hostdev('0019:01:00.0'), hostdev('0019:01:00.0', 4, IOMMUFD_DRIVER)],
  after("      <driver pciBus='1' accel='on' ats='on' ril='off' ssidsize='20' oas='48'/>\n    </iommu>", `\n${vsmmu(3, " accel='on' ats='on' ril='off' ssidsize='20' oas='48'")}`),
];

/** `xml` written the way style-tabs-crlf.xml is: a tab per two spaces of indentation, CRLF line ends, double quotes. */
const tabsCrlfDoubleQuotes = (xml: string): string =>
  xml
    .replace(/'/g, '"')
    .replace(/^(?: {2})+/gm, (indent) => '\t'.repeat(indent.length / 2))
    .replace(/\n/g, '\r\n');

describe('expander fixes', () => {
  test('smmu-map-missing-expander: one edit adds expander, root port and vSMMU, and moves the device', () => {
    const input = fixture('missing-expander.xml');
    const r = fix(input, 'smmu-map-missing-expander', 'Add a pxb-pcie expander for host SMMU smmu3.0x0000000036000000');
    assert.deepEqual(r.text, edit(input, ...GPU_B_EXPANDER_EDITS));
    assert.deepEqual(r.before, ['smmu-map-uncovered', 'smmu-map-missing-expander']);
    assert.deepEqual(r.after, []);
  });

  test('the uncovered device asks for the same edit: offered once, fixing both diagnostics', () => {
    const actions = quickFixesForAll(fixture('missing-expander.xml'));
    assert.deepEqual(
      actions.map((a) => [a.title, a.diagnostics?.map((d) => d.code)]),
      [['Add a pxb-pcie expander for host SMMU smmu3.0x0000000036000000', ['smmu-map-uncovered', 'smmu-map-missing-expander']]],
    );
  });

  test("smmu-map-mixed with an expander bound to the right SMMU: the device's root port moves there with it, nothing is left empty", () => {
    const input = fixture('mixed-bound-home.xml');
    const r = fix(input, 'smmu-map-mixed', 'Move this device behind the expander of smmu3.0x0000000036000000 (index 2)');
    assert.deepEqual(r.titles, ['Move this device behind the expander of smmu3.0x0000000036000000 (index 2)']);
    // Root port 4 (index above expander 2's) goes to slot 1 of expander 2; the device's own address stays.
    assert.deepEqual(r.text, edit(input, [PORT_4_ON_EXPANDER_1, PORT_4_ON_EXPANDER_2]));
    assert.deepEqual([r.before, r.after], [['smmu-map-mixed'], []]);
  });

  test("smmu-map-mixed with an expander whose vSMMU has no device yet: the device's root port moves there, the free one stays a spare", () => {
    const input = fixture('mixed-empty-home.xml');
    const r = fix(input, 'smmu-map-mixed', 'Move this device behind expander 2 (its vSMMU serves no device yet)');
    // Taking free port 5 would empty port 4, which cannot go without leaving an index gap (libvirt would fill it with an empty port).
    assert.deepEqual(r.text, edit(input, [PORT_4_ON_EXPANDER_1, PORT_4_ON_EXPANDER_2]));
    assert.deepEqual([r.before, r.after], [['smmu-map-mixed'], []]);
  });

  test('smmu-map-missing-expander with an expander whose vSMMU has no device yet: use it, or add a new one', () => {
    const input = fixture('uncovered-empty-home.xml');
    const r = fix(input, 'smmu-map-missing-expander', 'Use expander 2 (its vSMMU serves no device yet) for host SMMU smmu3.0x0000000036000000');
    assert.deepEqual(r.titles, [
      'Use expander 2 (its vSMMU serves no device yet) for host SMMU smmu3.0x0000000036000000',
      'Add a pxb-pcie expander for host SMMU smmu3.0x0000000036000000',
    ]);
    // The NVMe's root port 4 moves from pcie-root to expander 2 (slot 1, port number after it).
    assert.deepEqual(
      r.text,
      edit(input, [
        "<target chassis='4' port='0x18'/>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x03'",
        "<target chassis='4' port='0x8'/>\n      <address type='pci' domain='0x0000' bus='0x02' slot='0x01'",
      ]),
    );
    assert.deepEqual([r.before, r.after], [['smmu-map-missing-expander', 'smmu-map-uncovered'], []]);
    const u = fix(input, 'smmu-map-uncovered', 'Move this device behind expander 2 (its vSMMU serves no device yet)');
    assert.deepEqual(u.text, r.text);
  });

  test('smmu-map-mixed without any home for the SMMU: a new expander in place of the root port the device leaves', () => {
    const input = fixture('mixed-no-home.xml');
    const r = fix(input, 'smmu-map-mixed', 'Add a pxb-pcie expander for host SMMU smmu3.0x0000000036000000');
    // Root port 3 would be left empty: it goes, the expander takes its index, a new root port 4 on it takes the device.
    assert.deepEqual(
      r.text,
      edit(
        input,
        [`${rootPort(3, 1, 1, 8)}\n`, `${newExpander('smmu3.0x0000000036000000', 3, 248, 1, 2).slice(1)}\n`],
        ["</source>\n      <address type='pci' domain='0x0000' bus='0x03'", "</source>\n      <address type='pci' domain='0x0000' bus='0x04'"],
        after(VSMMU_1_END, `\n${vsmmu(3)}`),
      ),
    );
    assert.deepEqual([r.before, r.after], [['smmu-map-mixed'], []]);
  });

  test('a root port removed by a move keeps the comment written inside it, where it was', () => {
    const port = rootPort(3, 1, 1, 8);
    const commented = port.replace("      <model name='pcie-root-port'/>", "      <!-- slot for GPU B -->\n      <model name='pcie-root-port'/>");
    const input = fixture('mixed-no-home.xml').replace(port, commented);
    const r = fix(input, 'smmu-map-mixed', 'Add a pxb-pcie expander for host SMMU smmu3.0x0000000036000000');
    assert.ok(!r.text.includes("model='pcie-root-port'>\n      <!-- slot for GPU B -->"));
    // At the port's place, which the new controllers (inserted after the last one that stays) come before.
    assert.ok(r.text.includes("      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>\n    </controller>\n    <!-- slot for GPU B -->\n    <hostdev"));
    assert.deepEqual(r.after, []);
  });

  test('smmu-map-uncovered on an expander that only lacks its vSMMU: add one there', () => {
    const input = fixture('uncovered-own-expander.xml');
    const r = fix(input, 'smmu-map-uncovered', 'Add an accelerated vSMMU to expander 2 (host SMMU smmu3.0x0000000036000000)');
    assert.deepEqual(r.titles, ['Add an accelerated vSMMU to expander 2 (host SMMU smmu3.0x0000000036000000)', 'Add a pxb-pcie expander for host SMMU smmu3.0x0000000036000000']);
    assert.deepEqual(r.text, edit(input, after(VSMMU_1_END, `\n${vsmmu(2)}`)));
    assert.deepEqual([r.before, r.after], [['smmu-map-uncovered'], []]);
  });

  test('smmu-map-uncovered on a pcie-root port: the NVMe gets an expander of its own', () => {
    const input = fixture('uncovered-root.xml');
    const r = fix(input, 'smmu-map-uncovered', 'Add a pxb-pcie expander for host SMMU smmu3.0x0000000012000000');
    // The expander takes the index and pcie-root slot of the root port the NVMe leaves.
    assert.deepEqual(
      r.text,
      edit(
        input,
        [`${rootPort(3, 0, 2, 0x10)}\n`, `${newExpander('smmu3.0x0000000012000000', 3, 248, 0, 2).slice(1)}\n`],
        ["</source>\n      <address type='pci' domain='0x0000' bus='0x03'", "</source>\n      <address type='pci' domain='0x0000' bus='0x04'"],
        after(VSMMU_1_END, `\n${vsmmu(3)}`),
      ),
    );
    assert.deepEqual([r.before, r.after], [['smmu-map-missing-expander', 'smmu-map-uncovered'], []]);
  });

  test('tabs, CRLF and double quotes: new elements are written the way the document is', () => {
    const input = fixture('style-tabs-crlf.xml');
    const r = fix(input, 'smmu-map-missing-expander', 'Add a pxb-pcie expander for host SMMU smmu3.0x0000000036000000');
    // The same edits as in missing-expander.xml, written the way this document is.
    assert.deepEqual(r.text, edit(input, ...GPU_B_EXPANDER_EDITS.map(([from, to]): [string, string] => [tabsCrlfDoubleQuotes(from), tabsCrlfDoubleQuotes(to)])));
    assert.deepEqual(r.after, []);
  });

  test('a stale hostdev index in the data yields to the hostdev under the diagnostic', () => {
    const input = fixture('mixed-empty-home.xml');
    const { ls, doc, diagnostic: d } = quickFixes(input, 'smmu-map-mixed');
    const stale = { ...d, data: { ...(d.data as object), hostdev: 0 } };
    const [a] = ls.codeActions(doc, d.range, [stale], ['quickfix']);
    assert.deepEqual(applyAction(input, a), fix(input, 'smmu-map-mixed', a.title).text);
  });

  test('without a host topology nothing is offered that needs it', () => {
    const input = fixture('missing-expander.xml');
    const ls = lsFor({ host: null });
    const d: Diagnostic = { range: FIRST_CHARACTER, message: '', code: 'smmu-map-missing-expander', data: { smmu: 'smmu3.0x0000000036000000', hostdevs: [1] } };
    assert.deepEqual(ls.codeActions(parse(input, ls), d.range, [d]), []);
  });

  test('not offered on an x86 guest, nor for a libvirt before pluggable SMMUv3', () => {
    const input = fixture('missing-expander.xml');
    assert.deepEqual(quickFixes(input, 'smmu-map-missing-expander', { settings: { libvirtVersion: '11.9.0' } }).actions, []);
    const x86 = edit(input, ["<type arch='aarch64' machine='virt'>", "<type arch='x86_64' machine='q35'>"]);
    const ls = lsFor();
    const hand: Diagnostic = { range: FIRST_CHARACTER, message: '', code: 'smmu-map-missing-expander', data: { smmu: 'smmu3.0x0000000036000000' } };
    assert.deepEqual(ls.codeActions(parse(x86, ls), hand.range, [hand], ['quickfix']), []);
  });
});

describe('converting the nestedSmmuv3 proposal', () => {
  const TITLE = 'Convert to the upstream pluggable SMMUv3 form (whole document)';

  test('controller form: names become comments before one vSMMU per expander, device gets iommufd', () => {
    const input = fixture('nested-proposal-controller.xml');
    const r = fix(input, 'nested-proposal-syntax', TITLE);
    assert.deepEqual(
      r.text,
      edit(
        input,
        ['        <node>0</node>\n        <nestedSmmuv3>smmu3.0x0000000016000000</nestedSmmuv3>\n', '        <node>0</node>\n'],
        [
          '      <nestedSmmuv3>\n        <!-- GPU B sits behind this one -->\n        <name>smmu3.0x0000000036000000</name>\n      </nestedSmmuv3>\n',
          '      <!-- GPU B sits behind this one -->\n',
        ],
        iommufdFirst("      <source>\n        <address domain='0x0019'"),
        ["    <iommu model='nestedSmmuv3'/>", devices('    <!-- host smmu3.0x0000000016000000 -->', vsmmu(1), '    <!-- host smmu3.0x0000000036000000 -->', vsmmu(2))],
      ),
    );
    assert.deepEqual(r.before, ['nested-proposal-syntax', 'nested-proposal-syntax', 'nested-proposal-syntax']);
    assert.deepEqual(r.after, []);
  });

  test('every proposal diagnostic offers the same single action', () => {
    const actions = quickFixesForAll(fixture('nested-proposal-controller.xml'));
    assert.deepEqual(
      actions.map((a) => [a.title, a.diagnostics?.length]),
      [[TITLE, 3]],
    );
  });

  test('device form with <cmdqv>: the device element goes, cmdqv carries over', () => {
    const input = fixture('nested-proposal-device.xml');
    const r = fix(input, 'nested-proposal-syntax', TITLE);
    assert.deepEqual(
      r.text,
      edit(input, iommufdFirst('      <source>'), [
        `    <nestedSmmuv3>
      <name>smmu3.0x0000000016000000</name>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </nestedSmmuv3>
    <iommu model='nestedSmmuv3'>
      <cmdqv>true</cmdqv>
    </iommu>`,
        devices('    <!-- host smmu3.0x0000000016000000 -->', vsmmu(1, " accel='on' cmdqv='on'")),
      ]),
    );
    assert.deepEqual([r.before, r.after], [['nested-proposal-syntax', 'nested-proposal-syntax'], []]);
  });

  test('smmuv3Dev: renamed in place, parentIdx becomes pciBus, pasid becomes ssidsize', () => {
    const input = fixture('smmuv3dev.xml');
    const r = fix(input, 'nested-proposal-syntax', TITLE);
    assert.deepEqual(
      r.text,
      edit(input, [
        "<iommu model='smmuv3Dev'>\n      <driver parentIdx='1' accel='on' ats='on' ril='on' pasid='on' oas='44'/>",
        "<iommu model='smmuv3'>\n      <driver pciBus='1' accel='on' ats='on' ril='on' ssidsize='20' oas='44'/>",
      ]),
    );
    assert.deepEqual([r.before, r.after], [['nested-proposal-syntax'], []]);
  });
});

describe('source action: generate vSMMU topology', () => {
  const KIND = 'source.generateVsmmuTopology';

  test('one expander, root port and vSMMU per host SMMU; devices moved, iommufd on', () => {
    const input = fixture('generate-all.xml');
    const { ls, actions } = sourceActions(input, ['source']);
    assert.deepEqual(
      actions.map((a) => [a.title, a.kind, a.diagnostics]),
      [['Generate vSMMU topology for all passed-through devices', KIND, undefined]],
    );
    const out = applyAction(input, actions[0]);
    // The two GPUs' root ports on pcie-root would be left empty: each expander takes the index and slot of one,
    // each with two spare bus numbers beyond its root port (spareBusNumbers); the NVMe had no port, its expander is new.
    const ports = `${rootPort(1, 0, 1, 8)}\n${rootPort(2, 0, 2, 0x10)}\n`;
    assert.ok(input.includes(ports));
    assert.deepEqual(
      out,
      edit(
        input,
        [
          ports,
          newExpander('smmu3.0x0000000016000000', 1, 252, 0, 1).slice(1).replace("index='2'", "index='3'").replace("chassis='2'", "chassis='3'") +
            newExpander('smmu3.0x0000000036000000', 2, 248, 1, 2).replace("index='3'", "index='4'").replace("chassis='3'", "chassis='4'") +
            newExpander('smmu3.0x0000000012000000', 5, 244, 0, 3) +
            '\n',
        ],
        [
          "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        <address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/>\n      </source>\n      <address type='pci' domain='0x0000' bus='0x01'",
          "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <driver name='vfio' iommufd='yes'/>\n      <source>\n        <address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/>\n      </source>\n      <address type='pci' domain='0x0000' bus='0x03'",
        ],
        [
          "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        <address domain='0x0019' bus='0x01' slot='0x00' function='0x0'/>\n      </source>\n      <address type='pci' domain='0x0000' bus='0x02'",
          "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <driver name='vfio' iommufd='yes'/>\n      <source>\n        <address domain='0x0019' bus='0x01' slot='0x00' function='0x0'/>\n      </source>\n      <address type='pci' domain='0x0000' bus='0x04'",
        ],
        [
          "<driver name='vfio'/>\n      <source>\n        <address domain='0x0001' bus='0x01' slot='0x00' function='0x0'/>\n      </source>\n",
          "<driver name='vfio' iommufd='yes'/>\n      <source>\n        <address domain='0x0001' bus='0x01' slot='0x00' function='0x0'/>\n      </source>\n      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0'/>\n",
        ],
        ['  </devices>', `${devices(vsmmu(1), vsmmu(2), vsmmu(5))}\n  </devices>`],
      ),
    );
    assert.deepEqual(problems(ls, out), []);
  });

  test('a domain without controllers: they go at the start of <devices>, the vSMMU before </devices>', () => {
    const input = armDomain(devices('    <emulator>/usr/bin/qemu-system-aarch64</emulator>', hostdev('0019:01:00.0', undefined, IOMMUFD_DRIVER), '    <!-- last device -->'));
    const { ls, actions } = sourceActions(input, ['source']);
    const out = applyAction(input, actions[0]);
    assert.deepEqual(
      out,
      edit(
        input,
        after('  <devices>', newExpander('smmu3.0x0000000036000000', 1, 252, 1, 1)),
        after('      </source>\n', "      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>\n"),
        after('    <!-- last device -->\n', `${vsmmu(1)}\n`),
      ),
    );
    assert.deepEqual(problems(ls, out), []);
  });

  test('kind filtering: source and its sub-kind get it, quickfix and other kinds do not', () => {
    const input = fixture('generate-all.xml');
    const kinds = (only: string[] | undefined) => sourceActions(input, only).actions.map((a) => a.kind);
    assert.deepEqual(kinds(undefined), [KIND]);
    assert.deepEqual(kinds(['source']), [KIND]);
    assert.deepEqual(kinds([KIND]), [KIND]);
    assert.deepEqual(kinds(['quickfix']), []);
    assert.deepEqual(kinds(['source.organizeImports']), []);
    assert.deepEqual(kinds(['refactor']), []);
  });

  test('not offered without an ARM host topology, nor when every device is already where it belongs', () => {
    assert.deepEqual(sourceActions(fixture('generate-all.xml'), ['source'], { host: null }).actions, []);
    const done = fixture('mixed-no-home.xml');
    const r = fix(done, 'smmu-map-mixed', 'Add a pxb-pcie expander for host SMMU smmu3.0x0000000036000000');
    assert.deepEqual(sourceActions(r.text, ['source']).actions, []);
  });

  test('a broken pciBus elsewhere does not hide it, and the expander that pciBus means is left alone', () => {
    // The vSMMU names expander 1 by its busNr (252): iommu-pcibus-is-busnr. GPU B sits on a pcie-root port.
    const input = armDomain(
      devices(
        PCIE_ROOT,
        expander(1, 252, 1),
        rootPort(2, 0, 2),
        hostdev('0019:01:00.0', 2, IOMMUFD_DRIVER),
        "    <iommu model='smmuv3'>\n      <driver pciBus='252' accel='on'/>\n    </iommu>",
      ),
    );
    const { ls, actions } = sourceActions(input, ['source']);
    assert.deepEqual(
      actions.map((a) => a.title),
      ['Generate vSMMU topology for all passed-through devices'],
    );
    const out = applyAction(input, actions[0]);
    // A new expander with a vSMMU for GPU B, in place of the root port GPU B leaves (index 2, not 1); only the busNr mix-up is left.
    assert.match(out, /<controller type='pci' index='2' model='pcie-expander-bus'>/);
    assert.match(out, /<driver pciBus='2' accel='on'\/>/);
    assert.deepEqual(problems(ls, out), ['iommu-pcibus-is-busnr']);
  });

  test('reuses an expander already bound to the SMMU and one that only lacks its vSMMU', () => {
    const input = fixture('uncovered-own-expander.xml');
    const { actions } = sourceActions(input, ['source']);
    const r = fix(input, 'smmu-map-uncovered', 'Add an accelerated vSMMU to expander 2 (host SMMU smmu3.0x0000000036000000)');
    assert.deepEqual(applyAction(input, actions[0]), r.text);
  });
});

describe('allocation helpers', () => {
  const model = (devices: string) => readDomain(parseXml(armDomain(devices)));
  const TWO_EXPANDERS = `    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <target busNr='252'/>
      <address type='pci' bus='0x00' slot='0x01'/>
    </controller>
    <controller type='pci' index='5' model='pcie-expander-bus'>
      <target busNr='240'/>
      <address type='pci' bus='0x00' slot='0x03'/>
    </controller>
    <controller type='pci' index='2' model='pcie-root-port'>
      <target chassis='7'/>
      <address type='pci' bus='0x01' slot='0x00'/>
    </controller>
    <controller type='pci' index='3' model='pcie-root-port'>
      <address type='pci' bus='0x01' slot='0x02'/>
    </controller>
    <controller type='pci' index='4' model='pcie-root-port'>
      <address type='pci' bus='0x00' slot='0x02'/>
    </controller>
    <interface type='network'>
      <address type='pci' bus='0x03' slot='0x00'/>
    </interface>`;

  test('index: one above the highest pci index, never a gap below it', () => {
    assert.equal(nextFreePciIndex(model(TWO_EXPANDERS)), 6);
    assert.equal(nextFreePciIndex(model(TWO_EXPANDERS), [9]), 10);
    assert.equal(nextFreePciIndex(model('')), 1);
  });

  test('slot: lowest free, from 1 on pcie-root and 0 elsewhere', () => {
    const m = model(TWO_EXPANDERS);
    assert.deepEqual([freeSlot(m, 0), freeSlot(m, 1), freeSlot(m, 1, new Set([1])), freeSlot(m, 5)], [4, 1, 3, 0]);
  });

  test('chassis: the index when free (counting libvirt defaults), else the lowest free', () => {
    const m = model(TWO_EXPANDERS);
    assert.deepEqual([freeChassis(m, 6), freeChassis(m, 7), freeChassis(m, 3), freeChassis(m, 6, new Set([6]))], [6, 1, 1, 1]);
  });

  test('busNr of a new expander: below the lowest one with a number per root port, 254 down when none', () => {
    const m = model(TWO_EXPANDERS);
    assert.deepEqual([busNrForNewExpander(m, 1), busNrForNewExpander(m, 3)], [238, 236]);
    assert.deepEqual([busNrForNewExpander(model(''), 1), busNrForNewExpander(model(''), 4)], [254, 251]);
    // pcie-root's own buses (one per port on it) must stay below.
    assert.equal(busNrForNewExpander(m, 1, 3), undefined);
  });

  test('room in an expander range and free root ports', () => {
    const m = model(TWO_EXPANDERS);
    const byIndex = (i: number) => m.pciControllers.get(i)!;
    // 252 owns 252..255 and has two ports; 240 owns 240..251 and has none.
    assert.deepEqual([busNrRoom(m, byIndex(1)), busNrRoom(m, byIndex(5))], [1, 11]);
    assert.deepEqual(
      freeRootPorts(m, 1).map((c) => c.index),
      [2],
    );
    assert.deepEqual(
      freeRootPorts(m, 0).map((c) => c.index),
      [4],
    );
  });

  test('the allocator never hands out a number twice', () => {
    const m = model(TWO_EXPANDERS);
    const a = new PciAllocator(m);
    assert.deepEqual([a.index(), a.index(), a.slot(1), a.slot(1), a.chassisFor(6), a.chassisFor(6), a.busNr(1), a.busNr(2)], [6, 7, 1, 3, 6, 1, 238, 235]);
    assert.deepEqual([a.freeRootPort(1)?.index, a.freeRootPort(1)?.index], [2, undefined]);
    // Growing never takes an expander's last bus number (that is controller-busnr-no-spare): 1 has one left, 5 has eleven.
    assert.deepEqual([a.growExpander(m.pciControllers.get(1)!), a.growExpander(m.pciControllers.get(5)!), a.growExpander(m.pciControllers.get(5)!)], [false, true, true]);
    // With spare numbers asked for, a new expander leaves them below the next one.
    assert.deepEqual(new PciAllocator(m, 2).busNr(1), 236);
  });
});
