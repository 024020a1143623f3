/**
 * Random edits of the kinds a document suffers while someone types, pastes or
 * opens a damaged file: deleted ranges, stray characters and tags, truncation,
 * duplicated blocks, swapped quotes, broken UTF-16 (lone surrogates), very
 * long lines, CRLF and lone CR line ends, tabs, and non-ASCII text.
 *
 * Every edit is a replacement of one range, so the robustness suite can send
 * it to the server as an incremental LSP change as well as apply it locally.
 */
import type { Rng } from './rng';

export interface Edit {
  /** Offsets (UTF-16) in the text before the edit. */
  start: number;
  end: number;
  text: string;
  /** Which mutation produced it, for failure messages. */
  kind: string;
}

export function applyEdit(text: string, e: Edit): string {
  return text.slice(0, e.start) + e.text + text.slice(e.end);
}

/** Characters that matter to an XML scanner, plus text that matters to UTF-16 positions. */
const CHARS = [
  '<',
  '>',
  '/',
  '=',
  '"',
  "'",
  '&',
  ';',
  '!',
  '?',
  '-',
  '[',
  ']',
  ' ',
  '\n',
  '\t',
  '\r',
  '\r\n',
  'a',
  'Z',
  '0',
  '9',
  'x',
  ':',
  '_',
  '\0',
  '\u0007',
  '\uFFFD',
  '\uFEFF',
  '\u2028',
  '\u00e9',
  'e\u0301',
  '\uD800',
  '\uDC00',
  '😀',
  '漢字',
  'テスト',
  'Ж',
  '\u200b',
];

/** Fragments of domain XML, whole and broken, for insertion at random places. */
const FRAGMENTS = [
  "<hostdev mode='subsystem' type='pci' managed='yes'>",
  "<source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source>",
  "<address type='pci' domain='0x0000' bus='0x",
  "<address type='pci' bus='0x01' slot='0x00'/>",
  '</hostdev>',
  '</devices>',
  '</domain>',
  '</controller>',
  '<devices>',
  '<domain>',
  "<iommu model='smmuv3'><driver pciBus='1' accel='on' ats='on'/></iommu>",
  "<iommu model='smmuv3'><driver pciBus='",
  "<iommu model='nestedSmmuv3'/>",
  "<driver pciBus='252' accel='maybe' ssidSize='99' oas='47'/>",
  "<controller type='pci' index='1' model='pcie-expander-bus'><model name='pxb-pcie'/><target busNr='252'><node>7</node></target></controller>",
  "<controller type='pci' index='",
  "<controller type='pci' model='pcie-root-port'><address type='pci' bus='0x01'/></controller>",
  '<nestedSmmuv3><name>smmu3.0x0000000016000000</name></nestedSmmuv3>',
  "<iommufd enabled='yes'/>",
  "<type arch='x86_64' machine='q35'>hvm</type>",
  '<!--',
  '-->',
  '<!-- 😀 漢字 -->',
  '<![CDATA[',
  ']]>',
  "<?xml version='1.0'?>",
  '<!DOCTYPE domain [',
  '<!ENTITY x "y">',
  '&amp;',
  '&bogus;',
  '&#x1F600;',
  '&#xD800;',
  '&#99999999;',
  '&',
  '<a b=c d>',
  '<a b="c',
  "<a b='",
  '<>',
  '</>',
  '< x',
  '<1x/>',
  " index='-1'",
  " bus='0xZZ'",
  " pciBus='NaN'",
  " ssidsize='1e9'",
  " busNr='999'",
  " slot=''",
  ' accel',
  ' =',
  " a='1' a='2'",
];

/** Replacement values for attribute values: malformed numbers, empty, huge, non-ASCII. */
const VALUES = ['', '-1', '0x', '0xZZ', 'NaN', '1e9', '99999999999999999999', '0x10000', ' 1 ', 'on', 'off', 'maybe', '😀', '漢字', '\u00e9', "'", '"', '<', '&'];

type Mutator = (rng: Rng, text: string) => Edit;

const MUTATORS: readonly [number, string, Mutator][] = [
  [
    14,
    'delete',
    (rng, t) => {
      const start = rng.int(0, t.length);
      const len = rng.chance(0.1) ? rng.int(0, Math.floor(t.length / 2)) : rng.int(1, 40);
      return { start, end: Math.min(t.length, start + len), text: '', kind: 'delete' };
    },
  ],
  [
    14,
    'insert-chars',
    (rng, t) => {
      const n = rng.int(1, 6);
      let s = '';
      for (let i = 0; i < n; i++) s += rng.pick(CHARS);
      const at = rng.int(0, t.length);
      return { start: at, end: at, text: s, kind: 'insert-chars' };
    },
  ],
  [
    14,
    'insert-fragment',
    (rng, t) => {
      const at = nearTag(rng, t);
      return { start: at, end: at, text: rng.pick(FRAGMENTS), kind: 'insert-fragment' };
    },
  ],
  [
    3,
    'truncate',
    (rng, t) => {
      const at = rng.int(0, t.length);
      return { start: at, end: t.length, text: '', kind: 'truncate' };
    },
  ],
  [
    8,
    'duplicate-block',
    (rng, t) => {
      const start = nearTag(rng, t);
      const close = t.indexOf('>', start + rng.int(0, 400));
      const end = close === -1 ? t.length : close + 1;
      const at = rng.chance(0.5) ? end : nearTag(rng, t);
      return { start: at, end: at, text: t.slice(start, end), kind: 'duplicate-block' };
    },
  ],
  [
    8,
    'swap-quote',
    (rng, t) => {
      const from = rng.int(0, t.length);
      let i = from;
      while (i < t.length && t[i] !== '"' && t[i] !== "'") i++;
      if (i >= t.length) return { start: from, end: from, text: "'", kind: 'swap-quote' };
      return { start: i, end: i + 1, text: t[i] === '"' ? "'" : '"', kind: 'swap-quote' };
    },
  ],
  [
    10,
    'replace-value',
    (rng, t) => {
      const from = rng.int(0, t.length);
      const q = t.indexOf("='", from);
      if (q === -1) return { start: from, end: from, text: rng.pick(VALUES), kind: 'replace-value' };
      const close = t.indexOf("'", q + 2);
      return { start: q + 2, end: close === -1 ? q + 2 : close, text: rng.pick(VALUES), kind: 'replace-value' };
    },
  ],
  [
    6,
    'rename-element',
    (rng, t) => {
      const lt = nearTag(rng, t);
      let e = lt + 1;
      if (t[e] === '/') e++;
      const nameStart = e;
      while (e < t.length && /[A-Za-z0-9_:.-]/.test(t[e])) e++;
      return {
        start: nameStart,
        end: e,
        text: rng.pick(['hostdev', 'controller', 'iommu', 'address', 'driver', 'devices', 'x', '', 'nestedSmmuv3', 'smmuv3Dev']),
        kind: 'rename-element',
      };
    },
  ],
  [
    3,
    'long-line',
    (rng, t) => {
      const at = rng.int(0, t.length);
      const unit = rng.pick(["a='b' ", 'x', '漢', '<b/>', '😀', ' ']);
      return { start: at, end: at, text: unit.repeat(Math.ceil(rng.int(2000, 20000) / unit.length)), kind: 'long-line' };
    },
  ],
  [
    3,
    'line-ends',
    (rng, t) => {
      // CRLF, lone CR or LF for every line end in a region.
      const start = rng.int(0, t.length);
      const end = Math.min(t.length, start + rng.int(1, 2000));
      const eol = rng.pick(['\r\n', '\r', '\n', '\u2028']);
      return { start, end, text: t.slice(start, end).replace(/\r\n|\r|\n/g, eol), kind: 'line-ends' };
    },
  ],
  [
    3,
    'tabs',
    (rng, t) => {
      const start = rng.int(0, t.length);
      const end = Math.min(t.length, start + rng.int(1, 2000));
      return { start, end, text: t.slice(start, end).replace(/ {2}/g, '\t'), kind: 'tabs' };
    },
  ],
  [
    6,
    'split-surrogate',
    (rng, t) => {
      // Delete or insert half of a surrogate pair, or put a pair right before a tag.
      const from = rng.int(0, t.length);
      for (let i = from; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdfff) return { start: i, end: i + 1, text: rng.chance(0.5) ? '' : 'x', kind: 'split-surrogate' };
      }
      const at = nearTag(rng, t);
      return { start: at, end: at, text: rng.pick(['😀', '\uD83D', '\uDE00', '👍🏽', '𝔘']), kind: 'split-surrogate' };
    },
  ],
  [
    4,
    'non-ascii-text',
    (rng, t) => {
      const at = rng.int(0, t.length);
      return { start: at, end: at, text: rng.pick(['Grüße ', '日本語テキスト', 'Ελληνικά', 'عربى', '😀😀', '\u0301\u0301', 'ｆｕｌｌ']), kind: 'non-ascii-text' };
    },
  ],
];

const TOTAL_WEIGHT = MUTATORS.reduce((s, m) => s + m[0], 0);

/** One random edit of `text`. */
export function randomEdit(rng: Rng, text: string): Edit {
  let r = rng.next() * TOTAL_WEIGHT;
  for (const [w, , m] of MUTATORS) {
    if ((r -= w) < 0) return clamp(m(rng, text), text.length);
  }
  return clamp(MUTATORS[0][2](rng, text), text.length);
}

export const MUTATION_KINDS: readonly string[] = MUTATORS.map((m) => m[1]);

function clamp(e: Edit, len: number): Edit {
  const start = Math.max(0, Math.min(e.start, len));
  const end = Math.max(start, Math.min(e.end, len));
  return { ...e, start, end };
}

/** A random offset, moved to the next `<` half of the time (edits near markup hurt most). */
function nearTag(rng: Rng, t: string): number {
  const at = rng.int(0, t.length);
  if (rng.chance(0.5)) return at;
  const lt = t.indexOf('<', at);
  return lt === -1 ? at : lt;
}
