/**
 * The VS Code side: starts the language server and wires the editor parts
 * to it (status bar, commands, topology view, progress), and the libvirt
 * parts (the Libvirt Domains view and the libvirt: file system). All checking
 * happens in the server; each part lives in its own module.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { createLanguageClient } from './languageClient';
import { HostStatusItem } from './status';
import { registerCommands } from './commands';
import { TopologyViewProvider } from './topologyView';
import { watchLargeDocuments } from './progress';
import { GRAMMAR_STATUS_NOTIFICATION, HOST_STATUS_NOTIFICATION, type GrammarStatus, type HostStatus } from './protocol';
import { activateLibvirt } from './libvirt/activate';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Libvirt Domain XML', { log: true });
  const status = new HostStatusItem();
  context.subscriptions.push(output, status, watchLargeDocuments());

  client = createLanguageClient(context, output);
  const topology = new TopologyViewProvider(client, output);
  context.subscriptions.push(topology, ...registerCommands({ client, status, output, topology }));
  // Before the server starts: a libvirt: document restored with the window needs its file system at once
  // (its first request waits for the server).
  activateLibvirt(context, output, client);

  await client.start();
  context.subscriptions.push(
    client.onNotification(HOST_STATUS_NOTIFICATION, (s: HostStatus) => {
      status.show(s);
      // A different host can change every placement in the view.
      topology.refresh();
    }),
  );
  context.subscriptions.push(client.onNotification(GRAMMAR_STATUS_NOTIFICATION, (g: GrammarStatus) => status.showGrammar(g)));
  topology.refresh();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
