/**
 * Seeded broken variants of valid domains: one small change each, in the
 * places libvirt's validation looks at (controller indexes and models,
 * busNr, guest PCI addresses, pciBus, IOMMU attributes, NUMA cells, hostdev
 * sources, machine types). Each variant says which elements are at fault,
 * so the suite can check that our error sits on one of them.
 *
 * Some variants are wrong only at start (a duplicate busNr, two vSMMUs on
 * one pciBus): libvirt accepts them, and the suite then expects our finding
 * to be one of the documented "beyond libvirt" rules, not silence.
 */
import type { XmlElement } from '../../server/src/xml/nodes';
import { parseXml } from '../../server/src/xml/parser';
import { walk } from '../../server/src/xml/query';
import { makeRng, type Rng } from '../../bench/rng';
import type { Input } from './inputs';

export interface Mutation extends Input {
  /** The mutation kind (one of MUTATION_KINDS). */
  kind: string;
  /** The domain it was made from. */
  base: string;
  /** What changed, in words. */
  change: string;
  /** Offsets (in the mutated text) of the elements at fault; an error of ours on any of them counts. */
  faults: { start: number; end: number }[];
}

interface Edit {
  start: number;
  end: number;
  text: string;
}
interface Draft {
  edits: Edit[];
  faults: XmlElement[];
  change: string;
}

interface Doc {
  text: string;
  all: XmlElement[];
  rng: Rng;
}

const attr = (el: XmlElement, name: string) => el.attributes.find((a) => a.name === name);
const attrV = (el: XmlElement | undefined, name: string) => (el ? attr(el, name)?.value : undefined);
const kids = (el: XmlElement | undefined, name: string) => el?.children.filter((c) => c.name === name) ?? [];
const named = (d: Doc, name: string) => d.all.filter((e) => e.name === name);
const textOf = (el: XmlElement) =>
  el.texts
    .map((t) => t.value)
    .join('')
    .trim();

/** Sets (or adds) an attribute. */
function setAttr(el: XmlElement, name: string, value: string): Edit {
  const a = attr(el, name);
  if (a && a.valueStart >= 0) return { start: a.valueStart, end: a.valueEnd, text: value };
  const at = el.attributes.length ? Math.max(...el.attributes.map((x) => (x.valueEnd >= 0 ? x.valueEnd + 1 : x.nameEnd))) : el.nameEnd;
  return { start: at, end: at, text: ` ${name}='${value}'` };
}

/** Inserts `xml` as the element's first child (a self-closing element is opened up). */
function insertChild(el: XmlElement, xml: string): Edit[] {
  if (el.selfClosing) {
    const slash = el.startTagEnd - 2;
    return [{ start: slash, end: el.startTagEnd, text: `>${xml}</${el.name}>` }];
  }
  return [{ start: el.startTagEnd, end: el.startTagEnd, text: xml }];
}

const setText = (el: XmlElement, value: string): Edit | undefined => {
  const t = el.texts[0];
  return t ? { start: t.start, end: el.texts[el.texts.length - 1].end, text: value } : undefined;
};

function domainParts(d: Doc) {
  const domain = d.all.find((e) => e.name === 'domain' && !e.parent);
  const os = kids(domain, 'os')[0];
  const type = kids(os, 'type')[0];
  const devices = kids(domain, 'devices')[0];
  const arch = attrV(type, 'arch');
  const machine = attrV(type, 'machine') ?? '';
  const controllers = kids(devices, 'controller');
  const pci = controllers.filter((c) => attrV(c, 'type') === 'pci');
  const root = pci.find((c) => /^(pcie?-root)$/.test(attrV(c, 'model') ?? ''));
  const expanders = pci.filter((c) => /expander-bus$/.test(attrV(c, 'model') ?? ''));
  const iommus = kids(devices, 'iommu');
  const cells = kids(kids(kids(domain, 'cpu')[0], 'numa')[0], 'cell');
  const hostdevs = kids(devices, 'hostdev').filter((h) => attrV(h, 'type') === 'pci');
  const q35 = /q35/.test(machine);
  const x86 = arch === 'x86_64' || arch === 'i686';
  return { domain, os, type, devices, arch, machine, pci, root, expanders, iommus, cells, hostdevs, q35, x86 };
}

/** Devices with a PCI address, other than controllers. */
function pciAddressed(d: Doc): { device: XmlElement; address: XmlElement }[] {
  const { devices } = domainParts(d);
  return (devices?.children ?? []).flatMap((dev) => {
    const address = kids(dev, 'address').find((a) => attrV(a, 'type') === 'pci');
    return address && dev.name !== 'controller' ? [{ device: dev, address }] : [];
  });
}

type Mutator = (d: Doc) => Draft | undefined;

/** The mutations, by kind. Each returns undefined where it does not apply to the domain. */
const MUTATORS: Record<string, Mutator> = {
  'controller-index-duplicate': (d) => {
    const ctl = domainParts(d).pci.filter((c) => Number(attrV(c, 'index')) > 0);
    if (ctl.length < 2) return undefined;
    const [a, b] = [d.rng.pick(ctl), d.rng.pick(ctl)];
    if (a === b) return undefined;
    return { edits: [setAttr(b, 'index', attrV(a, 'index')!)], faults: [a, b], change: `pci controller index ${attrV(b, 'index')} -> ${attrV(a, 'index')} (already taken)` };
  },
  'root-index-nonzero': (d) => {
    const { root } = domainParts(d);
    return root && { edits: [setAttr(root, 'index', '7')], faults: [root], change: `${attrV(root, 'model')} index 0 -> 7` };
  },
  'root-model-wrong': (d) => {
    const { root } = domainParts(d);
    if (!root) return undefined;
    const to = attrV(root, 'model') === 'pcie-root' ? 'pci-root' : 'pcie-root';
    return { edits: [setAttr(root, 'model', to)], faults: [root], change: `root controller model ${attrV(root, 'model')} -> ${to}` };
  },
  'root-address': (d) => {
    const { root } = domainParts(d);
    return (
      root && {
        edits: insertChild(root, "<address type='pci' domain='0x0000' bus='0x00' slot='0x1e' function='0x0'/>"),
        faults: [root],
        change: 'an <address> on the root controller',
      }
    );
  },
  'controller-model-unknown': (d) => {
    const ctl = domainParts(d).pci.filter((c) => attrV(c, 'model') === 'pcie-root-port');
    if (!ctl.length) return undefined;
    const c = d.rng.pick(ctl);
    return { edits: [setAttr(c, 'model', 'pcie-root-prt')], faults: [c], change: "controller model 'pcie-root-port' -> 'pcie-root-prt'" };
  },
  'busnr-range': (d) => {
    const { expanders } = domainParts(d);
    if (!expanders.length) return undefined;
    const e = d.rng.pick(expanders);
    const target = kids(e, 'target')[0];
    const to = d.rng.pick(['0', '255', '300']);
    return target && { edits: [setAttr(target, 'busNr', to)], faults: [e], change: `expander busNr -> ${to}` };
  },
  'busnr-duplicate': (d) => {
    const { expanders } = domainParts(d);
    if (expanders.length < 2) return undefined;
    const [a, b] = expanders;
    const ta = kids(a, 'target')[0];
    const tb = kids(b, 'target')[0];
    const nr = attrV(ta, 'busNr');
    return ta && tb && nr ? { edits: [setAttr(tb, 'busNr', nr)], faults: [a, b], change: `second expander busNr -> ${nr} (the first one's)` } : undefined;
  },
  'address-slot-range': (d) => {
    const list = pciAddressed(d);
    if (!list.length) return undefined;
    const { device, address } = d.rng.pick(list);
    return { edits: [setAttr(address, 'slot', '0x20')], faults: [device], change: `<${device.name}> address slot -> 0x20` };
  },
  'address-function-range': (d) => {
    const list = pciAddressed(d);
    if (!list.length) return undefined;
    const { device, address } = d.rng.pick(list);
    return { edits: [setAttr(address, 'function', '0x8')], faults: [device], change: `<${device.name}> address function -> 0x8` };
  },
  'address-bus-missing': (d) => {
    const list = pciAddressed(d);
    if (!list.length) return undefined;
    const { device, address } = d.rng.pick(list);
    return { edits: [setAttr(address, 'bus', '0xc8')], faults: [device], change: `<${device.name}> address bus -> 0xc8 (no controller has index 200)` };
  },
  'address-duplicate': (d) => {
    const list = pciAddressed(d);
    if (list.length < 2) return undefined;
    const a = d.rng.pick(list);
    const b = d.rng.pick(list);
    if (a === b) return undefined;
    const edits = ['domain', 'bus', 'slot', 'function'].flatMap((n) => (attrV(a.address, n) ? [setAttr(b.address, n, attrV(a.address, n)!)] : []));
    return { edits, faults: [a.device, b.device], change: `<${b.device.name}> moved to the address of <${a.device.name}>` };
  },
  'address-type-wrong': (d) => {
    const list = pciAddressed(d).filter((x) => x.device.name === 'disk' || x.device.name === 'hostdev' || x.device.name === 'video');
    if (!list.length) return undefined;
    const { device, address } = d.rng.pick(list);
    return {
      edits: [{ start: address.start, end: address.end, text: "<address type='ccw' cssid='0xfe' ssid='0x0' devno='0x0001'/>" }],
      faults: [device],
      change: `<${device.name}> address type pci -> ccw`,
    };
  },
  'pcibus-missing': (d) => {
    const iommu = domainParts(d).iommus.find((i) => attrV(kids(i, 'driver')[0], 'pciBus') !== undefined);
    const drv = kids(iommu, 'driver')[0];
    return iommu && drv && { edits: [setAttr(drv, 'pciBus', '77')], faults: [iommu], change: 'pciBus -> 77 (no such controller index)' };
  },
  'pcibus-busnr': (d) => {
    const { iommus, expanders } = domainParts(d);
    const iommu = iommus.find((i) => attrV(kids(i, 'driver')[0], 'pciBus') !== undefined);
    const drv = kids(iommu, 'driver')[0];
    const nr = expanders.map((e) => attrV(kids(e, 'target')[0], 'busNr')).find((n) => n !== undefined);
    return iommu && drv && nr ? { edits: [setAttr(drv, 'pciBus', nr)], faults: [iommu], change: `pciBus -> ${nr} (an expander's busNr, not its index)` } : undefined;
  },
  'pcibus-root-port': (d) => {
    const { iommus, pci } = domainParts(d);
    const iommu = iommus.find((i) => attrV(kids(i, 'driver')[0], 'pciBus') !== undefined);
    const drv = kids(iommu, 'driver')[0];
    const port = pci.find((c) => attrV(c, 'model') === 'pcie-root-port');
    return iommu && drv && port
      ? { edits: [setAttr(drv, 'pciBus', attrV(port, 'index')!)], faults: [iommu], change: `pciBus -> ${attrV(port, 'index')} (a pcie-root-port)` }
      : undefined;
  },
  'pcibus-duplicate': (d) => {
    const with_ = domainParts(d).iommus.filter((i) => attrV(kids(i, 'driver')[0], 'pciBus') !== undefined);
    if (with_.length < 2) return undefined;
    const [a, b] = with_;
    return { edits: [setAttr(kids(b, 'driver')[0], 'pciBus', attrV(kids(a, 'driver')[0], 'pciBus')!)], faults: [a, b], change: "second vSMMU on the first one's pciBus" };
  },
  'iommu-model-wrong': (d) => {
    const { iommus } = domainParts(d);
    if (!iommus.length) return undefined;
    const i = d.rng.pick(iommus);
    const from = attrV(i, 'model') ?? '';
    const to = d.rng.pick(from === 'smmuv3' ? ['SMMUv3', 'intel', 'virtio-iommu'] : ['smmuv3', 'Intel', 'amd-iommu']);
    return { edits: [setAttr(i, 'model', to)], faults: [i], change: `iommu model ${from} -> ${to}` };
  },
  'iommu-attribute-value': (d) => {
    const smmu = domainParts(d).iommus.filter((i) => attrV(i, 'model') === 'smmuv3' && kids(i, 'driver').length);
    if (!smmu.length) return undefined;
    const i = d.rng.pick(smmu);
    const [name, value] = d.rng.pick([
      ['oas', '40'],
      ['ssidsize', '21'],
      ['accel', 'yes'],
      ['ats', 'maybe'],
      ['ril', '1'],
    ] as const);
    return { edits: [setAttr(kids(i, 'driver')[0], name, value)], faults: [i], change: `smmuv3 ${name}='${value}'` };
  },
  'iommu-attribute-foreign': (d) => {
    const list = domainParts(d).iommus;
    if (!list.length) return undefined;
    const i = d.rng.pick(list);
    const model = attrV(i, 'model');
    const [name, value] =
      model === 'smmuv3'
        ? d.rng.pick([
            ['aw_bits', '48'],
            ['intremap', 'on'],
            ['caching_mode', 'on'],
          ] as const)
        : model === 'intel'
          ? d.rng.pick([
              ['accel', 'on'],
              ['pciBus', '1'],
              ['aw_bits', '52'],
            ] as const)
          : d.rng.pick([
              ['accel', 'on'],
              ['pciBus', '1'],
              ['ssidsize', '20'],
            ] as const);
    const drv = kids(i, 'driver')[0];
    const edits = drv ? [setAttr(drv, name, value)] : insertChild(i, `<driver ${name}='${value}'/>`);
    return { edits, faults: [i], change: `${model} iommu gets ${name}='${value}'` };
  },
  'iommu-accel-off': (d) => {
    const smmu = domainParts(d).iommus.find((i) => attrV(kids(i, 'driver')[0], 'accel') === 'on');
    const drv = kids(smmu, 'driver')[0];
    return smmu && drv ? { edits: [setAttr(drv, 'accel', 'off')], faults: [smmu], change: "accel='on' -> 'off', the accelerated-only attributes kept" } : undefined;
  },
  'iommu-attribute-spelling': (d) => {
    const smmu = domainParts(d).iommus.find((i) => attrV(kids(i, 'driver')[0], 'ssidsize') !== undefined);
    const a = smmu && attr(kids(smmu, 'driver')[0], 'ssidsize');
    return smmu && a
      ? { edits: [{ start: a.nameStart, end: a.nameEnd, text: 'ssidSize' }], faults: [smmu], change: 'ssidsize spelt ssidSize (a plain define drops it)' }
      : undefined;
  },
  'iommu-address': (d) => {
    const list = domainParts(d).iommus.filter((i) => !kids(i, 'address').length);
    if (!list.length) return undefined;
    const i = d.rng.pick(list);
    return {
      edits: insertChild(i, "<address type='pci' domain='0x0000' bus='0x00' slot='0x1d' function='0x0'/>"),
      faults: [i],
      change: `an <address> on the ${attrV(i, 'model')} iommu`,
    };
  },
  'numa-cell-gap': (d) => {
    const { cells } = domainParts(d);
    if (cells.length < 2) return undefined;
    const last = cells[cells.length - 1];
    return { edits: [setAttr(last, 'id', String(cells.length + 2))], faults: [last], change: `last NUMA cell id -> ${cells.length + 2} (cells no longer 0..n-1)` };
  },
  'numa-node-missing': (d) => {
    const { expanders, cells } = domainParts(d);
    const e = expanders.find((x) => kids(kids(x, 'target')[0], 'node').length);
    const node = e && kids(kids(e, 'target')[0], 'node')[0];
    const edit = node && setText(node, String(cells.length + 3));
    return e && edit ? { edits: [edit], faults: [e], change: `expander <node> -> ${cells.length + 3} (no such cell)` } : undefined;
  },
  'numa-cpus-overlap': (d) => {
    const { cells } = domainParts(d);
    if (cells.length < 2) return undefined;
    return { edits: [setAttr(cells[1], 'cpus', attrV(cells[0], 'cpus')!)], faults: [cells[0], cells[1]], change: "second NUMA cell gets the first one's cpus" };
  },
  'acpi-nodeset-missing-cell': (d) => {
    const { hostdevs, cells } = domainParts(d);
    if (!hostdevs.length || !cells.length) return undefined;
    const h = d.rng.pick(hostdevs);
    const acpi = kids(h, 'acpi')[0];
    const bad = String(cells.length + 4);
    const edits = acpi ? [setAttr(acpi, 'nodeset', bad)] : insertChild(h, `<acpi nodeset='${bad}'/>`);
    return { edits, faults: [h], change: `hostdev <acpi nodeset='${bad}'> (no such cell)` };
  },
  'hostdev-duplicate-source': (d) => {
    const { hostdevs } = domainParts(d);
    if (hostdevs.length < 2) return undefined;
    const [a, b] = hostdevs;
    const sa = kids(kids(a, 'source')[0], 'address')[0];
    const sb = kids(kids(b, 'source')[0], 'address')[0];
    if (!sa || !sb) return undefined;
    return { edits: [{ start: sb.start, end: sb.end, text: d.text.slice(sa.start, sa.end) }], faults: [a, b], change: "second hostdev gets the first one's source address" };
  },
  'hostdev-source-range': (d) => {
    const { hostdevs } = domainParts(d);
    const h = hostdevs.length ? d.rng.pick(hostdevs) : undefined;
    const sa = kids(kids(h, 'source')[0], 'address')[0];
    return h && sa ? { edits: [setAttr(sa, 'slot', '0x20')], faults: [h], change: 'hostdev source slot -> 0x20' } : undefined;
  },
  'machine-without-pci': (d) => {
    const { type, x86, pci } = domainParts(d);
    if (!type || !x86 || !pci.length) return undefined;
    const to = d.rng.pick(['isapc', 'microvm']);
    return { edits: [setAttr(type, 'machine', to)], faults: [type, ...pci], change: `machine -> ${to} (no PCI) while PCI controllers are written` };
  },
  'machine-family-switch': (d) => {
    const { type, x86, q35, root } = domainParts(d);
    if (!type || !x86 || !root) return undefined;
    const to = q35 ? 'pc' : 'q35';
    return { edits: [setAttr(type, 'machine', to)], faults: [type, root], change: `machine ${attrV(type, 'machine')} -> ${to}, root controller kept` };
  },
  'disk-bus-unknown': (d) => {
    const disks = named(d, 'disk').flatMap((disk) =>
      kids(disk, 'target')
        .filter((t) => attrV(t, 'bus'))
        .map((t) => ({ disk, t })),
    );
    if (!disks.length) return undefined;
    const { disk, t } = d.rng.pick(disks);
    return { edits: [setAttr(t, 'bus', 'virtio-blk')], faults: [disk], change: "disk target bus -> 'virtio-blk'" };
  },
  'emulator-arch': (d) => {
    const { devices, x86 } = domainParts(d);
    const emu = kids(devices, 'emulator')[0];
    const edit = emu && setText(emu, x86 ? '/usr/bin/qemu-system-aarch64' : '/usr/bin/qemu-system-x86_64');
    return emu && edit && textOf(emu) ? { edits: [edit], faults: [emu], change: `emulator for the wrong arch: ${textOf(emu)} -> ${edit.text}` } : undefined;
  },
  'acpi-without-uefi': (d) => {
    const { domain, os, arch } = domainParts(d);
    const acpi = kids(kids(domain, 'features')[0], 'acpi')[0];
    const fw = os && attr(os, 'firmware');
    if (arch !== 'aarch64' || !acpi || fw?.value !== 'efi' || kids(os, 'loader').length) return undefined;
    return { edits: [{ start: fw.nameStart - 1, end: fw.valueEnd + 1, text: '' }], faults: [acpi, os], change: "aarch64 with <acpi/>: firmware='efi' removed" };
  },
  'uefi-without-acpi': (d) => {
    const { domain, os, x86 } = domainParts(d);
    const acpi = kids(kids(domain, 'features')[0], 'acpi')[0];
    if (!x86 || !acpi || !os || attrV(os, 'firmware') !== 'efi') return undefined;
    return { edits: [{ start: acpi.start, end: acpi.end, text: '' }], faults: [os], change: "x86 with firmware='efi': <acpi/> removed" };
  },
  'disk-bus-ide': (d) => {
    const { q35, arch } = domainParts(d);
    if (!q35 && arch !== 'aarch64') return undefined;
    const disks = named(d, 'disk').flatMap((disk) =>
      kids(disk, 'target')
        .filter((t) => ['sata', 'scsi', 'virtio'].includes(attrV(t, 'bus') ?? ''))
        .map((t) => ({ disk, t })),
    );
    if (!disks.length) return undefined;
    const { disk, t } = d.rng.pick(disks);
    return { edits: [setAttr(t, 'bus', 'ide'), setAttr(t, 'dev', 'hdz')], faults: [disk], change: `disk target bus ${attrV(t, 'bus')} -> 'ide' on ${q35 ? 'Q35' : 'ARM virt'}` };
  },
  'disk-sgio-unfiltered': (d) => {
    const luns = named(d, 'disk').filter((disk) => attrV(disk, 'device') === 'lun');
    if (!luns.length) return undefined;
    const disk = d.rng.pick(luns);
    return { edits: [setAttr(disk, 'sgio', 'unfiltered')], faults: [disk], change: "lun disk sgio -> 'unfiltered'" };
  },
  'disk-target-duplicate': (d) => {
    const targets = named(d, 'disk').flatMap((disk) =>
      kids(disk, 'target')
        .filter((t) => attrV(t, 'dev'))
        .map((t) => ({ disk, t })),
    );
    if (targets.length < 2) return undefined;
    // Our finding sits on whichever of the two comes second in the document.
    const first = d.rng.pick(targets);
    const others = targets.filter((x) => x.disk !== first.disk && attrV(x.t, 'dev') !== attrV(first.t, 'dev'));
    if (!others.length) return undefined;
    const { disk, t } = d.rng.pick(others);
    return {
      edits: [setAttr(t, 'dev', attrV(first.t, 'dev')!)],
      faults: [disk, first.disk],
      change: `disk target dev ${attrV(t, 'dev')} -> '${attrV(first.t, 'dev')}' (another disk's)`,
    };
  },
  'hyperv-dependency': (d) => {
    const { domain } = domainParts(d);
    const hyperv = kids(kids(domain, 'features')[0], 'hyperv')[0];
    if (!hyperv || attrV(hyperv, 'mode') === 'passthrough') return undefined;
    const vpindex = kids(hyperv, 'vpindex')[0];
    const needy = ['tlbflush', 'ipi'].map((n) => kids(hyperv, n)[0]).filter((e) => e && attrV(e, 'state') === 'on');
    if (vpindex && attrV(vpindex, 'state') === 'on' && needy.length) {
      return { edits: [setAttr(vpindex, 'state', 'off')], faults: [hyperv], change: `hyperv vpindex -> off, ${needy[0].name} on` };
    }
    if (needy.length) return undefined;
    return { edits: insertChild(hyperv, "<ipi state='on'/>"), faults: [hyperv], change: "hyperv <ipi state='on'/> added without vpindex" };
  },
};

export const MUTATION_KINDS: readonly string[] = Object.keys(MUTATORS);

/** Maps an offset of the text before the edits to the text after them. */
function mapOffset(edits: readonly Edit[], o: number, side: 'start' | 'end'): number {
  let delta = 0;
  for (const e of edits) {
    const after = side === 'start' ? e.end <= o : e.start < o;
    if (after) delta += e.text.length - (e.end - e.start);
  }
  return o + delta;
}

function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/**
 * Broken variants of `bases`: for each kind, up to `perKind` bases it applies
 * to, picked with the seeded generator (so a seed reproduces the same set).
 */
export function mutate(bases: readonly Input[], seed: number, perKind: number): Mutation[] {
  const out: Mutation[] = [];
  const seen = new Set<string>(bases.map((b) => b.text));
  for (const kind of MUTATION_KINDS) {
    const rng = makeRng(seed ^ hash(kind));
    const order = bases
      .map((b) => ({ b, r: rng.next() }))
      .sort((x, y) => x.r - y.r)
      .map((x) => x.b);
    let made = 0;
    for (const base of order) {
      if (made >= perKind) break;
      const xml = parseXml(base.text);
      if (xml.problems.length) continue;
      const all: XmlElement[] = [];
      walk(xml, (e) => all.push(e));
      const draft = MUTATORS[kind]({ text: base.text, all, rng });
      if (!draft || !draft.edits.length) continue;
      const text = applyEdits(base.text, draft.edits);
      if (seen.has(text)) continue;
      seen.add(text);
      const faults = draft.faults.map((f) => ({ start: mapOffset(draft.edits, f.start, 'start'), end: mapOffset(draft.edits, f.end, 'end') }));
      out.push({ name: `${base.name} ~ ${kind}`, text, origin: 'mutation', kind, base: base.name, change: draft.change, faults });
      made++;
    }
  }
  return out;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
