// Bundles the extension client, the language server and the CLI with esbuild.
// Development builds carry source maps; `--release` minifies instead.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { writeNotices } from './notices.mjs';
import { wasmBeside } from './wasmBeside.mjs';

// libvirt's schemas ship in libvirt-schemas/ (fetched once, then kept; see the
// script). Without bash, apt-get or network the build goes on and says so.
if (process.env.LDX_NO_SCHEMA_FETCH !== '1') {
  const r = spawnSync('bash', ['scripts/fetch-schemas.sh', '--quiet'], { stdio: 'inherit' });
  if (r.error) console.warn(`build: libvirt schemas not fetched (${r.error.message}); the installed ones are used at run time.`);
}

const release = process.argv.includes('--release');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: release,
  sourcemap: release ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  // Read by notices.mjs: which packages each bundle carries.
  metafile: true,
};

/**
 * esbuild escapes non-ASCII characters in strings and regular expressions but keeps them in the comments it
 * leaves in a development build (a library's "§" or "—"). One such character makes V8 hold the whole bundle as
 * a two-byte string: twice the memory and a slower read at every start. In comments an escape is harmless.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  const ascii = text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) writeFileSync(file, ascii);
}

const bundles = await Promise.all([
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  // The server is two files: dist/server.js, what editors start, runs dist/languageServer.js with a V8 code
  // cache (server/src/boot/). The bundle is kept ASCII (asciiOnly) so that it loads as a one-byte string.
  build({ ...common, entryPoints: ['server/src/boot/main.ts'], outfile: 'dist/server.js' }),
  build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/languageServer.js' }).then((r) => (asciiOnly('dist/languageServer.js'), r)),
  // The CLI carries docs/rules.md (rule help for SARIF output), so an installed copy needs no docs directory.
  // Like the server, it bundles everything: the package has no runtime dependencies (test/packaging.test.ts).
  build({
    ...common,
    entryPoints: ['server/src/cli/main.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    define: { __LDX_RULES_MD__: JSON.stringify(readFileSync('docs/rules.md', 'utf8')) },
  }),
]);

// libxml2-wasm (the in-process schema engine, server/src/schema/libxml2Wasm.ts) is
// an ES module that awaits its WebAssembly as it loads, which a CommonJS bundle
// cannot hold: it goes beside the bundles as one ES module they import, its
// WebAssembly in a file of its own (wasmBeside.mjs says why).
const libxml2 = await build({
  ...common,
  format: 'esm',
  sourcemap: false,
  entryPoints: ['node_modules/libxml2-wasm/lib/index.mjs'],
  outfile: 'dist/libxml2.mjs',
  plugins: [wasmBeside({ filter: /libxml2-wasm[\\/]lib[\\/]libxml2raw\.mjs$/, wasmName: 'libxml2raw.wasm' })],
});

// The bundled server and CLI load xmllint-wasm's worker script and .wasm from
// their own directory (dist/), so they travel with them into both packages.
for (const f of ['xmllint-node.js', 'xmllint.wasm']) copyFileSync(`node_modules/xmllint-wasm/${f}`, `dist/${f}`);

writeNotices(
  'dist/THIRD-PARTY-NOTICES.md',
  [...bundles, libxml2].map((b) => b.metafile),
  ['node_modules/xmllint-wasm'],
);
