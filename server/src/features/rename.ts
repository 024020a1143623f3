import type { Range, WorkspaceEdit } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';

export function prepareRename(_ctx: FeatureContext, _offset: number): { range: Range; placeholder: string } | null {
  return null;
}

export function rename(_ctx: FeatureContext, _offset: number, _newName: string): WorkspaceEdit | null {
  return null;
}
