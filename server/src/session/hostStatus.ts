/**
 * One line about where host knowledge comes from, for the editor's status
 * bar ("3 host SMMUs · sysfs", "snapshot: gb200.json", "no SMMUv3 on this host").
 */
import type { HostTopology } from '../host/types';
import type { HostStatus } from '../protocol';

export type { HostStatus };

function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i === -1 ? p : p.slice(i + 1);
}

export function describeHost(topology: HostTopology | undefined, error?: string, reading = false): HostStatus {
  if (!topology && reading) {
    return {
      text: 'host: reading…',
      kind: 'none',
      smmuCount: 0,
      detail: 'The host topology is being read; the checks that need it wait for it and run again when it arrives.',
    };
  }
  if (!topology) {
    return {
      text: error ? 'host: unreadable' : 'host: unknown',
      kind: error ? 'error' : 'none',
      smmuCount: 0,
      detail: error ?? 'No host topology has been read yet.',
    };
  }
  const smmus = topology.iommus.filter((i) => i.kind === 'smmuv3').length;
  const where = topology.source.kind === 'snapshot' ? `snapshot: ${baseName(topology.source.file)}` : 'sysfs';
  const whereLong = topology.source.kind === 'snapshot' ? `snapshot ${topology.source.file}` : `sysfs at ${topology.source.root}`;
  const text = smmus > 0 ? `${smmus} host SMMU${smmus === 1 ? '' : 's'} · ${where}` : `no SMMUv3 on this host · ${where}`;
  const notes = topology.notes.length ? `\n${topology.notes.join('\n')}` : '';
  const err = error ? `\nLast refresh failed, showing the previous topology: ${error}` : '';
  return {
    text,
    kind: topology.source.kind,
    smmuCount: smmus,
    detail: `Host topology from ${whereLong}: ${topology.iommus.length} IOMMUs, ${topology.pciDevices.length} PCI devices.${notes}${err}`,
  };
}
