/**
 * LSP diagnostics (what the CLI and the libvirt helpers produce) as VS Code
 * diagnostics, for the collections the extension fills itself: libvirt's
 * refusals, and "Check all domains on this connection".
 */
import * as vscode from 'vscode';
import type { Diagnostic } from 'vscode-languageserver-types';

const SEVERITY: Record<number, vscode.DiagnosticSeverity> = {
  1: vscode.DiagnosticSeverity.Error,
  2: vscode.DiagnosticSeverity.Warning,
  3: vscode.DiagnosticSeverity.Information,
  4: vscode.DiagnosticSeverity.Hint,
};

export function toVscodeDiagnostic(d: Diagnostic): vscode.Diagnostic {
  const r = d.range;
  const out = new vscode.Diagnostic(
    new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character),
    typeof d.message === 'string' ? d.message : String(d.message),
    SEVERITY[d.severity ?? 1] ?? vscode.DiagnosticSeverity.Error,
  );
  if (d.code !== undefined) out.code = d.code;
  if (d.source) out.source = d.source;
  return out;
}
