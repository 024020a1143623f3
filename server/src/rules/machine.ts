/**
 * Rule family `machine`: what the guest machine type decides about the PCI
 * tree before anything starts. A machine without PCI (x86 `isapc`,
 * `microvm`) takes no PCI controller or PCI address; every other machine has
 * exactly one root bus, at controller index 0, of the model the machine
 * dictates (pcie-root on Q35 and ARM virt, pci-root on i440fx), and the root
 * bus has no address of its own.
 *
 * The facts come from domain/pciBusFacts.ts. A machine the domain does not
 * name is left alone: libvirt fills in a default from the emulator.
 */
import type { XmlElement } from '../xml/nodes';
import { attr } from '../xml/query';
import type { Controller, DomainModel } from '../domain/model';
import { definiteMachine, type MachineFamily } from '../domain/machine';
import { ROOT_MODELS, ROOT_MODEL_BY_MACHINE, machineWithoutPci } from '../domain/pciBusFacts';
import type { RelatedSpan, RuleContext, RuleFamily } from './types';
import { elementNameSpan, valueSpan } from './spans';
import { report } from './report';

const MACHINE_LABEL: Partial<Record<MachineFamily, string>> = { q35: 'Q35', 'arm-virt': 'ARM virt', i440fx: 'i440fx' };

export const machineRules: RuleFamily = {
  name: 'machine',
  run(ctx) {
    const m = ctx.model;
    if (machineWithoutPci(m)) {
      checkNoPci(ctx, m.machine!.value!);
      return;
    }
    for (const c of m.controllers) {
      if (c.type !== 'pci') continue;
      checkRootIndex(ctx, c);
      checkRootAddress(ctx, c);
    }
    checkRootModel(ctx);
  },
};

function machineRelated(m: DomainModel): RelatedSpan[] | undefined {
  return m.machine ? [{ ...valueSpan(m.machine), message: 'the guest machine' }] : undefined;
}

/** Every PCI controller and every PCI address: libvirt says the machine "does not support PCI". */
function checkNoPci(ctx: RuleContext, machine: string): void {
  const m = ctx.model;
  const seen = new Set<XmlElement>();
  for (const c of m.controllers) {
    if (c.type !== 'pci') continue;
    seen.add(c.el);
    const typeAttr = attr(c.el, 'type');
    report(
      ctx,
      'machine-no-pci',
      typeAttr ? valueSpan(typeAttr) : elementNameSpan(c.el),
      `Machine type '${machine}' has no PCI bus: libvirt refuses this PCI controller ("Machine type '${machine}' does not support PCI"). Remove it, or use a machine with PCI (q35, or pc for i440fx).`,
      { related: machineRelated(m), data: { machine } },
    );
  }
  for (const d of m.pciDevices) {
    const a = d.address;
    if (!a || a.type !== 'pci' || seen.has(d.el)) continue;
    const typeAttr = attr(a.el, 'type')!;
    report(
      ctx,
      'machine-no-pci',
      valueSpan(typeAttr),
      `Machine type '${machine}' has no PCI bus: libvirt refuses this <${d.kind}>'s PCI address ("No PCI buses available"). Remove the <address>, or use a machine with PCI (q35, or pc for i440fx).`,
      { related: machineRelated(m), data: { machine } },
    );
  }
}

/** pci-root and pcie-root are the bus of index 0 and nothing else. */
function checkRootIndex(ctx: RuleContext, c: Controller): void {
  const model = c.model?.value;
  if (!model || !ROOT_MODELS.includes(model) || c.index === 0) return;
  const at = c.indexAttr ? valueSpan(c.indexAttr.attr) : valueSpan(c.model!);
  report(
    ctx,
    'controller-root-index',
    at,
    `A ${model} is the root bus and must have index 0; this one has index ${c.index} (libvirt: "pci-root and pcie-root controllers should have index 0"). Set index='0', or use a bridge, port or expander model for an extra bus.`,
    { data: { model, index: c.index } },
  );
}

function checkRootAddress(ctx: RuleContext, c: Controller): void {
  const model = c.model?.value;
  if (!model || !ROOT_MODELS.includes(model) || !c.address) return;
  report(
    ctx,
    'controller-root-address',
    elementNameSpan(c.address.el),
    `The ${model} is the machine's root bus and plugs into nothing: libvirt refuses an <address> on it ("pci-root and pcie-root controllers should not have an address"). Remove the <address>.`,
    { data: { model } },
  );
}

/** The controller at index 0 must be the machine's root model. */
function checkRootModel(ctx: RuleContext): void {
  const m = ctx.model;
  const family = definiteMachine(m);
  const want = family ? ROOT_MODEL_BY_MACHINE[family] : undefined;
  if (!family || !want) return;
  const root = m.controllers.find((c) => c.type === 'pci' && c.index === 0);
  if (!root) return;
  const model = root.model;
  const machine = m.machine?.value ? `'${m.machine.value}'` : 'its default machine';
  if (!model) {
    report(
      ctx,
      'controller-root-model',
      root.indexAttr ? valueSpan(root.indexAttr.attr) : elementNameSpan(root.el),
      `${article(MACHINE_LABEL[family]!)} ${MACHINE_LABEL[family]} machine (${machine}) has a ${want} root bus, and libvirt does not fill in the model of the PCI controller with index 0 (libvirt: "The PCI controller with index='0' must be model='${want}' for this machine type, but model='(null)' was found instead"). Add model='${want}'.`,
      { related: machineRelated(m), data: { expected: want, machine: m.machine?.value } },
    );
    return;
  }
  if (model.value === undefined || !model.valueClosed || model.value === want) return;
  report(
    ctx,
    'controller-root-model',
    valueSpan(model),
    `${article(MACHINE_LABEL[family]!)} ${MACHINE_LABEL[family]} machine (${machine}) has a ${want} root bus: the PCI controller with index 0 must be model='${want}', not '${model.value}' (libvirt: "The PCI controller with index='0' must be model='${want}' for this machine type"). Write model='${want}'${model.value === 'pci-root' || model.value === 'pcie-root' ? ', or change the machine' : ', and give this controller another index'}.`,
    { related: machineRelated(m), data: { model: model.value, expected: want, machine: m.machine?.value } },
  );
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'An' : 'A';
}
