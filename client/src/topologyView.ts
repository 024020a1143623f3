/**
 * The Explorer's "vSMMU Topology" view: asks the server for the topology of
 * the active domain and shows it as a tree (topologyTree.ts builds the
 * nodes). It follows the active editor, and refreshes when that document's
 * diagnostics change (they are published after every analysis, so the tree
 * and the Problems panel describe the same version) or the host changes.
 * Selecting a node reveals its element in the XML.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TOPOLOGY_REQUEST, type TopologyView } from './protocol';
import { buildTopologyTree, type LspRange, type NodeIcon, type TopologyNode, type TopologyTree } from './topologyTree';
import { isCandidateDocument } from './documents';
import { COMMANDS, DOMAIN_SEEN_KEY, TOPOLOGY_VIEW_ID } from './contributions';

const COLORS: Record<NonNullable<NodeIcon['color']>, string> = {
  error: 'problemsErrorIcon.foreground',
  warning: 'problemsWarningIcon.foreground',
  info: 'problemsInfoIcon.foreground',
  muted: 'disabledForeground',
};

export class TopologyViewProvider implements vscode.TreeDataProvider<TopologyNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TopologyNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<TopologyNode>;
  private readonly disposables: vscode.Disposable[] = [];
  private nodes: TopologyNode[] = [];
  /** The document the tree describes. */
  private uri: vscode.Uri | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Bumped per request, so that a slow answer for an older state is dropped. */
  private generation = 0;
  private domainSeen = false;

  constructor(
    private readonly client: LanguageClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.view = vscode.window.createTreeView(TOPOLOGY_VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.view,
      this.changed,
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.languages.onDidChangeDiagnostics((e) => {
        const uri = this.targetUri();
        if (uri && e.uris.some((u) => u.toString() === uri.toString())) this.schedule(50);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.toString() === this.uri?.toString()) this.schedule(0);
      }),
      vscode.commands.registerCommand(COMMANDS.revealInXml, (uri: string, range: LspRange) => revealInXml(uri, range)),
    );
  }

  getTreeItem(node: TopologyNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children.length === 0 ? vscode.TreeItemCollapsibleState.None : node.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `${this.uri?.toString() ?? ''}#${node.id}`;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.kind;
    item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(COLORS[node.icon.color]) : undefined);
    if (node.reveal && this.uri) {
      item.command = { command: COMMANDS.revealInXml, title: 'Reveal in XML', arguments: [this.uri.toString(), node.reveal] };
    }
    return item;
  }

  getChildren(node?: TopologyNode): TopologyNode[] {
    return node ? node.children : this.nodes;
  }

  /** Asks the server again now (the view's refresh button, a host change). */
  refresh(): void {
    this.schedule(0);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }

  /** The document to describe: the active editor's, when it is XML; otherwise the one shown last. */
  private targetUri(): vscode.Uri | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    if (doc && isCandidateDocument(doc)) return doc.uri;
    // Focus moved to a non-XML editor or a panel: keep describing the last domain while it is open.
    if (this.uri && vscode.workspace.textDocuments.some((d) => d.uri.toString() === this.uri!.toString())) return this.uri;
    return undefined;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.update();
    }, delayMs);
  }

  private async update(): Promise<void> {
    // Before the server runs there is nothing to ask; activation refreshes once it does.
    if (!this.client.isRunning()) return;
    const gen = ++this.generation;
    const uri = this.targetUri();
    if (!uri) {
      this.show(undefined, null, true);
      return;
    }
    let view: TopologyView | null;
    try {
      view = await this.client.sendRequest<TopologyView | null>(TOPOLOGY_REQUEST, { uri: uri.toString() });
    } catch (e) {
      if (gen !== this.generation) return;
      this.log.warn(`topology request failed: ${(e as Error)?.message ?? e}`);
      this.show(uri, null, false, 'The language server could not describe the topology; see the server log.');
      return;
    }
    if (gen !== this.generation) return;
    this.show(uri, view, false);
  }

  private show(uri: vscode.Uri | undefined, view: TopologyView | null, empty: boolean, error?: string): void {
    this.uri = uri;
    const tree: TopologyTree = empty ? { nodes: [], problemCount: 0 } : buildTopologyTree(view);
    this.nodes = tree.nodes;
    this.view.description = tree.description;
    this.view.message = error ?? tree.message;
    this.view.badge =
      tree.problemCount > 0 ? { value: tree.problemCount, tooltip: `${tree.problemCount} problem${tree.problemCount === 1 ? '' : 's'} in the vSMMU topology` } : undefined;
    if (view && !this.domainSeen) {
      this.domainSeen = true;
      void vscode.commands.executeCommand('setContext', DOMAIN_SEEN_KEY, true);
    }
    this.changed.fire(undefined);
  }
}

/** Opens the document (if needed), puts the cursor at the element and scrolls it into view. */
async function revealInXml(uri: string, range: LspRange): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
  const editor = await vscode.window.showTextDocument(doc, { preserveFocus: false, preview: false });
  const r = new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
  editor.selection = new vscode.Selection(r.start, r.start);
  editor.revealRange(r, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
