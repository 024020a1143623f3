/**
 * iommu-attribute-spelling: a `<driver>` attribute spelled as a fork or a
 * management tool spells it (`ssidSize`, `parentIdx`, …). The fix renames
 * the attribute and leaves its value alone.
 */
import { CodeActionKind, type CodeAction } from 'vscode-languageserver-types';
import { ATTRIBUTE_MISSPELLINGS } from '../../domain/catalog';
import { EditBuilder, makeAction, type FixContext } from './edits';
import { attributeAt, stringData, type CodeDiagnostic } from './lookup';

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function spellingFixes(ctx: FixContext, d: CodeDiagnostic<'iommu-attribute-spelling'>): CodeAction[] {
  const from = stringData(d, 'from');
  if (!from) return [];
  const to = stringData(d, 'to') ?? ATTRIBUTE_MISSPELLINGS[from]?.canonical;
  if (!to || to === from || !XML_NAME.test(to)) return [];
  const a = attributeAt(ctx, d, from);
  if (!a) return [];
  // Renaming onto an attribute that is already there would duplicate it.
  if (a.element.attributes.some((x) => x.name === to)) return [];
  const b = new EditBuilder().replace(a.nameStart, a.nameEnd, to);
  const action = makeAction(ctx, `Rename ${from} to ${to}`, CodeActionKind.QuickFix, [d], b, true);
  return action ? [action] : [];
}
