/**
 * What the libvirt features read from or cut out of a domain's text before
 * handing it to libvirt: its name, and its <interface> elements.
 */
import { parseXml } from '../xml/parser';
import { child, textOf, walk } from '../xml/query';

/** The name written in `<domain><name>`, trimmed; undefined when the root is not a domain or has no name. */
export function domainName(text: string): string | undefined {
  const root = parseXml(text).roots[0];
  if (root?.name !== 'domain') return undefined;
  const name = child(root, 'name');
  return name ? textOf(name).trim() : undefined;
}

/** The text without its <devices><interface> elements (each cut with the indentation before it), and how many there were. */
export function withoutInterfaces(text: string): { text: string; removed: number } {
  const xml = parseXml(text);
  const cuts: { start: number; end: number }[] = [];
  walk(xml, (el) => {
    if (el.name === 'interface' && el.parent?.name === 'devices' && el.parent.parent?.name === 'domain' && !el.parent.parent.parent) {
      let start = el.start;
      while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
      let end = el.end;
      if (text[end] === '\r') end++;
      if (text[end] === '\n') end++;
      cuts.push({ start, end });
    }
  });
  if (!cuts.length) return { text, removed: 0 };
  let out = '';
  let at = 0;
  for (const c of cuts) {
    out += text.slice(at, c.start);
    at = c.end;
  }
  return { text: out + text.slice(at), removed: cuts.length };
}
