/**
 * The path from an edit to published diagnostics, without the LSP transport:
 * versions are parsed from the previous one, a large document's analysis lets
 * requests in between its steps, and an analysis overtaken by an edit is
 * dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from 'vscode-languageserver-types';
import { getLanguageService, type ParsedDocument } from '../server/src/languageService';
import { DocumentAnalysis, STRICT_CHECK_MAX_SIZE, YIELD_ABOVE_SIZE } from '../server/src/session/documentAnalysis';
import type { SchemaValidator } from '../server/src/schema/validator';
import { lastReparse } from '../server/src/xml/incremental';
import { generateDomain } from '../bench/generate';

interface Doc {
  uri: string;
  version: number;
  text: string;
  getText(): string;
}

const noSchema = { validate: async () => [], forget: () => undefined } as unknown as SchemaValidator;

function harness(onActivity?: () => void, typingDelayMs = 0, schema = noSchema) {
  const docs = new Map<string, Doc>();
  const published: Array<{ version: number; codes: string[] }> = [];
  let settle: () => void = () => undefined;
  const analysis: DocumentAnalysis<Doc> = new DocumentAnalysis<Doc>({
    service: getLanguageService({ schema }),
    current: (uri) => docs.get(uri),
    publish: (_uri, version, diagnostics: Diagnostic[]) => {
      published.push({ version, codes: diagnostics.map((d) => String(d.code)) });
      settle();
    },
    onActivity: () => onActivity?.(),
    log: (m) => {
      throw new Error(m);
    },
    typingDelayMs,
  });
  const set = (version: number, text: string): Doc => {
    const d = { uri: 'file:///big.xml', version, text, getText: () => text };
    docs.set(d.uri, d);
    return d;
  };
  const nextPublish = () =>
    new Promise<void>((resolve) => {
      settle = resolve;
    });
  return { analysis, published, set, nextPublish };
}

const big = generateDomain({ targetBytes: YIELD_ABOVE_SIZE * 2, seed: 4 });
/** A digit typed in the middle of the document. */
const typed = (text: string) => `${text.slice(0, big.marks.editOffset)}7${text.slice(big.marks.editOffset)}`;

test('an edit is parsed from the previous version, and requests on that version share the parse', async () => {
  const h = harness();
  const v1 = h.set(1, big.text);
  let done = h.nextPublish();
  h.analysis.opened(v1);
  await done;
  const v2 = h.set(2, typed(big.text));
  const forRequest = h.analysis.forRequest(v2);
  assert.equal(lastReparse, 'incremental');
  done = h.nextPublish();
  h.analysis.changed(v2);
  await done;
  assert.equal(h.analysis.forRequest(v2), forRequest);
  assert.deepEqual(
    h.published.map((p) => p.version),
    [1, 2],
  );
  // The generated domain has two mistakes in it; the edit changes neither.
  assert.deepEqual(h.published[1].codes, h.published[0].codes);
});

test('a large document: a request waiting when the parse is done is answered before the rules run', async () => {
  const order: string[] = [];
  let answered: ParsedDocument | undefined;
  const h = harness(() => {
    order.push('parsed');
    // A request that arrived during the parse: its timer is due before the analysis goes on.
    setTimeout(() => {
      answered = h.analysis.forRequest(v1);
      order.push('request answered');
    }, 0);
  });
  const v1 = h.set(1, big.text);
  const done = h.nextPublish();
  h.analysis.opened(v1);
  await done;
  order.push('published');
  assert.deepEqual(order, ['parsed', 'request answered', 'published']);
  assert.equal(answered?.version, 1);
});

test('a large document: an analysis overtaken by an edit is dropped, and the newer version is published', async () => {
  let v2: Doc | undefined;
  const h = harness(() => {
    // The user types while version 1 is being analysed.
    if (!v2) {
      v2 = h.set(2, typed(big.text));
      h.analysis.changed(v2);
    }
  }, 30);
  const done = h.nextPublish();
  h.analysis.opened(h.set(1, big.text));
  await done;
  await new Promise((r) => setTimeout(r, 60));
  // One analysis of version 2, which also takes over the strict check the open asked for.
  assert.deepEqual(
    h.published.map((p) => p.version),
    [2],
  );
});

test('a small document is analysed in one step, with nothing let in between', async () => {
  const small = generateDomain({ targetBytes: 5000, seed: 4 });
  let publishedWhenRequestRan = -1;
  const h = harness(() =>
    setTimeout(() => {
      publishedWhenRequestRan = h.published.length;
    }, 0),
  );
  const done = h.nextPublish();
  h.analysis.opened(h.set(1, small.text));
  await done;
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(publishedWhenRequestRan, 1);
});

test('schema validation runs on documents up to the strict-check size, on open and while typing, and not above it', async () => {
  const asked: number[] = [];
  const counting = {
    validate: async (_u: string, version: number) => {
      asked.push(version);
      return [];
    },
    forget: () => undefined,
  } as unknown as SchemaValidator;
  for (const [size, version] of [
    [STRICT_CHECK_MAX_SIZE - 100_000, 1],
    [STRICT_CHECK_MAX_SIZE + 100_000, 10],
  ]) {
    const g = generateDomain({ targetBytes: size, seed: 4 });
    const h = harness(undefined, 0, counting);
    let done = h.nextPublish();
    h.analysis.opened(h.set(version, g.text));
    await done;
    // The open's schema run starts once its diagnostics are out (a version replaced before that is not checked).
    await new Promise((r) => setTimeout(r, 5));
    done = h.nextPublish();
    h.analysis.changed(h.set(version + 1, `${g.text.slice(0, g.marks.editOffset)}7${g.text.slice(g.marks.editOffset)}`));
    await done;
    assert.deepEqual(
      h.published.map((p) => p.version),
      [version, version + 1],
    );
  }
  assert.deepEqual(asked, [1, 2]);
});

test('only typing waits for the schema pause: open, save and a revalidation (settings, host) ask at once', async () => {
  const asked: Array<[number, number | undefined]> = [];
  const recording = {
    validate: async (_u: string, version: number, _t: string, opts: { delayMs?: number } = {}) => {
      asked.push([version, opts.delayMs]);
      return [];
    },
    forget: () => undefined,
  } as unknown as SchemaValidator;
  const g = generateDomain({ targetBytes: 20_000, seed: 4 });
  const h = harness(undefined, 0, recording);
  const step = async (act: () => void) => {
    const done = h.nextPublish();
    act();
    await done;
    // An open's or a save's schema run starts once its diagnostics are out (after the strict check).
    await new Promise((r) => setTimeout(r, 5));
  };
  await step(() => h.analysis.opened(h.set(1, g.text)));
  const edited = typed(g.text);
  await step(() => h.analysis.changed(h.set(2, edited)));
  await step(() => h.analysis.revalidateAll([h.set(2, edited)]));
  await step(() => h.analysis.saved(h.set(2, edited)));
  assert.deepEqual(asked, [
    [1, 0],
    [2, 500],
    [2, 0],
    [2, 0],
  ]);
});

test('on open the strict check follows the first diagnostics: its finding comes next, a well-formed file is published once', async () => {
  const g = generateDomain({ targetBytes: 5 * 1024, seed: 4 });
  // A comment with "--" inside: the tolerant scanner reads on, a conformant parser stops.
  const broken = g.text.replace('<name>', '<!-- a -- b --><name>');
  const h = harness();
  let done = h.nextPublish();
  h.analysis.opened(h.set(1, broken));
  await done;
  assert.ok(!h.published[0].codes.includes('xml-not-well-formed'));
  done = h.nextPublish();
  await done;
  assert.deepEqual(
    h.published.map((p) => [p.version, p.codes.filter((c) => c === 'xml-not-well-formed')]),
    [
      [1, []],
      [1, ['xml-not-well-formed']],
    ],
  );
  assert.deepEqual(
    h.published[1].codes.filter((c) => c !== 'xml-not-well-formed'),
    h.published[0].codes,
  );

  const clean = harness();
  done = clean.nextPublish();
  clean.analysis.opened(clean.set(1, g.text));
  await done;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    clean.published.map((p) => [p.version, p.codes.includes('xml-not-well-formed')]),
    [[1, false]],
  );
});

test('typing right after an open takes the strict check over to the newer version', async () => {
  const g = generateDomain({ targetBytes: 5 * 1024, seed: 4 });
  const h = harness();
  const done = h.nextPublish();
  h.analysis.opened(h.set(1, g.text));
  await done;
  // Version 2 arrives before the strict check of version 1 ran; it is typing (no strict run of its own).
  h.analysis.changed(h.set(2, g.text.replace('<name>', '<!-- a -- b --><name>')));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    h.published.map((p) => [p.version, p.codes.includes('xml-not-well-formed')]),
    [
      [1, false],
      [2, false],
      [2, true],
    ],
  );
});
