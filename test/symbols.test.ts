/**
 * Document symbols: the guest PCI topology (root → expanders → ports →
 * devices), the IOMMUs, and the group of what hangs off no root. One test
 * checks complete symbols with ranges; the others compare the tree shape
 * (name, detail, kind, children), which is what the outline shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver-types';
import { armDomain, loadHost, parse, service } from './helpers';
import { devices, expander, hostdev, PCIE_ROOT, rootPort, vsmmu } from './fixtures/domains';
import type { HostTopology } from '../server/src/host/types';

function symbolsOf(text: string, host?: HostTopology): DocumentSymbol[] {
  const ls = service({ host });
  return ls.symbols(parse(text, ls));
}

type Shape = [string, string | undefined, SymbolKind, Shape[]?];
function shape(s: DocumentSymbol): Shape {
  const out: Shape = [s.name, s.detail, s.kind];
  if (s.children) out.push(s.children.map(shape));
  return out;
}

/**
 * A symbol whose range is the `nth` occurrence of the exact element text
 * `written` (its leading indentation left out), selecting its name.
 */
function symbolFor(text: string, written: string, name: string, kind: SymbolKind, detail?: string, children?: DocumentSymbol[], nth = 0): DocumentSymbol {
  const el = written.trimStart();
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(el, at + 1);
    if (at < 0) throw new Error(`element not found: ${el}`);
  }
  const lines = parse(text).lines;
  const elName = /^<([^\s/>]+)/.exec(el)![1];
  const s: DocumentSymbol = { name, kind, range: lines.range(at, at + el.length), selectionRange: lines.range(at + 1, at + 1 + elName.length) };
  if (detail !== undefined) s.detail = detail;
  if (children) s.children = children;
  return s;
}

const ROOT = PCIE_ROOT;
const PXB1 = expander(1, 252, 1);
const PXB2 = expander(2, 248, 2, { modelName: false });
const RP3 = rootPort(3, 1);
const RP4 = rootPort(4, 2);
const GPU_A = hostdev('0009:01:00.0', 3);
const GPU_B = hostdev('0019:01:00.0', 4);
const NIC = `    <interface type='network'>
      <model type='virtio'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
    </interface>`;
const IOMMU1 = vsmmu(1);
const IOMMU2 = vsmmu(2, '');

const TWO_GPUS = devices(ROOT, PXB1, PXB2, RP3, RP4, GPU_A, GPU_B, NIC, IOMMU1, IOMMU2);

test('two GPUs behind two expanders, with the host known: complete symbols', () => {
  const text = armDomain(TWO_GPUS);
  const H100 = 'NVIDIA Corporation GH100 [H100] (10de:2342)';
  assert.deepEqual(symbolsOf(text, loadHost('grace-3smmu')), [
    symbolFor(text, ROOT, 'pcie-root (index 0)', SymbolKind.Module, undefined, [
      symbolFor(text, PXB1, 'pcie-expander-bus (index 1)', SymbolKind.Package, 'busNr 252, vSMMU accel=on, host smmu3.0x0000000016000000', [
        symbolFor(text, RP3, 'pcie-root-port (index 3)', SymbolKind.Interface, undefined, [symbolFor(text, GPU_A, 'hostdev 0009:01:00.0', SymbolKind.Object, H100)]),
      ]),
      symbolFor(text, PXB2, 'pcie-expander-bus (index 2)', SymbolKind.Package, 'busNr 248, vSMMU, host smmu3.0x0000000036000000', [
        symbolFor(text, RP4, 'pcie-root-port (index 4)', SymbolKind.Interface, undefined, [symbolFor(text, GPU_B, 'hostdev 0019:01:00.0', SymbolKind.Object, H100)]),
      ]),
      symbolFor(text, NIC, 'interface', SymbolKind.Object, 'virtio'),
    ]),
    symbolFor(text, IOMMU1, 'iommu smmuv3 (pciBus 1)', SymbolKind.Struct, 'accel=on'),
    symbolFor(text, IOMMU2, 'iommu smmuv3 (pciBus 2)', SymbolKind.Struct),
  ]);
});

test('without a host topology: no host SMMU on expanders, no device names on hostdevs', () => {
  assert.deepEqual(symbolsOf(armDomain(TWO_GPUS)).map(shape), [
    [
      'pcie-root (index 0)',
      undefined,
      SymbolKind.Module,
      [
        [
          'pcie-expander-bus (index 1)',
          'busNr 252, vSMMU accel=on',
          SymbolKind.Package,
          [['pcie-root-port (index 3)', undefined, SymbolKind.Interface, [['hostdev 0009:01:00.0', undefined, SymbolKind.Object]]]],
        ],
        [
          'pcie-expander-bus (index 2)',
          'busNr 248, vSMMU',
          SymbolKind.Package,
          [['pcie-root-port (index 4)', undefined, SymbolKind.Interface, [['hostdev 0019:01:00.0', undefined, SymbolKind.Object]]]],
        ],
        ['interface', 'virtio', SymbolKind.Object],
      ],
    ],
    ['iommu smmuv3 (pciBus 1)', 'accel=on', SymbolKind.Struct],
    ['iommu smmuv3 (pciBus 2)', undefined, SymbolKind.Struct],
  ]);
});

test('hostdevs of two host SMMUs under one expander show both SMMUs', () => {
  const mixed = `    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0019' bus='0x01' slot='0x00' function='0x0'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x03' slot='0x01' function='0x0'/>
    </hostdev>`;
  const text = armDomain(devices(ROOT, PXB1, RP3, GPU_A, mixed, IOMMU1));
  const H100 = 'NVIDIA Corporation GH100 [H100] (10de:2342)';
  assert.deepEqual(symbolsOf(text, loadHost('grace-3smmu')).map(shape), [
    [
      'pcie-root (index 0)',
      undefined,
      SymbolKind.Module,
      [
        [
          'pcie-expander-bus (index 1)',
          'busNr 252, vSMMU accel=on, host smmu3.0x0000000016000000 + smmu3.0x0000000036000000',
          SymbolKind.Package,
          [
            [
              'pcie-root-port (index 3)',
              undefined,
              SymbolKind.Interface,
              [
                ['hostdev 0009:01:00.0', H100, SymbolKind.Object],
                ['hostdev 0019:01:00.0', H100, SymbolKind.Object],
              ],
            ],
          ],
        ],
      ],
    ],
    ['iommu smmuv3 (pciBus 1)', 'accel=on', SymbolKind.Struct],
  ]);
});

test('the group outside the tree: dangling addresses, unplaced PCI hostdevs, detached subtrees; complete group symbol', () => {
  const DETACHED = `    <controller type='pci' index='5' model='pcie-expander-bus'>
      <address type='pci' bus='0x09' slot='0x00'/>
    </controller>`;
  const UNDER_DETACHED = `    <controller type='pci' index='6' model='pcie-root-port'>
      <address type='pci' bus='0x05' slot='0x00'/>
    </controller>`;
  const DANGLING = `    <video><address type='pci' bus='0x0b' slot='0x00'/></video>`;
  const NO_BUS = `    <sound model='ich9'><address type='pci' slot='0x01'/></sound>`;
  const UNPLACED = `    <hostdev mode='subsystem' type='pci'><source><address domain='0x0001' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>`;
  const CONSOLE = `    <console type='pty'/>`;
  const USB = `    <controller type='usb' index='0' model='qemu-xhci'>
      <address type='pci' bus='0x06' slot='0x00'/>
    </controller>`;
  const text = armDomain(devices(ROOT, DETACHED, UNDER_DETACHED, USB, DANGLING, NO_BUS, UNPLACED, CONSOLE));
  const devicesStart = text.indexOf('<devices>');
  const devicesEl = text.slice(devicesStart, text.indexOf('</devices>') + '</devices>'.length);
  const host = loadHost('grace-3smmu');
  assert.deepEqual(symbolsOf(text, host), [
    symbolFor(text, ROOT, 'pcie-root (index 0)', SymbolKind.Module),
    symbolFor(text, devicesEl, 'Outside the PCI tree', SymbolKind.Namespace, undefined, [
      symbolFor(text, DETACHED, 'pcie-expander-bus (index 5)', SymbolKind.Package, undefined, [
        symbolFor(text, UNDER_DETACHED, 'pcie-root-port (index 6)', SymbolKind.Interface, undefined, [symbolFor(text, USB, 'controller usb', SymbolKind.Object, 'qemu-xhci')]),
      ]),
      symbolFor(text, DANGLING, 'video', SymbolKind.Object),
      symbolFor(text, NO_BUS, 'sound', SymbolKind.Object, 'ich9'),
      symbolFor(text, UNPLACED, 'hostdev 0001:01:00.0', SymbolKind.Object, 'Samsung Electronics Co Ltd NVMe SSD Controller (144d:a80a)'),
    ]),
  ]);
});

test('loops do not hang: a controller on itself and two controllers on each other', () => {
  const text = armDomain(`    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='4' model='pcie-root-port'>
      <address type='pci' bus='0x04' slot='0x00'/>
    </controller>
    <controller type='pci' index='8' model='pcie-switch-upstream-port'>
      <address type='pci' bus='0x07' slot='0x00'/>
    </controller>
    <controller type='pci' index='7' model='pcie-root-port'>
      <address type='pci' bus='0x08' slot='0x00'/>
    </controller>
    <video><address type='pci' bus='0x07' slot='0x01'/></video>
    <controller type='pci' index='0' model='pcie-root'>
      <address type='pci' bus='0x00' slot='0x05'/>
    </controller>`);
  assert.deepEqual(symbolsOf(text).map(shape), [
    ['pcie-root (index 0)', undefined, SymbolKind.Module],
    ['pcie-root (index 0)', undefined, SymbolKind.Module],
    [
      'Outside the PCI tree',
      undefined,
      SymbolKind.Namespace,
      [
        ['pcie-root-port (index 4)', undefined, SymbolKind.Interface],
        [
          'pcie-switch-upstream-port (index 8)',
          undefined,
          SymbolKind.Interface,
          [['pcie-root-port (index 7)', undefined, SymbolKind.Interface, [['video', undefined, SymbolKind.Object]]]],
        ],
      ],
    ],
  ]);
});

test('implicit indexes, a root without a model, the nestedSmmuv3 device and a virtio iommu on the tree', () => {
  const text = armDomain(`    <controller type='pci'/>
    <controller type='pci' model='pcie-root-port'>
      <address type='pci' bus='0' slot='1'/>
    </controller>
    <nestedSmmuv3>
      <name>smmu3.0x0000000016000000</name>
      <address type='pci' bus='1' slot='0'/>
    </nestedSmmuv3>
    <iommu model='virtio'>
      <address type='pci' bus='0x00' slot='0x02'/>
    </iommu>
    <disk type='file' device='disk'>
      <target dev='vda' bus='virtio'/>
      <address type='pci' bus='0x00' slot='0x03'/>
    </disk>`);
  assert.deepEqual(symbolsOf(text).map(shape), [
    [
      'controller pci (index 0)',
      undefined,
      SymbolKind.Module,
      [
        ['pcie-root-port (index 1)', undefined, SymbolKind.Interface, [['nestedSmmuv3', 'smmu3.0x0000000016000000', SymbolKind.Object]]],
        ['iommu', 'virtio', SymbolKind.Object],
        ['disk', 'vda', SymbolKind.Object],
      ],
    ],
    ['iommu virtio', undefined, SymbolKind.Struct],
  ]);
});

test('half-typed input: unclosed elements, values being typed, missing attributes', () => {
  const text = armDomain(`    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <target busNr='25
      <address type='pci' bus=
    <hostdev mode='subsystem' type='pci'>
      <source><address domain='0x0009' bus='0x01'/></source>
      <address type='pci' bus='0x01
    <iommu model=`);
  assert.deepEqual(symbolsOf(text).map(shape), [
    ['pcie-root (index 0)', undefined, SymbolKind.Module],
    ['iommu', undefined, SymbolKind.Struct],
    ['Outside the PCI tree', undefined, SymbolKind.Namespace, [['pcie-expander-bus (index 1)', 'busNr 25', SymbolKind.Package, [['hostdev', undefined, SymbolKind.Object]]]]],
  ]);
});

test('no devices, no symbols; not a domain, no symbols', () => {
  assert.deepEqual(symbolsOf(`<domain type='kvm'><name>x</name></domain>`), []);
  assert.deepEqual(symbolsOf(`<network><name>x</name></network>`), []);
});
