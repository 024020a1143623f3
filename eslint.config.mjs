/**
 * The linter: typescript-eslint's recommended rules (syntax only, no type
 * information, so a run stays a few seconds) and the layers of
 * ARCHITECTURE.md as `no-restricted-imports`, so that an import that runs up
 * a layer is marked in the editor as it is typed. The layer table is
 * server/layers.json, which test/architecture.test.ts reads too (it also
 * checks cycles and dynamic imports, which this rule does not see).
 */
import { readFileSync } from 'node:fs';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const { layers, clientMayImport } = JSON.parse(readFileSync(new URL('./server/layers.json', import.meta.url), 'utf8'));
const parts = Object.keys(layers);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A part as the tail of a relative specifier: `session`, `session/x`, `languageService`, `languageService.ts`. */
const target = (part) => (part.endsWith('.ts') ? `${escape(part.slice(0, -3))}(\\.ts)?$` : `${escape(part)}(/|$)`);
const up = (depth) => (depth === 0 ? '\\./' : `(\\.\\./){${depth}}`);
const layerOf = (part) => `${part.replace(/\.ts$/, '')} (layer ${layers[part]})`;

/**
 * The restriction for the files of `part` that sit `depth` folders below
 * server/src (0: server/src itself): every other part of the same or a
 * higher layer, and anything outside server/src.
 */
function layerRule(part, depth) {
  const banned = parts.filter((p) => p !== part && layers[p] >= layers[part]);
  const patterns = banned.map((p) => ({
    regex: `^${up(depth)}${target(p)}`,
    message: `${layerOf(part)} may not import ${layerOf(p)}: imports only go down the layers (ARCHITECTURE.md).`,
  }));
  patterns.push({
    regex: `^(\\.\\./){${depth + 1}}`,
    message: 'server/src imports nothing from outside server/src (ARCHITECTURE.md).',
  });
  return { 'no-restricted-imports': ['error', { patterns }] };
}

/** Files of a part at a depth: `server/src/rules/*.ts`, `server/src/features/*\/*.ts`; a top-level file is itself. */
function filesOf(part, depth) {
  if (part.endsWith('.ts')) return [`server/src/${part}`];
  return [`server/src/${part}/${'*/'.repeat(depth - 1)}*.ts`];
}

/** Folders nest at most this deep below a part (features/fixes/x.ts is depth 2). */
const MAX_DEPTH = 3;
const layerConfigs = parts.flatMap((part) => {
  const depths = part.endsWith('.ts') ? [0] : Array.from({ length: MAX_DEPTH }, (_, i) => i + 1);
  return depths.map((depth) => ({ files: filesOf(part, depth), rules: layerRule(part, depth) }));
});

/** The client (client/src, depth 1 or 2) reaches the server only through the modules in clientMayImport. */
const clientConfigs = Array.from({ length: MAX_DEPTH }, (_, i) => i + 1).map((depth) => {
  const allowed = clientMayImport.map((f) => `server/src/${target(f)}`).join('|');
  return {
    files: [`client/src/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./){${depth + 1}}(?!${allowed})`,
              message: `the client imports only ${clientMayImport.map((f) => `server/src/${f}`).join(', ')} from the server; ask the server through an LSP request instead (ARCHITECTURE.md).`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'out/',
      'node_modules/',
      'e2e/node_modules/',
      'libvirt-schemas/',
      '.referee/',
      '.bench/',
      'test/fixtures/',
      'test/corpus/',
      'test/regressions/',
      'test-results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` says "deliberately unused" (a parameter a signature needs, a skipped element).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // e2e/ steps run inside the browser page too (page.evaluate).
  { files: ['e2e/**/*.mjs'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
  ...layerConfigs,
  ...clientConfigs,
);
