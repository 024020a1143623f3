/**
 * The extension's commands: host topology (refresh, load or save a
 * snapshot, back to sysfs, the status bar menu), generating the vSMMU
 * topology for the open domain, the topology view and the server log.
 * Each command is a thin shell over a server request or a setting.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { GENERATE_TOPOLOGY_KIND, HOST_TOPOLOGY_REQUEST, REFRESH_HOST_REQUEST, type HostStatus } from './protocol';
import { COMMANDS, SETTINGS_SECTION, TOPOLOGY_VIEW_ID } from './contributions';
import { isCandidateDocument } from './documents';
import type { HostStatusItem } from './status';
import type { TopologyViewProvider } from './topologyView';

export interface CommandDeps {
  client: LanguageClient;
  status: HostStatusItem;
  output: vscode.LogOutputChannel;
  topology: TopologyViewProvider;
}

/** The entries of the status bar menu, in order. */
export const HOST_MENU: readonly { label: string; command: string }[] = [
  { label: '$(refresh) Refresh host topology', command: COMMANDS.refreshHost },
  { label: '$(file) Load a host snapshot…', command: COMMANDS.loadSnapshot },
  { label: "$(server) Use this machine's sysfs", command: COMMANDS.useSysfs },
  { label: '$(save) Save the host topology as a snapshot…', command: COMMANDS.saveSnapshot },
  { label: '$(type-hierarchy) Show the vSMMU topology', command: COMMANDS.showTopology },
  { label: '$(output) Show the server log', command: COMMANDS.showLog },
];

/**
 * Why "generate vSMMU topology" offered nothing: the source action exists
 * only when the host has SMMUv3, and is empty when every assigned device
 * already sits behind a vSMMU bound to its host SMMU.
 */
export function nothingToGenerateMessage(status: HostStatus | undefined): string {
  if (!status || status.smmuCount === 0) {
    const where = status ? ` (host: ${status.text})` : '';
    return `Generating the vSMMU topology needs the topology of an ARM host with SMMUv3${where}. Load a snapshot of that host first.`;
  }
  return 'Nothing to generate: every assigned device whose host SMMU is known already sits behind a vSMMU bound to that SMMU.';
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { client, status, output, topology } = deps;
  const config = () => vscode.workspace.getConfiguration(SETTINGS_SECTION);

  return [
    vscode.commands.registerCommand(COMMANDS.refreshHost, async () => {
      status.busy();
      const s = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Reading the host topology' }, () =>
        client.sendRequest<HostStatus>(REFRESH_HOST_REQUEST),
      );
      status.show(s);
      topology.refresh();
      void vscode.window.setStatusBarMessage(`Host topology refreshed: ${s.text}`, 3000);
    }),

    vscode.commands.registerCommand(COMMANDS.loadSnapshot, async () => {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Host snapshot': ['json'] }, title: 'Load a host topology snapshot' });
      if (!picked?.[0]) return;
      // The setting is machine-scoped: a workspace cannot point it at a file, so it goes to user settings.
      await config().update('host.snapshot', picked[0].fsPath, vscode.ConfigurationTarget.Global);
    }),

    vscode.commands.registerCommand(COMMANDS.useSysfs, async () => {
      await config().update('host.snapshot', '', vscode.ConfigurationTarget.Global);
    }),

    vscode.commands.registerCommand(COMMANDS.saveSnapshot, async () => {
      const snapshot = await client.sendRequest<unknown>(HOST_TOPOLOGY_REQUEST);
      if (!snapshot) {
        void vscode.window.showWarningMessage('No host topology is known yet.');
        return;
      }
      const target = await vscode.window.showSaveDialog({ filters: { 'Host snapshot': ['json'] }, title: 'Save the host topology snapshot' });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(snapshot, null, 2) + '\n'));
    }),

    vscode.commands.registerCommand(COMMANDS.showLog, () => output.show()),

    vscode.commands.registerCommand(COMMANDS.hostMenu, async () => {
      const choice = await vscode.window.showQuickPick(HOST_MENU, { title: `Libvirt host topology${status.current ? `: ${status.current.text}` : ''}` });
      if (choice) await vscode.commands.executeCommand(choice.command);
    }),

    vscode.commands.registerCommand(COMMANDS.generateTopology, () => generateTopology(status.current, output)),

    vscode.commands.registerCommand(COMMANDS.refreshTopology, () => topology.refresh()),

    vscode.commands.registerCommand(COMMANDS.showTopology, () => vscode.commands.executeCommand(`${TOPOLOGY_VIEW_ID}.focus`)),
  ];
}

/** Runs the server's "generate vSMMU topology" source action on the active domain and applies its edit. */
async function generateTopology(host: HostStatus | undefined, output: vscode.LogOutputChannel): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !isCandidateDocument(editor.document)) {
    void vscode.window.showInformationMessage('Open a libvirt domain XML file to generate its vSMMU topology.');
    return;
  }
  const doc = editor.document;
  const whole = new vscode.Range(new vscode.Position(0, 0), doc.lineAt(doc.lineCount - 1).range.end);
  const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[] | undefined>(
    'vscode.executeCodeActionProvider',
    doc.uri,
    whole,
    GENERATE_TOPOLOGY_KIND,
  );
  const action = (actions ?? []).find((a): a is vscode.CodeAction => 'kind' in a && a.kind?.value === GENERATE_TOPOLOGY_KIND);
  if (!action || (!action.edit && !action.command)) {
    void vscode.window.showInformationMessage(nothingToGenerateMessage(host));
    return;
  }
  if (action.edit && !(await vscode.workspace.applyEdit(action.edit))) {
    output.warn('the generated vSMMU topology edit was not applied (the document changed meanwhile?)');
    void vscode.window.showWarningMessage('The vSMMU topology could not be applied; the document may have changed. Try again.');
    return;
  }
  if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
}
