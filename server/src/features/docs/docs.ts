/**
 * Looks up what an element or attribute is (elementDocs.ts, attributeDocs.ts)
 * and where libvirt documents it (anchors.ts), for hover, completion item
 * documentation and anything else that explains the domain XML.
 *
 * An element is named by its path of names from the root (`domain`,
 * `devices`, `hostdev`, `source`, `address`): the longest key that ends the
 * path wins, so `hostdev/source/address` beats `address`.
 */
import { IOMMU_DRIVER_ATTRIBUTES } from '../../domain/catalog';
import { ATTRIBUTE_DOCS } from './attributeDocs';
import { docLink } from './anchors';
import { ELEMENT_DOCS, LINUX_CAPABILITY_ELEMENTS, type ElementDoc } from './elementDocs';

export interface ResolvedElementDoc {
  /** The key of the row that answered (`hostdev/source/address`, `address`). */
  readonly key: string;
  readonly text: string;
  /** The section id (or `page#id`) after following '' up to the parent. */
  readonly anchor: string | undefined;
  /** The full libvirt.org link, when the anchor is known. */
  readonly link: string | undefined;
  /** The release that introduced it, where the row names one. */
  readonly since: string | undefined;
}

/** The keys to try for a path, longest first: `a/b/c`, `b/c`, `c`. */
function suffixKeys(path: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < path.length; i++) out.push(path.slice(i).join('/'));
  return out;
}

function rowFor(path: readonly string[]): { key: string; doc: ElementDoc } | undefined {
  if (!path.length) return undefined;
  for (const key of suffixKeys(path)) {
    const doc = ELEMENT_DOCS.get(key);
    if (doc) return { key, doc };
  }
  const n = path.length;
  // The Linux capabilities of a container: one text for all of them.
  if (n >= 3 && path[n - 2] === 'capabilities' && path[n - 3] === 'features' && LINUX_CAPABILITY_ELEMENTS.has(path[n - 1])) {
    const key = 'features/capabilities/*';
    const doc = ELEMENT_DOCS.get(key);
    if (doc) return { key, doc };
  }
  return undefined;
}

/** The anchor of the element at `path`, following '' (the parent's section) upwards. */
function anchorFor(path: readonly string[]): string | undefined {
  for (let end = path.length; end > 0; end--) {
    const row = rowFor(path.slice(0, end));
    if (!row) return undefined;
    if (row.doc.anchor) return row.doc.anchor;
  }
  return undefined;
}

/** What the element at `path` (names from the root, the element last) is, or undefined when no row covers it. */
export function describeElement(path: readonly string[]): ResolvedElementDoc | undefined {
  const row = rowFor(path);
  if (!row) return undefined;
  const anchor = anchorFor(path);
  return { key: row.key, text: row.doc.text, anchor, link: anchor ? docLink(anchor) : undefined, since: row.doc.since };
}

/** What attribute `attr` of the element at `path` does, or undefined. */
export function describeAttribute(path: readonly string[], attr: string): string | undefined {
  // The IOMMU <driver> attributes are documented where the rules read them: the catalog.
  const n = path.length;
  if (n >= 2 && path[n - 1] === 'driver' && path[n - 2] === 'iommu' && Object.hasOwn(IOMMU_DRIVER_ATTRIBUTES, attr)) return IOMMU_DRIVER_ATTRIBUTES[attr].doc;
  for (const key of suffixKeys(path)) {
    const text = ATTRIBUTE_DOCS.get(`${key}@${attr}`);
    if (text) return text;
  }
  return ATTRIBUTE_DOCS.get(`@${attr}`);
}

/** Names from the root down to `el`, the form describeElement takes. */
export function pathOf(el: { readonly name: string; readonly parent?: { readonly name: string; readonly parent?: unknown } | undefined }): string[] {
  const names: string[] = [];
  // Namespaced elements (`qemu:commandline`) are documented by their local name.
  for (let e: typeof el | undefined = el; e; e = e.parent as typeof el | undefined) names.push(e.name.slice(e.name.indexOf(':') + 1));
  return names.reverse();
}
