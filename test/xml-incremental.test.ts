import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseXml } from '../server/src/xml/parser';
import { reparseXml, lastReparse, type ReparseOutcome } from '../server/src/xml/incremental';
import { changeBetween } from '../server/src/xml/textChange';
import { LineIndex } from '../server/src/xml/lineIndex';
import type { XmlDocument, XmlElement } from '../server/src/xml/nodes';
import { makeRng, type Rng } from '../bench/rng';
import { applyEdit, randomEdit } from '../bench/mutate';
import { generateDomain } from '../bench/generate';

/** The whole tree as plain data (no back-pointers), after checking that every back-pointer is right. */
function plain(doc: XmlDocument): unknown {
  const el = (e: XmlElement, parent: XmlElement | undefined): unknown => {
    assert.equal(e.parent, parent, `parent of <${e.name}> at ${e.start}`);
    for (const a of e.attributes) assert.equal(a.element, e, `element of attribute ${a.name} at ${a.nameStart}`);
    return {
      name: e.name,
      start: e.start,
      nameStart: e.nameStart,
      nameEnd: e.nameEnd,
      startTagEnd: e.startTagEnd,
      startTagClosed: e.startTagClosed,
      selfClosing: e.selfClosing,
      endTagStart: e.endTagStart,
      end: e.end,
      closed: e.closed,
      attributes: e.attributes.map((a) => ({
        name: a.name,
        nameStart: a.nameStart,
        nameEnd: a.nameEnd,
        value: a.value,
        valueStart: a.valueStart,
        valueEnd: a.valueEnd,
        quote: a.quote,
        valueClosed: a.valueClosed,
      })),
      texts: e.texts.map((t) => ({ start: t.start, end: t.end, value: t.value })),
      children: e.children.map((c) => el(c, e)),
    };
  };
  return { roots: doc.roots.map((r) => el(r, undefined)), problems: doc.problems, elementCount: doc.elementCount };
}

/**
 * Parses `before`, re-parses `after` from it, and checks the result is exactly
 * the full parse of `after`. Returns how the re-parse went.
 */
function reparse(before: string, after: string): { outcome: ReparseOutcome; doc: XmlDocument } {
  const doc = reparseXml(parseXml(before), after);
  assert.deepEqual(plain(doc), plain(parseXml(after)));
  assert.equal(doc.text, after);
  return { outcome: lastReparse, doc };
}

/** `before` with `|` marking the cursor, and what is typed there. */
function typing(marked: string, typed: string): { before: string; after: string } {
  const at = marked.indexOf('|');
  const before = marked.slice(0, at) + marked.slice(at + 1);
  return { before, after: before.slice(0, at) + typed + before.slice(at) };
}

const DOMAIN = `<domain type='kvm'>
  <name>vm</name>
  <devices>
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <target busNr='252'/>
    </controller>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source>
      <address type='pci' bus='0x02' slot='0x00'/>
    </hostdev>
    <!-- a comment -->
    <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>
  </devices>
</domain>
`;

function outcomeOf(marked: string, typed: string): ReparseOutcome {
  const { before, after } = typing(marked, typed);
  return reparse(before, after).outcome;
}

test('typing in an attribute value re-scans one element and shifts the rest', () => {
  assert.equal(outcomeOf(DOMAIN.replace("bus='0x01'", "bus='0x0|1'"), '2'), 'incremental');
  assert.equal(outcomeOf(DOMAIN.replace("pciBus='1'", "pciBus='1|'"), '0'), 'incremental');
});

test('typing text, a whole element, or inside a comment is incremental', () => {
  assert.equal(outcomeOf(DOMAIN.replace('<name>vm', '<name>vm|'), '-2'), 'incremental');
  assert.equal(outcomeOf(DOMAIN.replace('    <!--', '|    <!--'), "    <memballoon model='none'/>\n"), 'incremental');
  assert.equal(outcomeOf(DOMAIN.replace('a comment', 'a |comment'), 'long '), 'incremental');
  assert.equal(outcomeOf(DOMAIN.replace(" accel='on'", " accel='on'|"), " ats='on'"), 'incremental');
});

test('deleting a whole element is incremental and the element count follows', () => {
  const before = DOMAIN;
  const hostdev = before.slice(before.indexOf('    <hostdev'), before.indexOf('    <!--'));
  const { outcome, doc } = reparse(before, before.replace(hostdev, ''));
  assert.equal(outcome, 'incremental');
  assert.equal(doc.elementCount, parseXml(before).elementCount - 4);
});

test('edits that change how the rest of the document reads fall back to a full parse', () => {
  // A start tag left open above a deeper sibling, an end tag of an outer element, a comment opener.
  assert.equal(outcomeOf(DOMAIN.replace('    <!--', '|    <!--'), '<hostdev>'), 'full');
  assert.equal(outcomeOf(DOMAIN.replace('    <!--', '|    <!--'), '</devices>'), 'full');
  assert.equal(outcomeOf(DOMAIN.replace('<name>vm', '<name>|vm'), '<!--'), 'full');
  assert.equal(outcomeOf(DOMAIN.replace('<source>', '<source|>'), ' '), 'incremental');
  // A start tag cut short: its end tag then matches nothing and is passed over, as a full parse does.
  assert.equal(outcomeOf(DOMAIN.replace('<source>', '<source|>'), '<'), 'incremental');
  // An end tag in the region that names an outer element closes it in a full parse.
  assert.equal(outcomeOf(DOMAIN.replace('<source>', '<source>|'), '</hostdev>'), 'full');
  // Outside the root element.
  assert.equal(outcomeOf(`|${DOMAIN}`, '<?xml version="1.0"?>\n'), 'full');
  // The root's own end tag.
  assert.equal(outcomeOf(DOMAIN.replace('</domain>', '</domai|n>'), 'x'), 'full');
  // Misspelling an end tag leaves its element open until its parent's end tag, which the re-scan emulates.
  assert.equal(outcomeOf(DOMAIN.replace('</devices>', '</device|s>'), 'x'), 'incremental');
});

test('an element left open before the edit makes it a full parse; problems after the edit are kept and moved', () => {
  const unclosed = DOMAIN.replace('<name>vm</name>', '<name>vm');
  assert.equal(outcomeOf(unclosed.replace("bus='0x01'", "bus='0x0|1'"), '2'), 'full');
  const later = DOMAIN.replace("<driver pciBus='1'", "<driver pciBus='1' pciBus='2'").replace('<!-- a comment -->', '<title>a &bad; b</title>');
  const { before, after } = typing(later.replace("bus='0x01'", "bus='0x0|1'"), '22');
  const { outcome, doc } = reparse(before, after);
  assert.equal(outcome, 'incremental');
  assert.deepEqual(
    doc.problems.map((p) => `${p.code} ${after.slice(p.start, p.end)}`),
    ['xml-bad-entity &bad;', 'xml-duplicate-attribute pciBus'],
  );
});

test('closing an element the old parse left open re-reads the end tags after it that name the open element', () => {
  // Old: <a> stays open until </domain>, so the stray </c> "does not match the open element <a>".
  // New: <a/> is closed, and the same </c> names <domain>: that message must not be carried over.
  const marked = `<domain>
  <name>vm</name>
  <a|>
  <b/>
  </c>
</domain>
`;
  const { before, after } = typing(marked, '/');
  const { outcome, doc } = reparse(before, after);
  assert.equal(outcome, 'full');
  assert.deepEqual(
    doc.problems.map((p) => p.message),
    ['End tag </c> does not match the open element <domain>.'],
  );
  // With only local problems after the region, the same edit stays incremental.
  const local = typing(marked.replace('</c>', "<d x='1' x='2'/>"), '/');
  assert.equal(reparse(local.before, local.after).outcome, 'incremental');
});

/**
 * Types `typed` into `base` at `at` one character at a time, re-parsing each
 * version from the last; each must equal the full parse. Returns how each went.
 */
function typeCharacters(base: string, at: number, typed: string): ReparseOutcome[] {
  let doc = parseXml(base);
  const outcomes: ReparseOutcome[] = [];
  for (let k = 1; k <= typed.length; k++) {
    const next = base.slice(0, at) + typed.slice(0, k) + base.slice(at);
    doc = reparseXml(doc, next);
    outcomes.push(lastReparse);
    assert.deepEqual(plain(doc), plain(parseXml(next)), `after typing ${JSON.stringify(typed.slice(0, k))}`);
  }
  return outcomes;
}

test('typing a new element character by character stays incremental, problems and all', () => {
  const typed = "<memballoon model='none'/>";
  assert.deepEqual(
    typeCharacters(DOMAIN, DOMAIN.indexOf('    <!--'), typed),
    typed.split('').map(() => 'incremental'),
  );
});

test('typing an element with children line by line, before its end tags exist, stays incremental', () => {
  // On a new line the editor indented, above a sibling at the same depth.
  const base = DOMAIN.replace('    <iommu', '    \n    <iommu');
  const typed = "<hostdev mode='subsystem' type='pci'>\n      <source>\n        <address bus='0x03'/>\n      </source>\n    </hostdev>";
  assert.deepEqual(
    typeCharacters(base, base.indexOf('    \n') + 4, typed),
    typed.split('').map(() => 'incremental'),
  );
});

test('an element left open is closed where the region ends only when a full parse would close it there', () => {
  const open = (marked: string, typed: string) => outcomeOf(marked, typed);
  // A later end tag of its name that matches nothing would close it instead.
  const orphan = DOMAIN.replace('  </devices>', '    <panic/>\n    </memballoon>\n  </devices>');
  assert.equal(open(orphan.replace('    <iommu', '    |<iommu'), '<memballoon>\n    '), 'full');
  // Bearing its parent's name, it would take the parent's end tag.
  assert.equal(open(DOMAIN.replace('    <iommu', '    |<iommu'), '<devices>\n    '), 'full');
  // A sibling after it indented deeper stays inside it.
  assert.equal(open(DOMAIN.replace('    <iommu', '|    <iommu'), '  <panic>\n'), 'full');
  // The same element with siblings at its own depth after it.
  assert.equal(open(DOMAIN.replace('    <iommu', '    |<iommu'), '<panic>\n    '), 'incremental');
});

test('the same text gives back the same tree; a used-up tree is never reused', () => {
  const first = parseXml(DOMAIN);
  assert.equal(reparseXml(first, DOMAIN), first);
  assert.equal(lastReparse, 'unchanged');
  const edited = DOMAIN.replace("bus='0x01'", "bus='0x011'");
  const second = reparseXml(first, edited);
  assert.equal(lastReparse, 'incremental');
  // `first` now carries the offsets of `edited`: asking to re-parse from it again must not trust it.
  const third = reparseXml(first, DOMAIN);
  assert.equal(lastReparse, 'full');
  assert.deepEqual(plain(third), plain(parseXml(DOMAIN)));
  assert.deepEqual(plain(second), plain(parseXml(edited)));
});

test('changeBetween finds the one differing region, even across long equal runs', () => {
  assert.equal(changeBetween('abc', 'abc'), undefined);
  assert.deepEqual(changeBetween('abc', 'abXc'), { start: 2, oldEnd: 2, newEnd: 3 });
  assert.deepEqual(changeBetween('aaa', 'aaaa'), { start: 3, oldEnd: 3, newEnd: 4 });
  assert.deepEqual(changeBetween('abcd', 'ad'), { start: 1, oldEnd: 3, newEnd: 1 });
  assert.deepEqual(changeBetween('', 'x'), { start: 0, oldEnd: 0, newEnd: 1 });
  const long = 'x'.repeat(10_000);
  assert.deepEqual(changeBetween(`${long}a${long}`, `${long}bb${long}`), { start: 10_000, oldEnd: 10_001, newEnd: 10_002 });
  assert.deepEqual(changeBetween(`${long}`, `${long}${long}`), { start: 10_000, oldEnd: 10_000, newEnd: 20_000 });
});

test('a deeply nested document is shifted without running out of stack', () => {
  const depth = 20_000;
  const before = `<domain>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}<b x='1'/></domain>`;
  const after = `<domain>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}<b x='12'/></domain>`;
  const doc = reparseXml(parseXml(`<domain><c/>${before.slice('<domain>'.length)}`), `<domain><cc/>${after.slice('<domain>'.length)}`);
  assert.equal(lastReparse, 'incremental');
  let el = doc.roots[0].children[1];
  for (let d = 1; d < depth; d++) el = el.children[0];
  assert.equal(el.start, '<domain><cc/>'.length + 3 * (depth - 1));
});

/** A letter or digit typed or deleted anywhere, tag names included. */
function keystroke(rng: Rng, text: string): { start: number; end: number; text: string } {
  if (!/[0-9a-z]/.test(text)) return { start: 0, end: 0, text: 'a' };
  for (;;) {
    const at = rng.int(0, text.length - 1);
    if (!/[0-9a-z]/.test(text[at])) continue;
    return rng.chance(0.5) ? { start: at, end: at, text: rng.pick(['0', 'a', 'x', '7']) } : { start: at, end: at + 1, text: '' };
  }
}

/**
 * A character typed into or deleted from an attribute value or a text: what
 * most keystrokes are. Not in the root's own attributes: its start tag is
 * outside every element's content, so editing it is a full parse.
 */
function valueKeystroke(rng: Rng, doc: XmlDocument): { start: number; end: number; text: string } {
  const spans: Array<[number, number]> = [];
  const visit = (e: XmlElement) => {
    if (e.parent) for (const a of e.attributes) if (a.valueStart >= 0) spans.push([a.valueStart, a.valueEnd]);
    for (const t of e.texts) spans.push([t.start, t.end]);
    e.children.forEach(visit);
  };
  doc.roots.forEach(visit);
  const [s, e] = rng.pick(spans);
  const at = rng.int(s, e);
  return at < e && rng.chance(0.4) ? { start: at, end: at + 1, text: '' } : { start: at, end: at, text: rng.pick(['0', 'a', 'x', '7', ' ']) };
}

function documents(): string[] {
  const root = path.join(__dirname, '..');
  const dirs = ['examples', 'test/corpus'].map((d) => path.join(root, d));
  const files = dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.xml'))
      .map((f) => path.join(d, f)),
  );
  return [...files.map((f) => readFileSync(f, 'utf8')), generateDomain({ targetBytes: 20_000, seed: 3 }).text];
}

/**
 * Makes 60 chained keystrokes in each document, each version re-parsed from
 * the last and compared with a full parse; returns how many went which way.
 */
function chainedKeystrokes(rng: Rng, next: (text: string, doc: XmlDocument) => { start: number; end: number; text: string }): Map<ReparseOutcome, number> {
  const outcomes = new Map<ReparseOutcome, number>();
  for (const original of documents()) {
    let text = original;
    let doc = parseXml(text);
    for (let k = 0; k < 60; k++) {
      const edited = applyEdit(text, { ...next(text, doc), kind: 'keystroke' });
      doc = reparseXml(doc, edited);
      outcomes.set(lastReparse, (outcomes.get(lastReparse) ?? 0) + 1);
      assert.deepEqual(plain(doc), plain(parseXml(edited)), `seed ${rng.seed}, document ${original.slice(0, 60)}…, step ${k}`);
      text = edited;
    }
  }
  return outcomes;
}

test('random keystrokes in values and texts: every re-parse equals the full parse, and all are incremental', () => {
  const rng = makeRng(Number(process.env.INCREMENTAL_SEED ?? 20261206));
  const outcomes = chainedKeystrokes(rng, (_text, doc) => valueKeystroke(rng, doc));
  assert.deepEqual([...outcomes.keys()], ['incremental']);
});

test('random keystrokes anywhere, tag names included: every re-parse equals the full parse', () => {
  const rng = makeRng(Number(process.env.INCREMENTAL_SEED ?? 11));
  const outcomes = chainedKeystrokes(rng, (text) => keystroke(rng, text));
  assert.ok(outcomes.has('incremental') && outcomes.has('full'), [...outcomes.keys()].join(', '));
});

test('random damaging edits, then a keystroke on top: every re-parse equals the full parse', () => {
  const rng = makeRng(Number(process.env.INCREMENTAL_SEED ?? 7));
  const seen = new Set<ReparseOutcome>();
  for (const original of documents()) {
    const clean = parseXml(original);
    for (let k = 0; k < 40; k++) {
      const edit = randomEdit(rng, original);
      const damaged = applyEdit(original, edit);
      // Each round starts from a fresh parse: the previous round used its tree up.
      const doc = reparseXml(k === 0 ? clean : parseXml(original), damaged);
      seen.add(lastReparse);
      assert.deepEqual(plain(doc), plain(parseXml(damaged)), `seed ${rng.seed}, edit ${edit.kind} at ${edit.start}, round ${k}`);
      const typed = applyEdit(damaged, { ...keystroke(rng, damaged), kind: 'keystroke' });
      assert.deepEqual(plain(reparseXml(doc, typed)), plain(parseXml(typed)), `seed ${rng.seed}, keystroke after ${edit.kind}, round ${k}`);
    }
  }
  assert.ok(seen.has('incremental') && seen.has('full'), `outcomes seen: ${[...seen].join(', ')}`);
});

test('the line index after a change equals a fresh one, whatever the line ends', () => {
  const rng = makeRng(Number(process.env.INCREMENTAL_SEED ?? 5));
  const pieces = ['\n', '\r', '\r\n', 'a', 'bc', '<x/>', '\n\n', '\r\r'];
  const lineStarts = (l: LineIndex, len: number) => Array.from({ length: len + 1 }, (_, o) => l.positionAt(o));
  for (let round = 0; round < 300; round++) {
    let before = '';
    for (let k = rng.int(0, 12); k > 0; k--) before += rng.pick(pieces);
    const start = rng.int(0, before.length);
    const end = rng.int(start, before.length);
    let inserted = '';
    for (let k = rng.int(0, 3); k > 0; k--) inserted += rng.pick(pieces);
    const after = before.slice(0, start) + inserted + before.slice(end);
    const change = changeBetween(before, after);
    if (!change) continue;
    const updated = LineIndex.afterChange(new LineIndex(before), after, change);
    assert.deepEqual(lineStarts(updated, after.length), lineStarts(new LineIndex(after), after.length), JSON.stringify({ before, after }));
    assert.equal(updated.lineCount, new LineIndex(after).lineCount, JSON.stringify({ before, after }));
  }
});

test("a tree re-parsed through many versions keeps no earlier version's text alive", () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // One character outside Latin-1 makes V8 store the text at two bytes a character, as editors' texts often are.
  const g = generateDomain({ targetBytes: 1_000_000, seed: 9 });
  const original = g.text.replace('<name>', '<name>\u2603');
  const textBytes = original.length * 2;
  const rng = makeRng(3);
  let text = original;
  let doc = parseXml(text);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let k = 0; k < 25; k++) {
    text = applyEdit(text, { ...valueKeystroke(rng, doc), kind: 'keystroke' });
    doc = reparseXml(doc, text);
    assert.equal(lastReparse, 'incremental');
  }
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  // Each of the 25 texts is about 2 MB; keeping them would add some 50 MB.
  assert.ok(grown < 3 * textBytes, `heap grew by ${(grown / 1e6).toFixed(1)} MB over 25 versions of a ${(textBytes / 1e6).toFixed(1)} MB text`);
});
