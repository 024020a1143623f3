/**
 * Completion: each test places the cursor with `|` in a (often half-typed)
 * domain and compares the offered items, in the order the editor shows them
 * (by sortText), with what the test expects: labels, and for a few items
 * the text each one replaces and inserts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompletionItem, MarkupContent, TextEdit } from 'vscode-languageserver-types';
import { CompletionItemKind, InsertTextFormat } from 'vscode-languageserver-types';
import { armDomain, atCursor, loadHost, parse, service } from './helpers';
import { devices, expander, hostdev, PCIE_ROOT, rootPort } from './fixtures/domains';
import type { HostTopology } from '../server/src/host/types';

const HOST = loadHost('grace-3smmu');

interface Offered {
  label: string;
  /** The document text the item's edit replaces. */
  replaces: string;
  newText: string;
}

/** Completion at the `|` of `marked`, items in display order (sortText), edits as covered text. */
function complete(marked: string, host?: HostTopology): { items: CompletionItem[]; offered: Offered[] } {
  const { text, ls, doc, position } = atCursor(marked, { host });
  const list = ls.complete(doc, position);
  assert.equal(list.isIncomplete, false);
  const items = [...list.items].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
  const offered = items.map((i) => {
    const e = i.textEdit as TextEdit;
    const start = doc.lines.offsetAt(e.range.start),
      end = doc.lines.offsetAt(e.range.end);
    return { label: i.label, replaces: text.slice(start, end), newText: e.newText };
  });
  return { items, offered };
}

const labels = (marked: string, host?: HostTopology): string[] => complete(marked, host).offered.map((o) => o.label);
const offered = (marked: string, label: string, host?: HostTopology): Offered | undefined => complete(marked, host).offered.find((o) => o.label === label);

/** pcie-root, an expander (index 1, busNr 252, NUMA 0) with a root port (2), and the GPU 0009:01:00.0 on that port. */
const ONE_GPU = devices(PCIE_ROOT, expander(1, 252, 1, { node: 0 }), rootPort(2, 1, 0, 0), hostdev('0009:01:00.0', 2));

const DEVICE_CHILDREN = [
  'controller',
  'hostdev',
  'iommu',
  'interface',
  'disk',
  'emulator',
  'video',
  'console',
  'serial',
  'channel',
  'input',
  'graphics',
  'memballoon',
  'rng',
  'tpm',
  'watchdog',
  'filesystem',
];
const VSMMU = 'vSMMU: accelerated smmuv3 on an expander';
const PXB = 'pxb-pcie expander bus + root port';

describe('element names', () => {
  test('after a lone < in <devices>: the two snippets, then the device elements', () => {
    assert.deepEqual(labels(armDomain(`${ONE_GPU}\n    <|`)), [VSMMU, PXB, ...DEVICE_CHILDREN]);
  });

  test("an element and an attribute item carry the hover's text and the link to libvirt's documentation", () => {
    const doc = (marked: string, label: string) => (complete(marked).items.find((i) => i.label === label)?.documentation as MarkupContent | undefined)?.value;
    assert.equal(
      doc(armDomain(`${ONE_GPU}\n    <|`), 'memballoon'),
      [
        '**`<memballoon>`**',
        '',
        "The memory balloon: lets the host take memory back from the guest, and reports the guest's memory use.",
        '',
        '[libvirt docs: memory-balloon-device](https://libvirt.org/formatdomain.html#memory-balloon-device)',
      ].join('\n'),
    );
    assert.equal(
      doc(armDomain("    <hostdev |mode='subsystem' type='pci'/>"), 'managed')?.split('\n').pop(),
      '[libvirt docs: host-device-assignment](https://libvirt.org/formatdomain.html#host-device-assignment)',
    );
  });

  test('a device element replaces the typed <contr and is written whole, indented like the document', () => {
    assert.deepEqual(offered(armDomain(`${ONE_GPU}\n    <contr|`), 'controller'), {
      label: 'controller',
      replaces: '<contr',
      newText: '<controller $1>\n      $0\n    </controller>',
    });
  });

  test('elements of one line: self-closing with attributes, or text content', () => {
    const marked = armDomain('    <|');
    assert.deepEqual(offered(marked, 'input')?.newText, '<input $1/>');
    assert.deepEqual(offered(marked, 'emulator')?.newText, '<emulator>$1</emulator>');
  });

  test('children of <iommu>', () => {
    assert.deepEqual(labels(armDomain("    <iommu model='smmuv3'>\n      <|\n    </iommu>")), ['driver', 'alias', 'address']);
  });

  test('children of <controller>', () => {
    assert.deepEqual(labels(armDomain("    <controller type='pci' index='1' model='pcie-expander-bus'>\n      <|\n    </controller>")), [
      'model',
      'target',
      'address',
      'alias',
      'driver',
    ]);
  });

  test('children of an unclosed <hostdev> while typing a name', () => {
    assert.deepEqual(labels(armDomain("    <hostdev mode='subsystem' type='pci'>\n      <so|")), ['source', 'address', 'driver', 'rom', 'alias', 'acpi']);
  });

  test('children of a controller <target>', () => {
    assert.deepEqual(
      labels(armDomain("    <controller type='pci' index='1' model='pcie-expander-bus'>\n      <target busNr='252'>\n        <|\n      </target>\n    </controller>")),
      ['node'],
    );
  });

  test('renaming an element that already has attributes replaces only its name', () => {
    assert.deepEqual(offered(armDomain("    <contr|oller type='pci' index='1'/>"), 'controller'), {
      label: 'controller',
      replaces: 'controller',
      newText: 'controller',
    });
  });

  test('a lone < before the root, and an empty file, offer the <domain> skeleton', () => {
    const skeleton = [
      "<domain type='${1:kvm}'>",
      '  <name>${2:guest}</name>',
      "  <memory unit='GiB'>${3:4}</memory>",
      '  <vcpu>${4:2}</vcpu>',
      '  <os>',
      "    <type arch='${5|aarch64,x86_64|}'>hvm</type>",
      '  </os>',
      '  <devices>',
      '    $0',
      '  </devices>',
      '</domain>',
    ].join('\n');
    assert.deepEqual(complete('<|').offered, [{ label: 'domain', replaces: '<', newText: skeleton }]);
    assert.deepEqual(complete('|').offered, [{ label: 'domain', replaces: '', newText: skeleton }]);
    assert.deepEqual(complete('<?xml version="1.0"?>\n|').offered, [{ label: 'domain', replaces: '', newText: skeleton }]);
  });

  test('inside a comment or an end tag nothing is offered', () => {
    assert.deepEqual(labels(armDomain('    <!-- a <| -->')), []);
    assert.deepEqual(labels(armDomain("    <iommu model='smmuv3'></io|mmu>")), []);
  });
});

describe('snippets', () => {
  test('vSMMU on the first expander that has no vSMMU yet', () => {
    const devices = `${ONE_GPU}
    <controller type='pci' index='3' model='pcie-expander-bus'>
      <target busNr='248'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </controller>
    <iommu model='smmuv3'>
      <driver pciBus='1' accel='on'/>
    </iommu>
    <|`;
    const { items, offered: all } = complete(armDomain(devices));
    assert.deepEqual(
      all.find((o) => o.label === VSMMU),
      {
        label: VSMMU,
        replaces: '<',
        newText: "<iommu model='smmuv3'>\n      <driver pciBus='${1:3}' accel='on'/>\n    </iommu>$0",
      },
    );
    const item = items.find((i) => i.label === VSMMU)!;
    assert.deepEqual([item.kind, item.insertTextFormat, item.detail], [CompletionItemKind.Snippet, InsertTextFormat.Snippet, 'pciBus 3 (pcie-expander-bus without a vSMMU)']);
  });

  test('vSMMU without any expander leaves pciBus as a placeholder', () => {
    assert.equal(offered(armDomain('    <|'), VSMMU)?.newText, "<iommu model='smmuv3'>\n      <driver pciBus='${1:N}' accel='on'/>\n    </iommu>$0");
  });

  test('expander + root port: next index, next free pcie-root slot, busNr four below the lowest, NUMA cell choice', () => {
    assert.deepEqual(
      offered(armDomain(`${ONE_GPU}\n    <|`), PXB)?.newText,
      [
        "<controller type='pci' index='3' model='pcie-expander-bus'>",
        "      <model name='pxb-pcie'/>",
        "      <target busNr='${1:248}'>",
        '        <node>${2|0,1|}</node>',
        '      </target>',
        "      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>",
        '    </controller>',
        "    <controller type='pci' index='4' model='pcie-root-port'>",
        "      <model name='pcie-root-port'/>",
        "      <target chassis='4' port='0x0'/>",
        "      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>",
        '    </controller>$0',
      ].join('\n'),
    );
  });

  test('expander snippet: the NUMA cell of the assigned device still waiting for an expander comes first', () => {
    // GPU B (0019:01:00.0) is on host node 1 and sits on a pcie-root port.
    const waiting = armDomain(`${ONE_GPU}\n${rootPort(3, 0, 2)}\n${hostdev('0019:01:00.0', 3)}\n    <|`);
    assert.match(offered(waiting, PXB, HOST)!.newText, /<node>\$\{2\|1,0\|\}<\/node>/);
    assert.match(offered(waiting, PXB)!.newText, /<node>\$\{2\|0,1\|\}<\/node>/);
  });

  test('first expander in a tab-indented domain without NUMA cells: busNr 252, slot 1, tabs', () => {
    const marked = "<domain type='kvm'>\n\t<os>\n\t\t<type arch='aarch64' machine='virt'>hvm</type>\n\t</os>\n\t<devices>\n\t\t<|\n\t</devices>\n</domain>";
    assert.deepEqual(
      offered(marked, PXB)?.newText,
      [
        "<controller type='pci' index='1' model='pcie-expander-bus'>",
        "\t\t\t<model name='pxb-pcie'/>",
        "\t\t\t<target busNr='${1:252}'/>",
        "\t\t\t<address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>",
        '\t\t</controller>',
        "\t\t<controller type='pci' index='2' model='pcie-root-port'>",
        "\t\t\t<model name='pcie-root-port'/>",
        "\t\t\t<target chassis='2' port='0x0'/>",
        "\t\t\t<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>",
        '\t\t</controller>$0',
      ].join('\n'),
    );
  });

  test("snippets follow the document's double quotes", () => {
    const marked = '<domain type="kvm">\n  <devices>\n    <|\n  </devices>\n</domain>';
    assert.equal(offered(marked, VSMMU)?.newText, '<iommu model="smmuv3">\n      <driver pciBus="${1:N}" accel="on"/>\n    </iommu>$0');
  });

  test('no snippets when renaming an element that has attributes', () => {
    assert.deepEqual(
      labels(armDomain("    <contr| type='pci'/>")).filter((l) => l === VSMMU || l === PXB),
      [],
    );
  });
});

describe('attribute names', () => {
  test('in an unclosed <iommu start tag: model, as a snippet with quotes', () => {
    assert.deepEqual(complete(armDomain('    <iommu |\n')).offered, [{ label: 'model', replaces: '', newText: "model='$1'" }]);
  });

  test('<driver> of an smmuv3: the catalog attributes, accel-only ones after accel', () => {
    assert.deepEqual(labels(armDomain("    <iommu model='smmuv3'>\n      <driver |/>\n    </iommu>")), ['pciBus', 'accel', 'ats', 'ril', 'ssidsize', 'oas', 'cmdqv']);
  });

  test('<driver> of an intel IOMMU', () => {
    assert.deepEqual(labels(armDomain("    <iommu model='intel'>\n      <driver |/>\n    </iommu>")), [
      'intremap',
      'caching_mode',
      'eim',
      'iotlb',
      'aw_bits',
      'dma_translation',
      'pasid',
    ]);
  });

  test('attributes already written are left out; the typed prefix is replaced', () => {
    const marked = armDomain("    <iommu model='smmuv3'>\n      <driver pciBus='1' accel='on' ss|\n    </iommu>");
    assert.deepEqual(labels(marked), ['ats', 'ril', 'ssidsize', 'oas', 'cmdqv']);
    assert.deepEqual(offered(marked, 'ssidsize'), { label: 'ssidsize', replaces: 'ss', newText: "ssidsize='$1'" });
  });

  test('an attribute name that already has a value: only the name is replaced', () => {
    assert.deepEqual(complete(armDomain("    <iommu mo|del='smmuv3'/>")).offered, [{ label: 'model', replaces: 'model', newText: 'model' }]);
  });

  test('right after a closing quote nothing is offered (a name would stick to the value)', () => {
    assert.deepEqual(labels(armDomain("    <iommu model='smmuv3'|/>")), []);
  });

  test('<controller>', () => {
    assert.deepEqual(labels(armDomain("    <controller type='pci' |/>")), ['index', 'model']);
  });

  test('controller <target> per model', () => {
    const target = (model: string) => labels(armDomain(`    <controller type='pci' index='1' model='${model}'>\n      <target |/>\n    </controller>`));
    assert.deepEqual(
      [target('pcie-expander-bus'), target('pcie-root-port'), target('pci-bridge'), target('dmi-to-pci-bridge')],
      [['busNr'], ['chassis', 'port', 'hotplug'], ['chassisNr'], ['busNr', 'chassis', 'port', 'chassisNr', 'hotplug']],
    );
  });

  test('<hostdev> and its <driver>', () => {
    assert.deepEqual(labels(armDomain('    <hostdev |>\n    </hostdev>')), ['mode', 'type', 'managed']);
    assert.deepEqual(labels(armDomain("    <hostdev mode='subsystem' type='pci'>\n      <driver name='vfio' |/>\n    </hostdev>")), ['iommufd']);
  });

  test('a guest <address>', () => {
    assert.deepEqual(labels(armDomain("    <interface type='network'>\n      <address |/>\n    </interface>")), ['type', 'domain', 'bus', 'slot', 'function', 'multifunction']);
  });
});

describe('attribute values', () => {
  test('iommu model on an ARM guest: models that fit the machine first', () => {
    assert.deepEqual(
      complete(armDomain("    <iommu model='sm|\n")).offered.map((o) => [o.label, o.replaces]),
      [
        ['smmuv3', 'sm'],
        ['virtio', 'sm'],
        ['intel', 'sm'],
        ['amd', 'sm'],
      ],
    );
  });

  test('iommu model on an x86 Q35 guest', () => {
    const marked = "<domain type='kvm'>\n  <os>\n    <type arch='x86_64' machine='pc-q35-9.0'>hvm</type>\n  </os>\n  <devices>\n    <iommu model='|'/>\n  </devices>\n</domain>";
    assert.deepEqual(labels(marked), ['intel', 'virtio', 'amd', 'smmuv3']);
  });

  test('on/off and fixed sets', () => {
    const driver = (attrs: string) => labels(armDomain(`    <iommu model='smmuv3'>\n      <driver pciBus='1' ${attrs}/>\n    </iommu>`));
    assert.deepEqual(
      [driver("accel='|'"), driver("accel='on' oas='|'")],
      [
        ['on', 'off'],
        ['44', '48'],
      ],
    );
  });

  test('ssidsize in an unterminated value: 20 and 0 first, the typed digit replaced', () => {
    const { offered: all } = complete(armDomain("    <iommu model='smmuv3'>\n      <driver pciBus='1' accel='on' ssidsize='2|\n    </iommu>"));
    assert.deepEqual(all.slice(0, 4), [
      { label: '20', replaces: '2', newText: '20' },
      { label: '0', replaces: '2', newText: '0' },
      { label: '1', replaces: '2', newText: '1' },
      { label: '2', replaces: '2', newText: '2' },
    ]);
    assert.equal(all.length, 21);
  });

  test('pciBus: expander indexes with busNr and the host SMMU below, then pcie-root; taken ones last', () => {
    const devices = `${ONE_GPU}
    <controller type='pci' index='3' model='pcie-expander-bus'>
      <target busNr='248'/>
    </controller>
    <iommu model='smmuv3'>
      <driver pciBus='3'/>
    </iommu>
    <iommu model='smmuv3'>
      <driver pciBus='|'/>
    </iommu>`;
    assert.deepEqual(complete(armDomain(devices), HOST).offered, [
      { label: '1 (busNr 252, devices behind smmu3.0x0000000016000000)', replaces: '', newText: '1' },
      { label: '0 (pcie-root)', replaces: '', newText: '0' },
      { label: '3 (busNr 248) — has a vSMMU', replaces: '', newText: '3' },
    ]);
    assert.deepEqual(labels(armDomain(devices)), ['1 (busNr 252)', '0 (pcie-root)', '3 (busNr 248) — has a vSMMU']);
  });

  test('pciBus items filter on the value, not on the label', () => {
    const { items } = complete(armDomain(`${ONE_GPU}\n    <iommu model='smmuv3'>\n      <driver pciBus='|'/>\n    </iommu>`));
    assert.deepEqual(
      items.map((i) => i.filterText),
      ['1', '0'],
    );
  });

  test('controller type and PCI models from the catalog', () => {
    assert.deepEqual(labels(armDomain("    <controller type='|'/>")), ['pci', 'usb', 'scsi', 'sata', 'virtio-serial', 'ide', 'fdc', 'ccid', 'xenbus', 'isa', 'nvme']);
    assert.deepEqual(labels(armDomain("    <controller type='pci' model='pcie-|'/>")), [
      'pcie-root',
      'pci-root',
      'pcie-root-port',
      'pcie-switch-upstream-port',
      'pcie-switch-downstream-port',
      'pcie-expander-bus',
      'pci-expander-bus',
      'pci-bridge',
      'dmi-to-pci-bridge',
      'pcie-to-pci-bridge',
    ]);
    assert.deepEqual(labels(armDomain("    <controller type='usb' model='|'/>")), []);
  });

  test('<model name> follows the controller model', () => {
    const name = (model: string) => labels(armDomain(`    <controller type='pci' index='1' model='${model}'>\n      <model name='|'/>\n    </controller>`));
    assert.deepEqual([name('pcie-expander-bus'), name('pcie-root-port')], [['pxb-pcie'], ['pcie-root-port']]);
  });

  test('index: one above the other PCI indexes; 0 for pcie-root; lowest unused for other types', () => {
    assert.deepEqual(labels(armDomain(`${ONE_GPU}\n    <controller type='pci' index='|' model='pcie-root-port'/>`)), ['3']);
    assert.deepEqual(labels(armDomain("    <controller type='pci' index='|' model='pcie-root'/>")), ['0']);
    assert.deepEqual(labels(armDomain("    <controller type='usb' index='0'/>\n    <controller type='usb' index='2'/>\n    <controller type='usb' index='|'/>")), ['1']);
  });

  test('busNr: a free block below the other expander', () => {
    assert.deepEqual(labels(armDomain(`${ONE_GPU}\n    <controller type='pci' index='3' model='pcie-expander-bus'>\n      <target busNr='|'/>\n    </controller>`)), ['248']);
  });

  test('guest address bus: controller indexes in hex with their model; occupied ports late, and for a device the root buses last', () => {
    const devices = `${ONE_GPU}\n    <interface type='network'>\n      <address type='pci' domain='0x0000' bus='0x|' slot='0x00' function='0x0'/>\n    </interface>`;
    assert.deepEqual(complete(armDomain(devices)).offered, [
      { label: '0x02 pcie-root-port (occupied)', replaces: '0x', newText: '0x02' },
      { label: '0x00 pcie-root', replaces: '0x', newText: '0x00' },
      { label: '0x01 pcie-expander-bus (busNr 252)', replaces: '0x', newText: '0x01' },
    ]);
  });

  test('guest address bus in decimal when the address writes decimals', () => {
    assert.deepEqual(labels(armDomain(`${ONE_GPU}\n    <interface type='network'>\n      <address type='pci' domain='0' bus='|' slot='0'/>\n    </interface>`)), [
      '2 pcie-root-port (occupied)',
      '0 pcie-root',
      '1 pcie-expander-bus (busNr 252)',
    ]);
  });

  test('hostdev values', () => {
    assert.deepEqual(labels(armDomain("    <hostdev mode='subsystem' type='|'/>")), ['pci', 'usb', 'scsi', 'scsi_host', 'mdev']);
    assert.deepEqual(labels(armDomain("    <hostdev mode='subsystem' type='pci'>\n      <driver name='vfio' iommufd='|'/>\n    </hostdev>")), ['yes', 'no']);
  });
});

describe('text content', () => {
  test('host SMMU names in <nestedSmmuv3>, replacing the typed part', () => {
    const marked = armDomain("    <controller type='pci' index='1' model='pcie-expander-bus'>\n      <nestedSmmuv3>smmu3.|</nestedSmmuv3>\n    </controller>");
    const { items, offered: all } = complete(marked, HOST);
    assert.deepEqual(all, [
      { label: 'smmu3.0x0000000012000000', replaces: 'smmu3.', newText: 'smmu3.0x0000000012000000' },
      { label: 'smmu3.0x0000000016000000', replaces: 'smmu3.', newText: 'smmu3.0x0000000016000000' },
      { label: 'smmu3.0x0000000036000000', replaces: 'smmu3.', newText: 'smmu3.0x0000000036000000' },
    ]);
    assert.deepEqual(
      [items[1].detail, items[1].documentation],
      [
        'arm-smmu-v3.8.auto',
        {
          kind: 'markdown',
          value: 'Devices behind it:\n- `0009:01:00.0` NVIDIA Corporation GH100 [H100] (10de:2342) (driver vfio-pci, NUMA node 0)',
        },
      ],
    );
  });

  test('host SMMU names in the <name> child; nothing without a host topology', () => {
    const marked = armDomain('    <nestedSmmuv3>\n      <name>|</name>\n    </nestedSmmuv3>');
    assert.deepEqual(labels(marked, HOST).length, 3);
    assert.deepEqual(labels(marked), []);
  });

  test('guest NUMA cells in <node>', () => {
    assert.deepEqual(
      labels(armDomain("    <controller type='pci' index='1' model='pcie-expander-bus'>\n      <target busNr='252'>\n        <node>|</node>\n      </target>\n    </controller>")),
      ['0', '1'],
    );
  });

  test('other text offers nothing', () => {
    assert.deepEqual(labels(armDomain('    <emulator>/usr/bin/q|</emulator>')), []);
  });
});

describe('host devices in a hostdev source address', () => {
  const second = (address: string) =>
    armDomain(`${ONE_GPU}\n    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        ${address}\n      </source>\n    </hostdev>`);

  test('in the attribute list: host devices first, the assigned one marked and last, then attribute names', () => {
    assert.deepEqual(labels(second('<address |/>'), HOST), [
      '0001:01:00.0 Samsung Electronics Co Ltd NVMe SSD Controller (144d:a80a) — smmu3.0x0000000012000000',
      '0019:01:00.0 NVIDIA Corporation GH100 [H100] (10de:2342) — smmu3.0x0000000036000000',
      '0009:01:00.0 NVIDIA Corporation GH100 [H100] (10de:2342) — smmu3.0x0000000016000000 (already assigned)',
      'domain',
      'bus',
      'slot',
      'function',
    ]);
  });

  test('a device fills domain/bus/slot/function, replacing what is already written', () => {
    const o = complete(second("<address domain='0x0001' |/>"), HOST).offered[1];
    assert.deepEqual(o, {
      label: '0019:01:00.0 NVIDIA Corporation GH100 [H100] (10de:2342) — smmu3.0x0000000036000000',
      replaces: "domain='0x0001' ",
      newText: "domain='0x0019' bus='0x01' slot='0x00' function='0x0'",
    });
  });

  test('after < inside <source>: the address element, and whole addresses of host devices', () => {
    assert.deepEqual(complete(second('<|'), HOST).offered.slice(0, 2), [
      {
        label: '0001:01:00.0 Samsung Electronics Co Ltd NVMe SSD Controller (144d:a80a) — smmu3.0x0000000012000000',
        replaces: '<',
        newText: "<address domain='0x0001' bus='0x01' slot='0x00' function='0x0'/>",
      },
      {
        label: '0019:01:00.0 NVIDIA Corporation GH100 [H100] (10de:2342) — smmu3.0x0000000036000000',
        replaces: '<',
        newText: "<address domain='0x0019' bus='0x01' slot='0x00' function='0x0'/>",
      },
    ]);
    assert.equal(labels(second('<|'), HOST).at(-1), 'address');
  });

  test('the item documents the device and its SMMU', () => {
    const item = complete(second('<address |/>'), HOST).items[1];
    assert.deepEqual(
      [item.detail, item.filterText],
      ['behind smmu3.0x0000000036000000 (arm-smmu-v3.9.auto)', '0019:01:00.0 NVIDIA Corporation GH100 [H100] (10de:2342) — smmu3.0x0000000036000000'],
    );
  });

  test('without a host topology: attribute names only', () => {
    assert.deepEqual(labels(second('<address |/>')), ['domain', 'bus', 'slot', 'function']);
  });
});

describe('robustness', () => {
  const full = armDomain(
    `${ONE_GPU}
    <iommu model='smmuv3'>
      <driver pciBus='1' accel='on' ssidSize='20' oas='48'/>
    </iommu>
    <controller type='pci' index='3' model='pcie-expander-bus'>
      <nestedSmmuv3><name>smmu3.0x0000000036000000</name></nestedSmmuv3>
    </controller>`,
    "\n  <iommufd enabled='yes'/>",
  );

  test('never throws: at every offset, and at the end of every prefix, with and without a host', () => {
    const failures: string[] = [];
    for (const host of [HOST, undefined]) {
      const ls = service({ host });
      const doc = parse(full, ls);
      for (let o = 0; o <= full.length; o++) {
        try {
          ls.complete(doc, doc.lines.positionAt(o));
        } catch (e) {
          failures.push(`offset ${o}: ${e}`);
        }
      }
      for (let cut = 0; cut <= full.length; cut += 3) {
        const d = parse(full.slice(0, cut), ls);
        try {
          ls.complete(d, d.lines.positionAt(cut));
        } catch (e) {
          failures.push(`prefix ${cut}: ${e}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test('a document that is not a domain gets nothing', () => {
    assert.deepEqual(labels('<network>\n  <|\n</network>'), []);
  });
});

describe('Grace placement in completion', () => {
  const vsmmu = (bus: number) => `    <iommu model='smmuv3'>\n      <driver pciBus='${bus}' accel='on'/>\n    </iommu>`;
  // Expander 1 bound to 0009's SMMU through the GPU on port 2; free port 3 there; port 4 on pcie-root; the second GPU being placed.
  const placing = armDomain(
    devices(
      PCIE_ROOT,
      expander(1, 252, 1),
      rootPort(2, 1, 0),
      rootPort(3, 1, 1),
      rootPort(4, 0, 2),
      hostdev('0009:01:00.0', 2),
      vsmmu(1),
      "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        <address domain='0x0009' bus='0x01' slot='0x00' function='0x1'/>\n      </source>\n      <address type='pci' domain='0x0000' bus='|'/>\n    </hostdev>",
    ),
  );

  test("a hostdev's guest bus: the free root port behind its host SMMU's expander first, expanders and pcie-root last", () => {
    const host: HostTopology = { ...HOST, pciDevices: [...HOST.pciDevices, { bdf: '0009:01:00.1', iommu: 'smmu3.0x0000000016000000' }] };
    assert.deepEqual(labels(placing, host), [
      '0x03 pcie-root-port (behind the expander of smmu3.0x0000000016000000)',
      '0x04 pcie-root-port',
      '0x02 pcie-root-port (occupied)',
      '0x00 pcie-root',
      '0x01 pcie-expander-bus (busNr 252)',
    ]);
    // Without a host, the order is by index, with expanders and pcie-root still last.
    assert.deepEqual(labels(placing), ['0x03 pcie-root-port', '0x04 pcie-root-port', '0x02 pcie-root-port (occupied)', '0x00 pcie-root', '0x01 pcie-expander-bus (busNr 252)']);
  });

  test('oas: what the host SMMU reports when a snapshot says, else 48 on an SMMUv3 host, else the catalog order', () => {
    const doc = (v: string) =>
      armDomain(
        devices(
          PCIE_ROOT,
          expander(1, 252, 1),
          rootPort(2, 1, 0),
          hostdev('0009:01:00.0', 2),
          `    <iommu model='smmuv3'>\n      <driver pciBus='1' accel='on' oas='${v}'/>\n    </iommu>`,
        ),
      );
    assert.deepEqual(labels(doc('|')), ['44', '48']);
    assert.deepEqual(labels(doc('|'), HOST), ['48', '44']);
    const reports44: HostTopology = { ...HOST, iommus: HOST.iommus.map((i) => (i.name === 'smmu3.0x0000000016000000' ? { ...i, oas: 44 } : i)) };
    assert.deepEqual(
      complete(doc('|'), reports44).items.map((i) => [i.label, i.detail]),
      [
        ['44', 'reported by smmu3.0x0000000016000000'],
        ['48', undefined],
      ],
    );
  });
});

describe('disk target names', () => {
  const disk = (file: string, target: string) => `    <disk type='file' device='disk'>\n      <source file='${file}'/>\n      ${target}\n    </disk>`;
  const two = (target: string) => armDomain(`${disk('/a.qcow2', "<target dev='vda' bus='virtio'/>")}\n${disk('/b.img', target)}`);

  test("<target dev='|'> offers the first name of the disk's bus that no other disk uses", () => {
    assert.deepEqual(labels(two("<target dev='|' bus='virtio'/>")), ['vdb']);
    assert.deepEqual(labels(two("<target bus='scsi' dev='|'/>")), ['sda']);
    assert.deepEqual(labels(two("<target bus='ide' dev='|'/>")), ['hda']);
    // Without a bus: virtio's name first, then SCSI's.
    assert.deepEqual(labels(two("<target dev='|'/>")), ['vdb', 'sda']);
  });

  test('the name being edited does not count as used, and the typed text is replaced', () => {
    assert.deepEqual(offered(two("<target dev='vd|a' bus='virtio'/>"), 'vdb'), { label: 'vdb', replaces: 'vda', newText: 'vdb' });
    const only = armDomain(disk('/a.qcow2', "<target dev='vd|a' bus='virtio'/>"));
    assert.deepEqual(labels(only), ['vda']);
  });
});
