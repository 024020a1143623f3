/**
 * Which libvirt grammar is in use, loaded once per schema directory and
 * shared by everything that reads it: schema validation, grammar completion,
 * hover and the status item.
 *
 * The candidates come from locate.ts, best first; the first one that loads
 * whole wins. A directory that is missing, unreadable, or holds a broken or
 * partial grammar (a file not well-formed, an include not there) is passed
 * over with one note saying why, and the next source is used.
 *
 * Loading is lazy: nothing is read until someone asks (`load`), and callers
 * that must not wait (completion) read `current`, which stays undefined until
 * the load is done.
 */
import { loadSchema, type LoadedSchema } from './rng';
import { describeLocation, locateSchemas, type LocateOptions, type SchemaLocation } from './locate';

export interface Grammar {
  readonly location: SchemaLocation;
  readonly loaded: LoadedSchema;
  /** "libvirt 12.8.0, shipped with the extension". */
  readonly description: string;
}

export interface GrammarChoice {
  /** The grammar in use, or undefined when no source loads. */
  readonly grammar: Grammar | undefined;
  /** One sentence per source passed over, or why there is none. */
  readonly notes: readonly string[];
  /** Set when there is no grammar at all: why, with what to do about it. */
  readonly unavailable?: string;
}

/** Loaded grammars by directory: a grammar is read once per process whoever asks. */
const loads = new Map<string, Promise<LoadedSchema>>();

function loadOnce(dir: string): Promise<LoadedSchema> {
  let p = loads.get(dir);
  if (!p) {
    p = loadSchema(dir);
    loads.set(dir, p);
    // A failed read is not kept: the directory may be fixed later.
    p.catch(() => loads.delete(dir));
  }
  return p;
}

/** Forgets loaded grammars (after libvirt was upgraded, or when a test rewrites a directory). */
export function forgetLoadedGrammars(): void {
  loads.clear();
}

/** The first candidate that loads whole, with a note for each one passed over. */
export async function chooseGrammar(opts: LocateOptions): Promise<GrammarChoice> {
  const found = locateSchemas(opts);
  const notes = [...found.notes];
  for (const location of found.candidates) {
    let loaded: LoadedSchema;
    try {
      loaded = await loadOnce(location.dir);
    } catch (e) {
      notes.push(`the libvirt schema in ${location.dir} could not be read (${(e as Error).message})`);
      continue;
    }
    if (loaded.broken.length || loaded.missing.length) {
      const what = [
        loaded.broken.length ? `${loaded.broken.join(', ')} ${loaded.broken.length === 1 ? 'is' : 'are'} not a well-formed RelaxNG grammar` : '',
        loaded.missing.length ? `${loaded.missing.join(', ')} (included by the grammar) ${loaded.missing.length === 1 ? 'is' : 'are'} missing` : '',
      ]
        .filter(Boolean)
        .join('; ');
      notes.push(`the libvirt schema in ${location.dir} is incomplete: ${what}`);
      continue;
    }
    return { grammar: { location, loaded, description: describeLocation(location) }, notes };
  }
  const unavailable =
    found.candidates.length || notes.length
      ? `no usable libvirt schema: ${notes.join('; ')}.`
      : `no libvirt schemas found (looked in ${found.searched.join(' and ')}, and none shipped with this build). Install libvirt's schemas (Debian: package libvirt0) or name a schema directory (setting libvirtDomainXml.schema.directory, CLI --schema DIR).`;
  return { grammar: undefined, notes, unavailable };
}

/** What the status item says about a choice (protocol.ts GrammarStatus). */
export function grammarStatusOf(c: GrammarChoice): { text: string; detail: string } {
  const passed = c.notes.length ? `\nPassed over: ${c.notes.join('; ')}.` : '';
  if (!c.grammar) return { text: 'no libvirt grammar', detail: `Completion and hover use the catalog only: ${c.unavailable ?? 'no schemas.'}` };
  const g = c.grammar;
  return {
    text: g.location.libvirtVersion ? `libvirt ${g.location.libvirtVersion} grammar` : 'libvirt grammar',
    detail: `Grammar: ${g.description} (${g.location.dir}).${passed}`,
  };
}

export interface GrammarSettings {
  /** `libvirtDomainXml.schema.directory` / `--schema DIR`; empty: automatic. */
  readonly directory: string;
  /** The libvirt release the domains are written for (setting, CLI, else the local libvirt). */
  readonly targetVersion: string | undefined;
}

/** The grammar for the current settings, loaded on first request and kept until the settings change. */
export class GrammarSource {
  private settings: GrammarSettings = { directory: '', targetVersion: undefined };
  private pending: Promise<GrammarChoice> | undefined;
  private done: GrammarChoice | undefined;
  private readonly listeners: Array<(c: GrammarChoice) => void> = [];

  constructor(private readonly locate: Omit<LocateOptions, 'directory' | 'targetVersion'> = {}) {}

  /** New settings; a change of directory or target release chooses again on the next request. */
  configure(next: Partial<GrammarSettings>): void {
    const merged = { ...this.settings, ...next };
    if (merged.directory === this.settings.directory && merged.targetVersion === this.settings.targetVersion) return;
    this.settings = merged;
    this.reset();
  }

  /** Chooses again on the next request (libvirt installed or upgraded). */
  reset(): void {
    this.pending = undefined;
    this.done = undefined;
  }

  /** The choice made, once loaded; undefined before (callers that cannot wait read this). */
  get current(): GrammarChoice | undefined {
    return this.done;
  }

  /** Called after each completed choice (the server tells the status item). */
  onDidLoad(listener: (c: GrammarChoice) => void): void {
    this.listeners.push(listener);
  }

  load(): Promise<GrammarChoice> {
    if (!this.pending) {
      const mine = chooseGrammar({ ...this.locate, ...this.settings })
        .catch((e: unknown): GrammarChoice => ({ grammar: undefined, notes: [], unavailable: `the schemas could not be read (${(e as Error)?.message ?? e}).` }))
        .then((c) => {
          if (this.pending === mine) {
            this.done = c;
            for (const l of this.listeners) l(c);
          }
          return c;
        });
      this.pending = mine;
    }
    return this.pending;
  }
}
