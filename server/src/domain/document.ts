/**
 * One version of a document, parsed once and handed to every rule and
 * feature: the text, its XML tree, the domain model read from it, and the
 * line index that turns offsets into LSP positions.
 */
import { parseXml } from '../xml/parser';
import { reparseXml } from '../xml/incremental';
import { changeBetween } from '../xml/textChange';
import { LineIndex } from '../xml/lineIndex';
import type { XmlDocument } from '../xml/nodes';
import { readDomain, type DomainModel } from './model';

export interface ParsedDocument {
  readonly uri: string;
  readonly version: number;
  readonly text: string;
  readonly xml: XmlDocument;
  readonly domain: DomainModel;
  readonly lines: LineIndex;
  /** True when the root element is `<domain>`: other XML files are left alone. */
  readonly isDomain: boolean;
}

/**
 * Parses one version. With `previous` (the parse of an earlier version of
 * the same document) only the region the edit touched is scanned again;
 * `previous` is then used up and must not be read any more.
 */
export function parseDocument(text: string, uri = 'untitled:domain.xml', version = 0, previous?: ParsedDocument): ParsedDocument {
  const change = previous && changeBetween(previous.text, text);
  // Same text (a version bump without an edit): the model and lines are the same too.
  if (previous && !change) return { ...previous, uri, version };
  const xml = previous ? reparseXml(previous.xml, text, change) : parseXml(text);
  const lines = previous && change ? LineIndex.afterChange(previous.lines, text, change) : new LineIndex(text);
  const domain = readDomain(xml);
  const first = xml.roots[0];
  return { uri, version, text, xml, domain, lines, isDomain: !first || first.name === 'domain' };
}
