/**
 * Minimal text edits for quick fixes: the document's own style (indent unit,
 * line ending, quote character), where new elements go (next to their
 * siblings), and an edit builder that collects offset edits and turns them
 * into one LSP WorkspaceEdit.
 *
 * Fixes never re-serialise the document: they replace an attribute value,
 * insert a line, or remove the lines of an element, so that everything the
 * user wrote around them stays byte for byte.
 */
import type { CodeAction, CodeActionKind, Diagnostic, TextEdit } from 'vscode-languageserver-types';
import type { XmlAttribute, XmlElement } from '../../xml/nodes';
import type { DomainModel } from '../../domain/model';
import { compareVersions } from '../../domain/versions';
import type { FeatureContext } from '../context';
import { indentBefore, lineIndentOf, styleOf, type Style } from '../documentStyle';

/** What every fix needs besides the diagnostic. */
export interface FixContext {
  readonly feature: FeatureContext;
  readonly text: string;
  readonly model: DomainModel;
  readonly style: Style;
}

/** The document's style is computed once per parsed version, and only when a fix writes something. */
export function fixContextOf(feature: FeatureContext): FixContext {
  const { doc } = feature;
  return {
    feature,
    text: doc.text,
    model: doc.domain,
    get style() {
      return styleOf(doc.xml);
    },
  };
}

/** True when the target libvirt version (if set) has a feature introduced in `since`. */
export function versionAllows(ctx: FixContext, since: string): boolean {
  const v = ctx.feature.settings.libvirtVersion;
  return !v || compareVersions(v, since) >= 0;
}

// ---------------------------------------------------------------------------
// Style

/** The indentation for a child of `parent`: that of its existing children, else one unit deeper. */
export function childIndentOf(ctx: FixContext, parent: XmlElement): string {
  for (const c of parent.children) {
    const ind = indentBefore(ctx.text, c.start);
    if (ind !== undefined) return ind;
  }
  return lineIndentOf(ctx.text, parent.start) + ctx.style.unit;
}

// ---------------------------------------------------------------------------
// Rendering new XML

export interface ElementSpec {
  readonly name: string;
  readonly attrs?: ReadonlyArray<readonly [string, string]>;
  readonly children?: ReadonlyArray<ElementSpec | CommentSpec>;
  /** Text content; an element with text and no children stays on one line. */
  readonly text?: string;
}

export interface CommentSpec {
  readonly comment: string;
}

function escapeAttr(v: string, quote: string): string {
  const s = v.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return quote === "'" ? s.replace(/'/g, '&apos;') : s.replace(/"/g, '&quot;');
}

function escapeText(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Comment bodies may not contain `--` nor end with `-`. */
function safeComment(s: string): string {
  return s.replace(/--+/g, '-').replace(/-$/, '- ');
}

export function attrText(name: string, value: string, style: Style): string {
  return `${name}=${style.quote}${escapeAttr(value, style.quote)}${style.quote}`;
}

/** The lines of an element, each nested level one indent unit deeper; the first line has no indent. */
export function renderLines(spec: ElementSpec | CommentSpec, style: Style): string[] {
  if ('comment' in spec) return [`<!-- ${safeComment(spec.comment)} -->`];
  const attrs = (spec.attrs ?? []).map(([n, v]) => ' ' + attrText(n, v, style)).join('');
  const open = `<${spec.name}${attrs}`;
  const kids = spec.children ?? [];
  if (kids.length === 0) {
    return spec.text === undefined ? [`${open}/>`] : [`${open}>${escapeText(spec.text)}</${spec.name}>`];
  }
  const lines = [`${open}>`];
  for (const k of kids) for (const l of renderLines(k, style)) lines.push(style.unit + l);
  lines.push(`</${spec.name}>`);
  return lines;
}

/** Joins rendered lines for insertion at a point already indented with `indent`. */
export function joinLines(lines: readonly string[], indent: string, style: Style): string {
  return lines.join(style.nl + indent);
}

// ---------------------------------------------------------------------------
// Edits

interface OffsetEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Insertion order, so that inserts at one point keep the order they were made in. */
  readonly seq: number;
}

/**
 * Collects edits in document offsets. Overlapping replacements mean two
 * parts of a fix disagree; the builder then refuses to produce an edit
 * rather than corrupt the document.
 */
export class EditBuilder {
  private readonly list: OffsetEdit[] = [];
  private conflict = false;

  replace(start: number, end: number, text: string): this {
    if (!(start >= 0 && end >= start)) {
      this.conflict = true;
      return this;
    }
    this.list.push({ start, end, text, seq: this.list.length });
    return this;
  }

  insert(at: number, text: string): this {
    return this.replace(at, at, text);
  }

  remove(start: number, end: number): this {
    return this.replace(start, end, '');
  }

  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  /** The edits in document order, inserts at one point merged; undefined when parts of the fix overlap. */
  edits(): { start: number; end: number; text: string }[] | undefined {
    if (this.conflict) return undefined;
    const sorted = [...this.list].sort((a, b) => a.start - b.start || a.end - a.start - (b.end - b.start) || a.seq - b.seq);
    const out: { start: number; end: number; text: string }[] = [];
    for (const e of sorted) {
      const last = out[out.length - 1];
      if (last && e.start < last.end) return undefined;
      if (last && e.start === last.start && last.start === last.end) {
        // Several inserts at one point, or an insert before a replacement starting there.
        out[out.length - 1] = { start: last.start, end: e.end, text: last.text + e.text };
        continue;
      }
      if (last && e.start === last.end && e.start === e.end && last.end > last.start) {
        out[out.length - 1] = { start: last.start, end: last.end, text: last.text + e.text };
        continue;
      }
      out.push({ start: e.start, end: e.end, text: e.text });
    }
    return out;
  }

  textEdits(ctx: FixContext): TextEdit[] | undefined {
    const lines = ctx.feature.doc.lines;
    return this.edits()?.map((e) => ({ range: lines.range(e.start, e.end), newText: e.text }));
  }
}

/** A code action carrying one WorkspaceEdit for the document; undefined when the edit is empty or inconsistent. */
export function makeAction(ctx: FixContext, title: string, kind: CodeActionKind, diagnostics: Diagnostic[] | undefined, b: EditBuilder, preferred = false): CodeAction | undefined {
  if (b.isEmpty) return undefined;
  const edits = b.textEdits(ctx);
  if (!edits) return undefined;
  const action: CodeAction = { title, kind, edit: { changes: { [ctx.feature.doc.uri]: edits } } };
  if (diagnostics && diagnostics.length) action.diagnostics = diagnostics;
  if (preferred) action.isPreferred = true;
  return action;
}

// ---------------------------------------------------------------------------
// Common edit shapes

/** Offset just past an attribute (after its closing quote, or its value, or its name). */
export function attrEnd(a: XmlAttribute): number {
  if (a.valueStart < 0) return a.nameEnd;
  return a.valueClosed && a.quote ? a.valueEnd + 1 : a.valueEnd;
}

/** Sets an attribute: replaces the value of an existing one (keeping its quotes), or appends it to the start tag. */
export function setAttribute(ctx: FixContext, b: EditBuilder, el: XmlElement, name: string, value: string): boolean {
  const existing = el.attributes.find((a) => a.name === name);
  if (existing) {
    if (existing.value === value) return true;
    if (existing.valueStart >= 0 && existing.quote && existing.valueClosed) {
      b.replace(existing.valueStart, existing.valueEnd, escapeAttr(value, existing.quote));
      return true;
    }
    // A half-typed value: replace the whole attribute.
    b.replace(existing.nameStart, attrEnd(existing), attrText(name, value, ctx.style));
    return true;
  }
  const last = el.attributes[el.attributes.length - 1];
  b.insert(last ? attrEnd(last) : el.nameEnd, ' ' + attrText(name, value, ctx.style));
  return true;
}

/** Inserts an element as the first child of `parent`, on its own line. */
export function insertFirstChild(ctx: FixContext, b: EditBuilder, parent: XmlElement, spec: ElementSpec | CommentSpec): boolean {
  if (!parent.startTagClosed || parent.selfClosing) return false;
  const indent = childIndentOf(ctx, parent);
  b.insert(parent.startTagEnd, ctx.style.nl + indent + joinLines(renderLines(spec, ctx.style), indent, ctx.style));
  return true;
}

/** Inserts an element as the last child of `parent`, after its last child element (or first when it has none). */
export function insertLastChild(ctx: FixContext, b: EditBuilder, parent: XmlElement, spec: ElementSpec | CommentSpec): boolean {
  const last = parent.children[parent.children.length - 1];
  if (!last) return insertFirstChild(ctx, b, parent, spec);
  // After a child still being typed, the new element would land inside it.
  if (!last.closed) return false;
  return insertAfter(ctx, b, last, [spec], childIndentOf(ctx, parent));
}

/** Inserts elements on new lines right after `el`, at `indent`. */
export function insertAfter(ctx: FixContext, b: EditBuilder, el: XmlElement, specs: ReadonlyArray<ElementSpec | CommentSpec>, indent: string): boolean {
  if (specs.length === 0) return true;
  let text = '';
  for (const s of specs) text += ctx.style.nl + indent + joinLines(renderLines(s, ctx.style), indent, ctx.style);
  b.insert(el.end, text);
  return true;
}

/**
 * The range to delete so that an element disappears with its line: from the
 * start of its line through its newline when nothing else is on the line,
 * otherwise exactly the element.
 */
export function wholeLinesOf(text: string, start: number, end: number): { start: number; end: number } {
  const before = indentBefore(text, start);
  let j = end;
  while (j < text.length && (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x09)) j++;
  const eol = j >= text.length || text.charCodeAt(j) === 0x0a || (text.charCodeAt(j) === 0x0d && text.charCodeAt(j + 1) === 0x0a);
  if (before === undefined || !eol) return { start, end };
  let lineStart = start - before.length;
  let stop = j;
  if (stop < text.length) stop += text.charCodeAt(stop) === 0x0d ? 2 : 1;
  else if (lineStart > 0) {
    // The last line of the file: take the newline before it instead.
    lineStart -= text.charCodeAt(lineStart - 2) === 0x0d ? 2 : 1;
  }
  return { start: lineStart, end: stop };
}

/** Comments inside a range, verbatim, so that removing an element never loses what the user wrote in it. */
export function commentsIn(text: string, start: number, end: number): string[] {
  const out: string[] = [];
  const re = /<!--[\s\S]*?-->/g;
  re.lastIndex = start;
  for (let m = re.exec(text); m && m.index + m[0].length <= end; m = re.exec(text)) out.push(m[0]);
  return out;
}

// ---------------------------------------------------------------------------
// Inserting into <devices>

/**
 * Collects new controllers and IOMMUs for one fix and places them the way a
 * person would: controllers right after the last existing `<controller>`
 * (or at the start of `<devices>`), IOMMUs after the last `<iommu>` (or just
 * before `</devices>`), indented like their siblings.
 */
export class DevicesInserter {
  private readonly controllers: (ElementSpec | CommentSpec)[] = [];
  private readonly iommus: (ElementSpec | CommentSpec)[] = [];
  /** Elements the same edit removes: never an anchor, or the insertion would land inside the removed text. */
  private readonly removed = new Set<XmlElement>();

  constructor(private readonly ctx: FixContext) {}

  exclude(el: XmlElement): void {
    this.removed.add(el);
  }

  addController(...specs: (ElementSpec | CommentSpec)[]): void {
    this.controllers.push(...specs);
  }

  addIommu(...specs: (ElementSpec | CommentSpec)[]): void {
    this.iommus.push(...specs);
  }

  /** Writes the collected elements into the builder; false when the document has no usable `<devices>`. */
  flush(b: EditBuilder): boolean {
    const { ctx } = this;
    const devices = ctx.model.devices;
    if (!devices || !devices.startTagClosed || devices.selfClosing) return false;
    const indent = childIndentOf(ctx, devices);
    const lastController = [...devices.children].reverse().find((c) => c.name === 'controller' && !this.removed.has(c));
    const lastIommu = [...devices.children].reverse().find((c) => c.name === 'iommu' && !this.removed.has(c));
    // After an element still being typed, new ones would land inside it.
    if ((this.controllers.length && lastController && !lastController.closed) || (this.iommus.length && lastIommu && !lastIommu.closed)) return false;
    if (this.controllers.length) {
      if (lastController) insertAfter(ctx, b, lastController, this.controllers, indent);
      else {
        let text = '';
        for (const s of this.controllers) text += ctx.style.nl + indent + joinLines(renderLines(s, ctx.style), indent, ctx.style);
        b.insert(devices.startTagEnd, text);
      }
    }
    if (this.iommus.length) {
      if (lastIommu) insertAfter(ctx, b, lastIommu, this.iommus, indent);
      else this.insertBeforeEnd(b, devices, indent);
    }
    return true;
  }

  private insertBeforeEnd(b: EditBuilder, devices: XmlElement, indent: string): void {
    const { ctx } = this;
    const render = (s: ElementSpec | CommentSpec) => joinLines(renderLines(s, ctx.style), indent, ctx.style);
    const endIndent = devices.endTagStart >= 0 ? indentBefore(ctx.text, devices.endTagStart) : undefined;
    if (devices.endTagStart >= 0 && endIndent !== undefined) {
      // At the start of the `</devices>` line, so comments before it stay before the new elements.
      const at = devices.endTagStart - endIndent.length;
      b.insert(at, this.iommus.map((s) => indent + render(s) + ctx.style.nl).join(''));
      return;
    }
    const last = [...devices.children].reverse().find((c) => !this.removed.has(c));
    if (last) insertAfter(ctx, b, last, this.iommus, indent);
    else if (devices.endTagStart >= 0) {
      b.insert(devices.endTagStart, this.iommus.map((s) => ctx.style.nl + indent + render(s)).join('') + ctx.style.nl + lineIndentOf(ctx.text, devices.start));
    } else {
      b.insert(devices.startTagEnd, this.iommus.map((s) => ctx.style.nl + indent + render(s)).join(''));
    }
  }
}

/**
 * Adds a child element at the end of `el`, opening a self-closing element
 * (`<controller .../>` becomes `<controller ...>` … `</controller>`) when needed.
 */
export function appendChild(ctx: FixContext, b: EditBuilder, el: XmlElement, spec: ElementSpec | CommentSpec): boolean {
  if (!el.selfClosing) return insertLastChild(ctx, b, el, spec);
  if (!el.startTagClosed || ctx.text.slice(el.end - 2, el.end) !== '/>') return false;
  const indent = lineIndentOf(ctx.text, el.start);
  const inner = indent + ctx.style.unit;
  // Drop white space before "/>" too, so `<a x='1' />` becomes `<a x='1'>`.
  let at = el.end - 2;
  while (at > el.nameEnd && /[ \t]/.test(ctx.text[at - 1])) at--;
  b.replace(at, el.end, `>${ctx.style.nl}${inner}${joinLines(renderLines(spec, ctx.style), inner, ctx.style)}${ctx.style.nl}${indent}</${el.name}>`);
  return true;
}
