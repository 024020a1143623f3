import type { Location } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';

export function definition(_ctx: FeatureContext, _offset: number): Location[] {
  return [];
}
