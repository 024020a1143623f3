/**
 * Document symbols: the guest PCI topology as an outline, plus the IOMMUs.
 *
 * Top level, in this order:
 * 1. each root complex (`pcie-root` / `pci-root`, or a `type='pci'`
 *    controller with index 0 and no model yet) with everything plugged into
 *    it below, recursively: expanders → root ports / bridges → devices;
 * 2. one symbol per `<iommu>`, named like "iommu smmuv3 (pciBus 1)";
 * 3. a group "Outside the PCI tree" (only when non-empty), holding the PCI
 *    controllers no root reaches (their address names a missing controller,
 *    or they form a loop) with their own subtrees, devices whose guest PCI
 *    address names no controller or has a malformed bus, and PCI hostdevs
 *    without a guest address (libvirt will choose their place). A group
 *    rather than loose top-level entries so that the outline's top level
 *    stays the tree and the problems are gathered in one place. Devices
 *    without a PCI address that are not PCI hostdevs (consoles, inputs, a
 *    virtio disk libvirt will place) are left out: they would bury the
 *    topology.
 *
 * An element's range is the whole element and its selection range the
 * element name; children are listed in document order. A child is not
 * inside its parent's text (a device is not written inside its bus), which
 * LSP allows for document symbols.
 *
 * Names and details: a controller is "<model> (index N)"; its detail lists
 * `busNr` as written, "vSMMU" (with accel=on) when an iommu's pciBus names
 * it, and, for an expander when the host topology is known, the host SMMU
 * of the hostdevs below it ("host A + B" when they disagree, which is the
 * smmu-map-mixed error). A hostdev is named by its host BDF with the host
 * device's description as detail when the host knows it; other devices by
 * their element name (plus the type for controllers) with their model.
 *
 * Kinds: root complex Module, expander bus Package, other PCI controllers
 * (ports, bridges, switch ports) Interface, devices Object, IOMMU Struct,
 * the group Namespace.
 *
 * Each controller is placed once (a visited set), so a controller whose
 * address names itself, or two that name each other, cannot loop.
 */
import type { DocumentSymbol } from 'vscode-languageserver-types';
import { SymbolKind } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';
import type { Controller, DomainModel, Hostdev } from '../domain/model';
import { isGuestPci } from '../domain/model';
import { isExpander, isRoot, pciBusOf, isAccel } from '../domain/topology';
import { hostSmmusBelow, smmuMappingOf } from '../domain/smmuMapping';
import { describeDevice, findDevice } from '../host/queries';
import type { XmlElement } from '../xml/nodes';
import { attrValue, child, textOf } from '../xml/query';
import { indexReferencesOf } from './indexReferences';

export const OUTSIDE_TREE_GROUP = 'Outside the PCI tree';

export function documentSymbols(ctx: FeatureContext): DocumentSymbol[] {
  return new OutlineBuilder(ctx).build();
}

class OutlineBuilder {
  private readonly model: DomainModel;
  private readonly placed = new Set<Controller>();
  /** Elements plugged into each controller index (guest address / nestedSmmuv3 bus), document order. */
  private readonly plugged = new Map<number, XmlElement[]>();
  /** PCI controllers by element, to tell a controller child from a device child. */
  private readonly pciByEl = new Map<XmlElement, Controller>();
  private readonly hostdevByEl = new Map<XmlElement, Hostdev>();
  /** Root complexes stay at the top level even when their (bogus) address names another controller. */
  private readonly roots = new Set<Controller>();

  constructor(private readonly ctx: FeatureContext) {
    this.model = ctx.doc.domain;
    for (const c of this.model.controllers) {
      if (c.type !== 'pci') continue;
      this.pciByEl.set(c.el, c);
      if (isRoot(c) || (c.index === 0 && !c.model?.value)) this.roots.add(c);
    }
    for (const h of this.model.hostdevs) this.hostdevByEl.set(h.el, h);
    for (const r of indexReferencesOf(this.model).all) {
      if (r.kind === 'iommu-pciBus' || !Number.isFinite(r.value)) continue;
      const list = this.plugged.get(r.value);
      if (list) list.push(r.owner);
      else this.plugged.set(r.value, [r.owner]);
    }
  }

  build(): DocumentSymbol[] {
    const pci = this.model.controllers.filter((c) => c.type === 'pci');
    const top = [...this.roots].map((c) => this.controllerSymbol(c));
    const iommus = this.model.iommus.map((i) => {
      const model = i.model?.value;
      const bus = attrValue(i.driver, 'pciBus');
      let name = model ? `iommu ${model}` : 'iommu';
      if (bus !== undefined) name += ` (pciBus ${bus})`;
      return this.symbol(i.el, name, SymbolKind.Struct, isAccel(i) ? 'accel=on' : undefined);
    });
    const outside = this.outside(pci);
    const group: DocumentSymbol[] =
      outside.length && this.model.devices ? [{ ...this.symbol(this.model.devices, OUTSIDE_TREE_GROUP, SymbolKind.Namespace), children: outside }] : [];
    return [...top, ...iommus, ...group];
  }

  /** Subtrees of the PCI controllers no root reached, and the devices that hang off nothing. */
  private outside(pci: readonly Controller[]): DocumentSymbol[] {
    const found: { start: number; sym: DocumentSymbol }[] = [];
    for (const c of pci) {
      if (this.placed.has(c)) continue;
      // Climb to the highest unplaced ancestor so that a detached expander
      // keeps its ports and devices below it. In a loop every member has a
      // parent; the one written first becomes the top.
      const path: Controller[] = [c];
      let topC = c;
      for (;;) {
        const last = path[path.length - 1];
        const parent = isGuestPci(last.address) ? this.model.pciControllers.get(last.address.bus.value) : undefined;
        if (!parent || this.placed.has(parent) || this.roots.has(parent)) {
          topC = last;
          break;
        }
        const at = path.indexOf(parent);
        if (at >= 0) {
          topC = path.slice(at).reduce((a, b) => (b.el.start < a.el.start ? b : a));
          break;
        }
        path.push(parent);
      }
      found.push({ start: topC.el.start, sym: this.controllerSymbol(topC) });
    }
    const refs = indexReferencesOf(this.model).all.filter((r) => r.kind !== 'iommu-pciBus');
    for (const r of refs) {
      if (this.pciByEl.has(r.owner)) continue; // PCI controllers were handled above
      if (Number.isFinite(r.value) && this.model.pciControllers.has(r.value)) continue; // on the tree
      found.push({ start: r.owner.start, sym: this.deviceSymbol(r.owner) });
    }
    const owners = new Set(refs.map((r) => r.owner));
    for (const el of this.model.devices ? this.model.devices.children : []) {
      if (owners.has(el) || this.pciByEl.has(el)) continue;
      const address = child(el, 'address');
      const type = attrValue(address, 'type');
      // A PCI address still without a bus value names no controller.
      const pciWithoutBus = !!address && (type === 'pci' || (el.name === 'nestedSmmuv3' && type === undefined));
      const unplacedHostdev = el.name === 'hostdev' && this.hostdevByEl.get(el)?.type === 'pci' && !address;
      if (pciWithoutBus || unplacedHostdev) found.push({ start: el.start, sym: this.deviceSymbol(el) });
    }
    found.sort((a, b) => a.start - b.start);
    return found.map((f) => f.sym);
  }

  private controllerSymbol(c: Controller): DocumentSymbol {
    this.placed.add(c);
    const model = c.model?.value;
    const name = `${model || 'controller pci'} (index ${c.index})`;
    const kind = this.roots.has(c) ? SymbolKind.Module : isExpander(c) ? SymbolKind.Package : SymbolKind.Interface;
    const sym = this.symbol(c.el, name, kind, this.controllerDetail(c));
    // Only the controller libvirt resolves the index to receives what plugs into it.
    const children: DocumentSymbol[] = [];
    if (this.model.pciControllers.get(c.index) === c) {
      for (const el of this.plugged.get(c.index) ?? []) {
        const sub = this.pciByEl.get(el);
        if (sub) {
          if (!this.placed.has(sub) && !this.roots.has(sub)) children.push(this.controllerSymbol(sub));
        } else {
          children.push(this.deviceSymbol(el));
        }
      }
    }
    if (children.length) sym.children = children;
    return sym;
  }

  private controllerDetail(c: Controller): string | undefined {
    const parts: string[] = [];
    if (c.busNr?.attr.value !== undefined) parts.push(`busNr ${c.busNr.attr.value}`);
    const vsmmu = this.model.iommus.find((i) => pciBusOf(i) === c.index);
    if (vsmmu) parts.push(isAccel(vsmmu) ? 'vSMMU accel=on' : 'vSMMU');
    if (this.ctx.host && isExpander(c)) {
      const smmus = hostSmmusBelow(smmuMappingOf(this.model, this.ctx.host), c);
      if (smmus.length) parts.push(`host ${smmus.join(' + ')}`);
    }
    return parts.length ? parts.join(', ') : undefined;
  }

  private deviceSymbol(el: XmlElement): DocumentSymbol {
    const hostdev = this.hostdevByEl.get(el);
    if (hostdev) {
      const type = hostdev.type;
      const name = hostdev.hostBdf ? `hostdev ${hostdev.hostBdf}` : type && type !== 'pci' ? `hostdev ${type}` : 'hostdev';
      const hostDevice = this.ctx.host && hostdev.hostBdf ? findDevice(this.ctx.host, hostdev.hostBdf) : undefined;
      return this.symbol(el, name, SymbolKind.Object, hostDevice ? describeDevice(hostDevice) : undefined);
    }
    const type = el.name === 'controller' ? attrValue(el, 'type') : undefined;
    return this.symbol(el, type ? `${el.name} ${type}` : el.name, SymbolKind.Object, modelOf(el));
  }

  private symbol(el: XmlElement, name: string, kind: SymbolKind, detail?: string): DocumentSymbol {
    const { lines } = this.ctx.doc;
    const sym: DocumentSymbol = {
      name,
      kind,
      range: lines.range(el.start, Math.max(el.end, el.startTagEnd)),
      selectionRange: lines.range(el.nameStart, el.nameEnd),
    };
    if (detail) sym.detail = detail;
    return sym;
  }
}

/** A device's model as its XML states it: `model='…'`, `<model type='…'/>`, a disk's target, a nestedSmmuv3's name. */
function modelOf(el: XmlElement): string | undefined {
  if (el.name === 'nestedSmmuv3') return textOf(child(el, 'name') ?? el) || undefined;
  return attrValue(el, 'model') ?? attrValue(child(el, 'model'), 'type') ?? (el.name === 'disk' ? attrValue(child(el, 'target'), 'dev') : undefined);
}
