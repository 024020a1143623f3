/**
 * Wires libvirt into the editor: the libvirt: file system, the Libvirt
 * Domains view and its commands. They ask the language server, which runs
 * virsh where it runs (the remote host under Remote-SSH), with this
 * machine's settings.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SETTINGS_SECTION } from '../contributions';
import { LIBVIRT_SCHEME } from './domainUri';
import { DomainsViewProvider } from './domainsView';
import { LibvirtFileSystem } from './fileSystem';
import { registerLibvirtCommands } from './commands';
import { LibvirtServer } from './server';

export function activateLibvirt(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, client: LanguageClient): void {
  const config = () => vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const libvirt = new LibvirtServer(
    (method, params) => client.sendRequest(method, params),
    (key) => config().get(key),
  );
  const connections = async () => {
    const list = await libvirt.connections();
    if (list.note) log.info(list.note);
    return list.connections;
  };

  const fileSystem = new LibvirtFileSystem(libvirt, log);
  const view = new DomainsViewProvider(connections, libvirt, log);
  context.subscriptions.push(
    fileSystem,
    view,
    vscode.workspace.registerFileSystemProvider(LIBVIRT_SCHEME, fileSystem, { isCaseSensitive: true }),
    ...registerLibvirtCommands({ context, view, fileSystem, connections, libvirt, log }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SETTINGS_SECTION}.libvirt`)) view.refresh();
    }),
  );
}
