/**
 * Which editor documents the extension cares about. The language client
 * sends every XML file to the server (which ignores non-domains); the views
 * and commands need the same answer on the client side. No runtime `vscode`
 * import, so these run in tests.
 */
import type { TextDocument } from 'vscode';

/**
 * Languages and schemes the language client is registered for (see
 * languageClient.ts); `libvirt` is a domain libvirt holds, opened from the
 * Libvirt Domains view (libvirt/fileSystem.ts), checked like a file.
 */
export const DOCUMENT_LANGUAGES: readonly string[] = ['libvirt-xml', 'xml'];
export const DOCUMENT_SCHEMES: readonly string[] = ['file', 'untitled', 'libvirt'];

/** A document the server analyses: libvirt-xml anywhere, plain XML on disk, unsaved or in libvirt. */
export function isCandidateDocument(doc: Pick<TextDocument, 'languageId' | 'uri'>): boolean {
  if (doc.languageId === 'libvirt-xml') return true;
  return doc.languageId === 'xml' && DOCUMENT_SCHEMES.includes(doc.uri.scheme);
}

/**
 * True when the text's root element is `<domain>`, judged from its start:
 * an XML declaration, comments, processing instructions and a doctype may
 * come first. Cheap enough to run on open for every XML file.
 */
export function looksLikeDomain(text: string): boolean {
  const head = text.slice(0, 64 * 1024);
  let i = 0;
  for (;;) {
    while (i < head.length && /\s/.test(head[i])) i++;
    if (head.startsWith('<?', i)) {
      const e = head.indexOf('?>', i + 2);
      if (e < 0) return false;
      i = e + 2;
      continue;
    }
    if (head.startsWith('<!--', i)) {
      const e = head.indexOf('-->', i + 4);
      if (e < 0) return false;
      i = e + 3;
      continue;
    }
    if (head.startsWith('<!', i)) {
      const e = head.indexOf('>', i + 2);
      if (e < 0) return false;
      i = e + 1;
      continue;
    }
    return /^<domain[\s/>]/.test(head.slice(i, i + 8)) || head.slice(i) === '<domain';
  }
}

/** Documents at least this long (UTF-16 code units, about bytes for XML) get a progress notification while the first check runs. */
export const LARGE_DOCUMENT = 1024 * 1024;

export function isLargeDocument(length: number): boolean {
  return length >= LARGE_DOCUMENT;
}
