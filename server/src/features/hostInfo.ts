/**
 * What the host says about an SMMU or a PCI device, as markdown, shared by
 * hover and by completion item documentation so the two read the same.
 */
import type { HostPciDevice, HostTopology } from '../host/types';
import { describeDevice, devicesOfIommu, findDevice, iommuOfDevice } from '../host/queries';

/** A short name for where the topology came from: "sysfs /sys", "snapshot grace.json (host h1)". */
export function hostSourceLabel(host: HostTopology): string {
  const s = host.source;
  const where = s.kind === 'sysfs' ? `sysfs ${s.root}` : `snapshot ${baseName(s.file)}`;
  const name = host.hostname ?? (s.kind === 'snapshot' ? s.hostname : undefined);
  return name ? `${where}, host ${name}` : where;
}

function baseName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i < 0 ? p : p.slice(i + 1);
}

/** One list line for a device: address, name, driver and NUMA node when known. */
export function deviceLine(d: HostPciDevice): string {
  const extra: string[] = [];
  if (d.driver) extra.push(`driver ${d.driver}`);
  if (d.numaNode !== undefined) extra.push(`NUMA node ${d.numaNode}`);
  return `\`${d.bdf}\` ${describeDevice(d)}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/** The devices an SMMU serves as a markdown list, or a sentence when it serves none. */
export function smmuDevicesMarkdown(host: HostTopology, name: string): string {
  const devices = devicesOfIommu(host, name);
  if (devices.length === 0) return 'No PCI devices behind it.';
  return ['Devices behind it:', ...devices.map((d) => `- ${deviceLine(d)}`)].join('\n');
}

/** Hover text for a host SMMU name. */
export function smmuMarkdown(host: HostTopology | undefined, name: string): string {
  const title = `**Host SMMU \`${name}\`**`;
  if (!/^smmu3\.0x[0-9a-f]{16}$/.test(name)) {
    return `${title}\n\nNot a valid SMMUv3 name: the kernel names each instance \`smmu3.0x\` followed by 16 lower-case hex digits of its MMIO base address.`;
  }
  if (!host) return `${title}\n\nNo host topology is loaded, so this name cannot be checked.`;
  const smmu = host.iommus.find((i) => i.name === name);
  if (!smmu) return `${title}\n\nNot found on this host (source: ${hostSourceLabel(host)}).`;
  const facts: string[] = [];
  if (smmu.platformDevice) facts.push(`Platform device \`${smmu.platformDevice}\``);
  if (smmu.numaNode !== undefined) facts.push(`NUMA node ${smmu.numaNode}`);
  const parts = [title];
  if (facts.length) parts.push(facts.join(' · '));
  parts.push(smmuDevicesMarkdown(host, name));
  parts.push(`_Source: ${hostSourceLabel(host)}._`);
  return parts.join('\n\n');
}

/** Hover text for a host PCI address (the `<source><address>` of a hostdev). */
export function hostDeviceMarkdown(host: HostTopology | undefined, bdf: string | undefined): string {
  if (!bdf) return '**Host device**\n\nThe source address is incomplete or malformed: `domain`, `bus`, `slot` and `function` together make the host address.';
  const title = `**Host device \`${bdf}\`**`;
  if (!host) return `${title}\n\nNo host topology is loaded, so the device cannot be looked up.`;
  const d = findDevice(host, bdf);
  if (!d) return `${title}\n\nNot a PCI device on this host (source: ${hostSourceLabel(host)}).`;
  const lines = [describeDevice(d)];
  const facts: string[] = [];
  if (d.driver) facts.push(`- Driver: \`${d.driver}\``);
  if (d.numaNode !== undefined) facts.push(`- NUMA node: ${d.numaNode}`);
  if (d.iommuGroup !== undefined) facts.push(`- IOMMU group: ${d.iommuGroup}`);
  const smmu = iommuOfDevice(host, bdf);
  if (smmu) {
    facts.push(`- Behind IOMMU \`${smmu.name}\`${smmu.platformDevice ? ` (\`${smmu.platformDevice}\`)` : ''}`);
  } else {
    facts.push('- Behind no IOMMU the host knows of');
  }
  return [title, lines.join('\n'), facts.join('\n'), `_Source: ${hostSourceLabel(host)}._`].join('\n\n');
}
