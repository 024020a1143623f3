/**
 * Rule metadata for SARIF, read from docs/rules.md, so that the help a code
 * scanner shows next to a finding is the same text as the documentation and
 * cannot drift from it.
 *
 * The file is written by hand by several people, so the reader is lenient:
 * a section is a `## ` heading; its rules are the rows of any table whose
 * header has `code`, `severity` and `what` columns (more columns are
 * allowed); its description is its prose paragraphs; examples are
 * fenced blocks whose preceding paragraph starts with "Bad" or "Good". An
 * example whose label names codes of the section belongs to those codes, a
 * "Good" with no codes to the "Bad" ones before it, any other to the whole
 * section.
 *
 * The bundle carries the file's text (scripts/build.mjs defines
 * __LDX_RULES_MD__), so an installed CLI needs no docs directory; from the
 * sources it is read from the repository.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export type DocSeverity = 'error' | 'warning' | 'information' | 'hint';

export interface RuleExample {
  kind: 'bad' | 'good';
  /** The label paragraph as written (Markdown), e.g. "Bad (host: …):". */
  label: string;
  language: string;
  code: string;
}

export interface RuleDoc {
  id: string;
  /** Family key: the `<!-- BEGIN x -->` marker around the section, else the code prefix in the heading. */
  family: string;
  /** The section heading, without `## `. */
  section: string;
  severity: DocSeverity;
  /** The table's `what` cell (Markdown). */
  what: string;
  /** The table's extra columns (e.g. "sure?"), header → cell, when not empty or a dash. */
  extra: Record<string, string>;
  /** The section's prose paragraphs other than example labels (Markdown). */
  description: string[];
  examples: RuleExample[];
}

declare const __LDX_RULES_MD__: string | undefined;

/** The text of docs/rules.md: embedded in the bundle, else found above this file; undefined when neither. */
export function rulesMarkdown(): string | undefined {
  if (typeof __LDX_RULES_MD__ === 'string') return __LDX_RULES_MD__;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    try {
      return readFileSync(path.join(dir, 'docs', 'rules.md'), 'utf8');
    } catch {
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

const SEVERITY_WORDS: Record<string, DocSeverity> = {
  error: 'error',
  warning: 'warning',
  information: 'information',
  info: 'information',
  note: 'information',
  hint: 'hint',
};

/** Code-like tokens in backticks: lower-case words joined by dashes, e.g. `smmu-map-mixed`. */
function codesIn(text: string): string[] {
  return [...text.matchAll(/`([a-z0-9]+(?:-[a-z0-9]+)+)`/g)].map((m) => m[1]);
}

/** Table cells of one `| a | b |` row; `|` inside backticks or escaped as `\|` stays in the cell. */
function cells(line: string): string[] {
  const s = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const out: string[] = [];
  let cur = '';
  let tick = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '|') {
      cur += '|';
      i++;
      continue;
    }
    if (c === '`') tick = !tick;
    if (c === '|' && !tick) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur.trim());
  return out;
}

const isTableLine = (l: string): boolean => l.trim().startsWith('|');
const isSeparator = (l: string): boolean => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(l);

interface Section {
  title: string;
  family: string;
  lines: string[];
}

function sectionsOf(md: string): Section[] {
  const out: Section[] = [];
  let marker: string | undefined;
  let cur: Section | undefined;
  let fence = false;
  for (const raw of md.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(raw)) fence = !fence;
    if (!fence) {
      const begin = /<!--\s*BEGIN\s+([\w-]+)\s*-->/.exec(raw);
      if (begin) {
        marker = begin[1];
        cur = undefined;
        continue;
      }
      if (/<!--\s*END\s+[\w-]+\s*-->/.test(raw)) {
        marker = undefined;
        cur = undefined;
        continue;
      }
      const h2 = /^##\s+(.*?)\s*#*\s*$/.exec(raw);
      if (h2) {
        const prefix = /`([a-z0-9]+(?:-[a-z0-9]+)*)-\*`/.exec(h2[1]);
        cur = { title: h2[1], family: marker ?? prefix?.[1] ?? h2[1].toLowerCase(), lines: [] };
        out.push(cur);
        continue;
      }
      if (/^#\s/.test(raw)) {
        cur = undefined;
        continue;
      }
    }
    cur?.lines.push(raw);
  }
  return out;
}

/** Splits a section body into paragraphs, tables, fenced blocks and sub-headings, in order. */
type Block = { type: 'para'; text: string } | { type: 'table'; rows: string[][] } | { type: 'fence'; language: string; code: string } | { type: 'heading'; text: string };

function blocksOf(lines: readonly string[]): Block[] {
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    const open = /^\s*(```|~~~)\s*([\w-]*)/.exec(l);
    if (open) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(open[1])) body.push(lines[i++]);
      i++;
      out.push({ type: 'fence', language: open[2] || 'text', code: body.join('\n') });
      continue;
    }
    if (/^#{3,6}\s/.test(l)) {
      out.push({ type: 'heading', text: l.replace(/^#+\s*/, '') });
      i++;
      continue;
    }
    if (isTableLine(l)) {
      const rows: string[][] = [];
      while (i < lines.length && isTableLine(lines[i])) {
        if (!isSeparator(lines[i])) rows.push(cells(lines[i]));
        i++;
      }
      out.push({ type: 'table', rows });
      continue;
    }
    if (l.trim() === '' || /^\s*<!--.*-->\s*$/.test(l)) {
      i++;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() !== '' && !isTableLine(lines[i]) && !/^\s*(```|~~~)/.test(lines[i]) && !/^#{3,6}\s/.test(lines[i])) {
      para.push(lines[i++]);
    }
    out.push({ type: 'para', text: para.join('\n') });
  }
  return out;
}

export function parseRulesDoc(md: string): RuleDoc[] {
  const rules: RuleDoc[] = [];
  const byId = new Map<string, RuleDoc>();
  for (const sec of sectionsOf(md)) {
    const blocks = blocksOf(sec.lines);
    const mine: RuleDoc[] = [];
    const description: string[] = [];
    // Codes of the current `###` heading, when it names any.
    let scope: string[] = [];
    // Codes of the "Bad" examples since the last "Good": a "Good" that names none shows their fix.
    let badRun: string[] = [];
    const pendingExamples: { targets: string[]; example: RuleExample }[] = [];
    for (let b = 0; b < blocks.length; b++) {
      const block = blocks[b];
      if (block.type === 'heading') {
        scope = codesIn(block.text);
        continue;
      }
      if (block.type === 'table') {
        const [header, ...rows] = block.rows;
        const names = (header ?? []).map((h) => h.replace(/[`*]/g, '').trim().toLowerCase());
        const ci = names.indexOf('code'),
          si = names.indexOf('severity'),
          wi = names.indexOf('what');
        if (ci < 0 || si < 0 || wi < 0) continue;
        for (const row of rows) {
          const codeCell = row[ci] ?? '';
          const ids = codesIn(codeCell).length ? codesIn(codeCell) : [codeCell.replace(/`/g, '').trim()].filter((c) => /^[a-z0-9-]+$/.test(c));
          const sevWord = /\b(error|warning|information|info|note|hint)\b/i.exec(row[si] ?? '')?.[1]?.toLowerCase();
          const extra: Record<string, string> = {};
          names.forEach((n, k) => {
            const v = (row[k] ?? '').trim();
            if (k !== ci && k !== si && k !== wi && n && v && !/^[-—–]+$/.test(v)) extra[n] = v;
          });
          for (const id of ids) {
            if (byId.has(id)) continue; // the first description of a code wins
            const rule: RuleDoc = {
              id,
              family: sec.family,
              section: sec.title,
              severity: SEVERITY_WORDS[sevWord ?? ''] ?? 'warning',
              what: (row[wi] ?? '').trim(),
              extra,
              description,
              examples: [],
            };
            byId.set(id, rule);
            rules.push(rule);
            mine.push(rule);
          }
        }
        continue;
      }
      if (block.type === 'para') {
        const next = blocks[b + 1];
        const kind = /^\W*(bad|good)\b/i.exec(block.text)?.[1]?.toLowerCase() as 'bad' | 'good' | undefined;
        if (kind && next?.type === 'fence') {
          const named = codesIn(block.text);
          let targets = named.length ? named : scope;
          if (kind === 'bad') badRun.push(...targets);
          else {
            if (!targets.length) targets = [...badRun];
            badRun = [];
          }
          pendingExamples.push({ targets, example: { kind, label: block.text, language: next.language, code: next.code } });
          b++;
          continue;
        }
        if (!scope.length) description.push(block.text);
        continue;
      }
    }
    // Examples may come before or after the table: attach once all the section's codes are known.
    for (const { targets, example } of pendingExamples.splice(0)) {
      const own = targets.filter((t) => mine.some((r) => r.id === t));
      for (const r of own.length ? mine.filter((m) => own.includes(m.id)) : mine) r.examples.push(example);
    }
  }
  return rules;
}

/** `smmu-map-mixed` → `SmmuMapMixed`, the SARIF rule name. */
export function ruleName(id: string): string {
  return id
    .split('-')
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1) : ''))
    .join('');
}

/** Markdown reduced to plain text: code spans, emphasis and links lose their marks. */
export function plainText(md: string): string {
  return md
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/(^|\W)\*([^*\s][^*]*)\*(?=\W|$)/g, '$1$2')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}
