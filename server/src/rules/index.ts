/**
 * The rule families, in the order their findings are listed. A family that
 * throws is logged and skipped; the others still report.
 */
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

export const RULE_FAMILIES: readonly RuleFamily[] = [
  xmlWellFormedRules,
  iommuRules,
  controllerRules,
  machineRules,
  controllerOptionRules,
  pciAddressRules,
  hostdevRules,
  numaCellRules,
  versionRules,
  smmuMappingRules,
  numaRules,
  mmioRules,
  nestedProposalRules,
];

export function runRules(
  families: readonly RuleFamily[],
  base: Omit<RuleContext, 'report'>,
  log: (message: string) => void,
): Finding[] {
  const findings: Finding[] = [];
  const ctx: RuleContext = { ...base, report: (f) => findings.push(f) };
  for (const family of families) {
    const before = findings.length;
    try {
      family.run(ctx);
    } catch (e) {
      findings.length = before;
      log(`rule family '${family.name}' failed and was skipped: ${(e as Error)?.stack ?? e}`);
    }
  }
  return findings;
}
