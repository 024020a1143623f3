/**
 * Remembering libxml2's answers between the schema runs of one editor
 * session.
 *
 * A keystroke costs several engine runs: the whole document, then one run
 * per tree level to narrow the messages down to nodes (localize.ts); an
 * `xmllint` run compiles libvirt's grammar again each time (about 40 ms of
 * CPU for the 12.8 grammar, docs/performance.md), and even in process a
 * 50 KB domain takes milliseconds to validate. Between two keystrokes most of what those
 * runs are asked is the same: every element outside the edited one has the
 * same text and is checked against the same start pattern. libxml2 checks
 * each document of a run on its own, so an answer depends only on the
 * grammar, the start pattern and the document's text, and can be given
 * again without a run; the documents it has not seen go to the engine, and
 * a run is skipped when there are none.
 *
 * Answers are keyed by a digest of (grammar, start, text), not by the text:
 * the texts are slices of a document version, which a kept key would keep
 * alive, and a start pattern is tens of kilobytes. The oldest answers go
 * first beyond MAX_ENTRIES.
 */
import { createHash } from 'node:crypto';
import type { EngineResult, RawSchemaError, SchemaEngine, SchemaSet } from './engine';

/** Answers kept: a 50 KB domain asks about 200 documents per keystroke, most of them the same each time. */
export const MAX_ENTRIES = 4096;

export class MemoizingEngine implements SchemaEngine {
  readonly name: SchemaEngine['name'];
  /** Engine runs made, and documents answered from memory (for tests and measurements). */
  runs = 0;
  remembered = 0;
  private readonly answers = new Map<string, EngineResult>();

  constructor(
    private readonly inner: SchemaEngine,
    private readonly maxEntries = MAX_ENTRIES,
  ) {
    this.name = inner.name;
  }

  validate(xmlText: string, schemaDir: string, signal?: AbortSignal): Promise<RawSchemaError[]> {
    return this.inner.validate(xmlText, schemaDir, signal);
  }

  describe(): Promise<string> {
    return this.inner.describe?.() ?? Promise.resolve(this.inner.name);
  }

  async validateMany(texts: readonly string[], schema: SchemaSet, start?: string, signal?: AbortSignal): Promise<EngineResult[]> {
    const prefix = createHash('sha256')
      .update(`${schema.dir}\0${schema.main}\0${start ?? '\u0001'}\0`)
      .digest();
    const keys = texts.map((t) => createHash('sha256').update(prefix).update(t).digest('base64'));
    const out: (EngineResult | undefined)[] = keys.map((k) => this.answers.get(k));
    const missing = out.flatMap((r, i) => (r ? [] : [i]));
    const asked = new Set(missing);
    this.remembered += texts.length - missing.length;
    if (missing.length) {
      this.runs++;
      // A run that fails or is cancelled throws before anything is kept.
      const fresh = await this.inner.validateMany(
        missing.map((i) => texts[i]),
        schema,
        start,
        signal,
      );
      missing.forEach((i, j) => {
        out[i] = fresh[j];
      });
      missing.forEach((i, j) => this.keep(keys[i], fresh[j]));
    }
    // Recently used answers move to the end, so the oldest unused go first.
    for (const [i, k] of keys.entries())
      if (!asked.has(i)) {
        this.answers.delete(k);
        this.answers.set(k, out[i]!);
      }
    return out as EngineResult[];
  }

  private keep(key: string, r: EngineResult | undefined): void {
    if (!r) return;
    this.answers.set(key, r);
    while (this.answers.size > this.maxEntries) this.answers.delete(this.answers.keys().next().value as string);
  }
}
