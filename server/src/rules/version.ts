/**
 * Rule family `version`: elements and attributes that the targeted libvirt
 * release does not know yet. Runs only when `settings.libvirtVersion` is set;
 * the versions come from the catalog's `since` fields, so the family knows
 * exactly what the catalog knows.
 *
 * Versions are lower bounds: where the catalog's version is inferred, a
 * domain targeting an older release is still certainly too old.
 */
import { attr, child } from '../xml/query';
import { ATTRIBUTE_MISSPELLINGS, FEATURE_SINCE, IOMMU_DRIVER_ATTRIBUTES, IOMMU_MODELS, PCI_CONTROLLER_MODELS, attributeSinceFor } from '../domain/catalog';
import { compareVersions, normalizeVersion } from '../domain/versions';
import type { Finding, RuleFamily } from './types';
import { finding } from './report';
import { attributeNameSpan, elementNameSpan, valueSpan, type Span } from './spans';

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export const versionRules: RuleFamily = {
  name: 'version',
  run(ctx) {
    const target = normalizeVersion(ctx.settings.libvirtVersion);
    if (!target) return;
    const m = ctx.model;
    const out: Finding[] = [];

    /** Reports `what` at the range when `since` is later than the targeted release. */
    const check = (since: string | undefined, what: string, at: Span, feature: string) => {
      if (!since || compareVersions(since, target) <= 0) return;
      out.push(finding('version-too-new', at, `${what} needs libvirt ${since} or newer; this domain targets ${target}.`, { data: { feature, since, target } }));
    };

    if (m.iommufd) check(FEATURE_SINCE.domainIommufd.since, FEATURE_SINCE.domainIommufd.label, elementNameSpan(m.iommufd), 'domainIommufd');

    for (const i of m.iommus) {
      const model = i.model?.value;
      const info = model !== undefined && has(IOMMU_MODELS, model) ? IOMMU_MODELS[model] : undefined;
      if (info && i.model) check(info.since, `IOMMU model '${info.name}'`, valueSpan(i.model), `iommu-model:${info.name}`);
      for (const a of i.driver?.attributes ?? []) {
        const name = has(ATTRIBUTE_MISSPELLINGS, a.name) ? ATTRIBUTE_MISSPELLINGS[a.name].canonical : a.name;
        if (!has(IOMMU_DRIVER_ATTRIBUTES, name)) continue;
        // An attribute that does not belong to the model is the iommu family's business.
        if (info && !info.attributes.includes(name)) continue;
        check(attributeSinceFor(IOMMU_DRIVER_ATTRIBUTES[name], model), name, attributeNameSpan(a), `iommu-driver:${name}`);
      }
      const granule = child(i.driver, 'granule');
      if (granule) check(FEATURE_SINCE.iommuGranule.since, FEATURE_SINCE.iommuGranule.label, elementNameSpan(granule), 'iommuGranule');
    }

    for (const c of m.controllers) {
      const model = c.model?.value;
      if (c.type !== 'pci' || model === undefined || !has(PCI_CONTROLLER_MODELS, model) || !c.model) continue;
      check(PCI_CONTROLLER_MODELS[model].since, `PCI controller model '${model}'`, valueSpan(c.model), `controller-model:${model}`);
    }

    for (const h of m.hostdevs) {
      const iommufd = attr(h.driver, 'iommufd');
      if (iommufd) check(FEATURE_SINCE.hostdevIommufd.since, FEATURE_SINCE.hostdevIommufd.label, attributeNameSpan(iommufd), 'hostdevIommufd');
      const nodeset = attr(child(h.el, 'acpi'), 'nodeset');
      if (nodeset) check(FEATURE_SINCE.hostdevAcpiNodeset.since, FEATURE_SINCE.hostdevAcpiNodeset.label, attributeNameSpan(nodeset), 'hostdevAcpiNodeset');
    }

    // Document order, whatever order the parts were visited in.
    out.sort((a, b) => a.start - b.start);
    for (const f of out) ctx.report(f);
  },
};
