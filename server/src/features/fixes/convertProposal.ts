/**
 * nested-proposal-syntax: converts a domain written for the abandoned
 * nestedSmmuv3 proposal (host SMMU names in `<nestedSmmuv3>` elements, one
 * `<iommu model='nestedSmmuv3'/>`) to what released libvirt accepts: one
 * `<iommu model='smmuv3'><driver pciBus='N' accel='on'/></iommu>` per
 * expander that named a host SMMU. One action for the whole document.
 *
 * The host SMMU names are the user's knowledge, and the upstream form has
 * no place for them, so each survives as a comment before its vSMMU.
 * Comments inside removed elements are kept too. Everything else stays
 * byte for byte. The later smmuv3Dev proposal is converted in place
 * (`parentIdx` becomes `pciBus`).
 */
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver-types';
import type { CodeDiagnostic } from './lookup';
import type { Iommu, NestedSmmuRef } from '../../domain/model';
import { iommuForIndex, isPcieExpander } from '../../domain/topology';
import { smmuMappingOf } from '../../domain/smmuMapping';
import { child, textOf } from '../../xml/query';
import type { XmlElement } from '../../xml/nodes';
import {
  DevicesInserter,
  EditBuilder,
  commentsIn,
  joinLines,
  makeAction,
  renderLines,
  versionAllows,
  wholeLinesOf,
  type CommentSpec,
  type ElementSpec,
  type FixContext,
} from './edits';
import { indentBefore, lineIndentOf } from '../documentStyle';
import { ensureIommufd } from './iommufdFix';
import { PLUGGABLE_SMMU_SINCE } from './vsmmuLayout';

export const CONVERT_PROPOSAL_TITLE = 'Convert to the upstream pluggable SMMUv3 form (whole document)';

const NESTED_MODELS = new Set(['nestedSmmuv3', 'nestedsmmuv3']);

interface Expander {
  readonly index: number;
  /** Host SMMU names given for it, in document order. */
  readonly names: string[];
  /** False when the controller cannot carry a vSMMU (not an expander): only the comment is kept. */
  readonly usable: boolean;
}

export function convertProposalFixes(ctx: FixContext, d: CodeDiagnostic<'nested-proposal-syntax'>): CodeAction[] {
  const a = convertProposalAction(ctx, [d]);
  return a ? [a] : [];
}

export function convertProposalAction(ctx: FixContext, diagnostics: Diagnostic[]): CodeAction | undefined {
  const { model } = ctx;
  if (!versionAllows(ctx, PLUGGABLE_SMMU_SINCE)) return undefined;
  const refs = outermost(model.nestedSmmus);
  const nestedIommus = model.iommus.filter((i) => NESTED_MODELS.has(i.model?.value ?? ''));
  const devIommus = model.iommus.filter((i) => i.model?.value === 'smmuv3Dev');
  if (refs.length === 0 && nestedIommus.length === 0 && devIommus.length === 0) return undefined;
  // An element still being typed has no reliable end: removing it could take the user's next lines along.
  if ([...refs.map((r) => r.el), ...nestedIommus.map((i) => i.el)].some((el) => !el.closed)) return undefined;

  const b = new EditBuilder();
  const expanders = expandersOf(ctx, refs, nestedIommus.length > 0);
  if (!expanders) return undefined;
  const cmdqv = nestedIommus.some((i) => /^(true|yes|on)$/.test(textOf(child(i.el, 'cmdqv'))));

  const blocks: (ElementSpec | CommentSpec)[] = [];
  const converted = new Set<number>();
  for (const e of expanders) {
    if (e.names.length) blocks.push({ comment: `host ${e.names.join(', ')}` });
    // An expander that already has its vSMMU keeps it: a second one would be refused.
    if (!e.usable || iommuForIndex(model, e.index)) continue;
    converted.add(e.index);
    const attrs: [string, string][] = [
      ['pciBus', String(e.index)],
      ['accel', 'on'],
    ];
    if (cmdqv) attrs.push(['cmdqv', 'on']);
    blocks.push({ name: 'iommu', attrs: [['model', 'smmuv3']], children: [{ name: 'driver', attrs }] });
  }

  for (const r of refs) removeKeepingComments(ctx, b, r.el);

  if (nestedIommus.length > 0) {
    // The first proposal vSMMU becomes the new ones, in its place; the rest go.
    replaceKeepingComments(ctx, b, nestedIommus[0].el, blocks);
    for (const i of nestedIommus.slice(1)) removeKeepingComments(ctx, b, i.el);
  } else if (blocks.length > 0) {
    const ins = new DevicesInserter(ctx);
    ins.addIommu(...blocks);
    if (!ins.flush(b)) return undefined;
  }

  for (const i of devIommus) convertSmmuv3Dev(ctx, b, i);

  // Devices behind the new accelerated vSMMUs need the iommufd backend (the
  // proposal's libvirt set that up itself).
  // A target libvirt without iommufd could not run them there: no conversion then.
  const mapping = smmuMappingOf(model, ctx.feature.host);
  for (const p of mapping.placements) {
    if (p.expander && converted.has(p.expander.index) && !ensureIommufd(ctx, b, p.hostdev)) return undefined;
  }

  return makeAction(ctx, CONVERT_PROPOSAL_TITLE, CodeActionKind.QuickFix, diagnostics, b);
}

/** `<nestedSmmuv3>` elements not inside another one (removing the outer one removes the inner). */
function outermost(refs: readonly NestedSmmuRef[]): NestedSmmuRef[] {
  return refs.filter((r) => !refs.some((o) => o !== r && o.el.start <= r.el.start && r.el.end <= o.el.end));
}

/**
 * The expanders that named a host SMMU, in document order. Without any
 * `<nestedSmmuv3>` (the proposal's libvirt added them itself) every
 * pcie-expander-bus holding an assigned device stands in, named by the
 * host SMMU the mapping binds it to when the host is known.
 */
function expandersOf(ctx: FixContext, refs: readonly NestedSmmuRef[], hasNestedIommu: boolean): Expander[] | undefined {
  const byIndex = new Map<number, Expander>();
  const loose: string[] = [];
  for (const r of refs) {
    const c = r.controller;
    if (!c) {
      if (r.name) loose.push(r.name);
      continue;
    }
    let e = byIndex.get(c.index);
    if (!e) byIndex.set(c.index, (e = { index: c.index, names: [], usable: isPcieExpander(c) }));
    if (r.name && !e.names.includes(r.name)) e.names.push(r.name);
  }
  const out = [...byIndex.values()];
  if (loose.length) out.push({ index: -1, names: loose, usable: false });
  if (refs.length > 0 || !hasNestedIommu) return out;

  const mapping = smmuMappingOf(ctx.model, ctx.feature.host);
  for (const use of mapping.expanders) {
    if (!isPcieExpander(use.expander) || use.hostdevs.length === 0) continue;
    out.push({ index: use.expander.index, names: use.boundSmmu ? [use.boundSmmu] : [], usable: true });
  }
  // Nothing to convert to: replacing the vSMMU by nothing would lose the user's intent.
  return out.some((e) => e.usable) ? out : undefined;
}

/** Removes an element with its line; comments inside it stay, at its indentation. */
function removeKeepingComments(ctx: FixContext, b: EditBuilder, el: XmlElement): void {
  const end = Math.max(el.end, el.startTagEnd);
  const range = wholeLinesOf(ctx.text, el.start, end);
  const comments = commentsIn(ctx.text, el.start, end);
  if (comments.length === 0) {
    b.remove(range.start, range.end);
    return;
  }
  const whole = range.start !== el.start;
  const indent = lineIndentOf(ctx.text, el.start);
  const text = whole ? comments.map((c) => indent + c + ctx.style.nl).join('') : comments.join(' ');
  b.replace(range.start, range.end, text);
}

/** Replaces an element by new ones at its indentation, keeping comments that were inside it first. */
function replaceKeepingComments(ctx: FixContext, b: EditBuilder, el: XmlElement, specs: readonly (ElementSpec | CommentSpec)[]): void {
  const end = Math.max(el.end, el.startTagEnd);
  if (specs.length === 0) {
    removeKeepingComments(ctx, b, el);
    return;
  }
  const indent = indentBefore(ctx.text, el.start) ?? lineIndentOf(ctx.text, el.start);
  const parts = [...commentsIn(ctx.text, el.start, end), ...specs.map((s) => joinLines(renderLines(s, ctx.style), indent, ctx.style))];
  b.replace(el.start, end, parts.join(ctx.style.nl + indent));
}

/**
 * `<iommu model='smmuv3Dev'><driver parentIdx='1' pasid='on' …/>` becomes
 * `<iommu model='smmuv3'><driver pciBus='1' ssidsize='20' …/>`: the same
 * device under its released name; `pasid` was that proposal's on/off for
 * what `ssidsize` now sizes (20 bits is the largest).
 */
function convertSmmuv3Dev(ctx: FixContext, b: EditBuilder, i: Iommu): void {
  const model = i.model;
  if (model && model.valueStart >= 0 && model.valueClosed) b.replace(model.valueStart, model.valueEnd, 'smmuv3');
  const driver = i.driver;
  if (!driver) return;
  const has = (n: string) => driver.attributes.some((a) => a.name === n);
  for (const a of driver.attributes) {
    if (a.name === 'parentIdx' && !has('pciBus')) b.replace(a.nameStart, a.nameEnd, 'pciBus');
    if (a.name === 'pasid' && !has('ssidsize') && a.valueStart >= 0 && a.quote && a.valueClosed) {
      const bits = a.value === 'on' ? '20' : a.value === 'off' ? '0' : undefined;
      if (bits !== undefined) {
        b.replace(a.nameStart, a.nameEnd, 'ssidsize');
        b.replace(a.valueStart, a.valueEnd, bits);
      }
    }
  }
}
