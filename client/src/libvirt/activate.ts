/**
 * Wires libvirt into the editor: the libvirt: file system, the Libvirt
 * Domains view and its commands, from the settings of this machine. virsh
 * runs where the extension host runs (the remote host under Remote-SSH).
 */
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { VirshConnection } from '../../../server/src/libvirt/virsh';
import { SETTINGS_SECTION } from '../contributions';
import { connectionsFrom, timeoutMsFrom } from './connections';
import { LIBVIRT_SCHEME } from './domainUri';
import { DomainsViewProvider } from './domainsView';
import { LibvirtFileSystem } from './fileSystem';
import { registerLibvirtCommands } from './commands';

/** True when `virsh --version` runs here; asked once per window. */
function virshPresent(): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      execFile('virsh', ['--version'], { timeout: 5000 }, (err) => resolve(!err));
    } catch {
      resolve(false);
    }
  });
}

export async function activateLibvirt(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<void> {
  const config = () => vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const hasVirsh = await virshPresent();
  const connections = () => {
    const list = connectionsFrom(config().get('libvirt.connections'), hasVirsh);
    if (list.note) log.info(list.note);
    return list.connections;
  };
  const connection = (uri: string) => new VirshConnection(uri, { timeoutMs: timeoutMsFrom(config().get('libvirt.timeoutSeconds')) });

  const fileSystem = new LibvirtFileSystem(connection, log);
  const view = new DomainsViewProvider(connections, connection, log);
  context.subscriptions.push(
    fileSystem,
    view,
    vscode.workspace.registerFileSystemProvider(LIBVIRT_SCHEME, fileSystem, { isCaseSensitive: true }),
    ...registerLibvirtCommands({ context, view, fileSystem, connections, connection, log }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SETTINGS_SECTION}.libvirt`)) view.refresh();
    }),
  );
}
