/**
 * The `libvirt:` file system: a domain libvirt holds opened as a document
 * (its persistent definition, `virsh dumpxml --inactive`), and saved with
 * `virsh define --validate` from a private temporary copy. virsh runs in
 * the language server (LibvirtServer's requests). The language client sends
 * these documents to the server like files, so every check runs on them.
 *
 * Saving is the only thing that changes libvirt, and only on an explicit
 * save; nothing is ever started, undefined or destroyed. When libvirt refuses
 * the XML the save fails: VS Code shows the error and keeps the buffer dirty,
 * nothing typed is lost and the domain in libvirt is unchanged; the refusal
 * is also a diagnostic on the element it names, until the next good save.
 */
import * as vscode from 'vscode';
import { domainOf, type DomainRef } from './domainUri';
import { refusalDiagnostic } from './diagnostics';
import { LibvirtError, type LibvirtServer } from './server';

interface Known {
  mtime: number;
  size: number;
  /** The text read by stat, handed to the readFile that follows it. */
  text?: string;
}

export class LibvirtFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  /** libvirt's refusals of saves, until the next save of that domain succeeds. */
  readonly refusals = vscode.languages.createDiagnosticCollection('libvirt');
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly libvirt: LibvirtServer,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  dispose(): void {
    this.emitter.dispose();
    this.refusals.dispose();
  }

  private ref(uri: vscode.Uri): DomainRef {
    const ref = domainOf(uri);
    if (!ref) throw vscode.FileSystemError.FileNotFound(uri);
    return ref;
  }

  /** A LibvirtError as the FileSystemError VS Code shows; the server's words are kept. */
  private failure(e: unknown, uri: vscode.Uri): Error {
    if (e instanceof LibvirtError) {
      this.log.warn(e.message);
      if (e.kind === 'not-found') return vscode.FileSystemError.FileNotFound(`${e.message}`);
      if (e.kind === 'read-only') return vscode.FileSystemError.NoPermissions(e.message);
      return vscode.FileSystemError.Unavailable(e.message);
    }
    return e instanceof Error ? e : new Error(String(e ?? uri.toString()));
  }

  private async read(uri: vscode.Uri): Promise<string> {
    const { connection, name } = this.ref(uri);
    try {
      return await this.libvirt.read(connection, name);
    } catch (e) {
      throw this.failure(e, uri);
    }
  }

  watch(): vscode.Disposable {
    // libvirt does not tell us when a definition changes; Refresh and reopening read it again.
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const key = uri.toString();
    let k = this.known.get(key);
    if (!k) {
      const text = await this.read(uri);
      k = { mtime: Date.now(), size: Buffer.byteLength(text), text };
      this.known.set(key, k);
    }
    return { type: vscode.FileType.File, ctime: k.mtime, mtime: k.mtime, size: k.size };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const key = uri.toString();
    const k = this.known.get(key);
    let text = k?.text;
    if (text === undefined) text = await this.read(uri);
    // A later readFile (revert, reopen) reads libvirt again.
    this.known.set(key, { mtime: k?.mtime ?? Date.now(), size: Buffer.byteLength(text) });
    return Buffer.from(text, 'utf8');
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const { connection, name } = this.ref(uri);
    const text = Buffer.from(content).toString('utf8');
    let result;
    try {
      result = await this.libvirt.define(connection, name, text);
    } catch (e) {
      throw this.failure(e, uri);
    }
    // Not defined: the save fails, so VS Code keeps the buffer dirty and nothing typed is lost.
    if (!result.defined) {
      if (result.refusal) {
        this.refusals.set(uri, [refusalDiagnostic(result.refusal)]);
        this.log.warn(`libvirt refused ${name} on ${connection}: ${result.refusal.detail}`);
      }
      throw vscode.FileSystemError.NoPermissions(result.message);
    }
    this.refusals.delete(uri);
    this.known.set(uri.toString(), { mtime: Date.now(), size: content.byteLength });
    this.log.info(`defined ${name} on ${connection} (virsh define --validate)`);
  }

  readDirectory(): [string, vscode.FileType][] {
    throw vscode.FileSystemError.NoPermissions('Open domains from the Libvirt Domains view.');
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('libvirt connections have no directories.');
  }

  delete(): void {
    throw vscode.FileSystemError.NoPermissions('Domains are never undefined from here: use virsh undefine.');
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('Domains are not renamed from here: use virsh domrename.');
  }

  /** Forget what was read, so that the next open reads libvirt again (the Refresh command). */
  forget(): void {
    this.known.clear();
  }
}
