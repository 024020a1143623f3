/**
 * version-too-new: syntax that the targeted libvirt release does not know.
 * Two fixes:
 * - write it the way the target release spells it, where the release-facts
 *   table (`OLDER_FORMS` in domain/catalog.ts) knows an older form and the
 *   target has it;
 * - remove it: the attribute (with the attributes that only mean something
 *   through it: accel's tuning knobs, pciBus's accelerated form) or the
 *   element (`<iommufd>`, `<granule>`, an `<iommu>` or `<controller>` whose
 *   model is too new). The title names everything it removes.
 *
 * Removing syntax changes what other rules say (a hostdev that loses
 * iommufd='yes' behind an accelerated vSMMU is then refused by QEMU, a
 * controller removed leaves its devices without a bus), so every edit is
 * checked with the rules before it is offered: one that would add an error
 * is not offered.
 *
 * The schema's `schema-newer-libvirt` gets no such fix: it compares with the
 * grammar in use, not with the target release (that comparison is this
 * finding's), and where both apply the version finding is the one shown.
 */
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver-types';
import type { XmlAttribute, XmlElement } from '../../xml/nodes';
import { attr, attrValue } from '../../xml/query';
import { ATTRIBUTE_MISSPELLINGS, FEATURE_SINCE, IOMMU_DRIVER_ATTRIBUTES, OLDER_FORMS } from '../../domain/catalog';
import { compareVersions, normalizeVersion } from '../../domain/versions';
import { EditBuilder, attrEnd, commentsIn, insertFirstChild, makeAction, setAttribute, wholeLinesOf, type FixContext } from './edits';
import { offsetsOf, stringData, type CodeDiagnostic } from './lookup';

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const canonical = (name: string) => (has(ATTRIBUTE_MISSPELLINGS, name) ? ATTRIBUTE_MISSPELLINGS[name].canonical : name);

export function versionTooNewFixes(ctx: FixContext, d: CodeDiagnostic<'version-too-new'>): CodeAction[] {
  const feature = stringData(d, 'feature');
  const since = normalizeVersion(stringData(d, 'since'));
  const target = normalizeVersion(ctx.feature.settings.libvirtVersion);
  // A stale diagnostic (the target was raised since) gets nothing.
  if (!feature || !since || !target || compareVersions(since, target) <= 0) return [];
  const out: CodeAction[] = [];
  const older = olderFormFix(ctx, d, feature, target);
  if (older) out.push(older);
  const removal = removalFix(ctx, d, feature, since);
  if (removal) out.push(removal);
  return out;
}

// ---------------------------------------------------------------------------
// Older form

function olderFormFix(ctx: FixContext, d: Diagnostic, feature: string, target: string): CodeAction | undefined {
  if (!has(OLDER_FORMS, feature)) return undefined;
  const form = OLDER_FORMS[feature as keyof typeof OLDER_FORMS]!;
  const olderSince = FEATURE_SINCE[form.older].since;
  if (compareVersions(olderSince, target) > 0) return undefined;
  if (feature !== 'domainIommufd' || form.older !== 'hostdevIommufd') return undefined;

  // <iommufd enabled='yes'/> -> iommufd='yes' on every assigned PCI device that does not opt out.
  const el = ctx.model.iommufd;
  if (!el || !namedAt(ctx, d, el)) return undefined;
  // fdgroup (an FD handed over by a management application) has no per-device spelling; 'no' needs no rewrite.
  if (attrValue(el, 'enabled') !== 'yes' || attr(el, 'fdgroup')) return undefined;
  // Devices that opt out (iommufd='no') stay out; those that already ask for it need nothing. None left: removal is the fix.
  const devices = ctx.model.hostdevs.filter((h) => h.mode === 'subsystem' && (h.type === 'pci' || h.type === undefined) && attrValue(h.driver, 'iommufd') === undefined);
  if (devices.length === 0) return undefined;
  const b = new EditBuilder();
  if (!removeElement(ctx, b, el)) return undefined;
  for (const h of devices) {
    const ok = h.driver
      ? setAttribute(ctx, b, h.driver, 'iommufd', 'yes')
      : insertFirstChild(ctx, b, h.el, {
          name: 'driver',
          attrs: [
            ['name', 'vfio'],
            ['iommufd', 'yes'],
          ],
        });
    if (!ok) return undefined;
  }
  const n = devices.length;
  const title = `Replace <iommufd> with ${form.how.replace("each assigned device's", n === 1 ? "the assigned device's" : `the ${n} assigned devices'`)} (libvirt ${olderSince})`;
  return addsNoError(ctx, b) ? makeAction(ctx, title, CodeActionKind.QuickFix, [d], b, true) : undefined;
}

// ---------------------------------------------------------------------------
// Removal

function removalFix(ctx: FixContext, d: Diagnostic, feature: string, since: string): CodeAction | undefined {
  const b = new EditBuilder();
  let title: string | undefined;
  const [kind, name] = splitFeature(feature);

  if (kind === 'domainIommufd' || kind === 'iommuGranule') {
    const el = elementForFeature(ctx, d, kind);
    if (!el || !removeElement(ctx, b, el)) return undefined;
    title = `Remove <${el.name}> (needs libvirt ${since})`;
  } else if (kind === 'iommu-model' || kind === 'controller-model') {
    // The model is the element's identity: without it libvirt would pick another device, so the element goes.
    const a = attributeAt(ctx, d, (x) => x.name === 'model' && x.value === name);
    if (!a || !removeElement(ctx, b, a.element)) return undefined;
    title =
      kind === 'iommu-model' ? `Remove <iommu model='${name}'> (needs libvirt ${since})` : `Remove <controller model='${name}'${indexPart(a.element)}> (needs libvirt ${since})`;
  } else if (kind === 'iommu-driver' || kind === 'hostdevIommufd' || kind === 'hostdevAcpiNodeset') {
    const wanted = kind === 'iommu-driver' ? name : kind === 'hostdevIommufd' ? 'iommufd' : 'nodeset';
    const a = attributeAt(ctx, d, (x) => canonical(x.name) === wanted);
    if (!a) return undefined;
    const gone = [a, ...(kind === 'iommu-driver' ? dependentsOf(a) : [])];
    for (const x of gone) removeAttribute(ctx, b, x);
    title = `Remove ${listOf(gone.map((x) => x.name))} from <${a.element.name}> (${gone.length > 1 ? `${a.name} needs` : 'needs'} libvirt ${since})`;
  }
  if (!title || !addsNoError(ctx, b)) return undefined;
  return makeAction(ctx, title, CodeActionKind.QuickFix, [d], b);
}

/** `iommu-driver:accel` → ['iommu-driver', 'accel']; `domainIommufd` → ['domainIommufd', '']. */
function splitFeature(feature: string): [string, string] {
  const i = feature.indexOf(':');
  return i < 0 ? [feature, ''] : [feature.slice(0, i), feature.slice(i + 1)];
}

/**
 * Attributes of the same `<driver>` that mean something only through `a`:
 * without pciBus the accelerated form (accel and its knobs) has nothing to
 * attach to; without accel its knobs are ignored or refused.
 */
function dependentsOf(a: XmlAttribute): XmlAttribute[] {
  const name = canonical(a.name);
  return a.element.attributes.filter((x) => {
    if (x === a) return false;
    const spec = has(IOMMU_DRIVER_ATTRIBUTES, canonical(x.name)) ? IOMMU_DRIVER_ATTRIBUTES[canonical(x.name)] : undefined;
    if (!spec) return false;
    return (name === 'pciBus' && spec.needsPciBus === true) || (name === 'accel' && spec.accelOnly === true);
  });
}

function indexPart(el: XmlElement): string {
  const index = attrValue(el, 'index');
  return index === undefined ? '' : ` index='${index}'`;
}

function listOf(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Removes an attribute with the white space before it. */
function removeAttribute(ctx: FixContext, b: EditBuilder, a: XmlAttribute): void {
  let start = a.nameStart;
  while (start > 0 && /\s/.test(ctx.text[start - 1])) start--;
  b.remove(start, attrEnd(a));
}

/** Removes a complete element with its line; refuses one still being typed or holding comments (they would be lost). */
function removeElement(ctx: FixContext, b: EditBuilder, el: XmlElement): boolean {
  if (!el.closed || commentsIn(ctx.text, el.start, el.end).length > 0) return false;
  const r = wholeLinesOf(ctx.text, el.start, el.end);
  b.remove(r.start, r.end);
  return true;
}

// ---------------------------------------------------------------------------
// Finding the flagged text again in the current parse

function namedAt(ctx: FixContext, d: Diagnostic, el: XmlElement): boolean {
  const r = offsetsOf(ctx, d);
  return r.start <= el.nameEnd && r.end >= el.nameStart;
}

function elementForFeature(ctx: FixContext, d: Diagnostic, kind: 'domainIommufd' | 'iommuGranule'): XmlElement | undefined {
  if (kind === 'domainIommufd') {
    const el = ctx.model.iommufd;
    return el && namedAt(ctx, d, el) ? el : undefined;
  }
  for (const i of ctx.model.iommus) {
    const g = i.driver?.children.find((c) => c.name === 'granule');
    if (g && namedAt(ctx, d, g)) return g;
  }
  return undefined;
}

/** The attribute accepted by `test` whose name or value the diagnostic's range covers. */
function attributeAt(ctx: FixContext, d: Diagnostic, test: (a: XmlAttribute) => boolean): XmlAttribute | undefined {
  const r = offsetsOf(ctx, d);
  let found: XmlAttribute | undefined;
  const visit = (el: XmlElement): void => {
    if (found || r.start > Math.max(el.end, el.startTagEnd) || r.end < el.start) return;
    for (const a of el.attributes) {
      const end = Math.max(a.nameEnd, a.valueEnd);
      if (test(a) && r.start >= a.nameStart && r.end <= end + 1) {
        found = a;
        return;
      }
    }
    for (const c of el.children) visit(c);
  };
  for (const root of ctx.feature.doc.xml.roots) visit(root);
  return found;
}

// ---------------------------------------------------------------------------
// The check

/** Applies the builder's edits to the text. */
function applied(text: string, b: EditBuilder): string | undefined {
  const edits = b.edits();
  if (!edits) return undefined;
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/** True when the rules, run on the edited text, report no error code more often than before. */
function addsNoError(ctx: FixContext, b: EditBuilder): boolean {
  const recheck = ctx.feature.recheck;
  const after = applied(ctx.text, b);
  if (!recheck || after === undefined) return false;
  const count = (text: string) => {
    const m = new Map<string, number>();
    for (const f of recheck(text)) if (f.severity === 'error') m.set(f.code, (m.get(f.code) ?? 0) + 1);
    return m;
  };
  const before = count(ctx.text);
  for (const [code, n] of count(after)) if (n > (before.get(code) ?? 0)) return false;
  return true;
}
