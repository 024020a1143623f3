/**
 * The system `xmllint --relaxng`: the very program `virt-xml-validate` runs,
 * so its verdict is libvirt's by construction. Only the fixed name `xmllint`
 * is run, found on PATH, with arguments only (no shell); documents go through
 * a private temporary directory because one run checks several of them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findOnPath } from './locate';
import {
  asUtf8Document,
  docName,
  parseXmllintOutput,
  SchemaEngineError,
  wrapperGrammar,
  type EngineResult,
  type RawSchemaError,
  type SchemaEngine,
  type SchemaSet,
} from './engine';

export interface XmllintEngineOptions {
  /** Per run; a hung xmllint is killed after this. */
  timeoutMs?: number;
}

/** True when an `xmllint` program is on PATH (looked up, not run). */
export function systemXmllintAvailable(pathEnv = process.env.PATH ?? ''): boolean {
  return findOnPath('xmllint', pathEnv) !== undefined;
}

export class XmllintEngine implements SchemaEngine {
  readonly name = 'xmllint' as const;
  private readonly timeoutMs: number;

  constructor(opts: XmllintEngineOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 20_000;
  }

  describe(): Promise<string> {
    return Promise.resolve('xmllint, the system program, one process per check');
  }

  async validate(xmlText: string, schemaDir: string, signal?: AbortSignal): Promise<RawSchemaError[]> {
    const [r] = await this.run([xmlText], path.join(schemaDir, 'domain.rng'), undefined, signal);
    return [...r.errors];
  }

  async validateMany(texts: readonly string[], schema: SchemaSet, start?: string, signal?: AbortSignal): Promise<EngineResult[]> {
    const grammar = path.join(schema.dir, schema.main);
    return this.run(texts, grammar, start === undefined ? undefined : wrapperGrammar(pathToFileURL(grammar).href, start), signal);
  }

  private async run(texts: readonly string[], grammar: string, wrapper: string | undefined, signal?: AbortSignal): Promise<EngineResult[]> {
    if (texts.length === 0) return [];
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'libvirt-schema-'));
    try {
      const names = texts.map((_, i) => docName(i));
      await Promise.all(texts.map((t, i) => writeFile(path.join(tmp, names[i]), asUtf8Document(t))));
      let schemaArg = grammar;
      if (wrapper !== undefined) {
        schemaArg = 'wrapper.rng';
        await writeFile(path.join(tmp, schemaArg), wrapper);
      }
      const { code, stderr } = await this.exec(['--noout', '--nonet', '--relaxng', schemaArg, ...names], tmp, signal);
      // 0 valid, 3 invalid, 1/4 a document is not well-formed; anything else is the engine failing.
      if (code !== 0 && code !== 1 && code !== 3 && code !== 4) {
        throw new SchemaEngineError(`xmllint exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      }
      return parseXmllintOutput(stderr, names);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private exec(args: string[], cwd: string, signal?: AbortSignal): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(
        'xmllint',
        args,
        {
          cwd,
          timeout: this.timeoutMs,
          maxBuffer: 64 * 1024 * 1024,
          signal,
          env: { ...process.env, LC_ALL: 'C' },
          windowsHide: true,
        },
        (err, _stdout, stderr) => {
          if (!err) {
            resolve({ code: 0, stderr: String(stderr) });
            return;
          }
          const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
          if (e.name === 'AbortError') {
            reject(e);
            return;
          }
          if (typeof e.code === 'number') {
            resolve({ code: e.code, stderr: String(stderr) });
            return;
          }
          if (e.killed) {
            reject(new SchemaEngineError(`xmllint took longer than ${this.timeoutMs} ms and was stopped`));
            return;
          }
          reject(new SchemaEngineError(e.code === 'ENOENT' ? 'xmllint is not installed' : `xmllint could not run: ${e.message}`));
        },
      );
    });
  }
}
