/**
 * The VS Code side: starts the language server, passes settings, shows where
 * host knowledge comes from, and offers the host commands. All checking
 * happens in the server.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient, TransportKind, CloseAction, ErrorAction,
  type LanguageClientOptions, type ServerOptions, type ErrorHandler, type Message,
} from 'vscode-languageclient/node';

interface HostStatus {
  text: string;
  detail: string;
  kind: 'sysfs' | 'snapshot' | 'none' | 'error';
  smmuCount: number;
}

const MAX_RESTARTS = 3;
let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Libvirt Domain XML', { log: true });
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  status.command = 'libvirtDomainXml.hostMenu';
  status.text = '$(server) host: reading…';
  context.subscriptions.push(output, status);

  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };

  let restarts = 0;
  const errorHandler: ErrorHandler = {
    error: (_error: Error, _message: Message | undefined, count: number | undefined) =>
      ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
    closed: () => {
      restarts++;
      if (restarts <= MAX_RESTARTS) {
        void vscode.window.showWarningMessage(`The libvirt domain XML server stopped; restarting it (${restarts}/${MAX_RESTARTS}).`);
        return { action: CloseAction.Restart };
      }
      void vscode.window.showErrorMessage('The libvirt domain XML server stopped repeatedly and will not be restarted. See the "Libvirt Domain XML" output for details.', 'Show log')
        .then((choice) => { if (choice) output.show(); });
      return { action: CloseAction.DoNotRestart };
    },
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { language: 'libvirt-xml' },
      // Plain XML files too: the server only reports on documents whose root is <domain>.
      { language: 'xml', scheme: 'file' },
      { language: 'xml', scheme: 'untitled' },
    ],
    synchronize: { configurationSection: 'libvirtDomainXml' },
    initializationOptions: settingsForServer(),
    outputChannel: output,
    errorHandler,
  };

  client = new LanguageClient('libvirtDomainXml', 'Libvirt Domain XML', serverOptions, clientOptions);

  const showStatus = (s: HostStatus) => {
    const icon = s.kind === 'error' ? '$(warning)' : s.smmuCount > 0 ? '$(circuit-board)' : '$(server)';
    status.text = `${icon} ${s.text}`;
    status.tooltip = `${s.detail}\n\nClick to refresh or pick a snapshot.`;
    status.show();
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('libvirtDomainXml.refreshHost', async () => {
      if (!client) return;
      const s = await client.sendRequest<HostStatus>('libvirtDomainXml/refreshHost');
      showStatus(s);
      void vscode.window.setStatusBarMessage(`Host topology refreshed: ${s.text}`, 3000);
    }),
    vscode.commands.registerCommand('libvirtDomainXml.loadSnapshot', async () => {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Host snapshot': ['json'] }, title: 'Load a host topology snapshot' });
      if (!picked?.[0]) return;
      await vscode.workspace.getConfiguration('libvirtDomainXml').update('host.snapshot', picked[0].fsPath, vscode.ConfigurationTarget.Global);
    }),
    vscode.commands.registerCommand('libvirtDomainXml.useSysfs', async () => {
      await vscode.workspace.getConfiguration('libvirtDomainXml').update('host.snapshot', '', vscode.ConfigurationTarget.Global);
    }),
    vscode.commands.registerCommand('libvirtDomainXml.saveSnapshot', async () => {
      if (!client) return;
      const topology = await client.sendRequest<unknown>('libvirtDomainXml/hostTopology');
      if (!topology) { void vscode.window.showWarningMessage('No host topology is known yet.'); return; }
      const target = await vscode.window.showSaveDialog({ filters: { 'Host snapshot': ['json'] }, title: 'Save the host topology snapshot' });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(topology, null, 2) + '\n'));
    }),
    vscode.commands.registerCommand('libvirtDomainXml.showLog', () => output.show()),
    vscode.commands.registerCommand('libvirtDomainXml.hostMenu', async () => {
      const items = [
        { label: '$(refresh) Refresh host topology', command: 'libvirtDomainXml.refreshHost' },
        { label: '$(file) Load a host snapshot…', command: 'libvirtDomainXml.loadSnapshot' },
        { label: '$(server) Use this machine\'s sysfs', command: 'libvirtDomainXml.useSysfs' },
        { label: '$(save) Save the host topology as a snapshot…', command: 'libvirtDomainXml.saveSnapshot' },
        { label: '$(output) Show the server log', command: 'libvirtDomainXml.showLog' },
      ];
      const choice = await vscode.window.showQuickPick(items, { title: 'Libvirt host topology' });
      if (choice) await vscode.commands.executeCommand(choice.command);
    }),
  );

  await client.start();
  context.subscriptions.push(client.onNotification('libvirtDomainXml/hostStatus', showStatus));
}

function settingsForServer(): Record<string, unknown> {
  const c = vscode.workspace.getConfiguration('libvirtDomainXml');
  return {
    host: { sysfsRoot: c.get<string>('host.sysfsRoot'), snapshot: c.get<string>('host.snapshot') },
    libvirtVersion: c.get<string>('libvirtVersion'),
  };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
