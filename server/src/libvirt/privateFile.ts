/**
 * A private temporary copy of a domain for virsh to read (define,
 * domxml-to-native take a file name). The copy lives in a fresh directory
 * only we can enter (mkdtemp makes it 0700), is created with mode 0600 and
 * refused if it already exists, and is removed with its directory however
 * the run ends. Nothing else is ever written.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

export async function withPrivateFile<T>(text: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'libvirt-domain-xml-'));
  try {
    const file = path.join(dir, 'domain.xml');
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
