/**
 * Rule family `iommu`: each `<iommu>` element on its own (model, machine,
 * `<driver>` attributes and their values, `<address>`) and the `<iommu>`
 * elements together (how many, which `pciBus` each attaches to).
 *
 * What is valid where comes from the catalog (models, attributes per model,
 * value kinds), so adding an attribute there is enough for it to be checked.
 * Models of abandoned proposals (nestedSmmuv3, smmuv3Dev) are left to the
 * nested-proposal family.
 */
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import type { Controller, DomainModel, Iommu } from '../domain/model';
import { parseLibvirtInt } from '../domain/model';
import {
  ATTRIBUTE_MISSPELLINGS,
  attributeValueFor,
  IOMMU_DRIVER_ATTRIBUTES,
  IOMMU_MODELS,
  LIBVIRT_RELEASE,
  PROPOSAL_IOMMU_MODELS,
  type IommuModelInfo,
  type ValueKind,
} from '../domain/catalog';
import { definiteMachine, hasAcpi, type MachineFamily } from '../domain/machine';
import { expanderOf, expanderWithBusNr, isPcieExpander } from '../domain/topology';
import type { RelatedSpan, RuleContext, RuleFamily } from './types';
import { attributeNameSpan, elementNameSpan, valueSpan } from './spans';
import { report } from './report';

/** A `<driver>` attribute under the name libvirt knows it by (misspellings mapped to their canonical name). */
interface DriverAttr {
  readonly attr: XmlAttribute;
  readonly name: string;
  readonly misspelled: boolean;
}

/** What the family needs to know about one `<iommu>` after the per-element checks. */
interface IommuFacts {
  readonly iommu: Iommu;
  /** The catalog entry, when the model is known. */
  readonly info: IommuModelInfo | undefined;
  /** True for models of abandoned proposals: another family speaks about them. */
  readonly proposal: boolean;
  readonly attrs: ReadonlyMap<string, DriverAttr>;
}

export const iommuRules: RuleFamily = {
  name: 'iommu',
  run(ctx) {
    const m = ctx.model;
    const facts = m.iommus.map(factsOf);
    const extra = surplusIommus(facts);
    const pciBusSeen = new Map<number, XmlAttribute>();

    for (const f of facts) {
      if (f.proposal) continue;
      if (extra.has(f)) reportMultiple(ctx, f, facts);
      const modelAttr = f.iommu.model;
      if (!modelAttr) {
        report(ctx, 'iommu-model-missing', elementNameSpan(f.iommu.el), `<iommu> needs a model: add model='smmuv3' (ARM virt), 'intel' or 'amd' (x86 Q35), or 'virtio' (either).`);
        continue;
      }
      if (modelAttr.value === undefined || !modelAttr.valueClosed) continue; // still being typed; the xml family reports it
      if (!f.info) {
        reportUnknownModel(ctx, modelAttr);
        continue;
      }
      checkMachine(ctx, f.info, modelAttr);
      checkAcpi(ctx, f.info, modelAttr);
      checkAddress(ctx, f.iommu, f.info);
      checkDriver(ctx, f);
      if (f.info.name === 'smmuv3') checkPciBus(ctx, f, pciBusSeen);
    }
  },
};

function factsOf(iommu: Iommu): IommuFacts {
  const model = iommu.model?.value;
  const attrs = new Map<string, DriverAttr>();
  for (const a of iommu.driver?.attributes ?? []) {
    const alias = Object.prototype.hasOwnProperty.call(ATTRIBUTE_MISSPELLINGS, a.name) ? ATTRIBUTE_MISSPELLINGS[a.name] : undefined;
    const name = alias ? alias.canonical : a.name;
    const prev = attrs.get(name);
    // The correctly spelled attribute wins when both spellings are written.
    if (!prev || (prev.misspelled && !alias)) attrs.set(name, { attr: a, name, misspelled: !!alias });
  }
  return {
    iommu,
    info: model !== undefined && Object.prototype.hasOwnProperty.call(IOMMU_MODELS, model) ? IOMMU_MODELS[model] : undefined,
    proposal: model !== undefined && Object.prototype.hasOwnProperty.call(PROPOSAL_IOMMU_MODELS, model),
    attrs,
  };
}

function nameSpan(el: XmlElement, message: string): RelatedSpan {
  return { ...elementNameSpan(el), message };
}

function isPluggableSmmu(f: IommuFacts): boolean {
  return f.info?.name === 'smmuv3' && f.attrs.has('pciBus');
}

/**
 * The `<iommu>` elements that break "one IOMMU, unless all are pluggable
 * smmuv3": every one that is not pluggable, except the first when none is
 * (a single one of those would be fine on its own).
 */
function surplusIommus(facts: readonly IommuFacts[]): Set<IommuFacts> {
  const counted = facts.filter((f) => !f.proposal);
  if (counted.length < 2) return new Set();
  const offenders = counted.filter((f) => !isPluggableSmmu(f));
  if (offenders.length === counted.length) offenders.shift();
  return new Set(offenders);
}

function reportMultiple(ctx: RuleContext, f: IommuFacts, facts: readonly IommuFacts[]): void {
  const others = facts.filter((o) => o !== f && !o.proposal);
  const what = f.info ? `model='${f.info.name}'` : 'this <iommu>';
  const why =
    f.info?.name === 'smmuv3'
      ? `this smmuv3 has no pciBus, so it is the machine-wide SMMU of the virt board; add <driver pciBus='N'/> to attach it to a PCIe root complex, or remove it`
      : `remove this one, or use only model='smmuv3' IOMMUs with pciBus`;
  report(
    ctx,
    'iommu-multiple',
    elementNameSpan(f.iommu.el),
    `A domain may have only one <iommu> unless every <iommu> is model='smmuv3' with <driver pciBus='N'/> (libvirt ${LIBVIRT_RELEASE.pluggableSmmuv3}); ${what}: ${why}.`,
    { related: others.map((o) => nameSpan(o.iommu.el, 'another <iommu>')) },
  );
}

function reportUnknownModel(ctx: RuleContext, modelAttr: XmlAttribute): void {
  const model = modelAttr.value ?? '';
  const known = Object.keys(IOMMU_MODELS);
  const sameLetters = known.find((k) => k.toLowerCase() === model.toLowerCase());
  const hint = sameLetters ? `did you mean '${sameLetters}'? (model names are case-sensitive)` : `use one of ${known.map((k) => `'${k}'`).join(', ')}`;
  const span = valueSpan(modelAttr);
  report(ctx, 'iommu-model-unknown', span, `Unknown IOMMU model '${model}': ${hint}.`, { data: { model } });
}

function describeMachine(m: DomainModel): string {
  const arch = m.arch?.value ?? '';
  const machine = m.machine?.value;
  return machine ? `${arch} '${machine}'` : `${arch} (default machine)`;
}

function checkMachine(ctx: RuleContext, info: IommuModelInfo, modelAttr: XmlAttribute): void {
  const m = ctx.model;
  const family = definiteMachine(m);
  if (!family || !info.machineFamilies || info.machineFamilies.includes(family)) return;
  const span = valueSpan(modelAttr);
  const placeOf = m.machine ?? m.arch;
  report(ctx, 'iommu-model-machine', span, `IOMMU model '${info.name}' runs only on ${info.machines} machines; this domain is ${describeMachine(m)}. ${suggestModelFor(family)}`, {
    related: placeOf ? [{ ...valueSpan(placeOf), message: 'the guest machine' }] : undefined,
    data: { model: info.name, machine: m.machine?.value, arch: m.arch?.value },
  });
}

/** Names the models that would fit the machine, from the catalog. */
function suggestModelFor(family: MachineFamily): string {
  const fits = Object.values(IOMMU_MODELS)
    .filter((i) => i.machineFamilies?.includes(family))
    .map((i) => `'${i.name}'`);
  return fits.length ? `Use model ${fits.join(' or ')} here, or change the machine.` : 'No libvirt IOMMU model fits this machine: remove the <iommu>.';
}

function checkAcpi(ctx: RuleContext, info: IommuModelInfo, modelAttr: XmlAttribute): void {
  if (!info.needsAcpi || hasAcpi(ctx.model)) return;
  const span = valueSpan(modelAttr);
  const features = ctx.model.features;
  report(ctx, 'iommu-virtio-needs-acpi', span, `IOMMU model '${info.name}' needs ACPI: add <acpi/> inside <features>.`, {
    related: features ? [nameSpan(features, 'the domain features, without <acpi/>')] : undefined,
  });
}

function checkAddress(ctx: RuleContext, iommu: Iommu, info: IommuModelInfo): void {
  if (info.allowsAddress || !iommu.address) return;
  const el = iommu.address.el;
  const how = info.name === 'smmuv3' ? ` To attach the vSMMU to a PCIe root complex, use <driver pciBus='N'/> with the controller index instead.` : '';
  report(ctx, 'iommu-address-forbidden', elementNameSpan(el), `An <iommu model='${info.name}'> cannot have an <address>: libvirt rejects it. Remove the <address>.${how}`, {
    data: { model: info.name },
  });
}

function checkDriver(ctx: RuleContext, f: IommuFacts): void {
  const info = f.info!;
  const accel = f.attrs.get('accel');
  const accelOn = accel?.attr.value === 'on';
  // A malformed accel value is reported on its own; do not also call its dependents useless.
  const accelMalformed = accel !== undefined && accel.attr.value !== undefined && accel.attr.value !== 'on' && accel.attr.value !== 'off';
  const hasPciBus = f.attrs.has('pciBus');

  for (const a of f.iommu.driver?.attributes ?? []) {
    const alias = Object.prototype.hasOwnProperty.call(ATTRIBUTE_MISSPELLINGS, a.name) ? ATTRIBUTE_MISSPELLINGS[a.name] : undefined;
    const name = alias ? alias.canonical : a.name;
    if (alias) {
      report(
        ctx,
        'iommu-attribute-spelling',
        attributeNameSpan(a),
        `Write ${alias.canonical}, not ${a.name}: ${alias.why}. A plain \`virsh define\` accepts the domain and drops ${a.name} without a word, so QEMU gets its default instead; \`virsh define --validate\` refuses it.`,
        { data: { from: a.name, to: alias.canonical } },
      );
    }
    const spec = Object.prototype.hasOwnProperty.call(IOMMU_DRIVER_ATTRIBUTES, name) ? IOMMU_DRIVER_ATTRIBUTES[name] : undefined;
    if (!spec) {
      report(
        ctx,
        'iommu-attribute-unknown',
        attributeNameSpan(a),
        `Unknown <driver> attribute '${a.name}' for an IOMMU; the attributes of model '${info.name}' are ${listOrNone(info.attributes)}.`,
        { data: { attribute: a.name, model: info.name } },
      );
      continue;
    }
    if (!info.attributes.includes(name)) {
      const owners = Object.values(IOMMU_MODELS)
        .filter((i) => i.attributes.includes(name))
        .map((i) => `'${i.name}'`);
      report(
        ctx,
        'iommu-attribute-model',
        attributeNameSpan(a),
        `${name} is not valid for IOMMU model '${info.name}'${owners.length ? ` (it belongs to ${owners.join(', ')})` : ''}: libvirt rejects it. Remove it.`,
        { data: { attribute: name, model: info.name } },
      );
      continue;
    }
    checkValue(ctx, a, name, attributeValueFor(spec, info.name), spec.rangeCheckedOnlyAtStart?.includes(info.name) ?? false);
    if (spec.needsPciBus && !hasPciBus) {
      const suggested = unclaimedExpander(ctx.model);
      const example = suggested !== undefined ? ` (here probably pciBus='${suggested.index}', the pcie-expander-bus with index ${suggested.index})` : '';
      report(
        ctx,
        'iommu-needs-pcibus',
        attributeNameSpan(a),
        `${name} only works on a pluggable SMMUv3, and this one has no pciBus: \`virsh define\` accepts it but drops ${name} without a word, and the guest gets QEMU's machine-wide emulated SMMUv3 (-machine iommu=smmuv3), with no nested translation for its VFIO devices. Add pciBus='N' to this <driver>, N being the index of the pcie-expander-bus the vSMMU serves, or 0 for pcie-root${example}.`,
        { data: suggested !== undefined ? { attribute: name, suggestedIndex: suggested.index } : { attribute: name } },
      );
    } else if (spec.accelOnly && !accelOn && !accelMalformed) {
      report(
        ctx,
        'iommu-accel-only',
        attributeNameSpan(a),
        `${name} needs an accelerated vSMMU: libvirt refuses it without accel='on' ("accel must be enabled for iommu model 'smmuv3' when setting ats, ril, ssidsize, oas, or cmdqv"). Add accel='on' to this <driver>, or remove ${name}.`,
        { related: accel ? [{ ...valueSpan(accel.attr), message: `accel is '${accel.attr.value ?? ''}'` }] : undefined, data: { attribute: name } },
      );
    }
  }
}

function listOrNone(names: readonly string[]): string {
  return names.length ? names.join(', ') : 'none';
}

/**
 * `onlyAtStart`: libvirt does not check this value, so the message says that
 * `virsh define` takes the domain and QEMU refuses it when it starts. A value
 * that is not even a number is libvirt's to refuse either way.
 */
function checkValue(ctx: RuleContext, a: XmlAttribute, name: string, kind: ValueKind, onlyAtStart: boolean): void {
  const raw = a.value;
  if (raw === undefined || !a.valueClosed) return; // still being typed; the xml family reports it
  const expected = valueProblem(kind, raw);
  if (!expected) return;
  const span = valueSpan(a);
  const later =
    onlyAtStart && Number.isFinite(parseLibvirtInt(raw)) ? ' `virsh define` accepts it (libvirt passes the value on unchecked), and QEMU refuses it when the domain starts.' : '';
  report(ctx, kind.kind === 'onoff' ? 'iommu-value-onoff' : 'iommu-value-range', span, `${name}='${raw}' is not valid: ${expected}.${later}`, {
    data: { attribute: name, value: raw },
  });
}

/** What a value of this kind should look like, or undefined when `raw` fits. */
function valueProblem(kind: ValueKind, raw: string): string | undefined {
  switch (kind.kind) {
    case 'onoff':
      return raw === 'on' || raw === 'off' ? undefined : `use 'on' or 'off'`;
    case 'int': {
      const n = parseLibvirtInt(raw);
      return Number.isFinite(n) && n >= kind.min && n <= kind.max ? undefined : `use a whole number from ${kind.min} to ${kind.max}`;
    }
    case 'enum': {
      const n = parseLibvirtInt(raw);
      const ok = kind.values.some((v) => v === raw || (Number.isFinite(n) && parseLibvirtInt(v) === n));
      return ok ? undefined : `use ${kind.values.map((v) => `'${v}'`).join(' or ')}`;
    }
    case 'index':
      return Number.isFinite(parseLibvirtInt(raw)) ? undefined : 'use a controller index, a whole number from 0 up';
    case 'string':
      return undefined;
  }
}

/** The one pcie-expander-bus no `pciBus` names yet, when exactly one exists: the likely target. */
function unclaimedExpander(m: DomainModel): Controller | undefined {
  const claimed = new Set<number>();
  for (const i of m.iommus) {
    const v = factsOf(i).attrs.get('pciBus')?.attr.value;
    const n = parseLibvirtInt(v);
    if (Number.isFinite(n)) claimed.add(n);
  }
  const free = m.controllers.filter((c) => isPcieExpander(c) && !claimed.has(c.index));
  return free.length === 1 ? free[0] : undefined;
}

function describeController(c: Controller): string {
  return `the ${c.model?.value ?? `${c.type ?? ''} controller`} with index ${c.index}`;
}

/**
 * Where a pluggable SMMUv3 attaches: `pciBus` must be unique and name a PCIe
 * root complex by controller index (a pcie-expander-bus, or pcie-root).
 */
function checkPciBus(ctx: RuleContext, f: IommuFacts, seen: Map<number, XmlAttribute>): void {
  const m = ctx.model;
  const pb = f.attrs.get('pciBus');
  if (!pb || pb.attr.value === undefined || !pb.attr.valueClosed) return;
  const v = parseLibvirtInt(pb.attr.value);
  if (!Number.isFinite(v)) return; // iommu-value-range already says so
  const raw = pb.attr.value;
  const span = valueSpan(pb.attr);

  const first = seen.get(v);
  if (first) {
    report(
      ctx,
      'iommu-pcibus-duplicate',
      span,
      `pciBus='${raw}' is already taken by another <iommu>: a PCIe root complex carries at most one vSMMU. \`virsh define\` accepts both, and QEMU refuses to start the domain. Attach this one to a different pcie-expander-bus.`,
      { related: [{ ...valueSpan(first), message: 'the first <iommu> on this pciBus' }], data: { pciBus: v } },
    );
    return;
  }
  seen.set(v, pb.attr);

  const target = m.pciControllers.get(v);
  // libvirt adds pcie-root at index 0 itself when the XML does not write it.
  if (!target && v === 0) return;
  if (target && (isPcieExpander(target) || (target.index === 0 && target.model?.value === 'pcie-root'))) return;

  const byBusNr = expanderWithBusNr(m, v, true);
  if (byBusNr && byBusNr !== target) {
    const named = target ? `names ${describeController(target)}, not a PCIe root complex` : 'names no controller index';
    report(
      ctx,
      'iommu-pcibus-is-busnr',
      span,
      `pciBus='${raw}' ${named}; ${v} is the busNr of ${describeController(byBusNr)} — pciBus takes the controller index: pciBus='${byBusNr.index}'.`,
      {
        related: [{ ...valueSpan(byBusNr.busNr!.attr), message: `busNr of ${describeController(byBusNr)}` }],
        data: { pciBus: v, suggestedIndex: byBusNr.index },
      },
    );
    return;
  }

  if (!target) {
    const suggested = unclaimedExpander(m);
    const hint = suggested ? `; ${describeController(suggested)} has no vSMMU yet: pciBus='${suggested.index}'` : '';
    report(ctx, 'iommu-pcibus-missing', span, `pciBus='${raw}' names no PCI controller index. pciBus takes the index of a pcie-expander-bus (or 0 for pcie-root)${hint}.`, {
      related: suggested ? [nameSpan(suggested.el, describeController(suggested))] : undefined,
      data: suggested ? { pciBus: v, suggestedIndex: suggested.index } : { pciBus: v },
    });
    return;
  }

  const above = expanderOf(m, target.address);
  const hint = above ? ` It sits below ${describeController(above)}: pciBus='${above.index}'.` : ` Point pciBus at a pcie-expander-bus.`;
  report(
    ctx,
    'iommu-pcibus-not-expander',
    span,
    `pciBus='${raw}' names ${describeController(target)}; a vSMMU attaches only to a PCIe root complex: a pcie-expander-bus, or pcie-root (index 0). \`virsh define\` accepts it, and QEMU refuses to start the domain (an arm-smmuv3's primary bus must be a root bus).${hint}`,
    {
      related: [nameSpan(target.el, describeController(target))],
      data: above ? { pciBus: v, suggestedIndex: above.index } : { pciBus: v },
    },
  );
}
