/**
 * The commands of the Libvirt Domains view: open a domain, refresh, add a
 * connection, check every domain of a connection (Problems panel), and show
 * the QEMU command line libvirt would run for the open document.
 *
 * "Check all domains" runs the bundled command-line checker (`check
 * --connect URI --all-domains --format json`) on the extension host's own
 * Node: the same language service verdict as the editor and the CLI, with
 * the host and schema settings of this window. Everything else asks the
 * language server, which runs virsh (LibvirtServer).
 */
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { COMMANDS, SETTINGS_SECTION } from '../contributions';
import { domainOf } from './domainUri';
import { domainUri, type DomainsNode, type DomainsViewProvider } from './domainsView';
import type { LibvirtFileSystem } from './fileSystem';
import { refusalDiagnostic } from './diagnostics';
import type { LibvirtServer } from './server';
import { isCandidateDocument } from '../documents';

export const NATIVE_SCHEME = 'libvirt-native';

export interface LibvirtDeps {
  context: vscode.ExtensionContext;
  view: DomainsViewProvider;
  fileSystem: LibvirtFileSystem;
  connections: () => Promise<string[]>;
  libvirt: LibvirtServer;
  log: vscode.LogOutputChannel;
}

interface JsonFinding {
  file: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: 'error' | 'warning' | 'information' | 'hint';
  code: string;
  message: string;
}

const SEVERITY: Record<JsonFinding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** Read-only documents holding QEMU command lines, one per shown domain. */
class NativeDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  show(title: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: NATIVE_SCHEME, path: `/${title}.qemu-argv` });
    this.texts.set(uri.toString(), text);
    this.emitter.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

export function registerLibvirtCommands(deps: LibvirtDeps): vscode.Disposable[] {
  const { view, fileSystem } = deps;
  const checkResults = vscode.languages.createDiagnosticCollection('libvirt-domains');
  const nativeDocs = new NativeDocuments();
  const config = () => vscode.workspace.getConfiguration(SETTINGS_SECTION);

  return [
    checkResults,
    vscode.workspace.registerTextDocumentContentProvider(NATIVE_SCHEME, nativeDocs),
    // Once a checked domain is open, the language server's diagnostics for it take over.
    vscode.workspace.onDidOpenTextDocument((d) => {
      if (domainOf(d.uri)) checkResults.delete(d.uri);
    }),

    vscode.commands.registerCommand(COMMANDS.openDomain, async (node?: DomainsNode) => {
      if (node?.kind !== 'domain') return;
      const doc = await vscode.workspace.openTextDocument(domainUri(node.connection, node.entry.name));
      await vscode.window.showTextDocument(doc, { preview: false });
    }),

    vscode.commands.registerCommand(COMMANDS.refreshDomains, () => {
      fileSystem.forget();
      view.refresh();
    }),

    vscode.commands.registerCommand(COMMANDS.addConnection, async () => {
      const uri = await vscode.window.showInputBox({
        title: 'Add a libvirt connection',
        prompt: 'A libvirt URI, as for virsh -c',
        placeHolder: 'qemu+ssh://root@grace7/system',
        validateInput: (v) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(v.trim()) ? undefined : 'A URI such as qemu:///system or qemu+ssh://user@host/system'),
      });
      if (!uri) return;
      const current = await deps.connections().catch(() => [] as string[]);
      await config().update('libvirt.connections', [...new Set([...current, uri.trim()])], vscode.ConfigurationTarget.Global);
    }),

    vscode.commands.registerCommand(COMMANDS.checkConnection, async (node?: DomainsNode) => {
      const uri = node?.kind === 'connection' ? node.uri : await pickConnection(deps);
      if (!uri) return;
      await checkConnection(deps, uri, checkResults);
    }),

    vscode.commands.registerCommand(COMMANDS.showNative, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || !isCandidateDocument(editor.document)) {
        void vscode.window.showInformationMessage('Open a libvirt domain XML document to see the QEMU command line libvirt would run for it.');
        return;
      }
      const doc = editor.document;
      const ref = domainOf(doc.uri);
      const uri = ref?.connection ?? (await pickConnection(deps));
      if (!uri) return;
      const label = ref?.name ?? vscode.workspace.asRelativePath(doc.uri);
      await showNative(deps, uri, doc, label, nativeDocs, fileSystem);
    }),
  ];
}

async function pickConnection(deps: LibvirtDeps): Promise<string | undefined> {
  let connections: string[];
  try {
    connections = await deps.connections();
  } catch (e) {
    void vscode.window.showErrorMessage((e as Error)?.message ?? String(e));
    return undefined;
  }
  if (connections.length === 1) return connections[0];
  if (!connections.length) {
    void vscode.window.showWarningMessage('No libvirt connection is configured: add one in the Libvirt Domains view (setting libvirtDomainXml.libvirt.connections).');
    return undefined;
  }
  return vscode.window.showQuickPick(connections, { title: 'Which libvirt connection?' });
}

async function showNative(deps: LibvirtDeps, uri: string, doc: vscode.TextDocument, label: string, nativeDocs: NativeDocuments, fileSystem: LibvirtFileSystem): Promise<void> {
  const text = doc.getText();
  let result;
  try {
    result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Asking libvirt on ${uri} for the QEMU command line` }, () =>
      deps.libvirt.native(uri, text, label),
    );
  } catch (e) {
    const message = (e as Error)?.message ?? String(e);
    deps.log.warn(message);
    void vscode.window.showErrorMessage(message);
    return;
  }
  if (!result.accepted) {
    fileSystem.refusals.set(doc.uri, [refusalDiagnostic(result.refusal)]);
    void vscode.window.showErrorMessage(result.message);
    return;
  }
  fileSystem.refusals.delete(doc.uri);
  const shown = nativeDocs.show(label, result.text);
  const opened = await vscode.workspace.openTextDocument(shown);
  await vscode.window.showTextDocument(opened, { preview: false, viewColumn: vscode.ViewColumn.Beside });
}

/** The options of the command-line checker that carry this window's host and schema settings. */
function checkerOptions(): string[] {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const out: string[] = [];
  const snapshot = c.get<string>('host.snapshot');
  const sysfsRoot = c.get<string>('host.sysfsRoot');
  if (snapshot) out.push('--host', snapshot);
  else if (sysfsRoot && sysfsRoot !== '/sys') out.push('--sysfs-root', sysfsRoot);
  if (c.get<boolean>('schema.enable') === false) out.push('--schema', 'off');
  else if (c.get<string>('schema.directory')) out.push('--schema', c.get<string>('schema.directory') as string);
  const timeout = c.get<number>('libvirt.timeoutSeconds');
  if (typeof timeout === 'number' && timeout > 0) out.push('--timeout', String(timeout));
  return out;
}

async function checkConnection(deps: LibvirtDeps, uri: string, results: vscode.DiagnosticCollection): Promise<void> {
  const cli = deps.context.asAbsolutePath('dist/cli.js');
  const args = [cli, 'check', '--connect', uri, '--all-domains', '--format', 'json', ...checkerOptions()];
  const run = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Checking every domain on ${uri}` },
    () =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        // The extension host's own runtime as Node (Electron needs ELECTRON_RUN_AS_NODE; Node ignores it).
        execFile(process.execPath, args, { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
          const code = err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : err ? 2 : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        });
      }),
  );
  let findings: JsonFinding[] = [];
  try {
    findings = run.stdout.trim() ? (JSON.parse(run.stdout) as JsonFinding[]) : [];
  } catch {
    deps.log.error(`the checker's output was not JSON: ${run.stdout.slice(0, 500)}`);
  }
  const messages = run.stderr
    .split('\n')
    .map((l) => l.replace(/^libvirt-domain-xml: /, '').trim())
    .filter(Boolean);
  for (const m of messages) deps.log.info(m);
  // Earlier results of this connection go; other connections' stay.
  results.forEach((u) => {
    if (domainOf(u)?.connection === uri) results.delete(u);
  });
  const byDomain = new Map<string, vscode.Diagnostic[]>();
  for (const f of findings) {
    const d = new vscode.Diagnostic(new vscode.Range(f.range.start.line, f.range.start.character, f.range.end.line, f.range.end.character), f.message, SEVERITY[f.severity]);
    d.code = f.code;
    d.source = 'libvirt-domain-xml';
    const list = byDomain.get(f.file) ?? [];
    list.push(d);
    byDomain.set(f.file, list);
  }
  const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
  for (const [name, list] of byDomain) {
    const u = domainUri(uri, name);
    if (!open.has(u.toString())) results.set(u, list);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  if (run.code === 2 && !findings.length) {
    void vscode.window.showErrorMessage(messages.join(' ') || `Checking the domains on ${uri} failed.`);
    return;
  }
  const summary = `${byDomain.size} of the domains on ${uri} have findings: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.`;
  if (run.code === 2) void vscode.window.showWarningMessage(`${summary} Not every domain could be checked: ${messages.join(' ')}`);
  else void vscode.window.showInformationMessage(findings.length ? summary : `Every domain on ${uri} was checked: no findings.`);
  if (findings.length) await vscode.commands.executeCommand('workbench.actions.view.problems');
}
