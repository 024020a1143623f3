import type { CompletionList } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';

export function complete(_ctx: FeatureContext, _offset: number): CompletionList {
  return { isIncomplete: false, items: [] };
}
