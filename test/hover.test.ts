/**
 * Hover: each test places the cursor with `|` and compares the hovered
 * range (as the text it covers) and the markdown, exactly for the cases
 * that depend on the document and the host, by key phrases for the docs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MarkupContent, Range } from 'vscode-languageserver-types';
import { armDomain, atCursor, loadHost, parse, service } from './helpers';
import { devices, expander, hostdev, PCIE_ROOT, rootPort, vsmmu } from './fixtures/domains';
import type { HostTopology } from '../server/src/host/types';
import { IOMMU_DRIVER_ATTRIBUTES, IOMMU_MODELS } from '../server/src/domain/catalog';

const HOST = loadHost('grace-3smmu');

/** Hover at the `|` of `marked`: the text its range covers and its markdown, or null. */
function hoverAt(marked: string, host?: HostTopology): { covers: string; value: string } | null {
  const { text, ls, doc, position } = atCursor(marked, { host });
  const h = ls.hover(doc, position);
  if (!h) return null;
  const r = h.range as Range;
  const contents = h.contents as MarkupContent;
  assert.equal(contents.kind, 'markdown');
  return { covers: text.slice(doc.lines.offsetAt(r.start), doc.lines.offsetAt(r.end)), value: contents.value };
}

/** The pieces of `phrases` that the hover text lacks (empty when all are there). */
function missing(value: string | undefined, phrases: string[]): string[] {
  return phrases.filter((p) => !value?.includes(p));
}

/** GPU A (0009:01:00.0) on root port 3 of expander 1, whose vSMMU has accel and the fork's ssidSize; expander 2 is empty. */
const TWO_GPUS = devices(
  PCIE_ROOT,
  '    <!-- PXB for GPU A, host smmu3.0x0000000016000000 -->',
  expander(1, 252, 1, { node: 0 }),
  expander(2, 248, 2),
  rootPort(3, 1, 0, 0),
  hostdev('0009:01:00.0', 3),
  vsmmu(1, " accel='on' ats='on' ssidSize='20' oas='48'"),
);

/** TWO_GPUS with `from` replaced by `to` (which carries the cursor). */
const at = (from: string, to: string): string => {
  const xml = armDomain(TWO_GPUS);
  assert.ok(xml.includes(from), `fixture lacks ${from}`);
  return xml.replace(from, to);
};

/** The nested-SMMU layout note, which only the `<iommu>` hover carries; the related items point there. */
const LAYOUT_PHRASES = [
  '**Why one expander per vSMMU:**',
  'each host SMMU in use gets one vSMMU',
  'PCIe expander bus (`pxb-pcie`)',
  '**What it costs:**',
  'cannot be live-migrated',
];
const POINTER = 'Why one expander per vSMMU, and what that costs: see the hover on `<iommu>`.';

/** The layout note's phrases that `value` carries (none expected outside `<iommu>`). */
function layoutPhrasesIn(value: string | undefined): string[] {
  return LAYOUT_PHRASES.filter((p) => value?.includes(p));
}

describe('pciBus value', () => {
  test('the expander it selects, its busNr and NUMA node, and the devices below it', () => {
    assert.deepEqual(hoverAt(at("pciBus='1'", "pciBus='|1'"), HOST), {
      covers: '1',
      value: [
        '**pciBus `1`** → controller index 1, `pcie-expander-bus` (busNr 252, guest NUMA node 0)',
        '',
        'Plugged below it:',
        '- `pcie-root-port` index 3',
        '  - hostdev `0009:01:00.0` NVIDIA Corporation GH100 [H100] (10de:2342) (host SMMU `smmu3.0x0000000016000000`)',
      ].join('\n'),
    });
  });

  test('an expander with nothing below it', () => {
    assert.equal(hoverAt(at("pciBus='1'", "pciBus='2|'"))?.value, '**pciBus `2`** → controller index 2, `pcie-expander-bus` (busNr 248)\n\nNothing is plugged below it yet.');
  });

  test('a busNr written instead of the index', () => {
    assert.deepEqual(hoverAt(at("pciBus='1'", "pciBus='25|2'")), {
      covers: '252',
      value:
        "**pciBus `252`**\n\nSelects nothing: no `<controller type='pci'>` has index 252. Controller index 1 has `busNr='252'`: `pciBus` takes the index, so you probably mean `1`.",
    });
  });

  test('no controller at all, and a value that is not a number', () => {
    assert.equal(hoverAt(at("pciBus='1'", "pciBus='|7'"))?.value, "**pciBus `7`**\n\nSelects nothing: no `<controller type='pci'>` has index 7.");
    assert.equal(hoverAt(at("pciBus='1'", "pciBus='x|'"))?.value, '**pciBus `x`**\n\nNot a number: `pciBus` takes the **index** of a PCI controller.');
  });

  test('a controller that cannot carry a vSMMU', () => {
    assert.deepEqual(missing(hoverAt(at("pciBus='1'", "pciBus='|3'"))?.value, ['→ controller index 3, `pcie-root-port`', 'Not a pcie-expander-bus']), []);
  });
});

describe('host SMMU names', () => {
  const nested = (name: string) =>
    armDomain(`    <controller type='pci' index='1' model='pcie-expander-bus'>\n      <nestedSmmuv3><name>${name}</name></nestedSmmuv3>\n    </controller>`);

  test('in <nestedSmmuv3>: platform device, the devices behind it, the source', () => {
    assert.deepEqual(hoverAt(nested('smmu3.0x00000000|16000000'), HOST), {
      covers: 'smmu3.0x0000000016000000',
      value: [
        '**Host SMMU `smmu3.0x0000000016000000`**',
        '',
        'Platform device `arm-smmu-v3.8.auto`',
        '',
        'Devices behind it:',
        '- `0009:01:00.0` NVIDIA Corporation GH100 [H100] (10de:2342) (driver vfio-pci, NUMA node 0)',
        '',
        '_Source: snapshot grace-3smmu.json, host grace-3smmu._',
      ].join('\n'),
    });
  });

  test('a name the host does not have', () => {
    assert.deepEqual(hoverAt(nested('smmu3.0x0000000016|000001'), HOST), {
      covers: 'smmu3.0x0000000016000001',
      value: '**Host SMMU `smmu3.0x0000000016000001`**\n\nNot found on this host (source: snapshot grace-3smmu.json, host grace-3smmu).',
    });
  });

  test('no host topology; a malformed name', () => {
    assert.equal(hoverAt(nested('smmu3.0x00000000|16000000'))?.value, '**Host SMMU `smmu3.0x0000000016000000`**\n\nNo host topology is loaded, so this name cannot be checked.');
    assert.deepEqual(missing(hoverAt(nested('smmu3.0x16|000000'), HOST)?.value, ['Not a valid SMMUv3 name', '16 lower-case hex digits']), []);
  });

  test('in a comment as well', () => {
    const h = hoverAt(at('host smmu3.0x0000000016000000', 'host smmu3.0x000000001600|0000'), HOST);
    assert.equal(h?.covers, 'smmu3.0x0000000016000000');
    assert.deepEqual(missing(h?.value, ['Platform device `arm-smmu-v3.8.auto`', '`0009:01:00.0`']), []);
  });
});

describe('hostdev source address', () => {
  test('the host device, its ids, driver, NUMA node, IOMMU group and SMMU', () => {
    assert.deepEqual(hoverAt(at("<address domain='0x0009'", "<address domain='0x00|09'"), HOST), {
      covers: '0x0009',
      value: [
        '**Host device `0009:01:00.0`**',
        '',
        'NVIDIA Corporation GH100 [H100] (10de:2342)',
        '',
        '- Driver: `vfio-pci`',
        '- NUMA node: 0',
        '- IOMMU group: 19',
        '- Behind IOMMU `smmu3.0x0000000016000000` (`arm-smmu-v3.8.auto`)',
        '',
        '_Source: snapshot grace-3smmu.json, host grace-3smmu._',
      ].join('\n'),
    });
  });

  test('on the element name as well', () => {
    const h = hoverAt(at("<address domain='0x0009'", "<addr|ess domain='0x0009'"), HOST);
    assert.deepEqual([h?.covers, h?.value.split('\n')[0]], ['address', '**Host device `0009:01:00.0`**']);
  });

  test('a device the host does not have; an incomplete address', () => {
    assert.equal(
      hoverAt(at("<address domain='0x0009' bus='0x01'", "<address domain='0x0009' bus='0x0|7'"), HOST)?.value,
      '**Host device `0009:07:00.0`**\n\nNot a PCI device on this host (source: snapshot grace-3smmu.json, host grace-3smmu).',
    );
    assert.deepEqual(
      missing(hoverAt(at("<address domain='0x0009' bus='0x01' slot='0x00'", "<address domain='0x0009' bus='0x01' sl|ot='zz'"), HOST)?.value, ['incomplete or malformed']),
      [],
    );
  });
});

describe('IOMMU docs', () => {
  test('every smmuv3 driver attribute: its name, exact range, and the libvirt version (or proposal status)', () => {
    const problems: string[] = [];
    for (const name of IOMMU_MODELS.smmuv3.attributes) {
      const h = hoverAt(armDomain(`    <iommu model='smmuv3'>\n      <driver |${name}='on'/>\n    </iommu>`));
      const info = IOMMU_DRIVER_ATTRIBUTES[name];
      const version = info.since ? `_Since libvirt ${info.since}` : 'not in a released libvirt';
      if (h?.covers !== name) problems.push(`${name}: covers ${h?.covers}`);
      problems.push(...missing(h?.value, [`**\`${name}\`**`, version]).map((p) => `${name}: lacks ${p}`));
    }
    assert.deepEqual(problems, []);
  });

  test('accel: what it does, its dependencies, a pointer to the layout note, and what is known of its release', () => {
    const h = hoverAt(at("accel='on'", "acc|el='on'"));
    assert.equal(h?.covers, 'accel');
    assert.deepEqual(
      missing(h?.value, [
        'nested mode',
        'Needs `pciBus` (the pluggable form).',
        POINTER,
        '_Since libvirt 12.7.0._',
        '[libvirt docs: iommu-devices](https://libvirt.org/formatdomain.html#iommu-devices)',
      ]),
      [],
    );
    assert.deepEqual(layoutPhrasesIn(h?.value), []);
    assert.ok(!h?.value.includes('not confirmed'));
  });

  test('an accel-only attribute names both dependencies', () => {
    assert.deepEqual(missing(hoverAt(at("oas='48'", "o|as='48'"))?.value, ["Needs `pciBus` (the pluggable form) and `accel='on'`.", 'Values: `44`, `48`.']), []);
  });

  test('the ssidSize spelling points at ssidsize', () => {
    const h = hoverAt(at("ssidSize='20'", "ssid|Size='20'"));
    assert.equal(
      h?.value.split('\n')[0],
      '**`ssidSize`** is not an attribute released libvirt accepts: write `ssidsize` (upstream libvirt spells it in lower case; ssidSize comes from a downstream fork and KubeVirt).',
    );
  });

  test('an attribute of another model is flagged', () => {
    assert.deepEqual(missing(hoverAt(armDomain("    <iommu model='intel'>\n      <driver acc|el='on'/>\n    </iommu>"))?.value, ['**Not valid for model `intel`.**']), []);
  });

  test('each model value, with its machines and version', () => {
    const problems: string[] = [];
    for (const info of Object.values(IOMMU_MODELS)) {
      const h = hoverAt(armDomain(`    <iommu model='${info.name}|'/>`));
      if (h?.covers !== info.name) problems.push(`${info.name}: covers ${h?.covers}`);
      problems.push(...missing(h?.value, [`**IOMMU model \`${info.name}\`** (${info.machines})`, `_Since libvirt ${info.since}._`]).map((p) => `${info.name}: lacks ${p}`));
    }
    assert.deepEqual(problems, []);
  });

  test('smmuv3 with accel points at the layout note; proposal and unknown models say what to write', () => {
    const model = hoverAt(at("<iommu model='smmuv3'>", "<iommu model='smmu|v3'>"))?.value;
    assert.deepEqual([missing(model, [POINTER]), layoutPhrasesIn(model)], [[], []]);
    const proposal = hoverAt(armDomain("    <iommu model='nestedSmmuv3|'/>"))?.value;
    assert.deepEqual(missing(proposal, ['not in released libvirt', "<iommu model='smmuv3'><driver pciBus='N' accel='on'/></iommu>", POINTER]), []);
    assert.deepEqual(layoutPhrasesIn(proposal), []);
    assert.equal(hoverAt(armDomain("    <iommu model='foo|'/>"))?.value, '**Unknown IOMMU model `foo`**\n\nReleased libvirt knows `intel`, `smmuv3`, `virtio`, `amd`.');
  });

  test('the <iommu> element, from its start and end tag: what this one is, and the layout note (its one place)', () => {
    const start = hoverAt(at("<iommu model='smmuv3'>", "<io|mmu model='smmuv3'>"));
    const end = hoverAt(at('</iommu>', '</iomm|u>'));
    assert.deepEqual([start?.covers, end?.covers, start?.value === end?.value], ['iommu', 'iommu', true]);
    assert.deepEqual(
      missing(start?.value, [
        '**`<iommu>`** — A pluggable SMMUv3 on controller index 1 (`pcie-expander-bus`), accelerated by the host SMMU of the devices below it.',
        ...LAYOUT_PHRASES,
        '[libvirt docs: iommu-devices](https://libvirt.org/formatdomain.html#iommu-devices)',
      ]),
      [],
    );
  });

  test('an <iommu> without the nested form: the element text, this one, the release, no layout note', () => {
    const h = hoverAt(armDomain("    <io|mmu model='virtio'/>"))?.value;
    assert.deepEqual(missing(h, ['**`<iommu>`**', 'A virtual IOMMU for the guest.', 'This one: `virtio`, x86 Q35 or ARM virt.', '_Since libvirt 2.1.0._']), []);
    assert.deepEqual(layoutPhrasesIn(h), []);
  });

  test("the <driver> element lists the model's attributes", () => {
    assert.deepEqual(
      missing(hoverAt(at('<driver pciBus', '<dri|ver pciBus'))?.value, ['Attributes for `smmuv3`: `pciBus`, `accel`, `ats`, `ril`, `ssidsize`, `oas`, `cmdqv`.']),
      [],
    );
  });
});

describe('PCI topology docs', () => {
  test('pxb-pcie and pcie-expander-bus: what an expander is, a pointer to the layout note, version and link', () => {
    for (const marked of [at("<model name='pxb-pcie'/>", "<model name='pxb-p|cie'/>"), at("index='2' model='pcie-expander-bus'", "index='2' model='pcie-exp|ander-bus'")]) {
      const h = hoverAt(marked)?.value;
      assert.deepEqual(
        missing(h, [
          '**PCI controller model `pcie-expander-bus`** (QEMU `pxb-pcie`)',
          POINTER,
          '_Since libvirt 1.3.4._',
          '[libvirt docs: controllers](https://libvirt.org/formatdomain.html#controllers)',
        ]),
        [],
      );
      assert.deepEqual(layoutPhrasesIn(h), []);
    }
  });

  test('a root port controller element', () => {
    const h = hoverAt(at("<controller type='pci' index='3'", "<contr|oller type='pci' index='3'"));
    assert.deepEqual(missing(h?.value, ['**PCI controller model `pcie-root-port`**', 'one slot for one device', '_Since libvirt 1.2.19._']), []);
  });

  test('busNr: the rule, and the bus numbers this expander owns here', () => {
    const h = hoverAt(at("<target busNr='252'>", "<target bus|Nr='252'>"));
    assert.equal(h?.covers, 'busNr');
    assert.deepEqual(
      missing(h?.value, [
        '**`busNr`** (attribute of `<target>`)',
        'Here: buses 252–255 belong to this expander; it uses 2 (its own bus and 1 port or bridge below it).',
        '_Since libvirt 1.3.4._',
      ]),
      [],
    );
  });

  test('a guest address bus: the controller it names and the path to the root', () => {
    assert.deepEqual(hoverAt(at("bus='0x03'", "bus='0x0|3'")), {
      covers: '0x03',
      value:
        '**bus `0x03`** → controller index 3, `pcie-root-port`\n\nThen: `pcie-expander-bus` index 1 → `pcie-root` index 0.\n\nA guest address names the **index** of the controller the device plugs into, not the bus number the guest sees.',
    });
  });

  test('a NUMA <node> names the guest cell', () => {
    assert.deepEqual(
      missing(hoverAt(at('<node>0</node>', '<no|de>0</node>'))?.value, [
        'Guest NUMA cell 0 (cpus 0-3).',
        "_Since libvirt 1.3.4, as libvirt's release notes read (not tried on that release)._",
      ]),
      [],
    );
  });

  test('the <nestedSmmuv3> element: never released, and where the released design is explained', () => {
    const h = hoverAt(armDomain("    <controller type='pci' index='1' model='pcie-expander-bus'>\n      <nested|Smmuv3><name>x</name></nestedSmmuv3>\n    </controller>"));
    assert.deepEqual(missing(h?.value, ['Released libvirt never accepted it', POINTER]), []);
    assert.deepEqual(layoutPhrasesIn(h?.value), []);
  });

  test('hostdev iommufd and the domain <iommufd>', () => {
    assert.deepEqual(
      missing(hoverAt(armDomain("    <hostdev mode='subsystem' type='pci'>\n      <driver name='vfio' iommu|fd='yes'/>\n    </hostdev>"))?.value, [
        'accelerated vSMMU',
        '_Since libvirt 12.1.0._',
      ]),
      [],
    );
    assert.deepEqual(missing(hoverAt(armDomain('', "\n  <iommu|fd enabled='yes'/>"))?.value, ['_Since libvirt 12.2.0._']), []);
  });
});

describe('nothing to say', () => {
  test('white space, text without a host reference, and names no grammar has', () => {
    assert.deepEqual(
      [
        hoverAt(armDomain('    |  <iommu/>')),
        hoverAt(armDomain('    <emulator>/usr/bin/q|emu</emulator>')),
        hoverAt(armDomain("    <wat|chdogg model='i6300esb'/>")),
        hoverAt(armDomain("    <watchdog mod|ell='i6300esb'/>")),
      ],
      [null, null, null, null],
    );
  });

  test('never throws at any offset, with and without a host', () => {
    const xml = armDomain(`${TWO_GPUS}\n    <controller type='pci' index='4' model='pcie-expander-bus'><nestedSmmuv3>smmu3.0x1</nestedSmmuv3>`);
    const failures: string[] = [];
    for (const host of [HOST, undefined]) {
      const ls = service({ host });
      for (const text of [xml, xml.slice(0, xml.length / 2), xml.replace(/'/g, '')]) {
        const doc = parse(text, ls);
        for (let o = 0; o <= text.length; o++) {
          try {
            ls.hover(doc, doc.lines.positionAt(o));
          } catch (e) {
            failures.push(`offset ${o}: ${e}`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
  });
});

describe('ACPI Generic Initiator nodeset', () => {
  const withGpu = (nodeset: string, cells: string) =>
    armDomain(
      devices(
        PCIE_ROOT,
        rootPort(1, 0, 1),
        `    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        <address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/>\n      </source>\n      <acpi nodeset='${nodeset}'/>\n      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n    </hostdev>`,
      ),
    ).replace('</numa>', `${cells}</numa>`);

  test('says what the cells become and what they are here, in a few lines', () => {
    const good = hoverAt(withGpu('2-|3', "  <cell id='2' memory='0' unit='KiB'/>\n      <cell id='3' memory='0' unit='KiB'/>\n    "))!;
    assert.match(good.value, /QEMU `acpi-generic-initiator`/);
    assert.match(good.value, /Here: 2 cells \(2-3\); all memory-less and CPU-less\./);
    assert.ok(good.value.length < 700, `${good.value.length} characters`);
    const bad = hoverAt(withGpu('1-|3', "  <cell id='2' memory='0' unit='KiB'/>\n    "))!;
    assert.match(bad.value, /Here: 3 cells \(1-3\); not in <cpu><numa>: 3; with vCPUs or memory: 1\./);
  });
});
