/**
 * libvirt's refusals (from the server's define and native requests) as VS
 * Code diagnostics, for the collection the extension fills itself: an error
 * on the element libvirt's message names, until the next good save.
 */
import * as vscode from 'vscode';
import type { LibvirtRefusal } from '../protocol';

export function refusalDiagnostic(r: LibvirtRefusal): vscode.Diagnostic {
  const { start, end } = r.range;
  const out = new vscode.Diagnostic(new vscode.Range(start.line, start.character, end.line, end.character), r.message, vscode.DiagnosticSeverity.Error);
  out.code = r.code;
  out.source = r.source;
  return out;
}
