/**
 * The rule families, in the order their findings are listed. A family that
 * throws is logged and skipped; the others still report.
 */
import { BoundedFindings, capFindings, DEFAULT_MAX_FINDINGS } from './cap';
import type { Finding, RuleContext, RuleFamily } from './types';
import { xmlWellFormedRules } from './xmlWellFormed';
import { iommuRules } from './iommu';
import { controllerRules } from './controllers';
import { versionRules } from './version';
import { smmuMappingRules } from './smmuMapping';
import { nestedProposalRules } from './nestedProposal';
import { numaRules } from './numa';
import { mmioRules } from './mmio';
import { machineRules } from './machine';
import { controllerOptionRules } from './controllerOptions';
import { pciAddressRules } from './pciAddresses';
import { hostdevRules } from './hostdevs';
import { numaCellRules } from './numaCells';
import { featureRules } from './features';
import { diskRules } from './disks';

export const RULE_FAMILIES: readonly RuleFamily[] = [
  xmlWellFormedRules,
  iommuRules,
  controllerRules,
  machineRules,
  controllerOptionRules,
  pciAddressRules,
  hostdevRules,
  numaCellRules,
  featureRules,
  diskRules,
  versionRules,
  smmuMappingRules,
  numaRules,
  mmioRules,
  nestedProposalRules,
];

export function runRules(families: readonly RuleFamily[], base: Omit<RuleContext, 'report'>, log: (message: string) => void): Finding[] {
  // Each family collects into its own bounded set, so that a family that fails takes back only its own findings.
  const limit = base.settings.maxFindings ?? DEFAULT_MAX_FINDINGS;
  const all = new BoundedFindings(limit);
  let omitted = 0;
  for (const family of families) {
    const mine = new BoundedFindings(limit);
    try {
      family.run({ ...base, report: (f) => mine.add(f) });
      all.addAll(mine.kept());
      omitted += mine.omitted;
    } catch (e) {
      log(`rule family '${family.name}' failed and was skipped: ${(e as Error)?.stack ?? e}`);
    }
  }
  return capFindings(all.kept(), limit, omitted + all.omitted);
}
