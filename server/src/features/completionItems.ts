/**
 * The completion items being built for one request: each with a text edit
 * over the exact range it replaces, and a sortText that keeps the order in
 * which they were added within their group (groups sort a < b < c ...).
 */
import type { CompletionItem, MarkupContent } from 'vscode-languageserver-types';
import { CompletionItemKind, InsertTextFormat, InsertTextMode } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';
import type { DomainModel } from '../domain/model';
import { markdown } from './docs/format';
import { layoutAt, type Layout } from './snippets';

/** Re-opens the suggestions after an item is inserted (an attribute name: its values come next). */
export const TRIGGER_SUGGEST = { title: 'Suggest', command: 'editor.action.triggerSuggest' };

export interface ItemOptions {
  kind: CompletionItemKind;
  snippet?: boolean;
  detail?: string;
  doc?: string;
  filterText?: string;
  /** Ask for suggestions again once inserted. */
  retrigger?: boolean;
}

/** Builds items with text edits over the document, numbering sortText in the order added. */
export class Collector {
  readonly items: CompletionItem[] = [];
  readonly text: string;
  readonly model: DomainModel;
  private readonly labels = new Set<string>();

  constructor(readonly ctx: FeatureContext) {
    this.text = ctx.doc.text;
    this.model = ctx.doc.domain;
  }

  layout(at: number): Layout {
    return layoutAt(this.ctx.doc.xml, at);
  }

  /** True when an item of that label was already added (the catalog's items come first and win). */
  has(label: string): boolean {
    return this.labels.has(label);
  }

  /** `group` orders sets of items (a before b); within a group, insertion order. */
  add(label: string, newText: string, start: number, end: number, o: ItemOptions, group = 'b'): CompletionItem {
    const item: CompletionItem = {
      label,
      kind: o.kind,
      sortText: `${group}${String(this.items.length).padStart(4, '0')}`,
      textEdit: { range: this.ctx.doc.lines.range(start, end), newText },
    };
    if (o.snippet) {
      item.insertTextFormat = InsertTextFormat.Snippet;
      item.insertTextMode = InsertTextMode.asIs;
    }
    if (o.filterText !== undefined) item.filterText = o.filterText;
    if (o.detail) item.detail = o.detail;
    if (o.doc) item.documentation = markdown(o.doc) as MarkupContent;
    if (o.retrigger) item.command = TRIGGER_SUGGEST;
    this.items.push(item);
    this.labels.add(label);
    return item;
  }
}
