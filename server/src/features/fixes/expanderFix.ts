/**
 * Fixes for assigned devices that sit behind the wrong vSMMU or none:
 *
 * - smmu-map-missing-expander / smmu-map-uncovered / smmu-map-mixed, when no
 *   expander with a vSMMU serves the device's host SMMU yet: add a pxb-pcie
 *   expander with one root port per device of that SMMU and an accelerated
 *   vSMMU, and move those devices onto the new root ports, all in one edit;
 * - the same, when such an expander exists, or one whose vSMMU serves no
 *   device yet: move this device behind it;
 * - smmu-map-uncovered, when the device's own expander holds only devices of
 *   one host SMMU and just lacks a vSMMU: add the vSMMU there.
 *
 * The diagnostic says which device and SMMU; where things go is worked out
 * again from the current model and the shared SMMU mapping.
 */
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver-types';
import { smmuMappingOf, unusedVsmmuExpanders, type ExpanderUse, type HostdevPlacement, type SmmuMapping } from '../../domain/smmuMapping';
import type { HostTopology } from '../../host/types';
import { iommuOfDevice } from '../../host/queries';
import { makeAction, type FixContext } from './edits';
import { hostdevOf, stringData, type CodeDiagnostic } from './lookup';
import { isWellPlaced, numaNodeOf, VsmmuLayout } from './vsmmuLayout';

export function expanderFixes(ctx: FixContext, d: CodeDiagnostic<'smmu-map-missing-expander' | 'smmu-map-uncovered' | 'smmu-map-mixed'>): CodeAction[] {
  const host = ctx.feature.host;
  if (!host) return [];
  const mapping = smmuMappingOf(ctx.model, host);

  if (d.code === 'smmu-map-missing-expander') {
    const smmu = stringData(d, 'smmu');
    if (!smmu || targetsFor(mapping, smmu).length > 0) return [];
    const out: CodeAction[] = [];
    const empty = unusedVsmmuExpanders(mapping)[0];
    const move = empty && moveAllAction(ctx, mapping, smmu, empty, d);
    if (move) out.push(move);
    const add = addExpanderAction(ctx, host, mapping, smmu, d);
    if (add) out.push(add);
    return out;
  }

  const found = hostdevOf(ctx, d);
  if (!found) return [];
  const p = mapping.placements.find((q) => q.index === found.index);
  if (!p || !p.hostSmmu || isWellPlaced(mapping, p)) return [];
  const smmu = p.hostSmmu;

  const homes = [...targetsFor(mapping, smmu), ...unusedVsmmuExpanders(mapping)].filter((e) => e.expander !== p.expander);
  if (homes.length > 0) {
    const a = moveAction(ctx, p, homes, d);
    if (a) return [a];
  }
  const out: CodeAction[] = [];
  const own = mapping.expanders.find((e) => e.expander === p.expander);
  if (own && canTakeVsmmu(own, smmu)) {
    const a = addVsmmuAction(ctx, own, smmu, d);
    if (a) out.push(a);
  }
  const a = addExpanderAction(ctx, host, mapping, smmu, d);
  if (a) out.push(a);
  return out;
}

/** Expanders with a vSMMU already bound to `smmu`. */
export function targetsFor(mapping: SmmuMapping, smmu: string): ExpanderUse[] {
  return mapping.expanders.filter((e) => e.iommu && e.boundSmmu === smmu);
}

/** An expander without a vSMMU that holds only assigned devices of `smmu`, so an accelerated one fits as it is. */
export function canTakeVsmmu(use: ExpanderUse, smmu: string): boolean {
  return !use.iommu && use.emulated.length === 0 && use.hostdevs.length > 0 && use.hostdevs.every((h) => h.hostSmmu === smmu);
}

function addExpanderAction(ctx: FixContext, host: HostTopology, mapping: SmmuMapping, smmu: string, d: Diagnostic): CodeAction | undefined {
  const pending = (mapping.bySmmu.get(smmu) ?? []).filter((p) => !isWellPlaced(mapping, p));
  if (pending.length === 0) return undefined;
  const layout = new VsmmuLayout(ctx);
  const numa = numaNodeOf(pending) ?? smmuNumaNode(host, pending);
  if (
    !layout.addExpanderFor(
      smmu,
      pending.map((p) => p.hostdev),
      numa,
    )
  )
    return undefined;
  const b = layout.finish();
  return b && makeAction(ctx, `Add a pxb-pcie expander for host SMMU ${smmu}`, CodeActionKind.QuickFix, [d], b);
}

function smmuNumaNode(host: HostTopology, pending: readonly HostdevPlacement[]): number | undefined {
  const bdf = pending[0]?.bdf;
  return bdf ? iommuOfDevice(host, bdf)?.numaNode : undefined;
}

function moveAction(ctx: FixContext, p: HostdevPlacement, homes: readonly ExpanderUse[], d: Diagnostic): CodeAction | undefined {
  for (const t of homes) {
    const layout = new VsmmuLayout(ctx);
    if (!layout.place(p.hostdev, t.expander, t.accel)) continue;
    const b = layout.finish();
    if (!b) continue;
    const title = t.boundSmmu
      ? `Move this device behind the expander of ${p.hostSmmu} (index ${t.expander.index})`
      : `Move this device behind expander ${t.expander.index} (its vSMMU serves no device yet)`;
    return makeAction(ctx, title, CodeActionKind.QuickFix, [d], b);
  }
  return undefined;
}

/** Moves every device of `smmu` that is not well placed behind the (empty) expander `home`. */
function moveAllAction(ctx: FixContext, mapping: SmmuMapping, smmu: string, home: ExpanderUse, d: Diagnostic): CodeAction | undefined {
  const pending = (mapping.bySmmu.get(smmu) ?? []).filter((p) => !isWellPlaced(mapping, p) && p.expander !== home.expander);
  if (pending.length === 0) return undefined;
  const layout = new VsmmuLayout(ctx);
  const group = pending.map((p) => p.hostdev);
  for (const h of group) if (!layout.place(h, home.expander, home.accel, group)) return undefined;
  const b = layout.finish();
  return b && makeAction(ctx, `Use expander ${home.expander.index} (its vSMMU serves no device yet) for host SMMU ${smmu}`, CodeActionKind.QuickFix, [d], b);
}

function addVsmmuAction(ctx: FixContext, use: ExpanderUse, smmu: string, d: Diagnostic): CodeAction | undefined {
  const layout = new VsmmuLayout(ctx);
  layout.addVsmmu(use.expander.index);
  for (const h of use.hostdevs) layout.ensureIommufd(h.hostdev);
  const b = layout.finish();
  return b && makeAction(ctx, `Add an accelerated vSMMU to expander ${use.expander.index} (host SMMU ${smmu})`, CodeActionKind.QuickFix, [d], b);
}
