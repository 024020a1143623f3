/**
 * Hover on every element and attribute of libvirt's domain grammar: one
 * line on what it is and a link to the section of libvirt's documentation.
 *
 * The tables (server/src/features/docs/) are kept complete against the
 * element and attribute list of the 12.8 grammar: the checked-in list
 * test/fixtures/libvirt-12.8-domain-items.txt always, and the schemas
 * themselves when a 12.x schema directory is at hand (the shipped
 * libvirt-schemas/ or the installed one), which also checks that the list is
 * still the grammar's.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MarkupContent, Range } from 'vscode-languageserver-types';
import { armDomain, atCursor, parse, service } from './helpers';
import { grammarItems } from './grammarItems';
import { describeAttribute, describeElement } from '../server/src/features/docs/docs';
import { DOC_SECTIONS, isKnownAnchor } from '../server/src/features/docs/anchors';
import { ELEMENT_DOCS } from '../server/src/features/docs/elementDocs';
import { LIBVIRT_RELEASE } from '../server/src/domain/catalog';
import { libvirtVersionNear } from '../server/src/schema/locate';
import { chooseGrammar, type Grammar } from '../server/src/schema/grammarSource';

const ROOT = path.join(__dirname, '..');
const ITEMS_FILE = path.join(__dirname, 'fixtures', 'libvirt-12.8-domain-items.txt');

/** Hover at the `|` of `marked`: the text its range covers and its markdown, or null. */
function hoverAt(marked: string, grammar?: Grammar): { covers: string; value: string } | null {
  const { text, ls, doc, position } = atCursor(marked, { grammar });
  const h = ls.hover(doc, position);
  if (!h) return null;
  const r = h.range as Range;
  return { covers: text.slice(doc.lines.offsetAt(r.start), doc.lines.offsetAt(r.end)), value: (h.contents as MarkupContent).value };
}

/** What a reader sees of a hover: the markdown with link targets left out. */
function visible(markdown: string): string {
  return markdown.replace(/\]\([^)]*\)/g, ']');
}

/** The element paths and `path@attr` items of a list that the docs tables lack, and anchors that are not sections of libvirt 12.8's pages. */
function gaps(items: readonly string[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    const at = item.indexOf('@');
    const elPath = (at < 0 ? item : item.slice(0, at)).split('/');
    if (at >= 0) {
      if (!describeAttribute(elPath, item.slice(at + 1))) out.push(`no text for ${item}`);
      continue;
    }
    const d = describeElement(elPath);
    if (!d) out.push(`no text for ${item}`);
    else if (!d.anchor || !isKnownAnchor(d.anchor)) out.push(`no valid anchor for ${item} (${d.anchor})`);
  }
  return out;
}

/** A libvirt 12.x schema directory here, or why there is none. */
function schemas12(): { dir: string } | { reason: string } {
  const shipped = path.join(ROOT, 'libvirt-schemas');
  const release = existsSync(path.join(shipped, 'RELEASE')) ? readFileSync(path.join(shipped, 'RELEASE'), 'utf8').trim() : undefined;
  if (release?.startsWith('12.') && existsSync(path.join(shipped, 'domain.rng'))) return { dir: shipped };
  const installed = '/usr/share/libvirt/schemas';
  const version = existsSync(path.join(installed, 'domain.rng')) ? libvirtVersionNear(installed) : undefined;
  if (version?.startsWith('12.')) return { dir: installed };
  return {
    reason:
      `no libvirt 12.x schemas here (libvirt-schemas/ holds ${release ?? 'nothing'}, ${installed} is libvirt ${version ?? 'absent'}); ` +
      'run scripts/fetch-schemas.sh to fetch the shipped ones. The checked-in list of the 12.8 grammar is tested regardless.',
  };
}

describe("hover: what an element is, with a link to libvirt's documentation", () => {
  test('<memory>: its text and the Memory Allocation section', () => {
    assert.deepEqual(hoverAt(armDomain('').replace("<memory unit='GiB'>", "<mem|ory unit='GiB'>")), {
      covers: 'memory',
      value: [
        '**`<memory>`**',
        '',
        "The guest's maximum memory at boot; `unit` gives the unit (KiB when left out).",
        '',
        '[libvirt docs: memory-allocation](https://libvirt.org/formatdomain.html#memory-allocation)',
      ].join('\n'),
    });
  });

  test("an attribute: its text, the values the table knows, and its element's section", () => {
    assert.deepEqual(hoverAt(armDomain("    <watchdog mod|el='itco' action='reset'/>")), {
      covers: 'model',
      value: [
        '**`model`** (attribute of `<watchdog>`)',
        '',
        'The watchdog: `itco` (Q35), `i6300esb`, `ib700`, `diag288` (s390).',
        '',
        '[libvirt docs: watchdog-devices](https://libvirt.org/formatdomain.html#watchdog-devices)',
      ].join('\n'),
    });
  });

  test('one name, several meanings: <memory> as guest size, memory device and NUMA policy', () => {
    const first = (h: { value: string } | null) => h?.value.split('\n\n').slice(1).join(' | ');
    assert.deepEqual(
      [
        first(hoverAt(armDomain("    <mem|ory model='dimm'><target><size unit='GiB'>1</size></target></memory>"))),
        first(hoverAt(armDomain('', "\n  <numatune><mem|ory mode='strict' nodeset='0'/></numatune>"))),
      ],
      [
        'A memory device: a DIMM, NVDIMM, virtio-mem or virtio-pmem region plugged into the guest. | [libvirt docs: memory-devices](https://libvirt.org/formatdomain.html#memory-devices)',
        'The host NUMA policy for all guest memory: `mode` (strict, preferred, interleave, restrictive) and `nodeset`. | [libvirt docs: numa-node-tuning](https://libvirt.org/formatdomain.html#numa-node-tuning)',
      ],
    );
  });

  test('a generic child links to the section of the device it belongs to', () => {
    const link = (marked: string) => hoverAt(marked)?.value.split('\n').pop();
    assert.deepEqual(
      [
        link(armDomain("    <rng model='virtio'><ali|as name='ua-rng'/></rng>")),
        link(armDomain("    <disk type='file'><sou|rce file='/x.img'/></disk>")),
        link(armDomain("    <interface type='network'><so|urce network='default'/></interface>")),
      ],
      [
        '[libvirt docs: random-number-generator-device](https://libvirt.org/formatdomain.html#random-number-generator-device)',
        '[libvirt docs: hard-drives-floppy-disks-cdroms](https://libvirt.org/formatdomain.html#hard-drives-floppy-disks-cdroms)',
        '[libvirt docs: network-interfaces](https://libvirt.org/formatdomain.html#network-interfaces)',
      ],
    );
  });

  test('the release, where the release facts know it: <granule> of a virtio-iommu', () => {
    const h = hoverAt(armDomain("    <iommu model='virtio'><driver><gran|ule mode='host'/></driver></iommu>"))?.value;
    assert.deepEqual(h?.split('\n\n').slice(-2), [
      `_Since libvirt ${LIBVIRT_RELEASE.virtioIommuGranule}._`,
      '[libvirt docs: iommu-devices](https://libvirt.org/formatdomain.html#iommu-devices)',
    ]);
  });

  test('a namespaced QEMU element links to the QEMU driver page', () => {
    const xml = armDomain('', "\n  <qemu:comm|andline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:arg value='-S'/></qemu:commandline>");
    assert.equal(
      hoverAt(xml)?.value.split('\n').pop(),
      '[libvirt docs: pass-through-of-arbitrary-qemu-commands](https://libvirt.org/drvqemu.html#pass-through-of-arbitrary-qemu-commands)',
    );
  });

  test('no "(not confirmed)" anywhere: the unchecked releases say what is known', () => {
    const text = `${TWO_ACCEL}`;
    const found: string[] = [];
    const ls = service();
    const doc = parse(text, ls);
    for (let o = 0; o < text.length; o++) {
      const v = (ls.hover(doc, doc.lines.positionAt(o))?.contents as MarkupContent | undefined)?.value;
      if (v?.includes('not confirmed')) found.push(`offset ${o}`);
    }
    assert.deepEqual(found, []);
  });
});

/** An accelerated vSMMU domain, the richest hovers of the project. */
const TWO_ACCEL = armDomain(
  [
    "    <controller type='pci' index='0' model='pcie-root'/>",
    "    <controller type='pci' index='1' model='pcie-expander-bus'><model name='pxb-pcie'/><target busNr='252'><node>0</node></target></controller>",
    "    <controller type='pci' index='2' model='pcie-root-port'><target chassis='2' port='0'/><address type='pci' bus='1' slot='0'/></controller>",
    "    <hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' iommufd='yes'/><source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source><address type='pci' bus='2' slot='0'/><acpi nodeset='0'/></hostdev>",
    "    <iommu model='smmuv3'><driver pciBus='1' accel='on' ats='on' ril='off' ssidsize='20' oas='48'/><alias name='iommu0'/></iommu>",
  ].join('\n'),
  "\n  <iommufd enabled='yes'/>",
);

/**
 * A small grammar in the shape of libvirt's: `<domain type>` with `<name>`,
 * `<memory unit>` (a number) and `<os><type>` (text choices), enough to see
 * each line the grammar adds to a hover.
 */
const SMALL_RNG = `<grammar xmlns="http://relaxng.org/ns/structure/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start><ref name="domain"/></start>
  <define name="domain">
    <element name="domain">
      <attribute name="type"><choice><value>kvm</value><value>qemu</value></choice></attribute>
      <interleave>
        <element name="name"><text/></element>
        <optional><element name="memory">
          <optional><attribute name="unit"><choice><value>KiB</value><value>MiB</value><value>GiB</value></choice></attribute></optional>
          <data type="unsignedLong"/>
        </element></optional>
        <element name="os"><element name="type"><choice><value>hvm</value><value>exe</value></choice></element></element>
      </interleave>
    </element>
  </define>
</grammar>
`;

describe('hover: what the grammar in use allows', () => {
  let dir = '';
  let grammar: Grammar | undefined;
  const SMALL_DOMAIN = "<domain type='kvm'>\n  <name>t</name>\n  <memory unit='GiB'>8</memory>\n  <os><type>hvm</type></os>\n</domain>\n";
  const at = (from: string, to: string) => SMALL_DOMAIN.replace(from, to);

  test('load a schema directory as the grammar in use', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ldx-hover-grammar-'));
    writeFileSync(path.join(dir, 'domain.rng'), SMALL_RNG);
    writeFileSync(path.join(dir, 'RELEASE'), '12.8.0\n');
    grammar = (await chooseGrammar({ directory: dir, shippedDir: null, defaultDir: path.join(dir, 'none'), pathEnv: '' })).grammar;
    assert.ok(grammar, 'the directory loads');
  });

  test('the root element names the grammar (release, source) and what it allows', () => {
    assert.deepEqual(hoverAt(at('<domain', '<dom|ain'), grammar)?.value.split('\n\n').slice(2, 4), [
      `Grammar: libvirt 12.8.0, from ${dir} (schema directory setting).`,
      'Attributes: `type` (required).  \nChildren: `name`, `memory`, `os`.',
    ]);
  });

  test('without a grammar the root says none is loaded', () => {
    assert.equal(hoverAt(at('<domain', '<dom|ain'))?.value.split('\n\n')[2], 'Grammar: none loaded (yet); what is allowed where is not shown.');
  });

  test('an element: its attributes and the kind of its text; an element with text choices lists them', () => {
    assert.equal(hoverAt(at('<memory', '<mem|ory'), grammar)?.value.split('\n\n')[2], 'Attributes: `unit`.  \nText: a non-negative integer.');
    assert.equal(hoverAt(at('<type>', '<ty|pe>'), grammar)?.value.split('\n\n')[2], 'Text: `hvm`, `exe`.');
  });

  test('an attribute: every value the grammar allows, not only the one written', () => {
    assert.equal(hoverAt(at("unit='GiB'", "un|it='GiB'"), grammar)?.value.split('\n\n')[2], 'Values: `KiB`, `MiB`, `GiB`.');
    assert.equal(hoverAt(at("type='kvm'", "type='k|vm'"), grammar)?.value.split('\n\n')[2], 'Values: `kvm`, `qemu`.');
  });

  test('an element the grammar has no place for keeps its docs, without grammar lines', () => {
    const h = hoverAt(at('<name>t</name>', '<name>t</name><vc|pu>2</vcpu>'), grammar)?.value;
    assert.deepEqual(
      h?.split('\n\n').map((p) => p.split(':')[0]),
      ['**`<vcpu>`**', 'The maximum number of virtual CPUs; `current` starts fewer, `cpuset` and `placement` say where they may run.', '[libvirt docs'],
    );
  });

  test('clean up', () => rmSync(dir, { recursive: true, force: true }));
});

describe('hover size', () => {
  /** Hovers longer than 700 visible characters at any offset of the examples and TWO_ACCEL, without a host. */
  function longHovers(grammar?: Grammar): string[] {
    const texts = [
      TWO_ACCEL,
      ...readdirSync(path.join(ROOT, 'examples'))
        .filter((f) => f.endsWith('.xml'))
        .map((f) => readFileSync(path.join(ROOT, 'examples', f), 'utf8')),
    ];
    const long: string[] = [];
    const ls = service({ grammar });
    for (const text of texts) {
      const doc = parse(text, ls);
      for (let o = 0; o < text.length; o++) {
        const h = ls.hover(doc, doc.lines.positionAt(o));
        const v = h ? visible((h.contents as MarkupContent).value) : '';
        // A pciBus value lists what is plugged below the expander: document facts that grow with the document.
        if (v.length > 700 && !v.startsWith('**pciBus')) long.push(`${v.length}: ${v.split('\n')[0]}`);
      }
    }
    return [...new Set(long)];
  }

  test('every hover of the examples and of an accelerated vSMMU domain stays under 700 visible characters without host facts', () => {
    assert.deepEqual(longHovers(), []);
  });

  test("the same with the lines of libvirt 12.x's grammar", async (t) => {
    const found = schemas12();
    if ('reason' in found) return t.skip(found.reason);
    const grammar = (await chooseGrammar({ directory: found.dir, shippedDir: null, pathEnv: '' })).grammar;
    assert.ok(grammar);
    assert.deepEqual(longHovers(grammar), []);
  });
});

describe('the docs tables cover the 12.8 grammar', () => {
  test('the checked-in list: every element has a text and a libvirt 12.8 section, every attribute a text', () => {
    const items = readFileSync(ITEMS_FILE, 'utf8').split('\n').filter(Boolean);
    assert.ok(items.length > 2000, `the list holds ${items.length} items`);
    assert.deepEqual(gaps(items), []);
  });

  test('the schemas themselves, and the checked-in list is still theirs', async (t) => {
    const found = schemas12();
    if ('reason' in found) return t.skip(found.reason);
    const items = await grammarItems(found.dir);
    assert.deepEqual(gaps(items), []);
    const listed = new Set(readFileSync(ITEMS_FILE, 'utf8').split('\n').filter(Boolean));
    assert.deepEqual(
      items.filter((i) => !listed.has(i)),
      [],
      `regenerate: node --import tsx test/grammarItems.ts ${found.dir} > test/fixtures/libvirt-12.8-domain-items.txt`,
    );
  });

  test("every anchor of the tables is a section of libvirt 12.8's pages; every row is used by the grammar", () => {
    const bad = [...ELEMENT_DOCS].filter(([, d]) => d.anchor && !isKnownAnchor(d.anchor)).map(([k, d]) => `${k}: ${d.anchor}`);
    assert.deepEqual(bad, []);
    const items = readFileSync(ITEMS_FILE, 'utf8')
      .split('\n')
      .filter((l) => l && !l.includes('@'));
    const suffixes = new Set(
      items.flatMap((p) => {
        const s = p.split('/');
        return s.map((_, i) => s.slice(i).join('/'));
      }),
    );
    // nestedSmmuv3 is the never-released proposal syntax, hovered to say so; capabilities/* stands for the Linux capabilities.
    const unused = [...ELEMENT_DOCS.keys()].filter((k) => !suffixes.has(k) && k !== 'nestedSmmuv3' && !k.endsWith('/*'));
    assert.deepEqual(unused, []);
    assert.ok(DOC_SECTIONS['formatdomain.html'].includes('iommu-devices'));
  });
});
