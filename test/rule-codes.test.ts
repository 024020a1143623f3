/**
 * The registry of finding codes (server/src/rules/codes.ts) against what
 * the checker really does and what docs/rules.md says:
 *
 *  - every registry code has a row in docs/rules.md, in its family's table,
 *    with the same severity; every row is a registry code;
 *  - the "Quick fixes" list names exactly the fixable codes, and "Codes
 *    without a quick fix" names only registry codes without one;
 *  - every code the verdict emits over the examples, the test fixtures, the
 *    test corpus and the peer corpus (when it sits beside the repository) is
 *    a registry code, with its registered severity (a code reported with
 *    another one of its stated severities must have that word in its row);
 *  - every code marked fixable gets a quick fix offered for at least one of
 *    those files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-types';
import { getLanguageService, type LanguageService } from '../server/src/languageService';
import { codeSpec, isRuleCode, RULE_CODES, type RuleCode, type Severity } from '../server/src/rules/codes';
import { parseRulesDoc } from '../server/src/cli/rulesDoc';
import { schemaStatus, schemaValidatorFor } from '../server/src/cli/schema';
import type { HostTopology } from '../server/src/host/types';
import type { DomainExpectation } from '../server/src/rules/input';
import { loadHostFile } from './helpers';

const root = path.join(__dirname, '..');
const PEER = path.join(root, '..', 'shared', 'corpus', 'virt-install');
const RULES_MD = readFileSync(path.join(root, 'docs', 'rules.md'), 'utf8');
const DOCS = parseRulesDoc(RULES_MD);
const CODES = Object.keys(RULE_CODES) as RuleCode[];
const LSP_SEVERITY: Record<number, Severity> = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

test('every registry code has a row in docs/rules.md, in its family, with its severity; every row is a registry code', () => {
  const byId = new Map(DOCS.map((r) => [r.id, r]));
  const wrong: string[] = [];
  for (const code of CODES) {
    const spec = codeSpec(code);
    const row = byId.get(code);
    if (!row) wrong.push(`${code}: no row in docs/rules.md (add one to the table of family '${spec.family}')`);
    else if (row.severity !== spec.severity) wrong.push(`${code}: docs say ${row.severity}, the registry ${spec.severity}`);
    else if (row.family !== spec.family) wrong.push(`${code}: documented in family '${row.family}', registered in '${spec.family}'`);
    else for (const s of spec.otherSeverities) if (!row.what.includes(s)) wrong.push(`${code}: its row does not say when it is a(n) ${s}`);
  }
  for (const row of DOCS) if (!isRuleCode(row.id)) wrong.push(`${row.id}: documented, but not in the registry (server/src/rules/codes.ts)`);
  assert.deepEqual(wrong, []);
  assert.equal(new Set(DOCS.map((r) => r.id)).size, DOCS.length, 'a code has two rows');
});

/** Codes in backticks in a part of docs/rules.md. */
function codesIn(text: string): string[] {
  return [...new Set([...text.matchAll(/`([a-z0-9]+(?:-[a-z0-9]+)+)`/g)].map((m) => m[1]))];
}

test('"Quick fixes" names exactly the fixable codes; "Codes without a quick fix" only registry codes without one', () => {
  const start = RULES_MD.indexOf('## Quick fixes');
  const without = RULES_MD.indexOf('### Codes without a quick fix');
  assert.ok(start >= 0 && without > start);
  // The bullet list of fixes (the paragraphs after it name the source action and settings).
  const fixList = RULES_MD.slice(start, without)
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .join('\n');
  const fixable = CODES.filter((c) => codeSpec(c).fixable).sort();
  assert.deepEqual(codesIn(fixList).filter(isRuleCode).sort(), fixable);
  // Each reason is a bullet: the codes it is about, a colon, why.
  const reasons = RULES_MD.slice(without)
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.split(': ')[0])
    .join('\n');
  assert.deepEqual(
    codesIn(reasons).filter((c) => !isRuleCode(c) || codeSpec(c).fixable),
    [],
  );
});

function xmlFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...xmlFilesUnder(p));
    else if (e.endsWith('.xml')) out.push(p);
  }
  return out;
}

/** The hosts the files are checked against: none, and each host the repository ships. */
function hosts(): (HostTopology | undefined)[] {
  const files = [
    path.join(root, 'examples', 'hosts', 'grace-3smmu.json'),
    path.join(root, 'test', 'fixtures', 'fixes', 'host.json'),
    ...readdirSync(path.join(root, 'test', 'fixtures', 'hosts'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => path.join(root, 'test', 'fixtures', 'hosts', f)),
  ];
  return [undefined, ...files.map(loadHostFile)];
}

interface Seen {
  severities: Map<RuleCode, Set<Severity>>;
  /** Where each code was seen first, for the messages. */
  where: Map<string, string>;
  fixed: Set<RuleCode>;
  strange: string[];
}

function note(seen: Seen, ls: LanguageService, file: string, text: string, diagnostics: readonly Diagnostic[]): void {
  const doc = ls.parse(text, `file://${file}`, 1);
  for (const d of diagnostics) {
    const code = String(d.code);
    if (!isRuleCode(code)) {
      seen.strange.push(`${path.relative(root, file)}: ${code} is not in the registry`);
      continue;
    }
    const severity = LSP_SEVERITY[d.severity ?? 0];
    if (!seen.severities.has(code)) seen.severities.set(code, new Set());
    seen.severities.get(code)!.add(severity);
    if (!seen.where.has(`${code} ${severity}`)) seen.where.set(`${code} ${severity}`, path.relative(root, file));
    if (codeSpec(code).fixable && !seen.fixed.has(code) && ls.codeActions(doc, d.range, [d], ['quickfix']).length > 0) seen.fixed.add(code);
  }
}

test('every code the verdict emits over examples, fixtures and corpora is registered with that severity, and every fixable code gets a fix', async (t) => {
  const files = [
    ...xmlFilesUnder(path.join(root, 'examples')),
    ...xmlFilesUnder(path.join(root, 'test', 'fixtures')),
    ...xmlFilesUnder(path.join(root, 'test', 'corpus')),
    ...xmlFilesUnder(path.join(root, 'test', 'regressions')),
  ];
  if (existsSync(PEER)) files.push(...xmlFilesUnder(PEER));
  else t.diagnostic(`peer corpus not run: ${PEER} is absent`);
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const isDomain = (text: string) => /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<domain[\s>]/.test(text);
  const seen: Seen = { severities: new Map(), where: new Map(), fixed: new Set(), strange: [] };

  // Our own verdict: every file against every host, with no target release and an old one (the version family).
  for (const host of hosts()) {
    for (const libvirtVersion of [undefined, '9.0.0']) {
      const ls = getLanguageService({
        host: { topology: () => host },
        settings: { libvirtVersion },
        log: (m) => {
          throw new Error(m);
        },
      });
      files.forEach((file, i) => {
        // A file of the checker must be a domain; the editor speaks only of a near miss of <domain>.
        for (const expect of (isDomain(texts[i]) ? ['required'] : ['required', 'intended']) as DomainExpectation[]) {
          const doc = ls.parse(texts[i], `file://${file}`, 1);
          note(seen, ls, file, texts[i], ls.verdict(doc, { strict: true, expect }).diagnostics);
        }
      });
    }
  }

  // libvirt's schema, when this machine has it: one batch, merged into the verdict as the faces do.
  const status = await schemaStatus('auto');
  if (!status.available) t.diagnostic(`schema codes not collected: ${status.reason}`);
  else {
    const host = hosts()[1];
    const ls = getLanguageService({
      host: { topology: () => host },
      schema: schemaValidatorFor('auto'),
      log: (m) => {
        throw new Error(m);
      },
    });
    const docs = files.map((f, i) => ls.parse(texts[i], `file://${f}`, 1));
    const outcomes = await ls.schemaFindingsOfMany(docs);
    outcomes.forEach((o, i) => {
      if (!('findings' in o)) return;
      note(seen, ls, files[i], texts[i], ls.verdict(docs[i], { strict: true, expect: 'required' }).withSchema(o.findings));
    });
  }

  assert.deepEqual(seen.strange, []);
  const wrongSeverity: string[] = [];
  for (const [code, severities] of seen.severities) {
    const spec = codeSpec(code);
    for (const s of severities) {
      if (s !== spec.severity && !spec.otherSeverities.includes(s))
        wrongSeverity.push(`${code} is reported as ${s} (${seen.where.get(`${code} ${s}`)}), registered as ${spec.severity}`);
    }
  }
  assert.deepEqual(wrongSeverity, []);

  const fixable = CODES.filter((c) => codeSpec(c).fixable);
  const schemaCodes = (c: RuleCode) => codeSpec(c).family === 'schema';
  const unfixed = fixable.filter((c) => !seen.fixed.has(c) && (status.available || !schemaCodes(c)));
  assert.deepEqual(unfixed, [], 'fixable codes for which no file got a quick fix offered');

  const never = CODES.filter((c) => !seen.severities.has(c));
  t.diagnostic(`${files.length} files; ${seen.severities.size} of ${CODES.length} codes seen; not emitted by these files: ${never.join(', ')}`);
});
