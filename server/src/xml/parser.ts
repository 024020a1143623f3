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

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, EQ = 0x3d, QUOT = 0x22, APOS = 0x27, BANG = 0x21, QUEST = 0x3f, AMP = 0x26, NL = 0x0a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c > 0x7f;
}

/** Characters that end a name inside a tag. */
function endsName(c: number): boolean {
  return isSpace(c) || c === GT || c === SLASH || c === EQ || c === LT || c === QUOT || c === APOS;
}

interface MutableElement extends XmlElement {
  parent: XmlElement | undefined;
  children: XmlElement[];
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(text: string): XmlDocument {
  return new Scanner(text).run();
}

class Scanner {
  private pos = 0;
  private readonly len: number;
  private readonly problems: XmlProblem[] = [];
  private readonly roots: XmlElement[] = [];
  private readonly stack: MutableElement[] = [];
  private elementCount = 0;

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
    while (this.stack.length > 0) this.closeUnclosed(this.stack.pop()!, len);
    if (this.roots.length === 0) this.problem('xml-no-root', 0, 0, 'The document has no root element; a libvirt domain starts with <domain>.');
    this.problems.sort((a, b) => a.start - b.start);
    return { text, roots: this.roots, problems: this.problems, elementCount: this.elementCount };
  }

  private problem(code: XmlProblemCode, start: number, end: number, message: string): void {
    this.problems.push({ code, start, end, message });
  }

  private addText(start: number, end: number): void {
    const { text } = this;
    let i = start;
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    if (i === end) return;
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      let j = end;
      while (j > i && isSpace(text.charCodeAt(j - 1))) j--;
      this.problem('xml-text-outside-root', i, j, 'Text outside the root element is not allowed.');
      return;
    }
    const value = this.decode(start, end);
    (parent.texts as XmlText[]).push({ start, end, value });
  }

  /** Resolves entity and character references, reporting unknown ones. */
  private decode(start: number, end: number): string {
    const { text } = this;
    const raw = text.slice(start, end);
    if (raw.indexOf('&') === -1) return raw;
    let out = '';
    let i = 0;
    while (i < raw.length) {
      const amp = raw.indexOf('&', i);
      if (amp === -1) { out += raw.slice(i); break; }
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
        this.problem('xml-bad-entity', start + amp, badEnd,
          semi !== -1 && semi - amp <= 10 ? `Unknown entity '&${name};'.` : "'&' must start an entity such as &amp;");
        out += '&';
        i = amp + 1;
      } else {
        out += resolved;
        i = semi + 1;
      }
    }
    return out;
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
      if (parent) (parent.texts as XmlText[]).push({ start: start + 9, end, value: text.slice(start + 9, end) });
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
      name: text.slice(nameStart, nameEnd), start, nameStart, nameEnd,
      startTagEnd: -1, startTagClosed: false, selfClosing: false,
      endTagStart: -1, end: -1, closed: false,
      attributes: [], children: [], texts: [], parent,
    };
    this.elementCount++;
    let i = nameEnd;
    let selfClosing = false;
    for (;;) {
      i = this.skipSpace(i);
      if (i >= len) { this.unterminatedStartTag(el, i); break; }
      const c = text.charCodeAt(i);
      if (c === GT) { el.startTagEnd = i + 1; el.startTagClosed = true; break; }
      if (c === SLASH && text.charCodeAt(i + 1) === GT) { el.startTagEnd = i + 2; el.startTagClosed = true; selfClosing = true; break; }
      if (c === LT) { this.unterminatedStartTag(el, i); break; }
      if (c === SLASH || c === EQ || c === QUOT || c === APOS) {
        this.problem('xml-invalid-name', i, i + 1, `Unexpected '${text[i]}' in the start tag of <${el.name}>.`);
        if (c === QUOT || c === APOS) {
          // Skip a stray quoted run so that its content is not read as attributes.
          const close = text.indexOf(text[i], i + 1);
          const lt = text.indexOf('<', i + 1);
          i = close !== -1 && (lt === -1 || close < lt) ? close + 1 : i + 1;
        } else {
          i++;
        }
        continue;
      }
      const stop = this.scanAttribute(el, i);
      if (stop < 0) { this.unterminatedStartTag(el, -stop); break; }
      i = stop;
    }
    this.pos = el.startTagEnd;
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
    const name = text.slice(nameStart, nameEnd);
    let i = this.skipSpace(nameEnd);
    const push = (value: string | undefined, valueStart: number, valueEnd: number, quote: '"' | "'" | undefined, valueClosed: boolean) => {
      const attr: XmlAttribute = { name, nameStart, nameEnd, value, valueStart, valueEnd, quote, valueClosed, element: el };
      (el.attributes as XmlAttribute[]).push(attr);
    };
    if (i >= len || text.charCodeAt(i) !== EQ) {
      this.problem('xml-attribute-without-value', nameStart, nameEnd, `Attribute '${name}' needs a value: ${name}='…'.`);
      push(undefined, -1, -1, undefined, false);
      return nameEnd;
    }
    i = this.skipSpace(i + 1);
    const q = i < len ? text.charCodeAt(i) : -1;
    if (q === QUOT || q === APOS) {
      const quote = text[i] as '"' | "'";
      const valueStart = i + 1;
      const close = text.indexOf(quote, valueStart);
      const lt = text.indexOf('<', valueStart);
      if (close !== -1 && (lt === -1 || close < lt)) {
        push(this.decode(valueStart, close), valueStart, close, quote, true);
        return close + 1;
      }
      // No closing quote before the next tag: the user is typing the value.
      const nl = text.indexOf('\n', valueStart);
      let valueEnd = lt === -1 ? len : lt;
      if (nl !== -1 && nl < valueEnd) valueEnd = nl;
      let trimmed = valueEnd;
      while (trimmed > valueStart && isSpace(text.charCodeAt(trimmed - 1))) trimmed--;
      this.problem('xml-unterminated-attribute-value', nameStart, trimmed,
        `The value of '${name}' has no closing ${quote === '"' ? 'double' : 'single'} quote.`);
      push(text.slice(valueStart, trimmed), valueStart, trimmed, quote, false);
      return -(valueEnd);
    }
    if (q === -1 || q === GT || q === LT) {
      this.problem('xml-attribute-without-value', nameStart, nameEnd, `Attribute '${name}' needs a quoted value.`);
      push(undefined, -1, -1, undefined, false);
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
    this.problem('xml-unquoted-attribute-value', valueStart, j, `The value of '${name}' must be quoted: ${name}='${text.slice(valueStart, j)}'.`);
    push(text.slice(valueStart, j), valueStart, j, undefined, true);
    return j;
  }

  private checkDuplicateAttributes(el: MutableElement): void {
    const attrs = el.attributes;
    if (attrs.length < 2) return;
    const seen = new Set<string>();
    for (const a of attrs) {
      if (seen.has(a.name)) {
        this.problem('xml-duplicate-attribute', a.nameStart, a.nameEnd, `Attribute '${a.name}' is repeated in <${el.name}>.`);
      }
      seen.add(a.name);
    }
  }

  private attach(el: MutableElement): void {
    const parent = el.parent as MutableElement | undefined;
    if (parent) {
      parent.children.push(el);
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
    const name = text.slice(nameStart, nameEnd);
    let i = this.skipSpace(nameEnd);
    let end: number;
    if (i < len && text.charCodeAt(i) === GT) {
      end = i + 1;
    } else {
      this.problem('xml-unterminated-start-tag', start, nameEnd, `End tag </${name}> is not closed with '>'.`);
      end = i;
    }
    this.pos = Math.max(end, start + 2);
    // Find the nearest open element with this name.
    let k = this.stack.length - 1;
    while (k >= 0 && this.stack[k].name !== name) k--;
    if (k < 0) {
      const open = this.stack[this.stack.length - 1];
      this.problem(open ? 'xml-mismatched-end-tag' : 'xml-stray-end-tag', start, end,
        open ? `End tag </${name}> does not match the open element <${open.name}>.` : `End tag </${name}> has no start tag.`);
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
    if (parent) parent.children.push(...moved);
    else this.roots.push(...moved);
    // Its texts after the cut belong to the parent as well.
    const texts = el.texts as XmlText[];
    const cut = texts.findIndex((t) => t.start >= moved[0].start);
    if (cut >= 0) {
      const movedTexts = texts.splice(cut);
      if (parent) (parent.texts as XmlText[]).push(...movedTexts);
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
