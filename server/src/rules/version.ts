/**
 * Rule family `version`: elements and attributes that the targeted libvirt
 * release does not know yet. Runs only when `settings.libvirtVersion` is set;
 * the versions come from the catalog's `since` fields, so the family knows
 * exactly what the catalog knows.
 *
 * Versions are lower bounds: where the catalog's version is inferred, a
 * domain targeting an older release is still certainly too old.
 */
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import { attr, child } from '../xml/query';
import {
  ATTRIBUTE_MISSPELLINGS, FEATURE_SINCE, IOMMU_DRIVER_ATTRIBUTES, IOMMU_MODELS, PCI_CONTROLLER_MODELS, attributeSinceFor,
} from '../domain/catalog';
import { compareVersions, normalizeVersion } from '../domain/versions';
import type { Finding, RuleFamily } from './types';

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export const versionRules: RuleFamily = {
  name: 'version',
  run(ctx) {
    const target = normalizeVersion(ctx.settings.libvirtVersion);
    if (!target) return;
    const m = ctx.model;
    const out: Finding[] = [];

    /** Reports `what` at the range when `since` is later than the targeted release. */
    const check = (since: string | undefined, what: string, at: { start: number; end: number }, feature: string) => {
      if (!since || compareVersions(since, target) <= 0) return;
      out.push({
        code: 'version-too-new', severity: 'warning', start: at.start, end: at.end,
        message: `${what} needs libvirt ${since} or newer; this domain targets ${target}.`,
        data: { feature, since, target },
      });
    };
    const nameOf = (el: XmlElement) => ({ start: el.nameStart, end: el.nameEnd });
    const attrName = (a: XmlAttribute) => ({ start: a.nameStart, end: a.nameEnd });
    const attrValue = (a: XmlAttribute) => (a.valueStart >= 0 ? { start: a.valueStart, end: a.valueEnd } : attrName(a));

    if (m.iommufd) check(FEATURE_SINCE.domainIommufd.since, FEATURE_SINCE.domainIommufd.label, nameOf(m.iommufd), 'domainIommufd');

    for (const i of m.iommus) {
      const model = i.model?.value;
      const info = model !== undefined && has(IOMMU_MODELS, model) ? IOMMU_MODELS[model] : undefined;
      if (info && i.model) check(info.since, `IOMMU model '${info.name}'`, attrValue(i.model), `iommu-model:${info.name}`);
      for (const a of i.driver?.attributes ?? []) {
        const name = has(ATTRIBUTE_MISSPELLINGS, a.name) ? ATTRIBUTE_MISSPELLINGS[a.name].canonical : a.name;
        if (!has(IOMMU_DRIVER_ATTRIBUTES, name)) continue;
        // An attribute that does not belong to the model is the iommu family's business.
        if (info && !info.attributes.includes(name)) continue;
        check(attributeSinceFor(IOMMU_DRIVER_ATTRIBUTES[name], model), name, attrName(a), `iommu-driver:${name}`);
      }
      const granule = child(i.driver, 'granule');
      if (granule) check(FEATURE_SINCE.iommuGranule.since, FEATURE_SINCE.iommuGranule.label, nameOf(granule), 'iommuGranule');
    }

    for (const c of m.controllers) {
      const model = c.model?.value;
      if (c.type !== 'pci' || model === undefined || !has(PCI_CONTROLLER_MODELS, model) || !c.model) continue;
      check(PCI_CONTROLLER_MODELS[model].since, `PCI controller model '${model}'`, attrValue(c.model), `controller-model:${model}`);
    }

    for (const h of m.hostdevs) {
      const iommufd = attr(h.driver, 'iommufd');
      if (iommufd) check(FEATURE_SINCE.hostdevIommufd.since, FEATURE_SINCE.hostdevIommufd.label, attrName(iommufd), 'hostdevIommufd');
      const nodeset = attr(child(h.el, 'acpi'), 'nodeset');
      if (nodeset) check(FEATURE_SINCE.hostdevAcpiNodeset.since, FEATURE_SINCE.hostdevAcpiNodeset.label, attrName(nodeset), 'hostdevAcpiNodeset');
    }

    // Document order, whatever order the parts were visited in.
    out.sort((a, b) => a.start - b.start);
    for (const f of out) ctx.report(f);
  },
};
