/**
 * Rename a PCI controller index: the controller's `index` and every place
 * that names it (guest address `bus`, iommu `pciBus`, nestedSmmuv3 address
 * `bus`) change together, so every device stays plugged where it was.
 *
 * Each value keeps its own notation (`bus='0x03'` becomes `bus='0x05'`,
 * decimal stays decimal; see formatIndexLike). Nothing else is touched.
 *
 * Refusals return null rather than throwing: an editor shows a thrown error
 * as a failure of the server, while these are ordinary answers ("this cannot
 * be renamed to that"), and the CLI/tests get a plain value to check.
 * Refused are:
 * - a cursor not on an index value or on a reference that names an existing
 *   `type='pci'` controller;
 * - a controller whose index is shared with another PCI controller (which
 *   one the references mean is ambiguous);
 * - a new name that is not a non-negative integer (decimal or 0x hex);
 * - a new index already used by another PCI controller (written or implicit);
 * - a rename that would shift the implicit index libvirt gives another
 *   controller (those are assigned lowest-free-first, so freeing or taking
 *   a number can move them): checked by re-reading the edited text.
 * Renaming to the current index is a valid no-op: an empty edit.
 *
 * A controller with an implicit index gets an `index` attribute written.
 */
import type { Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';
import type { Controller } from '../domain/model';
import { parseLibvirtInt, readDomain } from '../domain/model';
import { parseXml } from '../xml/parser';
import { attr } from '../xml/query';
import { controllerDeclarationAt, controllerOfReference, formatIndexLike, referenceAt, referencesToIndex, writtenIndex } from './indexReferences';

interface RenameTarget {
  controller: Controller;
  /** The value under the cursor. */
  start: number;
  end: number;
}

function targetAt(ctx: FeatureContext, offset: number): RenameTarget | undefined {
  const model = ctx.doc.domain;
  let found: RenameTarget | undefined;
  const decl = controllerDeclarationAt(model, offset);
  if (decl && decl.on === 'index') {
    const a = writtenIndex(decl.controller)!;
    found = { controller: decl.controller, start: a.valueStart, end: a.valueEnd };
  } else {
    const ref = referenceAt(model, offset);
    const c = ref && controllerOfReference(model, ref);
    if (ref && c) found = { controller: c, start: ref.attr.valueStart, end: ref.attr.valueEnd };
  }
  if (!found) return undefined;
  const c = found.controller;
  const sharing = model.controllers.filter((o) => o.type === 'pci' && o.index === c.index);
  return sharing.length === 1 ? found : undefined;
}

export function prepareRename(ctx: FeatureContext, offset: number): { range: Range; placeholder: string } | null {
  const t = targetAt(ctx, offset);
  if (!t) return null;
  return { range: ctx.doc.lines.range(t.start, t.end), placeholder: String(t.controller.index) };
}

/** The new index from what the user typed, or undefined when it is not a non-negative integer. */
function parseNewIndex(newName: string): number | undefined {
  const n = parseLibvirtInt(newName);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

export function rename(ctx: FeatureContext, offset: number, newName: string): WorkspaceEdit | null {
  const { doc } = ctx;
  const model = doc.domain;
  const t = targetAt(ctx, offset);
  if (!t) return null;
  const n = parseNewIndex(newName);
  if (n === undefined) return null;
  const target = t.controller;
  if (n === target.index) return { changes: { [doc.uri]: [] } };
  if (model.controllers.some((c) => c !== target && c.type === 'pci' && c.index === n)) return null;

  const edits: OffsetEdit[] = [];
  const written = writtenIndex(target);
  const indexAttr = attr(target.el, 'index');
  if (written) {
    edits.push({ start: written.valueStart, end: written.valueEnd, newText: formatIndexLike(doc.text.slice(written.valueStart, written.valueEnd), n) });
  } else if (indexAttr && indexAttr.valueStart >= 0) {
    // A malformed index (libvirt would reject it; we read it as implicit): replace it with the new number.
    edits.push({ start: indexAttr.valueStart, end: indexAttr.valueEnd, newText: String(n) });
  } else if (indexAttr) {
    return null; // `index` without a value: no place to write the number without rewriting the user's half-typed text
  } else {
    const quote = target.el.attributes.find((a) => a.quote)?.quote ?? "'";
    edits.push({ start: target.el.nameEnd, end: target.el.nameEnd, newText: ` index=${quote}${n}${quote}` });
  }
  for (const r of referencesToIndex(model, target.index)) {
    const { valueStart, valueEnd } = r.attr;
    edits.push({ start: valueStart, end: valueEnd, newText: formatIndexLike(doc.text.slice(valueStart, valueEnd), n) });
  }
  edits.sort((a, b) => a.start - b.start);
  if (!keepsOtherIndexes(ctx, edits, target, n)) return null;

  const textEdits: TextEdit[] = edits.map((e) => ({ range: doc.lines.range(e.start, e.end), newText: e.newText }));
  return { changes: { [doc.uri]: textEdits } };
}

/**
 * Re-reads the edited text and checks that the renamed controller has the
 * new index and every other controller kept its own (implicit indexes are
 * assigned lowest-free-first, so a rename can move them).
 */
function keepsOtherIndexes(ctx: FeatureContext, edits: readonly OffsetEdit[], target: Controller, n: number): boolean {
  const { text, domain } = ctx.doc;
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.start) + e.newText;
    at = e.end;
  }
  out += text.slice(at);
  const after = readDomain(parseXml(out)).controllers;
  const before = domain.controllers;
  if (after.length !== before.length) return false;
  return before.every((c, i) => after[i].type === c.type && after[i].index === (c === target ? n : c.index));
}
