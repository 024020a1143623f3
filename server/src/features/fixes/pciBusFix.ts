/**
 * `pciBus` names a controller index, and users often write the expander's
 * `busNr` instead, or a root port below it. When the rule could tell which
 * index was meant (`data.suggestedIndex`):
 *
 * - iommu-pcibus-is-busnr, iommu-pcibus-missing, iommu-pcibus-not-expander:
 *   "Change pciBus to N" puts it in place of the value, keeping the quotes;
 * - iommu-needs-pcibus: "Add pciBus='N'" to the `<driver>`.
 */
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver-types';
import type { Iommu } from '../../domain/model';
import { parseLibvirtInt } from '../../domain/model';
import { isPcieExpander, pciBusOf } from '../../domain/topology';
import { EditBuilder, makeAction, setAttribute, type FixContext } from './edits';
import { intData, iommuWithPciBusAt, offsetsOf, type CodeDiagnostic } from './lookup';

export function pciBusFixes(
  ctx: FixContext,
  d: CodeDiagnostic<'iommu-pcibus-is-busnr' | 'iommu-pcibus-missing' | 'iommu-pcibus-not-expander' | 'iommu-needs-pcibus'>,
): CodeAction[] {
  const suggested = intData(d, 'suggestedIndex');
  if (suggested === undefined) return [];
  const { model } = ctx;

  // Re-check the suggestion against the current document: it must name a
  // root complex a vSMMU can sit on (pcie-root may be implicit), and no
  // other vSMMU may be there already.
  const target = model.pciControllers.get(suggested);
  const rootComplex = target ? isPcieExpander(target) || (suggested === 0 && target.model?.value === 'pcie-root') : suggested === 0;
  if (!rootComplex) return [];

  const iommu = d.code === 'iommu-needs-pcibus' ? iommuAt(ctx, d) : iommuWithPciBus(ctx, d);
  if (!iommu?.driver) return [];
  const current = iommu.driver.attributes.find((a) => a.name === 'pciBus');
  if (current && parseLibvirtInt(current.value) === suggested) return [];
  if (model.iommus.some((i) => i !== iommu && pciBusOf(i) === suggested)) return [];

  const b = new EditBuilder();
  setAttribute(ctx, b, iommu.driver, 'pciBus', String(suggested));
  const title = current ? `Change pciBus to ${suggested}` : `Add pciBus='${suggested}'`;
  const a = makeAction(ctx, title, CodeActionKind.QuickFix, [d], b, true);
  return a ? [a] : [];
}

/** The vSMMU whose pciBus the diagnostic is on; by `data.pciBus` when the range no longer finds it. */
function iommuWithPciBus(ctx: FixContext, d: CodeDiagnostic<'iommu-pcibus-is-busnr' | 'iommu-pcibus-missing' | 'iommu-pcibus-not-expander'>): Iommu | undefined {
  const found = iommuWithPciBusAt(ctx, d);
  if (found) return found.iommu;
  const wanted = intData(d, 'pciBus');
  const same = ctx.model.iommus.filter((i) => wanted !== undefined && pciBusOf(i) === wanted);
  return same.length === 1 ? same[0] : undefined;
}

/** The `<iommu>` whose extent holds the diagnostic. */
function iommuAt(ctx: FixContext, d: Diagnostic): Iommu | undefined {
  const { start } = offsetsOf(ctx, d);
  return ctx.model.iommus.find((i) => start >= i.el.start && start < Math.max(i.el.end, i.el.startTagEnd));
}
