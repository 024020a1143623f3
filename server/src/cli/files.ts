/**
 * Turns the command line's FILE arguments into the list of files to check:
 * plain files as given, directories walked for `*.xml`, and globs expanded by
 * us (a pipeline often quotes them, and Node 20 has no fs.glob).
 *
 * A glob that matches a directory takes the directory's *.xml files, as a
 * directory argument would. Files found by walking or by a glob are "discovered": the checker skips
 * them quietly when their root element is not `<domain>`, so a directory that
 * also holds network or storage-pool XML can be checked as a whole. Files
 * named one by one are always checked.
 *
 * A directory without any *.xml file, like a glob that matches no file, is
 * a problem of the command line (exit 2), since it leaves nothing to check.
 *
 * The result is sorted by path (code-unit order, not locale) and free of
 * duplicates, so output is the same on every machine and run.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { expandBraces, globToRegExp, hasMagic, walkPlan } from './glob';

export interface InputFile {
  /** The path as shown in output: as typed, or the typed directory joined with the relative path. */
  path: string;
  /** Absolute path, for reading and for host-map matching. */
  abs: string;
  /** True when found by a directory walk or a glob rather than named. */
  discovered: boolean;
}

export interface Expansion {
  files: InputFile[];
  /** True when `-` was given. */
  stdin: boolean;
  /** Messages about arguments that could not be used (missing file, unreadable directory, glob matching nothing). */
  problems: string[];
}

/** Directory names a walk never enters: version-control metadata and installed packages are not domain definitions. */
function skippedDirectory(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

const byPath = (a: InputFile, b: InputFile): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export async function expandInputs(args: readonly string[], cwd: string = process.cwd()): Promise<Expansion> {
  const found = new Map<string, InputFile>();
  const problems: string[] = [];
  let stdin = false;
  const add = (f: InputFile) => {
    const prev = found.get(f.abs);
    // A file both named and discovered counts as named: the user asked for it.
    if (!prev || (prev.discovered && !f.discovered)) found.set(f.abs, f);
  };

  for (const arg of args) {
    if (arg === '-') {
      stdin = true;
      continue;
    }
    const abs = path.resolve(cwd, arg);
    let kind: 'file' | 'dir' | undefined;
    let errCode = '';
    try {
      const st = await fs.stat(abs);
      kind = st.isDirectory() ? 'dir' : 'file';
    } catch (e) {
      errCode = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    if (kind === 'file') {
      add({ path: arg, abs, discovered: false });
      continue;
    }
    if (kind === 'dir') {
      let xmlFiles = 0;
      await walk(
        abs,
        arg,
        Infinity,
        (rel, fileAbs) => {
          if (rel.toLowerCase().endsWith('.xml')) {
            xmlFiles++;
            add({ path: joinDisplay(arg, rel), abs: fileAbs, discovered: true });
          }
        },
        problems,
      );
      // As a glob that matches nothing: an argument that gives nothing to check is a mistake in the command.
      if (xmlFiles === 0) problems.push(`no *.xml files in ${arg}`);
      continue;
    }
    if (errCode === 'ENOENT' && hasMagic(arg)) {
      const matched = await expandGlob(arg, cwd, problems);
      if (matched.length === 0) problems.push(`no files match '${arg}'`);
      for (const f of matched) add(f);
      continue;
    }
    problems.push(`cannot read ${arg}: ${errCode}`);
  }
  return { files: [...found.values()].sort(byPath), stdin, problems };
}

/** `dir` as typed joined with a `/`-separated relative path, without a leading `./`. */
function joinDisplay(dir: string, rel: string): string {
  if (dir === '.' || dir === './') return rel;
  return dir.endsWith('/') ? dir + rel : `${dir}/${rel}`;
}

async function expandGlob(pattern: string, cwd: string, problems: string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const re = globToRegExp(pattern);
  // Each brace alternative may start at a different fixed directory.
  const plans = new Map<string, number>();
  for (const alt of expandBraces(pattern)) {
    const { base, depth } = walkPlan(alt);
    plans.set(base, Math.max(plans.get(base) ?? 0, depth));
  }
  const seen = new Set<string>();
  for (const [base, depth] of plans) {
    const baseAbs = path.resolve(cwd, base);
    try {
      if (!(await fs.stat(baseAbs)).isDirectory()) continue;
    } catch {
      continue; // a fixed prefix that does not exist simply matches nothing
    }
    const dirs: [string, string][] = [];
    await walk(
      baseAbs,
      base,
      depth,
      (rel, abs) => {
        const shown = joinDisplay(base, rel);
        if (!seen.has(abs) && re.test(shown)) {
          seen.add(abs);
          out.push({ path: shown, abs, discovered: true });
        }
      },
      problems,
      (rel, abs) => {
        const shown = joinDisplay(base, rel);
        if (re.test(shown)) dirs.push([shown, abs]);
      },
    );
    // A directory the glob matches is checked as if named: its *.xml files, at any depth.
    for (const [shown, abs] of dirs) {
      await walk(
        abs,
        shown,
        Infinity,
        (rel, fileAbs) => {
          if (!seen.has(fileAbs) && rel.toLowerCase().endsWith('.xml')) {
            seen.add(fileAbs);
            out.push({ path: joinDisplay(shown, rel), abs: fileAbs, discovered: true });
          }
        },
        problems,
      );
    }
  }
  return out;
}

/**
 * Calls `onFile` for every regular file below `rootAbs` (symlinks followed;
 * a directory reached twice, e.g. through a link loop, is walked once), at
 * most `depth` levels down (1 = the directory's own files), and `onDir` for
 * every directory met at those levels.
 */
async function walk(
  rootAbs: string,
  shownRoot: string,
  depth: number,
  onFile: (rel: string, abs: string) => void,
  problems: string[],
  onDir?: (rel: string, abs: string) => void,
): Promise<void> {
  const visited = new Set<string>();
  const visit = async (dirAbs: string, rel: string, level: number): Promise<void> => {
    let real: string;
    try {
      real = await fs.realpath(dirAbs);
    } catch {
      real = dirAbs;
    }
    if (visited.has(real)) return;
    visited.add(real);
    let entries;
    try {
      entries = await fs.readdir(dirAbs, { withFileTypes: true });
    } catch (e) {
      problems.push(`cannot read ${rel === '' ? shownRoot : joinDisplay(shownRoot, rel)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      const childAbs = path.join(dirAbs, ent.name);
      const childRel = rel === '' ? ent.name : `${rel}/${ent.name}`;
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        try {
          const st = await fs.stat(childAbs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // a dangling link is not a file to check
        }
      }
      if (isFile) onFile(childRel, childAbs);
      else if (isDir && !skippedDirectory(ent.name)) {
        onDir?.(childRel, childAbs);
        if (level < depth) await visit(childAbs, childRel, level + 1);
      }
    }
  };
  await visit(rootAbs, '', 1);
}
