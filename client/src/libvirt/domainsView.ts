/**
 * The "Libvirt Domains" view: each configured connection, its domains with
 * their state; selecting a domain opens its XML through the libvirt: file
 * system. A connection that cannot be listed shows why as its only child
 * (virsh missing, refused, credentials wanted, timeout), once, without a
 * popup per refresh. The server lists them (LibvirtServer).
 */
import * as vscode from 'vscode';
import type { LibvirtDomainEntry } from '../protocol';
import { domainUriParts } from './domainUri';
import type { LibvirtServer } from './server';
import { COMMANDS, DOMAINS_VIEW_ID } from '../contributions';

export type DomainsNode =
  { kind: 'connection'; uri: string } | { kind: 'domain'; connection: string; entry: LibvirtDomainEntry } | { kind: 'problem'; connection: string; message: string };

const STATE_ICONS: Record<string, string> = {
  running: 'vm-running',
  paused: 'debug-pause',
  'shut off': 'vm-outline',
  crashed: 'error',
  pmsuspended: 'debug-pause',
};

export function domainUri(connection: string, name: string): vscode.Uri {
  return vscode.Uri.from(domainUriParts({ connection, name }));
}

export class DomainsViewProvider implements vscode.TreeDataProvider<DomainsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DomainsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<DomainsNode>;

  constructor(
    private readonly connections: () => Promise<string[]>,
    private readonly libvirt: LibvirtServer,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.view = vscode.window.createTreeView(DOMAINS_VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
  }

  dispose(): void {
    this.view.dispose();
    this.changed.dispose();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: DomainsNode): vscode.TreeItem {
    if (node.kind === 'connection') {
      const item = new vscode.TreeItem(node.uri, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `connection:${node.uri}`;
      item.iconPath = new vscode.ThemeIcon('server-environment');
      item.contextValue = 'libvirtConnection';
      item.tooltip = `libvirt connection ${node.uri}`;
      return item;
    }
    if (node.kind === 'problem') {
      const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
      item.id = `problem:${node.connection}`;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.tooltip = node.message;
      return item;
    }
    const { name, state } = node.entry;
    const uri = domainUri(node.connection, name);
    const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
    item.id = `domain:${node.connection}:${name}`;
    item.description = state;
    item.resourceUri = uri;
    item.iconPath = new vscode.ThemeIcon(STATE_ICONS[state] ?? 'vm');
    item.contextValue = 'libvirtDomain';
    item.tooltip = `${name} (${state}) on ${node.connection}\nOpen its definition (virsh dumpxml --inactive); saving defines it (virsh define --validate).`;
    item.command = { command: COMMANDS.openDomain, title: 'Open domain XML', arguments: [node] };
    return item;
  }

  async getChildren(node?: DomainsNode): Promise<DomainsNode[]> {
    if (!node) {
      try {
        return (await this.connections()).map((uri) => ({ kind: 'connection', uri }));
      } catch (e) {
        // The server could not say which connections to list; the view's welcome text offers to add one.
        this.log.warn((e as Error)?.message ?? String(e));
        return [];
      }
    }
    if (node.kind !== 'connection') return [];
    try {
      const domains = await this.libvirt.domains(node.uri);
      return domains.map((entry) => ({ kind: 'domain', connection: node.uri, entry }));
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      this.log.warn(message);
      return [{ kind: 'problem', connection: node.uri, message }];
    }
  }
}
