/**
 * The answer to the `libvirtDomainXml/topology` request (shapes in
 * protocol.ts): the vSMMU topology of one open
 * domain as a view model for the editor's tree (host SMMU → the expander and
 * vSMMU serving it → the devices behind it). A pure function of the parsed
 * document, the host topology and the findings already computed for that
 * document, so the view and the Problems panel never disagree.
 *
 * Placement comes from the shared analysis in domain/smmuMapping.ts. Every
 * PCI hostdev appears exactly once:
 * - host grouping (an ARM host with SMMUv3 is known): under its host SMMU,
 *   inside the expander bound to that SMMU when it sits there, directly
 *   under the SMMU when it sits anywhere else (misplaced); hostdevs whose
 *   host SMMU is unknown are `unmatched`, with the reason;
 * - expander grouping (no host, or a host without SMMUv3): under the
 *   expander (or pcie-root) it sits below; hostdevs whose address reaches no
 *   root are `unmatched`.
 * Emulated devices are listed only below an accelerated vSMMU, the one
 * place where they are wrong.
 *
 * Ranges are LSP ranges (UTF-16), each the whole element, so the client can
 * reveal and select it.
 */
import type { Controller, DomainModel, Iommu, PciDevice } from '../domain/model';
import { isGuestPci } from '../domain/model';
import { smmuMappingOf, type HostdevPlacement, type SmmuMapping } from '../domain/smmuMapping';
import { chainOf, isExpander, isRoot } from '../domain/topology';
import type { HostPciDevice, HostTopology } from '../host/types';
import { describeDevice, devicesOfIommu, iommuOfDevice, isArmSmmuHost, smmuv3s } from '../host/queries';
import { hostSourceLabel } from './hostInfo';
import type { ParsedDocument } from '../domain/document';
import type { Finding } from '../rules/types';
import type { XmlElement } from '../xml/nodes';
import { attrValue, child } from '../xml/query';
import type { DeviceView, ExpanderView, HostDeviceView, ProblemView, Range, SmmuView, TopologyView } from '../protocol';

/**
 * The data keys that findings of several codes share (`smmu`, `hostdev`,
 * `hostdevs`: rules/codes.ts), read whatever the code, to hang a problem on
 * the SMMU or device it is about.
 */
function sharedData(f: Finding): { smmu?: unknown; hostdev?: unknown; hostdevs?: unknown } {
  return (f.data ?? {}) as { smmu?: unknown; hostdev?: unknown; hostdevs?: unknown };
}

/** The topology view of a parsed document; null when the document is not a libvirt domain. */
export function topologyView(doc: ParsedDocument, host: HostTopology | undefined, findings: readonly Finding[]): TopologyView | null {
  if (!doc.isDomain || !doc.domain.root) return null;
  return new ViewBuilder(doc, host, findings).build();
}

/** A root complex as the mapping sees it: an expander, or pcie-root. */
interface Complex {
  readonly index: number;
  readonly controller: Controller | undefined;
  readonly iommu: Iommu | undefined;
  readonly accel: boolean;
  readonly boundSmmu: string | undefined;
  readonly hostdevs: readonly HostdevPlacement[];
  readonly emulated: readonly PciDevice[];
}

class ViewBuilder {
  private readonly model: DomainModel;
  private readonly mapping: SmmuMapping;
  private readonly armHost: HostTopology | undefined;

  constructor(
    private readonly doc: ParsedDocument,
    private readonly host: HostTopology | undefined,
    private readonly findings: readonly Finding[],
  ) {
    this.model = doc.domain;
    this.armHost = host && isArmSmmuHost(host) ? host : undefined;
    this.mapping = smmuMappingOf(this.model, host);
  }

  build(): TopologyView {
    return this.armHost ? this.byHost(this.armHost) : this.byExpander();
  }

  private byHost(host: HostTopology): TopologyView {
    const complexes = this.complexes();
    const smmus = smmuv3s(host).map((s): SmmuView => {
      const bound = complexes.filter((c) => c.boundSmmu === s.name);
      const mine = this.mapping.placements.filter((p) => p.hostSmmu === s.name);
      const expanders = bound.map((c) =>
        this.expanderView(
          c,
          mine.filter((p) => this.sitsIn(p, c)),
        ),
      );
      const inside = new Set(bound.flatMap((c) => mine.filter((p) => this.sitsIn(p, c))));
      const assigned = new Set(mine.map((p) => p.bdf));
      const view: SmmuView = {
        name: s.name,
        expanders,
        devices: mine.filter((p) => !inside.has(p)).map((p) => this.hostdevView(p)),
        unused: mine.length === 0,
        unassigned: devicesOfIommu(host, s.name)
          .filter((d) => !assigned.has(d.bdf))
          .map((d) => this.hostDeviceView(d)),
        problems: this.problems((f) => sharedData(f).smmu === s.name && sharedData(f).hostdev === undefined),
      };
      if (s.platformDevice !== undefined) view.platformDevice = s.platformDevice;
      if (s.numaNode !== undefined) view.numaNode = s.numaNode;
      return view;
    });
    const known = new Set(smmus.map((s) => s.name));
    const unbound = complexes.filter((c) => !c.boundSmmu || !known.has(c.boundSmmu));
    const unmatched = this.mapping.placements.filter((p) => !p.hostSmmu || !known.has(p.hostSmmu)).map((p) => ({ ...this.hostdevView(p), reason: this.hostReason(host, p) }));
    return {
      hostSource: `${smmus.length} host SMMU${smmus.length === 1 ? '' : 's'} · ${hostSourceLabel(host)}`,
      grouping: 'host',
      smmus,
      expanders: unbound.map((c) => this.expanderView(c, [])),
      unmatched,
    };
  }

  private byExpander(): TopologyView {
    const complexes = this.complexes();
    const root = this.mapping.root;
    // pcie-root holds the devices libvirt places there even without a vSMMU of its own.
    const onRoot = this.mapping.placements.filter((p) => p.placement === 'root' || p.placement === 'unplaced');
    if (!root && onRoot.length > 0) {
      complexes.push({ index: 0, controller: this.rootController(), iommu: undefined, accel: false, boundSmmu: undefined, hostdevs: onRoot, emulated: [] });
    }
    const expanders = complexes.map((c) => this.expanderView(c, c.hostdevs));
    const unmatched = this.mapping.placements
      .filter((p) => p.placement === 'unresolved')
      .map((p) => ({ ...this.hostdevView(p), reason: 'its guest address does not lead to pcie-root: the bus names no controller, or the controllers form a loop' }));
    return { hostSource: this.noHostReason(), grouping: 'expander', smmus: [], expanders, unmatched };
  }

  /** Every expander in document order, then pcie-root when it carries a vSMMU. */
  private complexes(): Complex[] {
    const out: Complex[] = this.mapping.expanders.map((e) => ({
      index: e.expander.index,
      controller: e.expander,
      iommu: e.iommu,
      accel: e.accel,
      boundSmmu: e.boundSmmu,
      hostdevs: e.hostdevs,
      emulated: e.emulated,
    }));
    const r = this.mapping.root;
    if (r) out.push({ index: 0, controller: this.rootController(), iommu: r.iommu, accel: r.accel, boundSmmu: r.boundSmmu, hostdevs: r.hostdevs, emulated: r.emulated });
    return out;
  }

  private rootController(): Controller | undefined {
    return this.model.controllers.find((c) => c.type === 'pci' && c.index === 0 && (isRoot(c) || !c.model));
  }

  private sitsIn(p: HostdevPlacement, c: Complex): boolean {
    return c.hostdevs.includes(p);
  }

  private expanderView(c: Complex, hostdevs: readonly HostdevPlacement[]): ExpanderView {
    const ctl = c.controller;
    const busNr = ctl?.busNr?.value;
    const hasBusNr = busNr !== undefined && Number.isFinite(busNr);
    const isRootComplex = !ctl || !isExpander(ctl);
    const view: ExpanderView = {
      index: c.index,
      label: isRootComplex ? 'pcie-root' : hasBusNr ? `expander ${c.index} (busNr ${busNr})` : `expander ${c.index}`,
      devices: [
        ...hostdevs.map((p) => this.hostdevView(p)),
        // Emulated endpoints only matter behind an accelerated vSMMU, where QEMU refuses them.
        ...(c.accel ? c.emulated.map((d) => this.emulatedView(d)) : []),
      ],
      problems: ctl ? this.problemsIn(ctl.el) : [],
    };
    if (hasBusNr) view.busNr = busNr;
    const node = ctl?.numaNode?.value;
    if (node !== undefined && Number.isFinite(node)) view.numaNode = node;
    const named = ctl ? this.model.nestedSmmus.find((n) => n.controller === ctl && n.name) : undefined;
    if (named) view.namedSmmu = named.name;
    if (ctl) view.range = this.rangeOf(ctl.el);
    if (c.iommu) view.vsmmu = { accel: c.accel, range: this.rangeOf(c.iommu.el), problems: this.problemsIn(c.iommu.el) };
    return view;
  }

  private hostdevView(p: HostdevPlacement): DeviceView {
    const view: DeviceView = {
      kind: 'hostdev',
      label: p.bdf ?? 'hostdev (incomplete source address)',
      where: this.whereOf(p.hostdev.address, p.placement === 'unplaced'),
      range: this.rangeOf(p.hostdev.el),
      problems: this.problems((f) => {
        const hs = sharedData(f).hostdevs;
        return this.inside(f, p.hostdev.el) || (Array.isArray(hs) && hs.includes(p.index));
      }),
    };
    if (p.bdf) view.bdf = p.bdf;
    if (p.hostDevice) view.name = describeDevice(p.hostDevice);
    return view;
  }

  private emulatedView(d: PciDevice): DeviceView {
    const model = attrValue(child(d.el, 'model'), 'type') ?? attrValue(d.el, 'model') ?? attrValue(d.el, 'type');
    return {
      kind: 'emulated',
      label: model ? `${d.kind} (${model})` : d.kind,
      where: this.whereOf(d.address, false),
      range: this.rangeOf(d.el),
      problems: this.problemsIn(d.el),
    };
  }

  private hostDeviceView(d: HostPciDevice): HostDeviceView {
    // An address the SMMU lists without a device entry has nothing to describe it.
    const known = d.vendorId !== undefined || d.vendorName !== undefined;
    return known ? { bdf: d.bdf, name: describeDevice(d) } : { bdf: d.bdf };
  }

  /** The guest path from the root complex down: "expander 1 → root port 3". */
  private whereOf(address: Parameters<typeof chainOf>[1], unplaced: boolean): string {
    if (unplaced || !isGuestPci(address)) return 'no guest PCI address (libvirt puts it on pcie-root)';
    const chain = chainOf(this.model, address);
    if (chain.length === 0) {
      const bus = address.bus.value;
      return bus === 0 ? 'pcie-root' : `its bus (index ${bus}) names no controller`;
    }
    const top = chain[chain.length - 1];
    const steps = [...chain].reverse().filter((c) => !(c.index === 0 && chain.some(isExpander)));
    const text = steps.map(controllerLabel).join(' → ');
    return top.index === 0 || isExpander(top) ? text : `${text} (not connected to pcie-root)`;
  }

  private hostReason(host: HostTopology, p: HostdevPlacement): string {
    if (!p.bdf) return 'the source address is incomplete or malformed';
    const iommu = iommuOfDevice(host, p.bdf);
    if (!p.hostDevice && !iommu) return `no PCI device ${p.bdf} on ${host.hostname ? `host ${host.hostname}` : 'this host'}`;
    if (!iommu) return 'behind no IOMMU on this host';
    return `behind ${iommu.name}, which is not an SMMUv3`;
  }

  private noHostReason(): string {
    const host = this.host;
    if (!host) return 'No host topology is known: grouped by expander. Load a snapshot of the host to see its SMMUs.';
    return `No SMMUv3 on this host (${hostSourceLabel(host)}): grouped by expander. Load a snapshot of the ARM host to see its SMMUs.`;
  }

  private rangeOf(el: XmlElement): Range {
    return this.doc.lines.range(el.start, el.end);
  }

  private inside(f: Finding, el: XmlElement): boolean {
    return f.start >= el.start && f.end <= el.end;
  }

  private problemsIn(el: XmlElement): ProblemView[] {
    return this.problems((f) => this.inside(f, el));
  }

  private problems(match: (f: Finding) => boolean): ProblemView[] {
    return this.findings.filter(match).map((f) => ({ code: f.code, severity: f.severity, message: f.message }));
  }
}

/** A short name for a PCI controller on a device's path. */
function controllerLabel(c: Controller): string {
  if (c.index === 0 && (isRoot(c) || !c.model)) return 'pcie-root';
  if (isExpander(c)) return `expander ${c.index}`;
  const model = c.model?.value;
  if (model === 'pcie-root-port') return `root port ${c.index}`;
  return `${model ?? 'controller'} ${c.index}`;
}
