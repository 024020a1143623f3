/**
 * SARIF 2.1.0 output, the format code-scanning services (GitHub, GitLab,
 * Azure DevOps) read to annotate a pull request. Rule metadata and help come
 * from docs/rules.md (rulesDoc.ts), so an alert shows the documented bad and
 * good example next to the finding.
 *
 * Positions: SARIF lines and columns are 1-based; our columns count UTF-16
 * code units (as LSP does), which the run states with `columnKind`.
 * Artifact URIs are relative to the working directory with the `%SRCROOT%`
 * base, which code-scanning uploads resolve against the checkout.
 */
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-types';
import { messageText, severityName, type FileResult } from './format';
import { plainText, ruleName, type DocSeverity, type RuleDoc } from './rulesDoc';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const SRCROOT = '%SRCROOT%';

type Level = 'error' | 'warning' | 'note' | 'none';

const LEVEL: Record<DocSeverity, Level> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

export interface SarifOptions {
  toolName: string;
  version: string;
  /** Where the project lives on the web; omitted from the log when undefined. */
  informationUri?: string;
  /** Directory that artifact URIs are relative to. */
  cwd: string;
  /** Messages that are not findings (unreadable files, schema validation off), as tool notifications. */
  notifications?: { level: 'error' | 'warning' | 'note'; text: string }[];
  /** False when the run could not do all it was asked (exit status 2). */
  executionSuccessful: boolean;
  /** What `file` names: paths (the default), or names such as libvirt domains that are no files. */
  artifacts?: 'paths' | 'names';
  /** Properties of the run (check --connect: the connection and its libvirt release). */
  properties?: Record<string, unknown>;
}

/** An artifact URI: relative to `cwd` with `%SRCROOT%` when inside it, else an absolute file URI. */
export function artifactLocation(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  if (file === '<stdin>') return { uri: 'stdin' };
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  const encode = (parts: string[]) => parts.map(encodeURIComponent).join('/');
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return { uri: encode(rel.split(path.sep)), uriBaseId: SRCROOT };
  return { uri: 'file://' + encode(abs.split(path.sep)) };
}

/** A heading for an extra column of the rules table; the "sure?" column says what a rule rests on. */
function columnLabel(header: string): string {
  const h = header.replace(/\?$/, '').trim();
  if (h === 'sure') return 'Basis';
  return h ? h[0].toUpperCase() + h.slice(1) : h;
}

function ruleDescriptor(r: RuleDoc): Record<string, unknown> {
  const what = plainText(r.what);
  const short = /^(.*?[.;])\s/.exec(what)?.[1]?.replace(/[.;]$/, '') ?? what;
  const full = `${what}${/[.!?]$/.test(what) ? '' : '.'} Default severity: ${r.severity}.`;
  const extras = Object.entries(r.extra).map(([k, v]) => `${columnLabel(k)}: ${plainText(v)}`);
  const mdExamples = r.examples.map((e) => `${e.label}\n\n\`\`\`${e.language}\n${e.code}\n\`\`\``);
  const textExamples = r.examples.map((e) => `${plainText(e.label)}\n\n${e.code}`);
  const markdown = [`**\`${r.id}\`** (${r.severity}): ${r.what}`, ...Object.entries(r.extra).map(([k, v]) => `*${columnLabel(k)}:* ${v}`), ...r.description, ...mdExamples].join(
    '\n\n',
  );
  const text = [`${r.id} (${r.severity}): ${what}`, ...extras, ...r.description.map(plainText), ...textExamples].join('\n\n');
  return {
    id: r.id,
    name: ruleName(r.id),
    shortDescription: { text: short },
    fullDescription: { text: full },
    help: { text, markdown },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { tags: [r.family] },
  };
}

/** A code that docs/rules.md does not describe still needs a rule entry for its results. */
function undocumentedDescriptor(id: string, severity: DocSeverity): Record<string, unknown> {
  const text = `${id}: not described in docs/rules.md.`;
  return {
    id,
    name: ruleName(id),
    shortDescription: { text },
    help: { text, markdown: text },
    defaultConfiguration: { level: LEVEL[severity] },
  };
}

function region(d: Diagnostic): Record<string, number> {
  const { start, end } = d.range;
  return { startLine: start.line + 1, startColumn: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
}

/**
 * The SARIF log for a run. Every documented rule is listed (so that a viewer
 * can show help for all of them), followed by any code met that the
 * documentation lacks; results point at their rule by id and index.
 */
export function toSarif(results: readonly FileResult[], rules: readonly RuleDoc[], opts: SarifOptions): Record<string, unknown> {
  const descriptors = rules.map(ruleDescriptor);
  const indexOf = new Map(rules.map((r, i) => [r.id, i]));
  const sarifResults: Record<string, unknown>[] = [];
  for (const r of results) {
    // A name is a URI reference of its own (percent-encoded), with no base: it names a domain, not a file in the checkout.
    const artifact = opts.artifacts === 'names' ? { uri: encodeURIComponent(r.file) } : artifactLocation(r.file, opts.cwd);
    for (const d of r.diagnostics) {
      const id = String(d.code ?? 'unknown');
      let ruleIndex = indexOf.get(id);
      if (ruleIndex === undefined) {
        ruleIndex = descriptors.length;
        descriptors.push(undocumentedDescriptor(id, severityName(d)));
        indexOf.set(id, ruleIndex);
      }
      const result: Record<string, unknown> = {
        ruleId: id,
        ruleIndex,
        level: LEVEL[severityName(d)],
        message: { text: messageText(d) },
        locations: [{ physicalLocation: { artifactLocation: artifact, region: region(d) } }],
      };
      // Related places in the same file (e.g. the other expander of an overlap); host paths are not in the repository.
      const related = (d.relatedInformation ?? []).filter((ri) => ri.location.uri === r.file);
      if (related.length) {
        result.relatedLocations = related.map((ri, i) => ({
          id: i + 1,
          message: { text: ri.message },
          physicalLocation: { artifactLocation: artifact, region: region({ ...d, range: ri.location.range }) },
        }));
      }
      sarifResults.push(result);
    }
  }
  const driver: Record<string, unknown> = { name: opts.toolName, version: opts.version, semanticVersion: opts.version };
  if (opts.informationUri) driver.informationUri = opts.informationUri;
  driver.rules = descriptors;
  const invocation: Record<string, unknown> = { executionSuccessful: opts.executionSuccessful };
  if (opts.notifications?.length) {
    invocation.toolExecutionNotifications = opts.notifications.map((n) => ({ level: n.level, message: { text: n.text } }));
  }
  const run: Record<string, unknown> = {
    tool: { driver },
    invocations: [invocation],
    columnKind: 'utf16CodeUnits',
    results: sarifResults,
  };
  if (opts.properties) run.properties = opts.properties;
  return { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
}

export function formatSarif(results: readonly FileResult[], rules: readonly RuleDoc[], opts: SarifOptions): string {
  return JSON.stringify(toSarif(results, rules, opts), null, 2) + '\n';
}
