/**
 * The language server's libvirt requests as the editor's libvirt parts use
 * them. virsh runs in the server (server/src/libvirt/), the one place that
 * talks to libvirt; each request carries the connection and this window's
 * time limit setting. A request the server could not answer becomes a
 * LibvirtError with the server's message (what happened, what to do) and its
 * kind, from which the file system picks the error VS Code shows. No runtime
 * `vscode` import, so this is tested against the real server on its own.
 */
import {
  LIBVIRT_CONNECTIONS_REQUEST,
  LIBVIRT_DEFINE_REQUEST,
  LIBVIRT_DOMAINS_REQUEST,
  LIBVIRT_FAILURE_CODE,
  LIBVIRT_NATIVE_REQUEST,
  LIBVIRT_READ_REQUEST,
  type LibvirtConnectionList,
  type LibvirtDefineResult,
  type LibvirtDomainEntry,
  type LibvirtFailure,
  type LibvirtNativeResult,
} from '../protocol';

/** 'server': the language server did not answer at all (not running, crashed while asked). */
export type LibvirtErrorKind = LibvirtFailure['kind'] | 'server';

export class LibvirtError extends Error {
  constructor(
    readonly kind: LibvirtErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'LibvirtError';
  }
}

/** Sends one request to the server (LanguageClient.sendRequest in the extension). */
export type SendRequest = (method: string, params: unknown) => Promise<unknown>;
/** Reads one setting of the libvirtDomainXml section ('libvirt.connections', 'libvirt.timeoutSeconds'). */
export type ReadSetting = (key: string) => unknown;

export class LibvirtServer {
  constructor(
    private readonly send: SendRequest,
    private readonly setting: ReadSetting,
  ) {}

  /** The connections the view lists, and why the list is empty or shorter than written. */
  connections(): Promise<LibvirtConnectionList> {
    return this.request(LIBVIRT_CONNECTIONS_REQUEST, { setting: this.setting('libvirt.connections') });
  }

  domains(connection: string): Promise<LibvirtDomainEntry[]> {
    return this.request(LIBVIRT_DOMAINS_REQUEST, this.params(connection));
  }

  /** The domain's persistent definition (virsh dumpxml --inactive). */
  read(connection: string, name: string): Promise<string> {
    return this.request(LIBVIRT_READ_REQUEST, { ...this.params(connection), name });
  }

  /** Defines the domain from the text (virsh define --validate) when the text names that domain. */
  define(connection: string, name: string, text: string): Promise<LibvirtDefineResult> {
    return this.request(LIBVIRT_DEFINE_REQUEST, { ...this.params(connection), name, text });
  }

  /** The QEMU command line libvirt would run for the text, as a document to show, or libvirt's refusal. */
  native(connection: string, text: string, label: string): Promise<LibvirtNativeResult> {
    return this.request(LIBVIRT_NATIVE_REQUEST, { ...this.params(connection), text, label });
  }

  private params(connection: string) {
    return { connection, timeoutSeconds: this.setting('libvirt.timeoutSeconds') };
  }

  private async request<T>(method: string, params: unknown): Promise<T> {
    try {
      return (await this.send(method, params)) as T;
    } catch (e) {
      throw libvirtError(e);
    }
  }
}

/** A failed request as a LibvirtError: libvirt's trouble as the server said it, anything else as the server not answering. */
export function libvirtError(e: unknown): LibvirtError {
  const err = e as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  if (err?.code === LIBVIRT_FAILURE_CODE) {
    const kind = (err.data as Partial<LibvirtFailure> | undefined)?.kind;
    return new LibvirtError(kind ?? 'failed', message);
  }
  return new LibvirtError('server', `The Libvirt Domain XML language server did not answer (${message}); libvirt was not asked. Nothing was changed.`);
}
