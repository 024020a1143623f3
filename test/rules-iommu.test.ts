/**
 * Rule family `iommu`: one failing and one passing document per code, plus a
 * full finding so that messages, related spans and data are reviewed.
 */
import { test } from 'node:test';
import { deepEqual } from 'node:assert/strict';
import { armDomain, findingList, findingsOf } from './helpers';
import { iommuRules } from '../server/src/rules/iommu';

const R = { rules: [iommuRules] };

const ROOT = `<controller type='pci' index='0' model='pcie-root'/>`;
const pxb = (index: number, busNr: number, slot: number) =>
  `<controller type='pci' index='${index}' model='pcie-expander-bus'><model name='pxb-pcie'/><target busNr='${busNr}'><node>0</node></target>` +
  `<address type='pci' domain='0x0000' bus='0x00' slot='${slot}' function='0x0'/></controller>`;
const rootPort = (index: number, bus: number) =>
  `<controller type='pci' index='${index}' model='pcie-root-port'><target chassis='${index}' port='0x0'/>` +
  `<address type='pci' domain='0x0000' bus='${bus}' slot='0x00' function='0x0'/></controller>`;
const smmu = (driver: string) => `<iommu model='smmuv3'><driver ${driver}/></iommu>`;
/** Root complex plus one expander (index 1, busNr 252) with a root port (index 2). */
const TREE = ROOT + pxb(1, 252, 1) + rootPort(2, 1);

/** An x86 Q35 domain, the machine intel/amd IOMMUs need. */
function q35Domain(devices: string, features = "<acpi/><ioapic driver='qemu'/>"): string {
  return (
    `<domain type='kvm'><name>x</name><memory>1</memory><os><type arch='x86_64' machine='pc-q35-9.0'>hvm</type></os>` +
    `<features>${features}</features><devices>${devices}</devices></domain>`
  );
}

test('iommu-model-missing: <iommu> without a model', () => {
  deepEqual(findingsOf(armDomain(`<iommu/>`), R), ['iommu-model-missing @ iommu']);
  deepEqual(findingsOf(armDomain(`<iommu model='smmuv3'/>`), R), []);
});

test('iommu-model-unknown: names the model with the right case when only case differs', () => {
  const text = armDomain(`<iommu model='SMMUv3'/>`);
  const [f] = findingList(text, R);
  deepEqual(
    [f.code, f.severity, text.slice(f.start, f.end), f.message, f.data],
    ['iommu-model-unknown', 'error', 'SMMUv3', `Unknown IOMMU model 'SMMUv3': did you mean 'smmuv3'? (model names are case-sensitive).`, { model: 'SMMUv3' }],
  );
  deepEqual(findingsOf(armDomain(`<iommu model='pvsmmu'/>`), R), ['iommu-model-unknown @ pvsmmu']);
});

test('proposal models are left to the nested-proposal family', () => {
  deepEqual(findingsOf(armDomain(`<iommu model='nestedSmmuv3'/>`), R), []);
  deepEqual(findingsOf(armDomain(`<iommu model='smmuv3Dev'><driver parentIdx='1' accel='on'/></iommu>`), R), []);
});

test('iommu-model-machine: smmuv3 on Q35 and intel on ARM virt', () => {
  deepEqual(findingsOf(q35Domain(`<iommu model='smmuv3'/>`), R), ['iommu-model-machine @ smmuv3']);
  deepEqual(findingsOf(armDomain(`<iommu model='intel'/>`), R), ['iommu-model-machine @ intel']);
  deepEqual(findingsOf(armDomain(`<iommu model='amd'/>`), R), ['iommu-model-machine @ amd']);
  deepEqual(findingsOf(q35Domain(`<iommu model='intel'/>`), R), []);
  deepEqual(findingsOf(q35Domain(`<iommu model='amd'/>`), R), []);
  deepEqual(findingsOf(q35Domain(`<iommu model='virtio'/>`), R), []);
});

test('iommu-model-machine: full finding points at the machine', () => {
  const text = q35Domain(`<iommu model='smmuv3'/>`);
  const mStart = text.indexOf('pc-q35-9.0');
  const vStart = text.indexOf(`smmuv3'/>`);
  deepEqual(findingList(text, R), [
    {
      code: 'iommu-model-machine',
      severity: 'error',
      start: vStart,
      end: vStart + 6,
      message: `IOMMU model 'smmuv3' runs only on ARM virt machines; this domain is x86_64 'pc-q35-9.0'. Use model 'intel' or 'virtio' or 'amd' here, or change the machine.`,
      related: [{ start: mStart, end: mStart + 10, message: 'the guest machine' }],
      data: { model: 'smmuv3', machine: 'pc-q35-9.0', arch: 'x86_64' },
    },
  ]);
});

test('iommu-model-machine: silent while arch or machine is not written', () => {
  const noOs = `<domain type='kvm'><name>x</name><devices><iommu model='intel'/><iommu model='smmuv3'/></devices></domain>`;
  deepEqual(
    findingsOf(noOs, R).filter((f) => f.startsWith('iommu-model-machine')),
    [],
  );
  const noArch = `<domain type='kvm'><os><type machine='q35'>hvm</type></os><devices><iommu model='smmuv3'/></devices></domain>`;
  deepEqual(findingsOf(noArch, R), []);
  const x86NoMachine = `<domain type='kvm'><os><type arch='x86_64'>hvm</type></os><devices><iommu model='intel'/></devices></domain>`;
  deepEqual(findingsOf(x86NoMachine, R), []);
});

test('iommu-virtio-needs-acpi: virtio without <features><acpi/>', () => {
  const noAcpi = armDomain(`<iommu model='virtio'/>`).replace('<acpi/>', '');
  deepEqual(findingsOf(noAcpi, R), ['iommu-virtio-needs-acpi @ virtio']);
  deepEqual(findingsOf(armDomain(`<iommu model='virtio'/>`), R), []);
});

test('iommu-attribute-model: attributes of another model, pciBus only on smmuv3', () => {
  deepEqual(findingsOf(armDomain(smmu(`intremap='on'`)), R), ['iommu-attribute-model @ intremap']);
  deepEqual(findingsOf(q35Domain(`<iommu model='intel'><driver pciBus='1'/></iommu>`), R), ['iommu-attribute-model @ pciBus']);
  deepEqual(findingsOf(q35Domain(`<iommu model='virtio'><driver caching_mode='on'/></iommu>`), R), ['iommu-attribute-model @ caching_mode']);
  deepEqual(findingsOf(q35Domain(`<iommu model='intel'><driver intremap='on' caching_mode='on' aw_bits='48'/></iommu>`), R), []);
  deepEqual(findingsOf(q35Domain(`<iommu model='amd'><driver passthrough='on' xtsup='off'/></iommu>`), R), []);
  // libvirt (12.1+) takes aw_bits on virtio-iommu too; amd still refuses it.
  deepEqual(findingsOf(q35Domain(`<iommu model='virtio'><driver aw_bits='48'/></iommu>`), R), []);
  deepEqual(findingsOf(armDomain(`<iommu model='virtio'><driver aw_bits='44'/></iommu>`), R), []);
  deepEqual(findingsOf(q35Domain(`<iommu model='amd'><driver aw_bits='48'/></iommu>`), R), ['iommu-attribute-model @ aw_bits']);
});

test('iommu-attribute-unknown: an attribute no model has', () => {
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1' acel='on'`)), R), ['iommu-attribute-unknown @ acel']);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1' accel='on'`)), R), []);
});

test('iommu-attribute-spelling: ssidSize is read as ssidsize for the other checks', () => {
  const text = armDomain(TREE + smmu(`pciBus='1' accel='on' ssidSize='20'`));
  const [f] = findingList(text, R);
  const at = text.indexOf('ssidSize');
  deepEqual(f, {
    code: 'iommu-attribute-spelling',
    severity: 'warning',
    start: at,
    end: at + 8,
    message:
      'Write ssidsize, not ssidSize: upstream libvirt spells it in lower case; ssidSize comes from a downstream fork and KubeVirt. ' +
      'A plain `virsh define` accepts the domain and drops ssidSize without a word, so QEMU gets its default instead; `virsh define --validate` refuses it.',
    data: { from: 'ssidSize', to: 'ssidsize' },
  });
  deepEqual(findingsOf(text, R), ['iommu-attribute-spelling @ ssidSize']);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1' accel='on' ssidsize='20'`)), R), []);
  // parentIdx stands in for pciBus, so accel does not also ask for pciBus.
  deepEqual(findingsOf(armDomain(TREE + smmu(`parentIdx='1' accel='on'`)), R), ['iommu-attribute-spelling @ parentIdx']);
});

test('iommu-value-onoff: on/off attributes', () => {
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1' accel='yes'`)), R), ['iommu-value-onoff @ yes']);
  deepEqual(findingsOf(q35Domain(`<iommu model='intel'><driver intremap='true'/></iommu>`), R), ['iommu-value-onoff @ true']);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1' accel='off'`)), R), []);
});

test('iommu-value-range: ssidsize, oas, pciBus, aw_bits and pasid', () => {
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1' accel='on' ssidsize='21' oas='40'`)), R), ['iommu-value-range @ 21', 'iommu-value-range @ 40']);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='one'`)), R), ['iommu-value-range @ one']);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='-1'`)), R), ['iommu-value-range @ -1']);
  deepEqual(findingsOf(q35Domain(`<iommu model='intel'><driver aw_bits='52' pasid='21'/></iommu>`), R), ['iommu-value-range @ 52', 'iommu-value-range @ 21']);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='0x1' accel='on' ssidsize='0' oas='48'`)), R), []);
  deepEqual(findingsOf(q35Domain(`<iommu model='intel'><driver aw_bits='39' pasid='20'/></iommu>`), R), []);
  // virtio-iommu's width is any value QEMU's 32..64 check lets through; intel's 39/48 does not apply.
  deepEqual(findingsOf(q35Domain(`<iommu model='virtio'><driver aw_bits='31'/></iommu>`), R), ['iommu-value-range @ 31']);
  deepEqual(findingsOf(q35Domain(`<iommu model='virtio'><driver aw_bits='64'/></iommu>`), R), []);
});

test('iommu-value-range: full finding', () => {
  const text = armDomain(TREE + smmu(`pciBus='1' accel='on' oas='52'`));
  const at = text.indexOf(`52'/>`);
  deepEqual(findingList(text, R), [
    {
      code: 'iommu-value-range',
      severity: 'error',
      start: at,
      end: at + 2,
      message: `oas='52' is not valid: use '44' or '48'. \`virsh define\` accepts it (libvirt passes the value on unchecked), and QEMU refuses it when the domain starts.`,
      data: { attribute: 'oas', value: '52' },
    },
  ]);
});

test('iommu-needs-pcibus: accel attributes on the machine-wide smmuv3', () => {
  const text = armDomain(TREE + smmu(`accel='on' ats='on'`));
  deepEqual(findingsOf(text, R), ['iommu-needs-pcibus @ accel', 'iommu-needs-pcibus @ ats']);
  const [f] = findingList(text, R);
  deepEqual(
    [f.severity, f.message, f.data],
    [
      'error',
      `accel only works on a pluggable SMMUv3, and this one has no pciBus: \`virsh define\` accepts it but drops accel without a word, and the guest gets QEMU's machine-wide emulated SMMUv3 (-machine iommu=smmuv3), with no nested translation for its VFIO devices. Add pciBus='N' to this <driver>, N being the index of the pcie-expander-bus the vSMMU serves, or 0 for pcie-root (here probably pciBus='1', the pcie-expander-bus with index 1).`,
      { attribute: 'accel', suggestedIndex: 1 },
    ],
  );
  deepEqual(findingsOf(armDomain(smmu(`cmdqv='on'`)), R), ['iommu-needs-pcibus @ cmdqv']);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1' accel='on' ats='on'`)), R), []);
});

test('iommu-accel-only: ats/ril/ssidsize/oas/cmdqv without accel=on', () => {
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1' ats='on' oas='48'`)), R), ['iommu-accel-only @ ats', 'iommu-accel-only @ oas']);
  const text = armDomain(TREE + smmu(`pciBus='1' accel='off' ril='off'`));
  const accelAt = text.indexOf(`off' ril`);
  const rilAt = text.indexOf('ril=');
  deepEqual(findingList(text, R), [
    {
      code: 'iommu-accel-only',
      severity: 'error',
      start: rilAt,
      end: rilAt + 3,
      message: `ril needs an accelerated vSMMU: libvirt refuses it without accel='on' ("accel must be enabled for iommu model 'smmuv3' when setting ats, ril, ssidsize, oas, or cmdqv"). Add accel='on' to this <driver>, or remove ril.`,
      related: [{ start: accelAt, end: accelAt + 3, message: `accel is 'off'` }],
      data: { attribute: 'ril' },
    },
  ]);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1' accel='on' ats='on' ril='off' ssidsize='20' oas='48' cmdqv='on'`)), R), []);
});

test('iommu-address-forbidden: smmuv3 and intel take no <address>, virtio and amd may', () => {
  const addr = `<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>`;
  deepEqual(findingsOf(armDomain(`<iommu model='smmuv3'>${addr}</iommu>`), R), ['iommu-address-forbidden @ address']);
  deepEqual(findingsOf(q35Domain(`<iommu model='intel'>${addr}</iommu>`), R), ['iommu-address-forbidden @ address']);
  deepEqual(findingsOf(armDomain(`<iommu model='virtio'>${addr}</iommu>`), R), []);
  deepEqual(findingsOf(q35Domain(`<iommu model='amd'>${addr}</iommu>`), R), []);
});

test('iommu-multiple: several IOMMUs only when all are pluggable smmuv3', () => {
  const two = q35Domain(`<iommu model='intel'/><iommu model='intel'/>`);
  deepEqual(findingsOf(two, R), ['iommu-multiple @ iommu']);
  const [f] = findingList(two, R);
  const second = two.lastIndexOf('<iommu') + 1;
  const first = two.indexOf('<iommu') + 1;
  deepEqual([f.start, f.related], [second, [{ start: first, end: first + 5, message: 'another <iommu>' }]]);
  // The machine-wide smmuv3 is the one that does not fit, wherever it stands.
  const mixed = armDomain(TREE + smmu(`pciBus='1'`) + `<iommu model='smmuv3'/>`);
  deepEqual(
    findingList(mixed, R).map((x) => [x.code, x.start]),
    [['iommu-multiple', mixed.lastIndexOf('<iommu') + 1]],
  );
  const two8 = armDomain(ROOT + pxb(1, 252, 1) + pxb(2, 248, 2) + smmu(`pciBus='1'`) + smmu(`pciBus='2'`));
  deepEqual(findingsOf(two8, R), []);
});

test('iommu-pcibus-duplicate: two vSMMUs on one root complex', () => {
  const text = armDomain(TREE + smmu(`pciBus='1'`) + smmu(`pciBus='0x1'`));
  const firstAt = text.indexOf(`pciBus='1'`) + 8;
  const dupAt = text.indexOf(`0x1'`);
  deepEqual(findingList(text, R), [
    {
      code: 'iommu-pcibus-duplicate',
      severity: 'error',
      start: dupAt,
      end: dupAt + 3,
      message: `pciBus='0x1' is already taken by another <iommu>: a PCIe root complex carries at most one vSMMU. \`virsh define\` accepts both, and QEMU refuses to start the domain. Attach this one to a different pcie-expander-bus.`,
      related: [{ start: firstAt, end: firstAt + 1, message: 'the first <iommu> on this pciBus' }],
      data: { pciBus: 1 },
    },
  ]);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1'`) + smmu(`pciBus='0'`)), R), []);
});

test('iommu-pcibus-missing: no controller with that index', () => {
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='7'`)), R), ['iommu-pcibus-missing @ 7']);
  const [f] = findingList(armDomain(TREE + smmu(`pciBus='7'`)), R);
  deepEqual(
    [f.message, f.data],
    [
      `pciBus='7' names no PCI controller index. pciBus takes the index of a pcie-expander-bus (or 0 for pcie-root); the pcie-expander-bus with index 1 has no vSMMU yet: pciBus='1'.`,
      { pciBus: 7, suggestedIndex: 1 },
    ],
  );
  // pcie-root is added by libvirt when not written, so pciBus='0' always has a target on ARM virt.
  deepEqual(findingsOf(armDomain(smmu(`pciBus='0'`)), R), []);
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='1'`)), R), []);
});

test('iommu-pcibus-is-busnr: the busNr of an expander instead of its index', () => {
  const text = armDomain(TREE + smmu(`pciBus='252'`));
  deepEqual(findingsOf(text, R), ['iommu-pcibus-is-busnr @ 252']);
  const at = text.indexOf(`252'/>`);
  const busNrAt = text.indexOf(`busNr='252'`) + 7;
  deepEqual(findingList(text, R), [
    {
      code: 'iommu-pcibus-is-busnr',
      severity: 'error',
      start: at,
      end: at + 3,
      message: `pciBus='252' names no controller index; 252 is the busNr of the pcie-expander-bus with index 1 — pciBus takes the controller index: pciBus='1'.`,
      related: [{ start: busNrAt, end: busNrAt + 3, message: 'busNr of the pcie-expander-bus with index 1' }],
      data: { pciBus: 252, suggestedIndex: 1 },
    },
  ]);
  // The value names a root port that happens to equal another expander's busNr.
  const clash = armDomain(ROOT + pxb(1, 2, 1) + rootPort(2, 1) + smmu(`pciBus='2'`));
  deepEqual(findingsOf(clash, R), ['iommu-pcibus-is-busnr @ 2']);
});

test('iommu-pcibus-not-expander: a root port is not a root complex', () => {
  const text = armDomain(TREE + smmu(`pciBus='2'`));
  deepEqual(findingsOf(text, R), ['iommu-pcibus-not-expander @ 2']);
  const [f] = findingList(text, R);
  const portAt = text.indexOf(`<controller type='pci' index='2'`) + 1;
  deepEqual(
    [f.message, f.related, f.data],
    [
      `pciBus='2' names the pcie-root-port with index 2; a vSMMU attaches only to a PCIe root complex: a pcie-expander-bus, or pcie-root (index 0). \`virsh define\` accepts it, and QEMU refuses to start the domain (an arm-smmuv3's primary bus must be a root bus). It sits below the pcie-expander-bus with index 1: pciBus='1'.`,
      [{ start: portAt, end: portAt + 10, message: 'the pcie-root-port with index 2' }],
      { pciBus: 2, suggestedIndex: 1 },
    ],
  );
  deepEqual(findingsOf(armDomain(TREE + smmu(`pciBus='0'`)), R), []);
});

test('half-typed input does not throw and reports nothing spurious', () => {
  deepEqual(findingsOf(armDomain(`<iommu model='smmuv3'><driver pciBus='`), R), []);
  deepEqual(findingsOf(armDomain(`<iommu model=`), R), []);
  deepEqual(findingsOf(armDomain(`<iommu model='smmuv3'><driver pciBus accel='on'`), R), []);
  deepEqual(findingsOf(`<domain><devices><iommu`, R), ['iommu-model-missing @ iommu']);
});

test('a Grace domain with two GPUs behind two host SMMUs has no iommu finding', () => {
  const port = (index: number, bus: number) => rootPort(index, bus);
  const hostdev = (srcDomain: string, bus: number) =>
    `<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' iommufd='yes'/><source><address domain='${srcDomain}' bus='0x01' slot='0x00' function='0x0'/></source>` +
    `<address type='pci' domain='0x0000' bus='${bus}' slot='0x00' function='0x0'/></hostdev>`;
  const text = armDomain(
    ROOT +
      pxb(1, 252, 1) +
      pxb(2, 248, 2) +
      port(3, 1) +
      port(4, 2) +
      hostdev('0x0009', 3) +
      hostdev('0x0019', 4) +
      smmu(`pciBus='1' accel='on' ats='on' ril='off' ssidsize='20' oas='48'`) +
      smmu(`pciBus='2' accel='on' ats='on' ril='off' ssidsize='20' oas='48'`),
  );
  deepEqual(findingsOf(text, R), []);
});
