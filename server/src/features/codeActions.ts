/**
 * Code actions: quick fixes keyed on the diagnostic codes of docs/rules.md,
 * and the "generate vSMMU topology" source action.
 *
 * A fix reads only the code and data of the diagnostic it is handed (the
 * client sends back what was published); everything it edits is found again
 * in the current parse, so a fix for a stale diagnostic either still fits or
 * is not offered. Fixes live in ./fixes, one file per group.
 */
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver-types';
import type { FeatureContext } from './context';
import { fixContextOf, type FixContext } from './fixes/edits';
import { codeOf, type CodeDiagnostic } from './fixes/lookup';
import { isRuleCode, type FixableCode } from '../rules/codes';
import { pciBusFixes } from './fixes/pciBusFix';
import { spellingFixes } from './fixes/spellingFix';
import { iommufdFixes } from './fixes/iommufdFix';
import { expanderFixes } from './fixes/expanderFix';
import { convertProposalFixes } from './fixes/convertProposal';
import { generateTopologyAction } from './fixes/generateTopology';
import { schemaInvalidFixes } from './fixes/schemaFix';
import { GENERATE_TOPOLOGY_KIND } from '../protocol';
import { graceFixes } from './fixes/graceFixes';
import { emulatedDeviceFixes } from './fixes/emulatedFix';
import { versionTooNewFixes } from './fixes/versionFix';
import { diskTargetFixes } from './fixes/diskFix';

type QuickFix<C extends FixableCode> = (ctx: FixContext, d: CodeDiagnostic<C>) => CodeAction[];

/** The quick fix of every code the registry (rules/codes.ts) marks fixable: one missing or extra does not compile. */
const QUICK_FIXES: { readonly [C in FixableCode]: QuickFix<C> } = {
  'iommu-pcibus-is-busnr': pciBusFixes,
  'iommu-pcibus-missing': pciBusFixes,
  'iommu-pcibus-not-expander': pciBusFixes,
  'iommu-needs-pcibus': pciBusFixes,
  'iommu-attribute-spelling': spellingFixes,
  'smmu-map-no-iommufd': iommufdFixes,
  'smmu-map-missing-expander': expanderFixes,
  'smmu-map-uncovered': expanderFixes,
  'smmu-map-mixed': expanderFixes,
  'smmu-map-emulated-device': emulatedDeviceFixes,
  'smmu-map-no-vsmmu': generatorFix,
  'nested-proposal-syntax': convertProposalFixes,
  'mmio-window-too-small': graceFixes,
  'mmio-pcihole64-invalid': graceFixes,
  'numa-device-cell-mismatch': graceFixes,
  'numa-device-cell-cpus-remote': graceFixes,
  'numa-gi-missing': graceFixes,
  'numa-gi-cell-missing': graceFixes,
  'schema-invalid': schemaInvalidFixes,
  'version-too-new': versionTooNewFixes,
  'disk-target-duplicate': diskTargetFixes,
};

/** The topology generator offered as the fix of a finding that asks for it. */
function generatorFix(ctx: FixContext, d: Diagnostic): CodeAction[] {
  const a = generateTopologyAction(ctx);
  return a ? [{ ...a, kind: CodeActionKind.QuickFix, diagnostics: [d] }] : [];
}

/** Codes that have a quick fix (for docs and tests). */
export const FIXABLE_CODES: readonly FixableCode[] = Object.keys(QUICK_FIXES) as FixableCode[];

function quickFixOf(code: string | undefined): ((ctx: FixContext, d: Diagnostic) => CodeAction[]) | undefined {
  if (!isRuleCode(code) || !Object.prototype.hasOwnProperty.call(QUICK_FIXES, code)) return undefined;
  const fix = QUICK_FIXES[code as FixableCode] as QuickFix<FixableCode>;
  return (ctx, d) => fix(ctx, d as CodeDiagnostic<FixableCode>);
}

export function codeActions(ctx: FeatureContext, _start: number, _end: number, diagnostics: readonly Diagnostic[], only?: readonly string[]): CodeAction[] {
  const wantQuickFix = wants(only, 'quickfix');
  const wantSource = wants(only, GENERATE_TOPOLOGY_KIND);
  if (!wantQuickFix && !wantSource) return [];
  const fc = fixContextOf(ctx);
  const out: CodeAction[] = [];

  if (wantQuickFix) {
    for (const d of diagnostics) {
      const code = codeOf(d);
      const fix = quickFixOf(code);
      if (!fix) continue;
      try {
        out.push(...fix(fc, d));
      } catch (e) {
        ctx.log(`quick fix for '${code}' failed: ${(e as Error)?.stack ?? e}`);
      }
    }
  }
  if (wantSource) {
    try {
      const a = generateTopologyAction(fc);
      if (a) out.push(a);
    } catch (e) {
      ctx.log(`source action '${GENERATE_TOPOLOGY_KIND}' failed: ${(e as Error)?.stack ?? e}`);
    }
  }
  return mergeDuplicates(out);
}

/** LSP kind filtering: `only` lists kinds, and a kind covers its dotted sub-kinds. */
function wants(only: readonly string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return true;
  return only.some((k) => k === '' || kind === k || kind.startsWith(k + '.'));
}

/**
 * Several diagnostics often lead to the same edit (every hostdev of one host
 * SMMU asks for the same new expander; the whole-document conversion is
 * offered on each proposal element): offer it once, fixing them all.
 */
function mergeDuplicates(actions: CodeAction[]): CodeAction[] {
  const byKey = new Map<string, CodeAction>();
  const out: CodeAction[] = [];
  for (const a of actions) {
    const key = JSON.stringify([a.title, a.kind, a.edit]);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, a);
      out.push(a);
      continue;
    }
    if (a.diagnostics?.length) seen.diagnostics = [...(seen.diagnostics ?? []), ...a.diagnostics];
  }
  return out;
}
