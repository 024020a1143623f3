/**
 * The libvirt version installed where the server runs, from `virsh --version`
 * found on PATH. Only that fixed program name is run, never a path taken from
 * workspace settings, so a cloned repository cannot make us run anything.
 */
import { execFile } from 'node:child_process';
import { normalizeVersion } from '../domain/versions';

export function detectLibvirtVersion(timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      execFile('virsh', ['--version'], { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => {
        resolve(err ? undefined : normalizeVersion(String(stdout).trim()));
      });
    } catch {
      resolve(undefined);
    }
  });
}
