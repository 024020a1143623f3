/**
 * The editor's libvirt settings as the server reads them: the connections
 * the Libvirt Domains view shows, from the machine-scoped setting
 * `libvirtDomainXml.libvirt.connections` (unset: qemu:///system where virsh
 * is installed and nothing elsewhere, so a laptop without libvirt gets an
 * empty view with a hint rather than an error per window), and the time
 * limit of each virsh run.
 */
import { execFile } from 'node:child_process';
import { DEFAULT_TIMEOUT_MS } from './virsh';

export const DEFAULT_CONNECTION = 'qemu:///system';

export interface ConnectionList {
  connections: string[];
  /** Why the list is empty or shorter than written, for the view's welcome text and the log. */
  note?: string;
}

export function connectionsFrom(setting: unknown, virshPresent: boolean): ConnectionList {
  if (setting === undefined || setting === null) {
    return virshPresent ? { connections: [DEFAULT_CONNECTION] } : { connections: [], note: 'virsh was not found on this machine, so no libvirt connection is shown by default.' };
  }
  if (!Array.isArray(setting)) return { connections: [], note: 'libvirtDomainXml.libvirt.connections must be a list of libvirt URIs.' };
  const good = setting.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
  const connections = [...new Set(good)];
  const note = good.length < setting.length ? 'entries of libvirtDomainXml.libvirt.connections that are not URIs were left out.' : undefined;
  return note ? { connections, note } : { connections };
}

/** The time limit of each virsh run from `libvirtDomainXml.libvirt.timeoutSeconds`; 10 s when unset or unusable. */
export function timeoutMsFrom(setting: unknown): number {
  return typeof setting === 'number' && Number.isFinite(setting) && setting > 0 ? Math.round(Math.min(setting, 3600) * 1000) : DEFAULT_TIMEOUT_MS;
}

/** True when `virsh --version` runs here (where the server runs: the remote host under Remote-SSH). */
export function virshInstalled(program = 'virsh'): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      execFile(program, ['--version'], { timeout: 5000 }, (err) => resolve(!err));
    } catch {
      resolve(false);
    }
  });
}
