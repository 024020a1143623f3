/**
 * Source action "Generate vSMMU topology for all passed-through devices":
 * for every host SMMU whose devices are assigned to the guest, make sure
 * those devices sit behind an accelerated vSMMU bound to that SMMU, in one
 * edit. Expanders already bound correctly are reused (a free root port, or
 * a new one on them); an expander that only lacks its vSMMU gets one; an
 * expander whose vSMMU serves no device yet is given to the first SMMU that
 * needs one; every other SMMU gets a new expander with root ports and an
 * accelerated vSMMU.
 *
 * Devices whose host SMMU is unknown are left where they are.
 */
import type { CodeAction } from 'vscode-languageserver-types';
import { smmuMappingOf, unusedVsmmuExpanders } from '../../domain/smmuMapping';
import { isArmSmmuHost } from '../../host/queries';
import { makeAction, type FixContext } from './edits';
import { canTakeVsmmu, targetsFor } from './expanderFix';
import { isWellPlaced, numaNodeOf, VsmmuLayout } from './vsmmuLayout';
import { GENERATE_TOPOLOGY_KIND } from '../../protocol';

export const GENERATE_TOPOLOGY_TITLE = 'Generate vSMMU topology for all passed-through devices';

export function generateTopologyAction(ctx: FixContext): CodeAction | undefined {
  const host = ctx.feature.host;
  if (!host || !isArmSmmuHost(host)) return undefined;
  const mapping = smmuMappingOf(ctx.model, host);
  const layout = new VsmmuLayout(ctx);
  // Empty expanders with a vSMMU, each given to the first host SMMU that needs one.
  const unclaimed = unusedVsmmuExpanders(mapping);

  for (const [smmu, placements] of mapping.bySmmu) {
    let pending = placements.filter((p) => !isWellPlaced(mapping, p));
    if (pending.length === 0) continue;

    // Expanders already bound to this SMMU take what their bus ranges allow.
    const targets = targetsFor(mapping, smmu);
    if (targets.length > 0) {
      pending = pending.filter((p) => {
        for (const t of targets) if (layout.tryPlace(p.hostdev, t.expander, t.accel)) return false;
        return true;
      });
      if (pending.length === 0) continue;
    }

    const reuse = targets.length === 0 ? mapping.expanders.find((e) => e.boundSmmu === smmu && canTakeVsmmu(e, smmu)) : undefined;
    if (reuse) {
      layout.addVsmmu(reuse.expander.index);
      const group = pending.filter((p) => p.expander !== reuse.expander).map((p) => p.hostdev);
      for (const p of pending) {
        if (p.expander === reuse.expander) {
          layout.ensureIommufd(p.hostdev);
          continue;
        }
        if (!layout.place(p.hostdev, reuse.expander, true, group)) return undefined;
      }
      continue;
    }

    const empty = targets.length === 0 ? unclaimed.shift() : undefined;
    if (empty) {
      const group = pending.map((p) => p.hostdev);
      for (const h of group) if (!layout.place(h, empty.expander, empty.accel, group)) return undefined;
      continue;
    }

    if (
      !layout.addExpanderFor(
        smmu,
        pending.map((p) => p.hostdev),
        numaNodeOf(pending),
      )
    )
      return undefined;
  }

  const b = layout.finish();
  return b && makeAction(ctx, GENERATE_TOPOLOGY_TITLE, GENERATE_TOPOLOGY_KIND, undefined, b);
}
