/**
 * The status bar item saying where host knowledge comes from
 * ("3 host SMMUs · sysfs", "snapshot: gb200-node7.json", "no SMMUv3 on this
 * host"); a click opens the host menu (refresh, pick a snapshot, …).
 */
import * as vscode from 'vscode';
import type { GrammarStatus, HostStatus } from './protocol';
import { COMMANDS } from './contributions';
import { statusPresentation } from './statusPresentation';

export class HostStatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: HostStatus | undefined;
  private grammar: GrammarStatus | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('libvirtDomainXml.host', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Libvirt host topology';
    this.item.command = COMMANDS.hostMenu;
    this.item.text = '$(server) host: reading…';
    this.item.show();
  }

  /** The status last shown, for commands that explain themselves (generate topology). */
  get current(): HostStatus | undefined {
    return this.last;
  }

  show(s: HostStatus): void {
    this.last = s;
    const p = statusPresentation(s, this.grammar);
    this.item.text = p.text;
    this.item.tooltip = p.tooltip;
    this.item.show();
  }

  /** The grammar in use changed (loaded, or chosen again after a settings change). */
  showGrammar(g: GrammarStatus): void {
    this.grammar = g;
    if (this.last) this.show(this.last);
  }

  /** While a refresh runs: a spinning icon in place of the host icon. */
  busy(): void {
    this.item.text = `$(sync~spin) ${this.last?.text ?? 'host: reading…'}`;
  }

  dispose(): void {
    this.item.dispose();
  }
}
