/**
 * Every place in a domain that names a PCI controller by its index, and the
 * controller declarations themselves. Definition, references, rename and the
 * topology outline all read this one list, so they agree on what "refers to
 * controller N" means:
 *
 * - a guest `<address type='pci' bus='N'/>` that is a direct child of a
 *   device under `<devices>` (controllers included; a hostdev's `<source>`
 *   address is a *host* address and is not one of these);
 * - `<iommu><driver pciBus='N'/></iommu>`;
 * - `<nestedSmmuv3><address bus='N'/></nestedSmmuv3>` of the earlier
 *   proposal, both as a device and as a child of an expander controller
 *   (its address may omit type; any type other than pci is skipped).
 *
 * The text is the authority: a malformed value (`bus='x'`) is kept with a
 * NaN value so that callers can tell "names nothing" from "not a reference".
 */
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import { attr, child } from '../xml/query';
import type { Controller, DomainModel } from '../domain/model';
import { parseLibvirtInt } from '../domain/model';

export type IndexRefKind = 'address-bus' | 'iommu-pciBus' | 'nested-smmu-bus';

export interface IndexReference {
  readonly kind: IndexRefKind;
  /** The `bus` or `pciBus` attribute; it always has a value range. */
  readonly attr: XmlAttribute;
  /** The index named, NaN when the text is not a libvirt integer. */
  readonly value: number;
  /** The element that plugs in or names the controller: a device, controller, `<iommu>` or `<nestedSmmuv3>`. */
  readonly owner: XmlElement;
}

export interface IndexReferences {
  /** All references in document order. */
  readonly all: readonly IndexReference[];
  /** References by the index they name (finite values only), each list in document order. */
  readonly byIndex: ReadonlyMap<number, readonly IndexReference[]>;
}

const cache = new WeakMap<DomainModel, IndexReferences>();

/** The references of a parsed document version, computed once. */
export function indexReferencesOf(model: DomainModel): IndexReferences {
  let hit = cache.get(model);
  if (!hit) {
    hit = collect(model);
    cache.set(model, hit);
  }
  return hit;
}

function refOf(kind: IndexRefKind, a: XmlAttribute | undefined, owner: XmlElement): IndexReference | undefined {
  // An attribute still being typed (`bus=` with no value yet) names nothing and has no range to edit.
  if (!a || a.value === undefined || a.valueStart < 0) return undefined;
  return { kind, attr: a, value: parseLibvirtInt(a.value), owner };
}

function collect(model: DomainModel): IndexReferences {
  const all: IndexReference[] = [];
  const push = (r: IndexReference | undefined): void => {
    if (r) all.push(r);
  };

  for (const el of model.devices ? model.devices.children : []) {
    if (el.name === 'nestedSmmuv3') continue; // read below with the other nestedSmmuv3 forms
    const address = child(el, 'address');
    if (address && attr(address, 'type')?.value === 'pci') push(refOf('address-bus', attr(address, 'bus'), el));
  }
  for (const i of model.iommus) push(refOf('iommu-pciBus', attr(i.driver, 'pciBus'), i.el));
  for (const n of model.nestedSmmus) {
    const a = n.address;
    if (a && (a.type === undefined || a.type === 'pci')) push(refOf('nested-smmu-bus', a.bus?.attr, n.el));
  }

  all.sort((x, y) => x.attr.valueStart - y.attr.valueStart);
  const byIndex = new Map<number, IndexReference[]>();
  for (const r of all) {
    if (!Number.isFinite(r.value)) continue;
    const list = byIndex.get(r.value);
    if (list) list.push(r);
    else byIndex.set(r.value, [r]);
  }
  return { all, byIndex };
}

/** The references naming `index`, in document order. */
export function referencesToIndex(model: DomainModel, index: number): readonly IndexReference[] {
  return indexReferencesOf(model).byIndex.get(index) ?? [];
}

/** The reference whose value holds `offset` (both ends inclusive, so a cursor just after the last digit counts). */
export function referenceAt(model: DomainModel, offset: number): IndexReference | undefined {
  for (const r of indexReferencesOf(model).all) {
    if (offset >= r.attr.valueStart && offset <= r.attr.valueEnd) return r;
  }
  return undefined;
}

/** The `type='pci'` controller a reference names, or undefined when its value is malformed or names none. */
export function controllerOfReference(model: DomainModel, ref: IndexReference): Controller | undefined {
  return Number.isFinite(ref.value) ? model.pciControllers.get(ref.value) : undefined;
}

/** The `index` attribute when it is what sets the controller's index (written and a valid number). */
export function writtenIndex(c: Controller): XmlAttribute | undefined {
  const a = c.indexAttr;
  return a && Number.isFinite(a.value) && a.attr.valueStart >= 0 ? a.attr : undefined;
}

/** Where a controller's index is declared: its index value when written, else its element name. */
export function declarationSpan(c: Controller): { start: number; end: number } {
  const a = writtenIndex(c);
  return a ? { start: a.valueStart, end: a.valueEnd } : { start: c.el.nameStart, end: c.el.nameEnd };
}

/**
 * The `type='pci'` controller whose declaration holds `offset`: the cursor is
 * on its written index value or on its start tag's element name.
 */
export function controllerDeclarationAt(model: DomainModel, offset: number): { controller: Controller; on: 'index' | 'name' } | undefined {
  for (const c of model.controllers) {
    if (c.type !== 'pci') continue;
    const a = writtenIndex(c);
    if (a && offset >= a.valueStart && offset <= a.valueEnd) return { controller: c, on: 'index' };
    if (offset >= c.el.nameStart && offset <= c.el.nameEnd) return { controller: c, on: 'name' };
  }
  return undefined;
}

/**
 * `n` written the way `raw` was: hex stays hex with its prefix, digit case
 * and zero-padded width (`0x03` → `0x05`), decimal stays decimal (keeping a
 * leading-zero width), surrounding blanks are kept. Text that is neither
 * (an entity, say) is replaced by plain decimal.
 */
export function formatIndexLike(raw: string, n: number): string {
  const hex = /^(\s*)(0[xX])([0-9a-fA-F]+)(\s*)$/.exec(raw);
  if (hex) {
    const [, lead, prefix, digits, trail] = hex;
    let out = n.toString(16).padStart(digits.length, '0');
    if (/[A-F]/.test(digits) && !/[a-f]/.test(digits)) out = out.toUpperCase();
    return lead + prefix + out + trail;
  }
  const dec = /^(\s*)([0-9]+)(\s*)$/.exec(raw);
  if (dec) {
    const [, lead, digits, trail] = dec;
    const padded = digits.length > 1 && digits[0] === '0' ? String(n).padStart(digits.length, '0') : String(n);
    return lead + padded + trail;
  }
  return String(n);
}
