/**
 * Rule family `smmu-map`: does each assigned device sit behind the vSMMU that
 * can serve it?
 *
 * An accelerated vSMMU is tied by the kernel to the one host SMMUv3 of the
 * first device assigned behind it, so every root complex (pcie-expander-bus,
 * or pcie-root with pciBus 0) carrying one must hold devices of that host
 * SMMU only, every host SMMU in use needs a root complex of its own, and only
 * VFIO devices on the iommufd backend may sit behind it.
 *
 * The structural checks need only the XML and always run; the ones that ask
 * which host SMMU translates a device need an ARM host topology with SMMUv3
 * and stay silent otherwise (one information finding says so). All reasoning
 * about placement comes from the shared analysis in domain/smmuMapping.ts, so
 * quick fixes, hover and the topology view agree with these findings.
 */
import type { Controller, DomainModel, Hostdev, Iommu, PciDevice } from '../domain/model';
import { hostdevUsesIommufd, smmuMappingOf, unusedVsmmuExpanders, type HostdevPlacement, type SmmuMapping } from '../domain/smmuMapping';
import { isAccel } from '../domain/topology';
import { isArmArch } from '../domain/machine';
import { FEATURE_SINCE } from '../domain/catalog';
import type { HostTopology } from '../host/types';
import { describeDevice, iommuOfDevice, isArmSmmuHost } from '../host/queries';
import type { XmlElement } from '../xml/nodes';
import { attrValue, child } from '../xml/query';
import type { Finding, RelatedHost, RelatedSpan, RuleContext, RuleFamily } from './types';
import type { HostdevRef } from './codes';
import { finding } from './report';
import { elementNameSpan, valueSpan, type Span } from './spans';

/** Where a placement problem is shown: the guest address's bus value. */
function guestRange(h: Hostdev): Span {
  if (h.address?.bus) return valueSpan(h.address.bus.attr);
  if (h.address) return elementNameSpan(h.address.el);
  return elementNameSpan(h.el);
}

/** Where a host-device problem is shown: the `<source><address>` element. */
function sourceRange(h: Hostdev): Span {
  return h.source ? elementNameSpan(h.source.el) : elementNameSpan(h.el);
}

function describeExpander(c: Controller): string {
  const busNr = c.busNr?.value;
  return Number.isFinite(busNr) ? `expander index ${c.index} (busNr ${busNr})` : `expander index ${c.index}`;
}

const deviceName = (p: HostdevPlacement): string => p.bdf ?? 'this assigned device';

function hostLabel(host: HostTopology): string {
  return host.hostname ? `host ${host.hostname}` : 'the host';
}

/** Where a host SMMU can be looked at: its sysfs class device, or the snapshot it came from. */
/**
 * Related information outside the document: the snapshot file the host
 * knowledge came from. A live sysfs source gets none, because its class
 * devices are directories an editor cannot open; the message names the SMMU
 * and hovering it shows what the host says.
 */
function hostRefs(host: HostTopology, smmus: readonly string[]): RelatedHost[] {
  if (host.source.kind === 'sysfs') return [];
  return [{ path: host.source.file, message: `host topology snapshot listing ${smmus.join(' and ')}` }];
}

/**
 * A root complex that carries a vSMMU (or could): an expander, or pcie-root
 * when an `<iommu>` has pciBus 0. Expanders and pcie-root obey the same rules.
 */
interface Complex {
  readonly index: number;
  readonly label: string;
  /** What related information points at: the expander, or the pcie-root vSMMU. */
  readonly el: XmlElement;
  readonly iommu: Iommu | undefined;
  readonly accel: boolean;
  readonly hostdevs: readonly HostdevPlacement[];
  readonly boundSmmu: string | undefined;
  readonly emulated: readonly PciDevice[];
}

function complexesOf(mapping: SmmuMapping): Complex[] {
  const out: Complex[] = mapping.expanders.map((e) => ({
    index: e.expander.index,
    label: describeExpander(e.expander),
    el: e.expander.el,
    iommu: e.iommu,
    accel: e.accel,
    hostdevs: e.hostdevs,
    boundSmmu: e.boundSmmu,
    emulated: e.emulated,
  }));
  const r = mapping.root;
  if (r) out.push({ index: 0, label: 'pcie-root (index 0)', el: r.iommu.el, iommu: r.iommu, accel: r.accel, hostdevs: r.hostdevs, boundSmmu: r.boundSmmu, emulated: r.emulated });
  return out;
}

/** "… on the expander of smmu3.0x… (index N)" when one exists with a vSMMU, for advice in messages. */
function homeOf(mapping: SmmuMapping, smmu: string | undefined): string | undefined {
  if (!smmu) return undefined;
  const e = mapping.expanderOfSmmu.get(smmu);
  if (e?.iommu) return `the expander of ${smmu} (index ${e.expander.index})`;
  if (mapping.root?.boundSmmu === smmu) return `pcie-root, whose vSMMU serves ${smmu}`;
  return undefined;
}

function domainUsesSmmuv3(model: DomainModel): boolean {
  return model.iommus.some((i) => i.model?.value === 'smmuv3');
}

function checkNoHost(ctx: RuleContext, mapping: SmmuMapping, out: Finding[]): void {
  const { model, host } = ctx;
  if (!model.devices) return;
  if (host && isArmSmmuHost(host)) return;
  // Only where host checks would have had something to say: assigned devices
  // (nothing else depends on the host: an emulated vSMMU without them is
  // checked in full), in an SMMUv3 guest or one that could be ARM. An x86
  // guest with a passed-through NIC has no SMMU mapping to check.
  if (mapping.placements.length === 0) return;
  const arch = model.arch?.value;
  const maybeArm = arch === undefined || isArmArch(arch);
  if (!domainUsesSmmuv3(model) && !maybeArm) return;
  const at = elementNameSpan(model.devices);
  if (!host) {
    // Still being read: the answer is coming, and "no host" would be wrong until it does.
    if (ctx.hostReading) return;
    out.push(
      finding(
        'smmu-map-no-host',
        at,
        'Host-dependent checks are off: no host topology is known, so which host SMMU each assigned device sits behind is not checked. ' +
          'Point the `libvirtDomainXml.host.snapshot` setting at a snapshot of the host this domain runs on (written by `libvirt-domain-xml host --output FILE` there), ' +
          'or pass `--host SNAPSHOT.json` to `libvirt-domain-xml check`.',
        { data: { reason: 'no-host' } },
      ),
    );
    return;
  }
  const others = host.iommus.map((i) => i.name);
  const has = others.length ? `its IOMMUs are ${others.join(', ')}` : 'it reports no IOMMU at all';
  out.push(
    finding(
      'smmu-map-no-host',
      at,
      `Host-dependent checks are off: ${hostLabel(host)} has no SMMUv3 (${has}), so it is not the ARM host this domain's SMMU layout can be checked against. ` +
        'Load a snapshot of the ARM host instead (setting `libvirtDomainXml.host.snapshot`, or `--host SNAPSHOT.json` on the command line).',
      { data: { reason: 'no-smmuv3', iommus: others } },
    ),
  );
}

function checkUncovered(mapping: SmmuMapping, out: Finding[]): void {
  const withVsmmu = mapping.expanders.filter((e) => e.iommu);
  for (const p of mapping.placements) {
    const data: HostdevRef & { smmu?: string } = { hostdev: p.index, bdf: p.bdf };
    if (p.hostSmmu) data.smmu = p.hostSmmu;
    const home = homeOf(mapping, p.hostSmmu);
    if (p.placement === 'expander' && p.expander && !p.iommu) {
      const others = withVsmmu.filter((e) => e.expander !== p.expander).map((e) => `index ${e.expander.index}`);
      if (mapping.root) others.push('pcie-root');
      if (others.length === 0) continue;
      const idx = p.expander.index;
      out.push(
        finding(
          'smmu-map-uncovered',
          guestRange(p.hostdev),
          `${deviceName(p)} sits below ${describeExpander(p.expander)}, which has no vSMMU, while ${others.join(', ')} ${others.length > 1 ? 'have one' : 'has one'}: ` +
            'the guest reaches it without any IOMMU translation. ' +
            `Add <iommu model='smmuv3'><driver pciBus='${idx}'/></iommu> for this expander, or move the device ${home ? `to a root port on ${home}` : 'behind an expander that has a vSMMU'}.`,
          {
            related: [{ ...elementNameSpan(p.expander.el), message: `${describeExpander(p.expander)}: no <iommu> has pciBus='${idx}'` }],
            data: { ...data, expanderIndex: idx },
          },
        ),
      );
    } else if ((p.placement === 'root' || p.placement === 'unplaced') && mapping.pluggable && !mapping.root) {
      const where = p.placement === 'root' ? 'sits on pcie-root' : 'has no guest PCI address, so libvirt puts it on pcie-root';
      out.push(
        finding(
          'smmu-map-uncovered',
          guestRange(p.hostdev),
          `${deviceName(p)} ${where}, which has no vSMMU in this domain (its vSMMUs sit on expanders through pciBus): the guest reaches it without IOMMU translation. ` +
            `Move it to a root port on ${home ?? 'an expander with a vSMMU'}, or add an expander for it.`,
          { data },
        ),
      );
    }
  }
}

function checkAccelContents(ctx: RuleContext, complexes: readonly Complex[], mapping: SmmuMapping, mixed: Set<number>, out: Finding[]): void {
  const { model, host } = ctx;
  const hostChecks = !!host && isArmSmmuHost(host);
  for (const c of complexes) {
    if (!c.accel) continue;
    for (const d of c.emulated) {
      const bus = d.address?.bus;
      const range = bus ? valueSpan(bus.attr) : elementNameSpan(d.el);
      const devModel = attrValue(child(d.el, 'model'), 'type');
      const what = devModel ? `<${d.kind}> (model ${devModel})` : `<${d.kind}>`;
      out.push(
        finding(
          'smmu-map-emulated-device',
          range,
          `This ${what} sits below ${c.label}, whose vSMMU is accelerated (accel='on'): \`virsh define\` accepts this, but QEMU allows only VFIO devices on the iommufd backend behind an accelerated vSMMU and refuses to start. ` +
            'Move it to a root port on pcie-root or on an expander without an accelerated vSMMU.',
          {
            related: [{ ...elementNameSpan(c.el), message: `${c.label}, accelerated vSMMU` }],
            data: { expanderIndex: c.index, device: model.pciDevices.indexOf(d), kind: d.kind },
          },
        ),
      );
    }
    for (const p of c.hostdevs) {
      if (!hostdevUsesIommufd(model, p.hostdev)) {
        const own = p.hostdev.driver;
        const a = own?.attributes.find((x) => x.name === 'iommufd');
        const range = a ? valueSpan(a) : own ? elementNameSpan(own) : elementNameSpan(p.hostdev.el);
        const why =
          a?.value === 'no'
            ? "its <driver iommufd='no'/> opts it out of iommufd"
            : "it uses legacy VFIO (no <driver iommufd='yes'/> here, no <iommufd enabled='yes'/> on the domain)";
        out.push(
          finding(
            'smmu-map-no-iommufd',
            range,
            `${deviceName(p)} sits behind the accelerated vSMMU of ${c.label}, but ${why}: \`virsh define\` accepts this, but QEMU accepts only iommufd-backed VFIO devices there and refuses to start. ` +
              `Add <driver name='vfio' iommufd='yes'/> to the hostdev (libvirt ${FEATURE_SINCE.hostdevIommufd.since}), or <iommufd enabled='yes'/> to the domain (libvirt ${FEATURE_SINCE.domainIommufd.since}).`,
            { data: { hostdev: p.index, bdf: p.bdf, expanderIndex: c.index } },
          ),
        );
      }
    }
    if (!hostChecks || !c.boundSmmu) continue;
    const first = c.hostdevs.find((p) => p.hostSmmu === c.boundSmmu)!;
    for (const p of c.hostdevs) {
      if (!p.hostSmmu || p.hostSmmu === c.boundSmmu) continue;
      mixed.add(p.index);
      const home = homeOf(mapping, p.hostSmmu);
      const advice = home
        ? `Move it to a root port on ${home}, or add an expander for it.`
        : `Add an expander for ${p.hostSmmu} (a pcie-expander-bus, a root port on it, and an accelerated <iommu model='smmuv3'> with the expander's index as pciBus) and move it there.`;
      const related: RelatedSpan[] = [
        { ...elementNameSpan(c.el), message: `${c.label}: its accelerated vSMMU is bound to ${c.boundSmmu}` },
        { ...sourceRange(first.hostdev), message: `${deviceName(first)}, behind ${c.boundSmmu}, is the first assigned device here and binds the vSMMU` },
      ];
      out.push(
        finding(
          'smmu-map-mixed',
          guestRange(p.hostdev),
          `${deviceName(p)} is behind host SMMU ${p.hostSmmu}, but the accelerated vSMMU of ${c.label} is bound to ${c.boundSmmu} by ${deviceName(first)}: ` +
            `\`virsh define\` accepts this, and the start fails: the kernel refuses a device of another host SMMU behind it. ${advice}`,
          {
            related,
            relatedHost: hostRefs(host!, [p.hostSmmu, c.boundSmmu]),
            data: { expanderIndex: c.index, hostdev: p.index, bdf: p.bdf, smmu: p.hostSmmu, expectedSmmu: c.boundSmmu },
          },
        ),
      );
    }
  }
}

function checkMissingExpander(ctx: RuleContext, mapping: SmmuMapping, mixed: ReadonlySet<number>, out: Finding[]): void {
  const host = ctx.host;
  if (!host || !isArmSmmuHost(host) || !mapping.pluggable) return;
  for (const [smmu, list] of mapping.bySmmu) {
    if (mapping.expanderOfSmmu.has(smmu) || mapping.root?.boundSmmu === smmu) continue;
    // Devices already reported as mixed carry the same advice; devices behind
    // an emulated (non-accelerated) vSMMU are fine behind any host SMMU.
    const open = list.filter((p) => !mixed.has(p.index) && !(p.iommu && !isAccel(p.iommu)));
    if (open.length === 0) continue;
    const [first] = open;
    const names = list.map(deviceName);
    const them = list.length > 1 ? 'these devices' : 'the device';
    // An expander whose vSMMU serves no device yet takes the host SMMU of the first device put behind it:
    // it is the home to offer before a new one (an accelerated one first, as the devices want accel).
    const unused = unusedVsmmuExpanders(mapping);
    const home = unused.find((e) => e.accel) ?? unused[0];
    const advice = home
      ? `But ${describeExpander(home.expander)} already has ${home.accel ? 'an accelerated' : 'a'} vSMMU that serves no device yet: move ${them} to a root port on it, and its vSMMU binds to ${smmu}.`
      : `Add one for ${smmu} and move ${them} behind it.`;
    out.push(
      finding(
        'smmu-map-missing-expander',
        sourceRange(first.hostdev),
        `Host SMMU ${smmu} translates ${names.join(', ')}, but no expander in this domain is bound to it: each host SMMU in use needs its own pcie-expander-bus ` +
          `with a root port and an <iommu model='smmuv3'> whose pciBus is that expander's index. ${advice}`,
        {
          related: [
            ...list.filter((p) => p !== first).map((p) => ({ ...sourceRange(p.hostdev), message: `${deviceName(p)}, also behind ${smmu}` })),
            ...(home ? [{ ...elementNameSpan(home.expander.el), message: `${describeExpander(home.expander)}: its vSMMU serves no device yet` }] : []),
          ],
          relatedHost: hostRefs(host, [smmu]),
          data: { smmu, hostdevs: list.map((p) => p.index) },
        },
      ),
    );
  }
}

function checkHostDevices(ctx: RuleContext, mapping: SmmuMapping, out: Finding[]): void {
  const host = ctx.host;
  if (!host || !isArmSmmuHost(host)) return;
  const smmuGuest = domainUsesSmmuv3(ctx.model);
  for (const p of mapping.placements) {
    if (!p.bdf) continue;
    const iommu = iommuOfDevice(host, p.bdf);
    if (!p.hostDevice && !iommu) {
      out.push(
        finding(
          'smmu-map-host-device-missing',
          sourceRange(p.hostdev),
          `No PCI device ${p.bdf} on ${hostLabel(host)}: check the source address (\`lspci -D\` on the host lists the devices), or load the topology of the host this domain runs on.`,
          { data: { hostdev: p.index, bdf: p.bdf } },
        ),
      );
    } else if (smmuGuest && !p.hostSmmu) {
      const what = p.hostDevice ? `${p.bdf} (${describeDevice(p.hostDevice)})` : p.bdf;
      const behind = iommu ? `only behind ${iommu.name}, which is not an SMMUv3` : 'behind no IOMMU';
      out.push(
        finding(
          'smmu-map-host-device-no-smmu',
          sourceRange(p.hostdev),
          `${what} is ${behind} on ${hostLabel(host)}, so no vSMMU can be backed by its host SMMU. Check the source address, or the host's IOMMU setup (the device's iommu link in sysfs).`,
          { data: { hostdev: p.index, bdf: p.bdf, iommu: iommu?.name } },
        ),
      );
    }
  }
}

/**
 * Assigned devices of an SMMUv3 host on pcie-root in a guest with no vSMMU
 * at all: valid, but the guest gets no IOMMU for them (no nested
 * translation, no SVA). Only an information, offering the generator.
 */
function checkNoVsmmu(ctx: RuleContext, mapping: SmmuMapping, out: Finding[]): void {
  const { model, host } = ctx;
  if (!host || !isArmSmmuHost(host) || model.iommus.length > 0) return;
  const arch = model.arch?.value;
  if (arch !== undefined && !isArmArch(arch)) return;
  const open = mapping.placements.filter((p) => p.hostSmmu && (p.placement === 'root' || p.placement === 'unplaced'));
  if (open.length === 0) return;
  const [first] = open;
  const smmus = [...new Set(open.map((p) => p.hostSmmu!))];
  out.push(
    finding(
      'smmu-map-no-vsmmu',
      guestRange(first.hostdev),
      `${open.map(deviceName).join(', ')} ${open.length > 1 ? 'are' : 'is'} assigned on pcie-root with no vSMMU in the domain, so the guest reaches ${open.length > 1 ? 'them' : 'it'} without an IOMMU of its own (no nested translation). ` +
        `On this host ${open.length > 1 ? 'they sit' : 'it sits'} behind ${smmus.join(', ')}: the source action "Generate vSMMU topology" adds an expander with an accelerated vSMMU per host SMMU and moves the devices there.`,
      {
        related: open.slice(1).map((p) => ({ ...sourceRange(p.hostdev), message: `${deviceName(p)}, also on pcie-root` })),
        data: { hostdevs: open.map((p) => p.index), smmus },
      },
    ),
  );
}

export const smmuMappingRules: RuleFamily = {
  name: 'smmu-map',
  run(ctx) {
    const mapping = smmuMappingOf(ctx.model, ctx.host);
    const out: Finding[] = [];
    const mixed = new Set<number>();
    checkNoHost(ctx, mapping, out);
    checkUncovered(mapping, out);
    checkAccelContents(ctx, complexesOf(mapping), mapping, mixed, out);
    checkMissingExpander(ctx, mapping, mixed, out);
    checkHostDevices(ctx, mapping, out);
    checkNoVsmmu(ctx, mapping, out);
    out.sort((a, b) => a.start - b.start || a.end - b.end);
    for (const f of out) ctx.report(f);
  },
};
