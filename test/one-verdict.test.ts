/**
 * One verdict path: the editor session (what the server publishes) and the
 * CLI's checker give the same findings for the same file, with the same
 * code, range, severity and message, including libvirt's schema verdict
 * merged with our version rules. Run with a target release old enough
 * (9.0.0) that the version family and the schema's "newer libvirt" findings
 * both speak, which is where the two faces once disagreed.
 *
 * Files: the bundled examples, every XML fixture, and the peer corpus of
 * virt-install output when it sits beside the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-types';
import { getLanguageService } from '../server/src/languageService';
import { DocumentAnalysis } from '../server/src/session/documentAnalysis';
import type { SchemaValidator } from '../server/src/schema/validator';
import { Checker, type CheckJob } from '../server/src/cli/check';
import { schemaStatus, schemaValidatorFor } from '../server/src/cli/schema';
import { loadHostFile } from './helpers';
import type { Finding } from '../server/src/rules/types';

const repoRoot = path.join(__dirname, '..');
const PEER = path.join(repoRoot, '..', 'shared', 'corpus', 'virt-install');
const HOST = loadHostFile(path.join(repoRoot, 'examples', 'hosts', 'grace-3smmu.json'));
const SETTINGS = { libvirtVersion: '9.0.0' };

function xmlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...xmlFilesUnder(p));
    else if (e.endsWith('.xml')) out.push(p);
  }
  return out;
}

/** What a user sees of a finding. */
const shown = (d: Diagnostic) => `${d.code} ${d.severity} ${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${d.message}`;

/**
 * The validator the session is given: libvirt's schema findings for each
 * file, computed beforehand in one batch (test/cli-schema-batch.test.ts
 * shows a batch gives each file exactly what it gets alone), so that the
 * comparison costs one xmllint run per batch instead of one per file.
 */
function answering(byUri: Map<string, Finding[]>): { validator: SchemaValidator; done(): Promise<unknown> } {
  let last: Promise<unknown> = Promise.resolve();
  const validator = {
    validate: (uri: string) => (last = Promise.resolve(byUri.get(uri) ?? [])),
    forget: () => undefined,
  } as unknown as SchemaValidator;
  return { validator, done: () => last };
}

/** The diagnostics the editor session ends with for a file opened as is: our own first, then with the schema merged in. */
async function sessionVerdict(uri: string, text: string, schema: ReturnType<typeof answering>): Promise<Diagnostic[]> {
  const service = getLanguageService({ host: { topology: () => HOST }, settings: SETTINGS, schema: schema.validator });
  const doc = { uri, version: 1, getText: () => text };
  let last: Diagnostic[] | undefined;
  const analysis = new DocumentAnalysis({
    service,
    current: () => doc,
    publish: (_uri, _version, diagnostics) => {
      last = diagnostics;
    },
    log: (m) => {
      throw new Error(m);
    },
  });
  analysis.opened(doc);
  // The first analysis is published at once (small files do not yield); the schema's follows.
  await new Promise((r) => setTimeout(r, 0));
  await schema.done();
  await new Promise((r) => setTimeout(r, 0));
  analysis.closed(doc.uri);
  assert.ok(last, `${uri}: the session published nothing`);
  return last;
}

test('the editor session and the CLI give the same findings (code, range, severity, message)', async (t) => {
  const status = await schemaStatus('auto', SETTINGS.libvirtVersion);
  if (!status.available) t.diagnostic(`compared without libvirt's schema: ${status.reason}`);
  const files = [...xmlFilesUnder(path.join(repoRoot, 'examples')), ...xmlFilesUnder(path.join(__dirname, 'fixtures'))];
  if (existsSync(PEER)) files.push(...xmlFilesUnder(PEER));
  else t.diagnostic(`peer corpus not compared: ${PEER} is absent`);
  // Files that are not domains (other libvirt XML among the fixtures) are told apart on purpose: a
  // file named on the command line must be a domain, an editor leaves other XML alone.
  const domains = files.filter((f) => /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<domain[\s>]/.test(readFileSync(f, 'utf8')));
  files.length = 0;
  files.push(...domains);

  const jobs: CheckJob[] = files.map((abs, index) => ({ index, name: `file://${abs}`, abs, host: 0, discovered: false }));
  const cli = await new Checker({ hosts: [HOST], settings: SETTINGS, schema: status.available ? 'auto' : undefined }).checkMany(jobs);
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const byUri = new Map<string, Finding[]>();
  if (status.available) {
    const got = await schemaValidatorFor('auto', SETTINGS.libvirtVersion)!.validateBatch(jobs.map((j, i) => ({ uri: j.name, text: texts[i] })));
    got.forEach((r, i) => {
      assert.ok('findings' in r, `${files[i]}: ${JSON.stringify(r)}`);
      byUri.set(jobs[i].name, r.findings);
    });
  }

  let withSchemaFindings = 0;
  for (const [i, abs] of files.entries()) {
    const server = await sessionVerdict(jobs[i].name, texts[i], answering(byUri));
    assert.equal(cli[i].status, 'checked', `${abs}: ${cli[i].error}`);
    assert.deepEqual(cli[i].diagnostics.map(shown), server.map(shown), path.relative(repoRoot, abs));
    if (server.some((d) => String(d.code).startsWith('schema-'))) withSchemaFindings++;
  }
  // The comparison means something only if both the version rules and the schema spoke somewhere.
  if (status.available) assert.ok(withSchemaFindings >= 5, `only ${withSchemaFindings} files had schema findings`);
});
