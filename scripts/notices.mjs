// Writes dist/THIRD-PARTY-NOTICES.md: the licence of every package whose code
// the bundles carry. The bundles are built without licence comments, and
// several of those packages (MIT: libxml2 and its WebAssembly builds, the LSP
// libraries, xmldom) ask that their notice travel with copies of their code.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The package folder (node_modules/name or node_modules/@scope/name) of a bundled input file. */
function packageDirOf(input) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'));
  return m ? m[1] : undefined;
}

/**
 * @param {string} outfile where to write
 * @param {object[]} metafiles esbuild metafiles of the bundles
 * @param {string[]} copied package folders whose files are copied into dist as they are
 */
export function writeNotices(outfile, metafiles, copied = []) {
  const dirs = new Set(copied);
  for (const meta of metafiles)
    for (const input of Object.keys(meta.inputs)) {
      const dir = packageDirOf(input);
      if (dir) dirs.add(dir);
    }
  const sections = [...dirs].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const files = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => /^(licen[cs]e|copying|notice)/i.test(f))
          .sort()
      : [];
    if (!files.length) throw new Error(`${pkg.name} is bundled but ships no licence file: add its notice by hand`);
    const texts = files.map((f) => readFileSync(path.join(dir, f), 'utf8').trim());
    return [`## ${pkg.name} ${pkg.version} (${pkg.license ?? 'see below'})`, '', ...texts.map((t) => '```\n' + t + '\n```\n')].join('\n');
  });
  writeFileSync(outfile, ['# Third-party notices', '', 'The bundles in this folder include code from these packages, under these licences.', '', ...sections].join('\n'));
}
