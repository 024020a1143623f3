/**
 * libvirt's own verdict on a domain and the QEMU command line it would run,
 * for the CLI's `native` command and the editor's "Show QEMU command line".
 *
 * The XML goes to `virsh domxml-to-native`, which defines and starts
 * nothing. One thing is left out of the copy libvirt sees: the <interface>
 * elements. To build their part of the command line libvirt opens
 * /dev/net/tun and, where that is a real device, creates tap devices on the
 * host; a preview must not change the host's network, so interfaces are
 * removed and the caller says so.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { withoutInterfaces } from './domainXml';
import { readableCommandLine, type QemuArgument } from './qemuArgv';
import { refusalDiagnostic } from './refusal';
import { VirshError, type VirshConnection } from './virsh';

export type NativeResult =
  | { accepted: true; parts: QemuArgument[]; rest: QemuArgument[]; interfacesLeftOut: number }
  | { accepted: false; diagnostic: Diagnostic; detail: string; interfacesLeftOut: number };

/** Why interfaces are not in what libvirt was asked about; said wherever the command line is shown. */
export function interfacesNote(count: number): string {
  return `${count} <interface> element${count === 1 ? ' was' : 's were'} left out of the copy given to libvirt: for them libvirt opens /dev/net/tun and can create tap devices on this host, which a preview must not do.`;
}

/**
 * Asks libvirt for the command line of `text`. libvirt's refusal becomes a
 * diagnostic on the element it names; trouble with the connection (missing
 * virsh, refused, read-only, timeout) is thrown as a VirshError.
 */
export async function nativeCommandLine(conn: VirshConnection, text: string, label: string): Promise<NativeResult> {
  const copy = withoutInterfaces(text);
  try {
    const argv = await conn.toNative(copy.text, label);
    return { accepted: true, ...readableCommandLine(argv), interfacesLeftOut: copy.removed };
  } catch (e) {
    if (e instanceof VirshError && e.kind === 'rejected') {
      return { accepted: false, diagnostic: refusalDiagnostic(text, e.detail), detail: e.detail, interfacesLeftOut: copy.removed };
    }
    throw e;
  }
}
