import type { Hover } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';

export function hover(_ctx: FeatureContext, _offset: number): Hover | null {
  return null;
}
