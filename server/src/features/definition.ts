/**
 * Go to definition from a controller index reference (a guest address `bus`,
 * an iommu `pciBus`, a nestedSmmuv3 address `bus`) to the `type='pci'`
 * controller with that index. The target is the controller's written index
 * value, or its element name when the index is implicit. A malformed value,
 * or one naming no controller, has no definition.
 */
import type { Location } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';
import { controllerOfReference, declarationSpan, referenceAt } from './indexReferences';

export function definition(ctx: FeatureContext, offset: number): Location[] {
  const { doc } = ctx;
  const ref = referenceAt(doc.domain, offset);
  if (!ref) return [];
  const target = controllerOfReference(doc.domain, ref);
  if (!target) return [];
  const span = declarationSpan(target);
  return [{ uri: doc.uri, range: doc.lines.range(span.start, span.end) }];
}
