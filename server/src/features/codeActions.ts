import type { CodeAction, Diagnostic } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';

export function codeActions(_ctx: FeatureContext, _start: number, _end: number, _diagnostics: readonly Diagnostic[], _only?: readonly string[]): CodeAction[] {
  return [];
}
