/**
 * The editor's libvirt requests (protocol.ts), answered with virsh: the
 * connections the Libvirt Domains view lists, a connection's domains, a
 * domain's definition, defining one from the editor's text, and the QEMU
 * command line libvirt would run. server.ts wires them to LSP; what cannot
 * be answered (virsh missing, a connection refused or not answering,
 * credentials wanted, no such domain) is thrown as a LibvirtRequestError
 * whose message says what happened and what to do.
 */
import type {
  LibvirtConnectionList,
  LibvirtConnectionsParams,
  LibvirtDefineParams,
  LibvirtDefineResult,
  LibvirtDomainEntry,
  LibvirtDomainParams,
  LibvirtFailure,
  LibvirtNativeParams,
  LibvirtNativeResult,
  LibvirtParams,
  LibvirtRefusal,
} from '../protocol';
import { domainName } from './domainXml';
import { interfacesNote, nativeCommandLine } from './native';
import { commandLineText } from './qemuArgv';
import { refusalDiagnostic } from './refusal';
import { connectionsFrom, timeoutMsFrom, virshInstalled } from './settings';
import { VirshConnection, VirshError, type VirshOptions } from './virsh';

export class LibvirtRequestError extends Error {
  constructor(
    readonly kind: LibvirtFailure['kind'],
    message: string,
  ) {
    super(message);
    this.name = 'LibvirtRequestError';
  }
}

export interface LibvirtRequestOptions {
  /** The virsh to run; tests point it elsewhere. Never taken from the editor's settings. */
  program?: string;
}

export class LibvirtRequests {
  /** Whether virsh runs here, asked once: it decides the default connection. */
  private installed: Promise<boolean> | undefined;

  constructor(private readonly options: LibvirtRequestOptions = {}) {}

  async connections(p: LibvirtConnectionsParams | undefined): Promise<LibvirtConnectionList> {
    this.installed ??= virshInstalled(this.options.program);
    return connectionsFrom(p?.setting, await this.installed);
  }

  domains(p: LibvirtParams): Promise<LibvirtDomainEntry[]> {
    return answer(this.connection(p).domains());
  }

  read(p: LibvirtDomainParams): Promise<string> {
    return answer(this.connection(p).dumpXml(nameOf(p)));
  }

  async define(p: LibvirtDefineParams): Promise<LibvirtDefineResult> {
    const name = nameOf(p);
    const text = textOf(p);
    const conn = this.connection(p);
    const written = domainName(text);
    if (written !== name) {
      const why =
        written === undefined
          ? `it has no <domain><name>: write <name>${name}</name>`
          : `its <name> is '${written}', and this editor holds domain '${name}'; saving would define a second domain. Rename with 'virsh domrename', or keep the name`;
      return { defined: false, message: `Not saved to libvirt: ${why}.` };
    }
    try {
      await conn.define(text, name);
      return { defined: true };
    } catch (e) {
      if (e instanceof VirshError && e.kind === 'rejected') {
        return { defined: false, message: `libvirt refused the domain, nothing was changed: ${e.detail}`, refusal: refusalOf(text, e.detail) };
      }
      throw failure(e);
    }
  }

  async native(p: LibvirtNativeParams): Promise<LibvirtNativeResult> {
    const text = textOf(p);
    const label = typeof p.label === 'string' && p.label ? p.label : 'the document';
    const result = await answer(nativeCommandLine(this.connection(p), text, label));
    if (!result.accepted) {
      return { accepted: false, message: `libvirt on ${p.connection} refuses ${label}: ${result.detail}`, refusal: refusalOf(text, result.detail) };
    }
    const note = result.interfacesLeftOut ? `# ${interfacesNote(result.interfacesLeftOut)}\n` : '';
    const heading = `# QEMU command line libvirt on ${p.connection} would run for ${label} (virsh domxml-to-native; nothing defined or started)\n`;
    return { accepted: true, text: heading + note + commandLineText(result.parts, result.rest) };
  }

  private connection(p: LibvirtParams): VirshConnection {
    if (typeof p?.connection !== 'string' || !p.connection.trim()) {
      throw new LibvirtRequestError('bad-request', 'A libvirt request needs a connection URI, such as qemu:///system.');
    }
    const options: VirshOptions = { timeoutMs: timeoutMsFrom(p.timeoutSeconds) };
    if (this.options.program) options.program = this.options.program;
    return new VirshConnection(p.connection, options);
  }
}

function nameOf(p: LibvirtDomainParams): string {
  if (typeof p?.name !== 'string' || !p.name) throw new LibvirtRequestError('bad-request', 'A libvirt request on a domain needs its name.');
  return p.name;
}

function textOf(p: { text?: unknown }): string {
  if (typeof p?.text !== 'string') throw new LibvirtRequestError('bad-request', 'A libvirt request on domain XML needs the text.');
  return p.text;
}

function refusalOf(text: string, detail: string): LibvirtRefusal {
  const d = refusalDiagnostic(text, detail);
  return { range: d.range, code: String(d.code), source: d.source ?? 'libvirt', message: typeof d.message === 'string' ? d.message : d.message.value, detail };
}

/** A VirshError as the request's error; anything else is a fault of ours and stays as it is. */
function failure(e: unknown): unknown {
  return e instanceof VirshError ? new LibvirtRequestError(e.kind, e.message) : e;
}

async function answer<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    throw failure(e);
  }
}
