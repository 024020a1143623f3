/**
 * Output formats of `check`. Text reads like a compiler (one-based line and
 * column); JSON keeps LSP's zero-based positions so that editors and tools
 * can use the ranges unchanged.
 */
import type { Diagnostic } from 'vscode-languageserver-types';

export interface FileResult {
  file: string;
  diagnostics: Diagnostic[];
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export function severityName(d: Diagnostic): Severity {
  switch (d.severity) {
    case 1:
      return 'error';
    case 2:
      return 'warning';
    case 3:
      return 'information';
    default:
      return 'hint';
  }
}

/** LSP 3.18 allows markup in messages; ours are plain strings, but be safe. */
export function messageText(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

export function formatText(results: readonly FileResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const d of r.diagnostics) {
      const { line, character } = d.range.start;
      lines.push(`${r.file}:${line + 1}:${character + 1}: ${severityName(d)} ${d.code ?? ''}: ${messageText(d)}`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

export interface JsonFinding {
  file: string;
  range: Diagnostic['range'];
  severity: Severity;
  code: string;
  message: string;
}

export function toJsonFindings(results: readonly FileResult[]): JsonFinding[] {
  return results.flatMap((r) =>
    r.diagnostics.map((d) => ({
      file: r.file,
      range: d.range,
      severity: severityName(d),
      code: String(d.code ?? ''),
      message: messageText(d),
    })),
  );
}

export function formatJson(results: readonly FileResult[]): string {
  return JSON.stringify(toJsonFindings(results), null, 2) + '\n';
}

export function summary(results: readonly FileResult[]): { errors: number; warnings: number; files: number } {
  let errors = 0,
    warnings = 0;
  for (const r of results)
    for (const d of r.diagnostics) {
      if (d.severity === 1) errors++;
      else if (d.severity === 2) warnings++;
    }
  return { errors, warnings, files: results.length };
}
