/**
 * Find references of a PCI controller: every device or controller whose
 * guest address plugs into its index, every iommu whose `pciBus` names it,
 * and every nestedSmmuv3 address on it (see indexReferences.ts).
 *
 * The cursor may be on the controller's index value or start-tag name, or on
 * any reference to it (editors ask from either end). A reference that names
 * no controller, or a non-PCI controller, gives nothing. With
 * includeDeclaration the controller's index value is added (its element name
 * when the index is implicit). Results are in document order.
 */
import type { Location } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';
import type { Controller } from '../domain/model';
import { controllerDeclarationAt, controllerOfReference, declarationSpan, referenceAt, referencesToIndex } from './indexReferences';

export function references(ctx: FeatureContext, offset: number, includeDeclaration: boolean): Location[] {
  const { doc } = ctx;
  const model = doc.domain;
  let target: Controller | undefined = controllerDeclarationAt(model, offset)?.controller;
  if (!target) {
    const ref = referenceAt(model, offset);
    target = ref ? controllerOfReference(model, ref) : undefined;
  }
  if (!target) return [];
  const spans = referencesToIndex(model, target.index).map((r) => ({ start: r.attr.valueStart, end: r.attr.valueEnd }));
  if (includeDeclaration) spans.push(declarationSpan(target));
  spans.sort((a, b) => a.start - b.start);
  return spans.map((s) => ({ uri: doc.uri, range: doc.lines.range(s.start, s.end) }));
}
