/**
 * What the two packages carry: the .vsix (`vsce`, as `npm run package`
 * makes it) and the npm tarball (`npm pack`, the CLI's install), both from
 * package.json's one `files` list. Each must hold what its README links to,
 * the release bundles and what they load at run time, and nothing of the
 * development tree. The file lists are asked of the tools themselves,
 * without building or packing anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; files: string[] };

function vsixFiles(): string[] {
  const out = execFileSync(process.execPath, [path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

function npmFiles(): string[] {
  // --ignore-scripts: listing must not run `prepack` (a release build over the dist/ other tests use).
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}

/** Relative link targets of a Markdown text (links and images), without their #anchor. */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
  return [...new Set(targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#')).map((t) => t.split('#')[0]))].sort();
}

const packages: [string, () => string[]][] = [
  ['.vsix', vsixFiles],
  ['npm tarball', npmFiles],
];
const lists = new Map<string, string[]>();
const listOf = (name: string, get: () => string[]): string[] => {
  if (!lists.has(name)) lists.set(name, get());
  return lists.get(name)!;
};

for (const [name, get] of packages) {
  test(`${name}: every link of the README resolves to a file in the package`, () => {
    const files = new Set(listOf(name, get));
    const links = relativeLinks(readFileSync(path.join(root, 'README.md'), 'utf8'));
    assert.ok(links.includes('docs/cli.md') && links.some((l) => l.startsWith('docs/images/')), `links found: ${links.join(', ')}`);
    assert.deepEqual(
      links.filter((l) => !files.has(path.posix.normalize(l))),
      [],
    );
  });

  test(`${name}: the release bundles and what they load, nothing of the development tree`, () => {
    const files = listOf(name, get);
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/cli.js',
      'dist/server.js',
      'dist/languageServer.js',
      'dist/extension.js',
      'dist/libxml2.mjs',
      'dist/libxml2raw.wasm',
      'dist/THIRD-PARTY-NOTICES.md',
      'dist/xmllint-node.js',
      'dist/xmllint.wasm',
    ]) {
      assert.ok(files.includes(f), `${f} is missing`);
    }
    const dev = files.filter((f) => /\.map$|\.ts$|^(scripts|server|client|test|e2e|bench|examples|node_modules)\/|^tsconfig\.json$|^\.|\.vsix$|\.tgz$/.test(f));
    assert.deepEqual(dev, []);
  });
}

test('the bundles need no package at run time, so the package declares no dependencies', () => {
  const dist = path.join(root, 'dist');
  const required = new Set<string>();
  for (const f of readdirSync(dist).filter((n) => n.endsWith('.js'))) {
    for (const m of readFileSync(path.join(dist, f), 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) required.add(m[1]);
  }
  const builtin = new Set(builtinModules);
  // `vscode` is the editor's own module, given to the extension at run time.
  const packagesRequired = [...required].filter((m) => !m.startsWith('node:') && !builtin.has(m) && m !== 'vscode' && !m.startsWith('.'));
  assert.deepEqual(packagesRequired, []);
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
});

test('the docs install what exists: no registry install of the unpublished package', () => {
  const docs = [
    'README.md',
    ...readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const claims = docs.flatMap((f) =>
    readFileSync(path.join(root, f), 'utf8')
      .split('\n')
      .filter((l) => /npm (install|i) (-g |--global )?libvirt-domain-xml\b|npx (--yes )?libvirt-domain-xml\b/.test(l))
      .map((l) => `${f}: ${l.trim()}`),
  );
  assert.deepEqual(claims, []);
  assert.match(readFileSync(path.join(root, 'README.md'), 'utf8'), /npm pack[\s\S]*npm install -g \.\/libvirt-domain-xml-0\.1\.0\.tgz/);
});
