/**
 * Rule family `nested-proposal`: the XML of the early nested-SMMUv3 proposals
 * (2025), which released libvirt never accepted.
 *
 * The RFC named host SMMUs in the domain (`<nestedSmmuv3>` with a
 * `smmu3.0x…` name on or behind a pxb-pcie) and used `model='nestedSmmuv3'`;
 * a later RFC used `model='smmuv3Dev'`. Upstream settled on
 * `<iommu model='smmuv3'><driver pciBus='N' accel='on'/></iommu>` per
 * expander, with the host SMMU implied by the first assigned device. Domains
 * written for the old form still circulate, so besides pointing at the
 * upstream form, the names they carry are checked the way the RFC would have
 * used them: well-formed, present on the host, one expander each, and
 * matching the devices placed below that expander.
 */
import type { Controller, DomainModel, NestedSmmuRef } from '../domain/model';
import { ACCEL_VSMMU_WITH_VFIO_SINCE, PROPOSAL_IOMMU_MODELS } from '../domain/catalog';
import { smmuMappingOf } from '../domain/smmuMapping';
import { expanderOf, isExpander } from '../domain/topology';
import { isArmSmmuHost, smmuv3s } from '../host/queries';
import type { Finding, RuleFamily } from './types';
import { finding } from './report';
import { elementNameSpan, elementTextSpan, valueSpan, type Span } from './spans';

/** How arm-smmu-v3 names its instances: `smmu3.` + the MMIO base as 0x and 16 lower-case hex digits. */
export const SMMU_NAME_RE = /^smmu3\.0x[0-9a-f]{16}$/;

/** The SMMU name's text, or the element holding it while it is empty. */
function refNameRange(ref: NestedSmmuRef): Span {
  return elementTextSpan(ref.nameEl);
}

/**
 * The expander a reference belongs to: the controller it is written in, or,
 * for the device form, the expander its guest address sits on.
 */
function expanderOfRef(model: DomainModel, ref: NestedSmmuRef): Controller | undefined {
  if (ref.form === 'controller') return ref.controller;
  if (isExpander(ref.controller)) return ref.controller;
  return expanderOf(model, ref.address) ?? ref.controller;
}

const UPSTREAM_FORM = "<iommu model='smmuv3'><driver pciBus='N' accel='on'/></iommu>";

export const nestedProposalRules: RuleFamily = {
  name: 'nested-proposal',
  run(ctx) {
    const { model, host } = ctx;
    const out: Finding[] = [];

    for (const iommu of model.iommus) {
      const m = iommu.model?.value;
      if (!iommu.model || m === undefined || !Object.prototype.hasOwnProperty.call(PROPOSAL_IOMMU_MODELS, m)) continue;
      const from = PROPOSAL_IOMMU_MODELS[m];
      const extra = m === 'smmuv3Dev' ? ' (its parentIdx became pciBus)' : '';
      out.push(
        finding(
          'nested-proposal-syntax',
          valueSpan(iommu.model),
          `model='${m}' comes from ${from}; no released libvirt accepts it. Since libvirt ${ACCEL_VSMMU_WITH_VFIO_SINCE} write one ${UPSTREAM_FORM} per pcie-expander-bus${extra}, ` +
            "N being the expander's controller index, and put each assigned device behind the expander for its host SMMU, with <driver name='vfio' iommufd='yes'/>.",
          { tags: ['deprecated'], data: { model: m, replacement: 'smmuv3' } },
        ),
      );
    }

    const hostKnown = !!host && isArmSmmuHost(host);
    const hostNames = hostKnown ? smmuv3s(host!).map((i) => i.name) : [];
    const expanders = new Map<NestedSmmuRef, Controller | undefined>();
    for (const ref of model.nestedSmmus) {
      const exp = expanderOfRef(model, ref);
      expanders.set(ref, exp);
      const where = exp ? `expander index ${exp.index}` : 'each expander';
      const pciBus = exp ? String(exp.index) : 'N';
      out.push(
        finding(
          'nested-proposal-syntax',
          elementNameSpan(ref.el),
          `<nestedSmmuv3> is from the 2025 RFC that named host SMMUs in the XML; released libvirt does not accept it and never names host SMMUs. ` +
            `Remove it and give ${where} its own <iommu model='smmuv3'><driver pciBus='${pciBus}' accel='on'/></iommu> (libvirt ${ACCEL_VSMMU_WITH_VFIO_SINCE} or newer, with the devices on iommufd): ` +
            'the vSMMU then binds to the host SMMU of the first assigned device behind the expander.',
          { tags: ['deprecated'], data: { name: ref.name, expanderIndex: exp?.index } },
        ),
      );

      if (ref.name === '' || !SMMU_NAME_RE.test(ref.name)) {
        out.push(
          finding(
            'nested-smmu-name-malformed',
            refNameRange(ref),
            ref.name === ''
              ? '<nestedSmmuv3> names no host SMMU: expected a name like smmu3.0x0000000016000000.'
              : `'${ref.name}' is not a host SMMUv3 name: those are smmu3.0x followed by 16 lower-case hex digits, like smmu3.0x0000000016000000.`,
            { data: { name: ref.name } },
          ),
        );
      } else if (hostKnown && !hostNames.includes(ref.name)) {
        out.push(
          finding('nested-smmu-name-unknown', refNameRange(ref), `The host has no SMMU ${ref.name}; its SMMUv3 instances are ${hostNames.join(', ')}.`, {
            data: { name: ref.name, known: hostNames },
          }),
        );
      }
    }

    // Two expanders naming one host SMMU: the RFC gave each host SMMU one.
    const firstByName = new Map<string, NestedSmmuRef>();
    for (const ref of model.nestedSmmus) {
      const exp = expanders.get(ref);
      if (!exp || !SMMU_NAME_RE.test(ref.name)) continue;
      const first = firstByName.get(ref.name);
      if (!first) {
        firstByName.set(ref.name, ref);
        continue;
      }
      const firstExp = expanders.get(first)!;
      if (firstExp === exp) continue;
      out.push(
        finding(
          'nested-smmu-duplicate',
          refNameRange(ref),
          `${ref.name} is already named for expander index ${firstExp.index}; each host SMMU gets one expander, so expander index ${exp.index} must name another.`,
          {
            related: [{ ...refNameRange(first), message: `${ref.name}, named for expander index ${firstExp.index}` }],
            data: { name: ref.name, expanderIndex: exp.index, firstExpanderIndex: firstExp.index },
          },
        ),
      );
    }

    // Devices below an expander whose name is another host SMMU than theirs.
    if (hostKnown && model.nestedSmmus.length > 0) {
      for (const p of smmuMappingOf(model, host).placements) {
        if (!p.hostSmmu || !p.expander) continue;
        const refs = model.nestedSmmus.filter((r) => expanders.get(r) === p.expander && SMMU_NAME_RE.test(r.name));
        if (refs.length === 0 || refs.some((r) => r.name === p.hostSmmu)) continue;
        const named = refs[0];
        const bus = p.hostdev.address?.bus;
        const range = bus ? valueSpan(bus.attr) : elementNameSpan(p.hostdev.el);
        out.push(
          finding(
            'nested-smmu-device-mismatch',
            range,
            `${p.bdf} is behind host SMMU ${p.hostSmmu}, but expander index ${p.expander.index} names ${named.name}: move the device below the expander that names ${p.hostSmmu}, or name ${p.hostSmmu} here.`,
            {
              related: [{ ...refNameRange(named), message: `expander index ${p.expander.index} names ${named.name}` }],
              data: { hostdev: p.index, bdf: p.bdf, smmu: p.hostSmmu, named: named.name, expanderIndex: p.expander.index },
            },
          ),
        );
      }
    }

    out.sort((a, b) => a.start - b.start || a.end - b.end);
    for (const f of out) ctx.report(f);
  },
};
