import type { Location } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';

export function references(_ctx: FeatureContext, _offset: number, _includeDeclaration: boolean): Location[] {
  return [];
}
