/**
 * The libvirt domain read from the positioned XML model: the parts the rules
 * and features reason about (machine, controllers, IOMMUs, host devices,
 * guest PCI addresses), each keeping a reference to the XML it came from so
 * that diagnostics and edits land on exact ranges.
 *
 * Reading is forgiving: a missing or malformed attribute yields `undefined`
 * (or a NaN number) rather than an exception, because the document is
 * usually half-typed.
 */
import type { XmlAttribute, XmlDocument, XmlElement } from '../xml/nodes';
import { attr, child, children, textOf } from '../xml/query';

/** An attribute read as a number. `value` is NaN when the text is not a valid number. */
export interface NumAttr {
  readonly value: number;
  readonly attr: XmlAttribute;
}

export interface PciAddress {
  readonly el: XmlElement;
  readonly type: string | undefined;
  readonly domain?: NumAttr;
  readonly bus?: NumAttr;
  readonly slot?: NumAttr;
  readonly function?: NumAttr;
}

export interface Controller {
  readonly el: XmlElement;
  readonly type: string | undefined;
  /** The index as written, if written. */
  readonly indexAttr?: NumAttr;
  /** The index libvirt will use: as written, or assigned in document order when omitted. */
  readonly index: number;
  readonly model: XmlAttribute | undefined;
  /** `<model name='…'/>` child. */
  readonly modelName: XmlAttribute | undefined;
  readonly target: XmlElement | undefined;
  readonly busNr?: NumAttr;
  readonly chassis?: NumAttr;
  readonly chassisNr?: NumAttr;
  readonly port?: NumAttr;
  /** `<target><node>N</node></target>`: the guest NUMA cell of an expander. */
  readonly numaNode?: { value: number; el: XmlElement };
  readonly address?: PciAddress;
}

export interface Iommu {
  readonly el: XmlElement;
  readonly model: XmlAttribute | undefined;
  readonly driver: XmlElement | undefined;
  readonly address?: PciAddress;
}

export interface Hostdev {
  readonly el: XmlElement;
  readonly mode: string | undefined;
  readonly type: string | undefined;
  readonly driver: XmlElement | undefined;
  /** The host device's address inside `<source>`. */
  readonly source?: PciAddress;
  /** `dddd:bb:ss.f` of the host device when the source address is complete and valid. */
  readonly hostBdf?: string;
  /** The guest address. */
  readonly address?: PciAddress;
}

/** Any device under `<devices>` that has a guest PCI address, or could get one. */
export interface PciDevice {
  readonly el: XmlElement;
  /** Element name: interface, disk, hostdev, video, controller, … */
  readonly kind: string;
  readonly address?: PciAddress;
}

/** A host SMMU named in the XML, from the earlier `nestedSmmuv3` proposal. */
export interface NestedSmmuRef {
  readonly el: XmlElement;
  /** The element holding the name text: `<nestedSmmuv3>` itself or its `<name>` child. */
  readonly nameEl: XmlElement;
  readonly name: string;
  /** 'controller': a child of a pxb-pcie controller; 'device': an RFC device element under `<devices>`. */
  readonly form: 'controller' | 'device';
  /** The expander it belongs to: its parent controller, or the controller its address names. */
  readonly controller?: Controller;
  readonly address?: PciAddress;
}

export interface DomainModel {
  readonly doc: XmlDocument;
  /** The `<domain>` element, if the document has one. */
  readonly root: XmlElement | undefined;
  readonly arch: XmlAttribute | undefined;
  readonly machine: XmlAttribute | undefined;
  readonly features: XmlElement | undefined;
  readonly numaCells: ReadonlyArray<{ id: number; el: XmlElement }>;
  /** Domain-level `<iommufd enabled='yes'/>`. */
  readonly iommufd: XmlElement | undefined;
  readonly devices: XmlElement | undefined;
  readonly controllers: readonly Controller[];
  /** `type='pci'` controllers by index (first one when duplicated). */
  readonly pciControllers: ReadonlyMap<number, Controller>;
  readonly iommus: readonly Iommu[];
  readonly hostdevs: readonly Hostdev[];
  readonly pciDevices: readonly PciDevice[];
  readonly nestedSmmus: readonly NestedSmmuRef[];
}

/** libvirt reads these numbers with base auto-detection: decimal, or hex with 0x. */
export function parseLibvirtInt(raw: string | undefined): number {
  if (raw === undefined) return NaN;
  const s = raw.trim();
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  if (/^[0-9]+$/.test(s)) return parseInt(s, 10);
  return NaN;
}

function num(el: XmlElement | undefined, name: string): NumAttr | undefined {
  const a = attr(el, name);
  if (!a || a.value === undefined) return undefined;
  return { value: parseLibvirtInt(a.value), attr: a };
}

export function readPciAddress(el: XmlElement | undefined): PciAddress | undefined {
  if (!el) return undefined;
  return {
    el,
    type: attr(el, 'type')?.value,
    domain: num(el, 'domain'),
    bus: num(el, 'bus'),
    slot: num(el, 'slot'),
    function: num(el, 'function'),
  };
}

/** A guest address that places the device on a PCI bus (type='pci' with a bus). */
export function isGuestPci(a: PciAddress | undefined): a is PciAddress & { bus: NumAttr } {
  return !!a && a.type === 'pci' && !!a.bus && Number.isFinite(a.bus.value);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

export function bdfOf(a: PciAddress | undefined): string | undefined {
  if (!a) return undefined;
  const d = a.domain?.value ?? 0;
  const b = a.bus?.value,
    s = a.slot?.value,
    f = a.function?.value ?? 0;
  if (b === undefined || s === undefined) return undefined;
  if (![d, b, s, f].every(Number.isFinite)) return undefined;
  return `${hex(d, 4)}:${hex(b, 2)}:${hex(s, 2)}.${f.toString(16)}`;
}

/** Device elements that can carry a guest PCI address. */
const DEVICE_KINDS = new Set([
  'disk',
  'controller',
  'interface',
  'hostdev',
  'video',
  'sound',
  'watchdog',
  'memballoon',
  'rng',
  'filesystem',
  'input',
  'shmem',
  'vsock',
  'panic',
  'iommu',
  'redirdev',
  'smartcard',
  'tpm',
  'crypto',
  'channel',
  'serial',
  'console',
  'graphics',
  'audio',
]);

export function readDomain(doc: XmlDocument): DomainModel {
  const root = doc.roots.find((r) => r.name === 'domain');
  const os = child(root, 'os');
  const osType = child(os, 'type');
  const cpu = child(root, 'cpu');
  const numa = child(cpu, 'numa');
  const numaCells = children(numa, 'cell').map((el, i) => {
    const id = parseLibvirtInt(attr(el, 'id')?.value);
    return { id: Number.isFinite(id) ? id : i, el };
  });
  const devices = child(root, 'devices');

  const controllers: Controller[] = [];
  const iommus: Iommu[] = [];
  const hostdevs: Hostdev[] = [];
  const pciDevices: PciDevice[] = [];
  const nestedDevices: XmlElement[] = [];

  for (const el of devices ? devices.children : []) {
    // The device's guest address, read once for its own entry and for pciDevices.
    let address: PciAddress | undefined;
    switch (el.name) {
      case 'controller': {
        const c = readController(el);
        controllers.push(c);
        address = c.address;
        break;
      }
      case 'iommu': {
        address = readPciAddress(child(el, 'address'));
        iommus.push({ el, model: attr(el, 'model'), driver: child(el, 'driver'), address });
        break;
      }
      case 'hostdev': {
        const source = child(el, 'source');
        const srcAddr = readPciAddress(child(source, 'address'));
        const type = attr(el, 'type')?.value;
        const hd: Hostdev = {
          el,
          mode: attr(el, 'mode')?.value,
          type,
          driver: child(el, 'driver'),
          source: srcAddr,
          hostBdf: type === 'pci' || type === undefined ? bdfOf(srcAddr) : undefined,
          address: readPciAddress(child(el, 'address')),
        };
        hostdevs.push(hd);
        address = hd.address;
        break;
      }
      case 'nestedSmmuv3':
        nestedDevices.push(el);
        break;
      default:
        if (DEVICE_KINDS.has(el.name)) address = readPciAddress(child(el, 'address'));
    }
    if (DEVICE_KINDS.has(el.name)) pciDevices.push({ el, kind: el.name, address });
  }

  assignImplicitIndexes(controllers);
  const pciControllers = new Map<number, Controller>();
  for (const c of controllers) {
    if (c.type === 'pci' && !pciControllers.has(c.index)) pciControllers.set(c.index, c);
  }

  const nestedSmmus: NestedSmmuRef[] = [];
  for (const c of controllers) {
    for (const holder of [c.el, c.target].filter((x): x is XmlElement => !!x)) {
      for (const n of children(holder, 'nestedSmmuv3')) {
        const nameEl = child(n, 'name') ?? n;
        nestedSmmus.push({ el: n, nameEl, name: textOf(nameEl), form: 'controller', controller: c, address: readPciAddress(child(n, 'address')) });
      }
    }
  }
  for (const n of nestedDevices) {
    const nameEl = child(n, 'name') ?? n;
    const address = readPciAddress(child(n, 'address'));
    const bus = address?.bus?.value;
    nestedSmmus.push({
      el: n,
      nameEl,
      name: textOf(nameEl),
      form: 'device',
      address,
      controller: bus !== undefined && Number.isFinite(bus) ? pciControllers.get(bus) : undefined,
    });
  }

  return {
    doc,
    root,
    arch: attr(osType, 'arch'),
    machine: attr(osType, 'machine'),
    features: child(root, 'features'),
    numaCells,
    iommufd: child(root, 'iommufd'),
    devices,
    controllers,
    pciControllers,
    iommus,
    hostdevs,
    pciDevices,
    nestedSmmus,
  };
}

interface MutableController extends Controller {
  index: number;
}

function readController(el: XmlElement): MutableController {
  const target = child(el, 'target');
  const nodeEl = child(target, 'node');
  const node = nodeEl ? parseLibvirtInt(textOf(nodeEl)) : NaN;
  return {
    el,
    type: attr(el, 'type')?.value,
    indexAttr: num(el, 'index'),
    index: -1,
    model: attr(el, 'model'),
    modelName: attr(child(el, 'model'), 'name'),
    target,
    busNr: num(target, 'busNr'),
    chassis: num(target, 'chassis'),
    chassisNr: num(target, 'chassisNr'),
    port: num(target, 'port'),
    numaNode: nodeEl ? { value: node, el: nodeEl } : undefined,
    address: readPciAddress(child(el, 'address')),
  };
}

/**
 * libvirt gives a controller without an index the lowest index not yet used
 * by a controller of the same type, in document order.
 */
function assignImplicitIndexes(controllers: MutableController[]): void {
  const used = new Map<string, Set<number>>();
  const usedOf = (t: string) => {
    let s = used.get(t);
    if (!s) used.set(t, (s = new Set()));
    return s;
  };
  for (const c of controllers) {
    const v = c.indexAttr?.value;
    if (v !== undefined && Number.isFinite(v)) {
      c.index = v;
      usedOf(c.type ?? '').add(v);
    }
  }
  for (const c of controllers) {
    if (c.index >= 0) continue;
    const s = usedOf(c.type ?? '');
    let i = 0;
    while (s.has(i)) i++;
    c.index = i;
    s.add(i);
  }
}
