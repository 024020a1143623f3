/**
 * Findings about what a document is, before what it says: empty, not text,
 * not UTF-8, or XML whose root is not `<domain>`. The other rule families
 * only run on domains and stay silent on anything else; these say why.
 *
 * How loud they are depends on how sure the caller is that a domain is
 * meant (`DomainExpectation`): a file named on the command line, or standard
 * input (`virsh dumpxml vm | … check -`, where an empty input means virsh
 * failed), must be a domain; an editor file in the libvirt-xml language or
 * named `*.domain.xml` is meant to be one, so a root that is a near miss of
 * `<domain>` (`<Domain>`, `<domian>`) gets a warning; any other XML file is
 * somebody else's and gets nothing.
 */
import type { XmlDocument } from '../xml/nodes';
import type { DecodingProblem } from '../xml/decode';
import { closest } from '../xml/closestName';
import type { Finding } from './types';
import { finding } from './report';
import { elementNameSpan, type Span } from './spans';

/** The start of the input: where findings about the input as a whole go. */
const START: Span = { start: 0, end: 0 };

export type DomainExpectation = 'required' | 'intended' | 'any';

/** What an editor document is meant to be: the libvirt-xml language (set by *.domain.xml or a <domain first line) says a domain. */
export function editorExpectation(uri: string, languageId: string | undefined): DomainExpectation {
  return languageId === 'libvirt-xml' || /\.domain\.xml$/i.test(uri) ? 'intended' : 'any';
}

export function inputFindings(xml: XmlDocument, expect: DomainExpectation, decoding?: DecodingProblem): Finding[] {
  const out: Finding[] = [];
  if (decoding) {
    out.push(decodingFinding(decoding, xml.text));
    if (decoding.kind === 'binary') return out;
  }
  const root = xml.roots[0];
  if (!root) {
    if (expect === 'required' && xml.text.trim() === '') {
      out.push(
        finding(
          'xml-empty',
          START,
          xml.text === ''
            ? 'The input is empty: there is no <domain> to check (when it comes from `virsh dumpxml`, that command failed).'
            : 'The input holds only white space: there is no <domain> to check (when it comes from `virsh dumpxml`, that command failed).',
        ),
      );
    }
    return out;
  }
  if (root.name === 'domain') return out;
  const nearMiss = isNearMiss(root.name);
  if (expect === 'any' || (expect === 'intended' && !nearMiss)) return out;
  out.push(
    finding(
      'xml-root-not-domain',
      elementNameSpan(root),
      nearMiss
        ? `The root element is <${root.name}>, not <domain>: libvirt does not take this as a domain definition (names are case-sensitive). Write <domain>.`
        : `The root element is <${root.name}>, not <domain>: this is not a libvirt domain definition, so nothing else in it was checked.`,
      {
        // The editor speaks only of a near miss, and only as a warning: the file may be other XML.
        severity: expect === 'required' ? 'error' : 'warning',
        data: nearMiss ? { rename: { from: root.name, to: 'domain' } } : undefined,
      },
    ),
  );
  return out;
}

function decodingFinding(p: DecodingProblem, text: string): Finding {
  const end = Math.min(1, text.length);
  switch (p.kind) {
    case 'binary':
      return finding('xml-not-text', START, `This is not a text file (a zero byte at byte ${p.byteOffset}): it cannot be libvirt domain XML, and nothing in it was checked.`);
    case 'utf16':
      return finding(
        'xml-encoding',
        { start: 0, end },
        `This file is UTF-16 (${p.bigEndian ? 'big' : 'little'}-endian${p.bom ? ', by its byte order mark' : ''}); it was checked as such, but libvirt reads domain XML as UTF-8 and refuses it. Convert it: iconv -f UTF-16 -t UTF-8.`,
      );
    case 'invalid-utf8':
      return finding(
        'xml-encoding',
        { start: p.at, end: p.at + 1 },
        `Not UTF-8: byte ${p.byteOffset} (0x${p.byte.toString(16).padStart(2, '0')}) starts no UTF-8 character; libvirt reads domain XML as UTF-8. Convert the file (iconv -t UTF-8); the rest was checked with that byte replaced.`,
      );
  }
}

/** `<Domain>`, `<domian>`, `<domains>`: a typo of `domain` by the measure schema messages use for "did you mean". */
function isNearMiss(name: string): boolean {
  return closest(name, ['domain']) === 'domain';
}
