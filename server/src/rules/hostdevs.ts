/**
 * Rule family `hostdevs`: assigned host devices as libvirt validates them
 * before start. The same host device assigned twice (also through an
 * `<interface type='hostdev'>`), a guest address of a type the device kind
 * cannot take, and mediated devices (`type='mdev'`) with a model that is
 * missing, unknown, or absent from the guest architecture's QEMU.
 *
 * Whether the host has the device, and which host SMMU it sits behind, is
 * the smmu-map family's business.
 */
import type { XmlElement } from '../xml/nodes';
import { attr, child } from '../xml/query';
import { HOSTDEV_ADDRESS_TYPES, MDEV_MODELS, hostdevIdentity } from '../domain/hostdevFacts';
import type { RuleContext, RuleFamily } from './types';
import { elementNameSpan, valueSpan } from './spans';
import { report } from './report';

interface AssignedSource {
  /** The `<hostdev>` or `<interface>`. */
  readonly el: XmlElement;
  readonly source: XmlElement;
  readonly identity: string;
}

export const hostdevRules: RuleFamily = {
  name: 'hostdevs',
  run(ctx) {
    const m = ctx.model;
    const first = new Map<string, AssignedSource>();
    for (const el of m.devices?.children ?? []) {
      const assigned = assignedSource(el);
      if (assigned) checkDuplicate(ctx, assigned, first);
      if (el.name !== 'hostdev' || (attr(el, 'mode')?.value ?? 'subsystem') !== 'subsystem') continue;
      const type = attr(el, 'type')?.value;
      checkAddressType(ctx, el, type);
      if (type === 'mdev') checkMdev(ctx, el);
    }
  },
};

/** The host device a `<hostdev mode='subsystem'>` or `<interface type='hostdev'>` assigns. */
function assignedSource(el: XmlElement): AssignedSource | undefined {
  const source = child(el, 'source');
  if (!source) return undefined;
  let identity: string | undefined;
  if (el.name === 'hostdev' && (attr(el, 'mode')?.value ?? 'subsystem') === 'subsystem') identity = hostdevIdentity(attr(el, 'type')?.value, source);
  else if (el.name === 'interface' && attr(el, 'type')?.value === 'hostdev') identity = hostdevIdentity('pci', source);
  return identity ? { el, source, identity } : undefined;
}

function describeSource(identity: string): string {
  const [kind, ...rest] = identity.split(':');
  if (kind === 'pci') {
    const [d, b, sf] = rest;
    const [s, f] = sf.split('.');
    const hex = (v: string, w: number) => parseInt(v, 10).toString(16).padStart(w, '0');
    return `PCI device ${hex(d, 4)}:${hex(b, 2)}:${hex(s, 2)}.${parseInt(f, 10).toString(16)}`;
  }
  if (kind === 'mdev') return `mediated device ${rest.join(':')}`;
  if (kind.startsWith('usb')) return 'USB device';
  return `${kind.replace('_', ' ')} device`;
}

function checkDuplicate(ctx: RuleContext, d: AssignedSource, first: Map<string, AssignedSource>): void {
  const prev = first.get(d.identity);
  if (!prev) {
    first.set(d.identity, d);
    return;
  }
  const what = describeSource(d.identity);
  const via = prev.el.name === 'interface' ? ` (by an <interface type='hostdev'>)` : '';
  report(
    ctx,
    'hostdev-duplicate',
    elementNameSpan(d.source),
    `The ${what} is already assigned to this domain${via}: libvirt refuses a second assignment ("Hostdev already exists in the domain configuration"). Remove one of them.`,
    { related: [{ ...elementNameSpan(prev.source), message: `the first assignment of the ${what}` }], data: { source: d.identity } },
  );
}

function checkAddressType(ctx: RuleContext, el: XmlElement, type: string | undefined): void {
  const allowed = HOSTDEV_ADDRESS_TYPES[type ?? 'pci'];
  const address = child(el, 'address');
  const typeAttr = attr(address, 'type');
  if (!allowed || !typeAttr || typeAttr.value === undefined || !typeAttr.valueClosed) return;
  if (allowed.includes(typeAttr.value)) return;
  report(
    ctx,
    'hostdev-address-type',
    valueSpan(typeAttr),
    `A <hostdev type='${type ?? 'pci'}'> cannot take an address of type '${typeAttr.value}': libvirt accepts only ${allowed.map((a) => `'${a}'`).join(' or ')} for it. Use type='${allowed[0]}', or remove the <address> and let libvirt place it.`,
    { data: { hostdevType: type ?? 'pci', addressType: typeAttr.value, allowed } },
  );
}

function checkMdev(ctx: RuleContext, el: XmlElement): void {
  const modelAttr = attr(el, 'model');
  const models = Object.keys(MDEV_MODELS);
  if (!modelAttr) {
    report(
      ctx,
      'hostdev-mdev-model',
      elementNameSpan(el),
      `A <hostdev type='mdev'> needs a model: libvirt refuses it without one. Add model='vfio-pci' (a vGPU or other mediated PCI device), or ${models
        .slice(1)
        .map((x) => `'${x}'`)
        .join(' or ')} on s390.`,
    );
    return;
  }
  const model = modelAttr.value;
  if (model === undefined || !modelAttr.valueClosed) return;
  const info = Object.prototype.hasOwnProperty.call(MDEV_MODELS, model) ? MDEV_MODELS[model] : undefined;
  if (!info) {
    report(ctx, 'hostdev-mdev-model', valueSpan(modelAttr), `Unknown mediated device model '${model}': use ${models.map((x) => `'${x}'`).join(', ')}.`, { data: { model } });
    return;
  }
  const arch = ctx.model.arch?.value;
  if (info.arches && arch !== undefined && !info.arches.includes(arch)) {
    report(
      ctx,
      'hostdev-mdev-model',
      valueSpan(modelAttr),
      `model='${model}' exists only in ${info.arches.join(', ')} QEMU; on ${arch} libvirt refuses it because the emulator has no ${model} device. Use model='vfio-pci' for a mediated PCI device.`,
      { data: { model, arch } },
    );
  }
  const display = attr(el, 'display');
  if (display && model !== 'vfio-pci') {
    report(
      ctx,
      'hostdev-mdev-display',
      valueSpan(display),
      `display is only for model='vfio-pci' mediated devices (libvirt: "<hostdev> attribute 'display' is only supported with model='vfio-pci'"). Remove display.`,
      { data: { model } },
    );
  }
}
