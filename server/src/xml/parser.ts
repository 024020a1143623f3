/**
 * A fault-tolerant XML scanner that builds the positioned model of nodes.ts.
 *
 * Why not a conformant parser: the document is parsed on every keystroke and
 * is usually broken while the user types. This scanner never throws, keeps
 * every element it can recover, and records each well-formedness problem at
 * its place. Strict conformance (the exact first fatal error) is xmldom's
 * job, see wellFormed.ts.
 *
 * Recovery choices, each aimed at keeping later elements where the user
 * meant them to be:
 * - an end tag closes the nearest open element of that name; elements it
 *   skips are unclosed;
 * - an unclosed element keeps as children only the elements indented deeper
 *   than its own start tag; the rest go back to its parent (someone who just
 *   typed `<hostdev>` above ten controllers did not mean to nest them);
 * - a start tag without `>` ends where the next `<` begins and is empty;
 * - an attribute value without a closing quote ends at the line end or at the
 *   next `<`, whichever comes first.
 */
import type { XmlAttribute, XmlDocument, XmlElement, XmlProblem, XmlProblemCode, XmlText } from './nodes';
import { keep } from './strings';

const LT = 0x3c,
  GT = 0x3e,
  SLASH = 0x2f,
  EQ = 0x3d,
  QUOT = 0x22,
  APOS = 0x27,
  BANG = 0x21,
  QUEST = 0x3f,
  NL = 0x0a;
const BYTE_ORDER_MARK = 0xfeff;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c > 0x7f;
}

/** Characters that end a name inside a tag, as a table: readName runs once per element and attribute. */
const NAME_END = new Uint8Array(128);
for (const c of [0x20, 0x0a, 0x09, 0x0d, GT, SLASH, EQ, LT, QUOT, APOS]) NAME_END[c] = 1;
function endsName(c: number): boolean {
  return c < 128 && NAME_END[c] === 1;
}

interface MutableElement extends XmlElement {
  parent: XmlElement | undefined;
  children: XmlElement[];
  attributes: XmlAttribute[];
  texts: XmlText[];
}

/*
 * Most elements have no children, no text or no attributes. They all share
 * this one frozen empty array instead of three fresh ones each (a third of
 * the model's memory on large documents); the parser swaps in a real array
 * on the first push. Frozen, so that a consumer that wrongly pushes into a
 * node's list fails loudly instead of changing every empty list at once.
 */
const EMPTY: never[] = Object.freeze([]) as unknown as never[];

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function pushChild(parent: MutableElement, child: XmlElement): void {
  if (parent.children === EMPTY) parent.children = [child];
  else parent.children.push(child);
}

function pushText(parent: MutableElement, t: XmlText): void {
  if (parent.texts === EMPTY) parent.texts = [t];
  else parent.texts.push(t);
}

export function parseXml(text: string): XmlDocument {
  return new Scanner(text).run();
}

/**
 * The first element of the document with its start tag read (name, offsets,
 * attributes) and nothing after it: for callers that only need the root, at
 * the cost of the prologue instead of the whole document.
 */
export function firstElement(text: string): XmlElement | undefined {
  return new Scanner(text).runUntilFirstElement();
}

/** The nodes found by re-scanning part of an element's content (see xml/incremental.ts). */
export interface ScannedContent {
  readonly children: XmlElement[];
  readonly texts: XmlText[];
  readonly problems: XmlProblem[];
  readonly elementCount: number;
  /** True when elements were left open at the end of the region and closed there as a full parse would close them. */
  readonly closedAtEnd: boolean;
}

/**
 * Problems whose recovery stays inside one tag or one text: the element
 * structure around them is what it would be without them. The others (an
 * element left open, an end tag that matches nothing open, a comment that
 * never ends, a second root…) change where later elements belong.
 */
export const LOCAL_PROBLEMS: ReadonlySet<XmlProblemCode> = new Set<XmlProblemCode>([
  'xml-duplicate-attribute',
  'xml-attribute-without-value',
  'xml-unquoted-attribute-value',
  'xml-unterminated-attribute-value',
  'xml-bad-entity',
  'xml-invalid-name',
  'xml-unterminated-start-tag',
]);

/**
 * Problems after which the scanner's stack is what it was before: the local
 * ones, and an end tag that matched no open element (it is passed over).
 * Such a problem before a re-scanned region leaves nothing open at its start.
 */
export function leavesNothingOpen(code: XmlProblemCode): boolean {
  return LOCAL_PROBLEMS.has(code) || code === 'xml-mismatched-end-tag';
}

/**
 * Scans `text[from, to)` as the content of an element, for re-parsing the
 * region an edit touched. `to` is where the next sibling or the parent's end
 * tag starts; `parentName` is the name of the element whose content this is,
 * `outerNames` the names of it and its ancestors.
 * Returns undefined unless the region is self-contained: every element opened
 * in it is closed in it, no end tag refers to an element outside it, nothing
 * runs past `to`, and its only problems are local ones (LOCAL_PROBLEMS, and
 * end tags that match nothing and name no outer element).
 * Anything else can change how the rest of the document reads, so the caller
 * then parses the whole document.
 *
 * One exception, because it is what typing new elements looks like until
 * their end tags are typed: elements left open at `to` whose recovery by
 * indentation (see the header) would hand every later sibling back to the
 * parent. They are closed at `to`, exactly as the full parse closes them, and
 * the result says so (`closedAtEnd`): the caller must then make sure no later
 * end tag could close one of them instead.
 *
 * The returned children have no parent yet: the caller attaches them.
 */
export function scanContent(text: string, from: number, to: number, parentName: string, outerNames: ReadonlySet<string>): ScannedContent | undefined {
  return new Scanner(text).runContent(from, to, parentName, outerNames);
}

class Scanner {
  private pos = 0;
  private readonly len: number;
  private readonly problems: XmlProblem[] = [];
  private readonly roots: XmlElement[] = [];
  private readonly stack: MutableElement[] = [];
  /** Attributes of the start tag being read; copied to an array of the exact size when the tag ends. */
  private readonly attrScratch: XmlAttribute[] = [];
  private elementCount = 0;
  /**
   * While re-scanning a region (runContent): the names of the element whose
   * content it is and of its ancestors. The stand-in for that element at the
   * bottom of the stack is never closed by an end tag in the region; one
   * naming any of these elements would close it in a full parse.
   */
  private outer: ReadonlySet<string> | undefined;
  /** Set when an end tag in the region names an element outside it. */
  private escaped = false;

  constructor(private readonly text: string) {
    this.len = text.length;
  }

  run(): XmlDocument {
    const { text, len } = this;
    while (this.pos < len) {
      const lt = text.indexOf('<', this.pos);
      const textEnd = lt === -1 ? len : lt;
      if (textEnd > this.pos) this.addText(this.pos, textEnd);
      if (lt === -1) break;
      this.scanMarkup(lt);
    }
    while (this.stack.length > 0) this.closeUnclosed(this.stack.pop()!, len);
    if (this.roots.length === 0) this.problem('xml-no-root', 0, 0, 'The document has no root element; a libvirt domain starts with <domain>.');
    this.problems.sort((a, b) => a.start - b.start);
    return { text, roots: this.roots, problems: this.problems, elementCount: this.elementCount };
  }

  runUntilFirstElement(): XmlElement | undefined {
    const { text, len } = this;
    while (this.pos < len && this.roots.length === 0) {
      const lt = text.indexOf('<', this.pos);
      if (lt === -1) break;
      this.scanMarkup(lt);
    }
    return this.roots[0];
  }

  runContent(from: number, to: number, parentName: string, outerNames: ReadonlySet<string>): ScannedContent | undefined {
    const { text } = this;
    this.outer = outerNames;
    // A stand-in for the element whose content this is: its name is in messages ("does not match the open
    // element <devices>"), and scanEndTag never closes it.
    const holder: MutableElement = {
      name: parentName,
      start: -1,
      nameStart: -1,
      nameEnd: -1,
      startTagEnd: -1,
      startTagClosed: true,
      selfClosing: false,
      endTagStart: -1,
      end: -1,
      closed: false,
      attributes: EMPTY,
      children: EMPTY,
      texts: EMPTY,
      parent: undefined,
    };
    this.stack.push(holder);
    this.pos = from;
    // An end tag that matches nothing open is passed over by a full parse as well, unless it names an outer element.
    const local = () => !this.escaped && this.problems.every((p) => leavesNothingOpen(p.code));
    while (this.pos < to) {
      const lt = text.indexOf('<', this.pos);
      const textEnd = lt === -1 || lt > to ? to : lt;
      if (textEnd > this.pos) this.addText(this.pos, textEnd);
      if (textEnd === to) {
        this.pos = to;
        break;
      }
      this.scanMarkup(lt);
      if (this.stack.length === 0 || !local()) return undefined;
    }
    if (this.pos !== to || !local()) return undefined;
    // Elements left open are closed innermost first, as the parent's end tag closes them in a full parse.
    const closedAtEnd = this.stack.length > 1;
    while (this.stack.length > 1) {
      if (!this.closesWhereRegionEnds(this.stack[this.stack.length - 1] as MutableElement, to, outerNames)) return undefined;
      this.closeUnclosed(this.stack.pop()!, to);
    }
    this.problems.sort((a, b) => a.start - b.start);
    return { children: holder.children, texts: holder.texts, problems: this.problems, elementCount: this.elementCount, closedAtEnd };
  }

  /**
   * Whether a full parse would end the open element `el` at `to` with
   * nothing after `to` inside it: `to` is the parent's end tag (which closes
   * `el` on its way, unless `el` bears the parent's or an ancestor's name), or
   * a sibling indented no deeper than `el`, which recovery hands back, with
   * everything after it, level by level to the parent.
   */
  private closesWhereRegionEnds(el: MutableElement, to: number, outerNames: ReadonlySet<string>): boolean {
    if (outerNames.has(el.name)) return false;
    if (this.text.startsWith('</', to)) return true;
    const own = this.indentOf(el.start);
    const next = this.indentOf(to);
    return own >= 0 && next >= 0 && next <= own;
  }

  /** One construct that starts with the '<' at `lt`. */
  private scanMarkup(lt: number): void {
    const { text, len } = this;
    this.pos = lt;
    const next = lt + 1 < len ? text.charCodeAt(lt + 1) : -1;
    if (next === BANG) this.scanBang();
    else if (next === QUEST) this.scanProcessingInstruction();
    else if (next === SLASH) this.scanEndTag();
    else if (isNameStart(next)) this.scanStartTag();
    else {
      // A lone '<' (often the user has just typed it): keep it as text.
      this.problem('xml-invalid-name', lt, lt + 1, "'<' must be followed by an element name, or written as &lt; in text");
      this.pos = lt + 1;
    }
  }

  private problem(code: XmlProblemCode, start: number, end: number, message: string): void {
    this.problems.push({ code, start, end, message });
  }

  private addText(start: number, end: number): void {
    const { text } = this;
    let i = start;
    // A byte order mark opening the document is not text (XML 1.0, appendix F); editors usually strip it, files keep it.
    if (i === 0 && text.charCodeAt(0) === BYTE_ORDER_MARK) i = 1;
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    if (i === end) return;
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      let j = end;
      while (j > i && isSpace(text.charCodeAt(j - 1))) j--;
      this.problem('xml-text-outside-root', i, j, 'Text outside the root element is not allowed.');
      return;
    }
    pushText(parent, { start, end, value: this.decode(start, end) });
  }

  /** Resolves entity and character references, reporting unknown ones. The result is kept in the model (see strings.ts). */
  private decode(start: number, end: number): string {
    const { text } = this;
    const raw = text.slice(start, end);
    if (raw.indexOf('&') === -1) return keep(raw);
    let out = '';
    let i = 0;
    while (i < raw.length) {
      const amp = raw.indexOf('&', i);
      if (amp === -1) {
        out += raw.slice(i);
        break;
      }
      out += raw.slice(i, amp);
      const semi = raw.indexOf(';', amp);
      const name = semi === -1 ? '' : raw.slice(amp + 1, semi);
      let resolved: string | undefined;
      if (semi !== -1 && semi - amp <= 10) {
        if (name.startsWith('#x') || name.startsWith('#X')) {
          const cp = parseInt(name.slice(2), 16);
          if (/^[0-9a-fA-F]+$/.test(name.slice(2)) && cp <= 0x10ffff) resolved = String.fromCodePoint(cp);
        } else if (name.startsWith('#')) {
          const cp = parseInt(name.slice(1), 10);
          if (/^[0-9]+$/.test(name.slice(1)) && cp <= 0x10ffff) resolved = String.fromCodePoint(cp);
        } else {
          resolved = PREDEFINED[name];
        }
      }
      if (resolved === undefined) {
        const badEnd = semi !== -1 && semi - amp <= 10 ? start + semi + 1 : start + amp + 1;
        this.problem('xml-bad-entity', start + amp, badEnd, semi !== -1 && semi - amp <= 10 ? `Unknown entity '&${name};'.` : "'&' must start an entity such as &amp;");
        out += '&';
        i = amp + 1;
      } else {
        out += resolved;
        i = semi + 1;
      }
    }
    return keep(out);
  }

  private scanBang(): void {
    const { text } = this;
    const start = this.pos;
    if (text.startsWith('<!--', start)) {
      const close = text.indexOf('-->', start + 4);
      if (close === -1) {
        this.problem('xml-unterminated-comment', start, start + 4, 'Comment is not closed with -->.');
        this.pos = this.len;
      } else {
        this.pos = close + 3;
      }
      return;
    }
    if (text.startsWith('<![CDATA[', start)) {
      const close = text.indexOf(']]>', start + 9);
      const end = close === -1 ? this.len : close;
      const parent = this.stack[this.stack.length - 1];
      if (parent) pushText(parent, { start: start + 9, end, value: keep(text.slice(start + 9, end)) });
      this.pos = close === -1 ? this.len : close + 3;
      return;
    }
    // <!DOCTYPE ...> possibly with an internal subset in [...].
    let i = start + 2;
    let depth = 0;
    while (i < this.len) {
      const c = text.charCodeAt(i);
      if (c === 0x5b) depth++;
      else if (c === 0x5d) depth--;
      else if (c === GT && depth <= 0) break;
      i++;
    }
    this.pos = Math.min(this.len, i + 1);
  }

  private scanProcessingInstruction(): void {
    const close = this.text.indexOf('?>', this.pos + 2);
    this.pos = close === -1 ? this.len : close + 2;
  }

  private readName(from: number): number {
    const { text, len } = this;
    let i = from;
    while (i < len && !endsName(text.charCodeAt(i))) i++;
    return i;
  }

  private skipSpace(from: number): number {
    const { text, len } = this;
    let i = from;
    while (i < len && isSpace(text.charCodeAt(i))) i++;
    return i;
  }

  private scanStartTag(): void {
    const { text, len } = this;
    const start = this.pos;
    const nameStart = start + 1;
    const nameEnd = this.readName(nameStart);
    const parent = this.stack[this.stack.length - 1];
    const el: MutableElement = {
      name: keep(text.slice(nameStart, nameEnd)),
      start,
      nameStart,
      nameEnd,
      startTagEnd: -1,
      startTagClosed: false,
      selfClosing: false,
      endTagStart: -1,
      end: -1,
      closed: false,
      attributes: EMPTY,
      children: EMPTY,
      texts: EMPTY,
      parent,
    };
    this.elementCount++;
    let i = nameEnd;
    let selfClosing = false;
    for (;;) {
      i = this.skipSpace(i);
      if (i >= len) {
        this.unterminatedStartTag(el, i);
        break;
      }
      const c = text.charCodeAt(i);
      if (c === GT) {
        el.startTagEnd = i + 1;
        el.startTagClosed = true;
        break;
      }
      if (c === SLASH && text.charCodeAt(i + 1) === GT) {
        el.startTagEnd = i + 2;
        el.startTagClosed = true;
        selfClosing = true;
        break;
      }
      if (c === LT) {
        this.unterminatedStartTag(el, i);
        break;
      }
      if (c === SLASH || c === EQ || c === QUOT || c === APOS) {
        this.problem('xml-invalid-name', i, i + 1, `Unexpected '${text[i]}' in the start tag of <${el.name}>.`);
        if (c === QUOT || c === APOS) {
          // Skip a stray quoted run so that its content is not read as attributes (up to the next '<' at most).
          let k = i + 1;
          while (k < len) {
            const d = text.charCodeAt(k);
            if (d === c || d === LT) break;
            k++;
          }
          i = k < len && text.charCodeAt(k) === c ? k + 1 : i + 1;
        } else {
          i++;
        }
        continue;
      }
      const stop = this.scanAttribute(el, i);
      if (stop < 0) {
        this.unterminatedStartTag(el, -stop);
        break;
      }
      i = stop;
    }
    this.pos = el.startTagEnd;
    const scratch = this.attrScratch;
    if (scratch.length > 0) {
      el.attributes = scratch.slice();
      scratch.length = 0;
    }
    this.checkDuplicateAttributes(el);
    // An unterminated start tag is treated as empty: see the header comment.
    (el as { selfClosing: boolean }).selfClosing = selfClosing;
    if (selfClosing || !el.startTagClosed) {
      el.end = el.startTagEnd;
      el.closed = selfClosing;
      this.attach(el);
    } else {
      this.attach(el);
      this.stack.push(el);
    }
  }

  private unterminatedStartTag(el: MutableElement, at: number): void {
    // Recovery point: just after the last non-space character before `at`.
    let end = at;
    while (end > el.nameEnd && isSpace(this.text.charCodeAt(end - 1))) end--;
    el.startTagEnd = end;
    el.startTagClosed = false;
    this.problem('xml-unterminated-start-tag', el.start, el.nameEnd, `Start tag <${el.name}> is not closed with '>'.`);
  }

  /**
   * Scans one attribute starting at a name character. Returns the offset to
   * continue from, or a negative offset where the start tag must be cut off.
   */
  private scanAttribute(el: MutableElement, at: number): number {
    const { text, len } = this;
    const nameStart = at;
    const nameEnd = this.readName(nameStart);
    const name = keep(text.slice(nameStart, nameEnd));
    let i = this.skipSpace(nameEnd);
    const attrs = this.attrScratch;
    // Object literals with the same key order everywhere keep one hidden class for all attributes.
    if (i >= len || text.charCodeAt(i) !== EQ) {
      this.problem('xml-attribute-without-value', nameStart, nameEnd, `Attribute '${name}' needs a value: ${name}='…'.`);
      attrs.push({ name, nameStart, nameEnd, value: undefined, valueStart: -1, valueEnd: -1, quote: undefined, valueClosed: false, element: el });
      return nameEnd;
    }
    i = this.skipSpace(i + 1);
    const q = i < len ? text.charCodeAt(i) : -1;
    if (q === QUOT || q === APOS) {
      const quote = text[i] as '"' | "'";
      const valueStart = i + 1;
      // One pass to the closing quote, stopping at the next '<': the value is
      // unterminated when a tag starts first. Never scanning past that '<'
      // keeps a long single-line file linear (indexOf('\n') per broken value was not).
      const qc = q;
      let close = -1,
        lt = -1,
        nl = -1;
      for (let k = valueStart; k < len; k++) {
        const c = text.charCodeAt(k);
        if (c === qc) {
          close = k;
          break;
        }
        if (c === LT) {
          lt = k;
          break;
        }
        if (c === NL && nl === -1) nl = k;
      }
      if (close !== -1) {
        attrs.push({ name, nameStart, nameEnd, value: this.decode(valueStart, close), valueStart, valueEnd: close, quote, valueClosed: true, element: el });
        return close + 1;
      }
      // No closing quote before the next tag: the user is typing the value. It ends at the line end or the tag.
      let valueEnd = lt === -1 ? len : lt;
      if (nl !== -1 && nl < valueEnd) valueEnd = nl;
      let trimmed = valueEnd;
      while (trimmed > valueStart && isSpace(text.charCodeAt(trimmed - 1))) trimmed--;
      this.problem('xml-unterminated-attribute-value', nameStart, trimmed, `The value of '${name}' has no closing ${quote === '"' ? 'double' : 'single'} quote.`);
      attrs.push({ name, nameStart, nameEnd, value: keep(text.slice(valueStart, trimmed)), valueStart, valueEnd: trimmed, quote, valueClosed: false, element: el });
      return -valueEnd;
    }
    if (q === -1 || q === GT || q === LT) {
      this.problem('xml-attribute-without-value', nameStart, nameEnd, `Attribute '${name}' needs a quoted value.`);
      attrs.push({ name, nameStart, nameEnd, value: undefined, valueStart: -1, valueEnd: -1, quote: undefined, valueClosed: false, element: el });
      return i;
    }
    // Unquoted value: read to the next space or tag end.
    const valueStart = i;
    let j = i;
    while (j < len) {
      const c = text.charCodeAt(j);
      if (isSpace(c) || c === GT || c === LT || (c === SLASH && text.charCodeAt(j + 1) === GT)) break;
      j++;
    }
    const value = keep(text.slice(valueStart, j));
    this.problem('xml-unquoted-attribute-value', valueStart, j, `The value of '${name}' must be quoted: ${name}='${value}'.`);
    attrs.push({ name, nameStart, nameEnd, value, valueStart, valueEnd: j, quote: undefined, valueClosed: true, element: el });
    return j;
  }

  private checkDuplicateAttributes(el: MutableElement): void {
    const attrs = el.attributes;
    const n = attrs.length;
    if (n < 2) return;
    // Tags have few attributes: comparing pairs beats building a Set per element.
    for (let i = 1; i < n; i++) {
      const a = attrs[i];
      for (let j = 0; j < i; j++) {
        if (attrs[j].name === a.name) {
          this.problem('xml-duplicate-attribute', a.nameStart, a.nameEnd, `Attribute '${a.name}' is repeated in <${el.name}>.`);
          break;
        }
      }
    }
  }

  private attach(el: MutableElement): void {
    const parent = el.parent as MutableElement | undefined;
    if (parent) {
      pushChild(parent, el);
    } else {
      if (this.roots.length > 0) {
        this.problem('xml-multiple-roots', el.nameStart, el.nameEnd, `A second top-level element <${el.name}>: an XML document has exactly one root.`);
      }
      this.roots.push(el);
    }
  }

  private scanEndTag(): void {
    const { text, len } = this;
    const start = this.pos;
    const nameStart = start + 2;
    const nameEnd = this.readName(nameStart);
    const name = keep(text.slice(nameStart, nameEnd));
    const i = this.skipSpace(nameEnd);
    let end: number;
    if (i < len && text.charCodeAt(i) === GT) {
      end = i + 1;
    } else {
      this.problem('xml-unterminated-start-tag', start, nameEnd, `End tag </${name}> is not closed with '>'.`);
      end = i;
    }
    this.pos = Math.max(end, start + 2);
    // Find the nearest open element with this name (in a region, not the stand-in for its parent).
    const floor = this.outer ? 1 : 0;
    let k = this.stack.length - 1;
    while (k >= floor && this.stack[k].name !== name) k--;
    if (k < floor) {
      if (this.outer?.has(name)) this.escaped = true;
      const open = this.stack[this.stack.length - 1];
      this.problem(
        open ? 'xml-mismatched-end-tag' : 'xml-stray-end-tag',
        start,
        end,
        open ? `End tag </${name}> does not match the open element <${open.name}>.` : `End tag </${name}> has no start tag.`,
      );
      return;
    }
    while (this.stack.length - 1 > k) this.closeUnclosed(this.stack.pop()!, start);
    const el = this.stack.pop()!;
    el.endTagStart = start;
    el.end = end;
    el.closed = true;
  }

  /** Ends an element that has no end tag, handing back children that belong to its parent. */
  private closeUnclosed(el: MutableElement, at: number): void {
    el.end = at;
    el.closed = false;
    this.problem('xml-unclosed-element', el.nameStart, el.nameEnd, `Element <${el.name}> is never closed: add </${el.name}>.`);
    const indent = this.indentOf(el.start);
    if (indent < 0 || el.children.length === 0) return;
    const keep = el.children.findIndex((c) => {
      const ci = this.indentOf(c.start);
      return ci >= 0 && ci <= indent;
    });
    if (keep < 0) return;
    const moved = el.children.splice(keep);
    // The element now ends where its last kept content ends.
    el.end = moved[0].start;
    const parent = el.parent as MutableElement | undefined;
    for (const m of moved) (m as MutableElement).parent = parent;
    // A loop, not push(...moved): spreading 100 000 elements overflows the call stack.
    for (const m of moved) {
      if (parent) pushChild(parent, m);
      else this.roots.push(m);
    }
    // Its texts after the cut belong to the parent as well.
    const texts = el.texts;
    const cut = texts.findIndex((t) => t.start >= moved[0].start);
    if (cut >= 0) {
      const movedTexts = texts.splice(cut);
      if (parent) for (const t of movedTexts) pushText(parent as MutableElement, t);
    }
  }

  /** Column of a tag that starts its line, or -1 when text precedes it on the line. */
  private indentOf(offset: number): number {
    const { text } = this;
    let i = offset - 1;
    while (i >= 0) {
      const c = text.charCodeAt(i);
      if (c === NL) return offset - i - 1;
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return -1;
      i--;
    }
    return offset;
  }
}
