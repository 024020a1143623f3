/**
 * Rule family `controller-options`: what each controller model may carry.
 * PCI controllers: the `<model name>` (the QEMU device) that fits the model,
 * and the `<target>` options the model takes (chassis and port on ports,
 * busNr and `<node>` on expanders, chassisNr on pci-bridge, hotplug on
 * ports and pci-root). Any controller: `<driver iothread>` only on a
 * virtio-scsi controller, naming an I/O thread the domain defines.
 *
 * The tables are in domain/catalog.ts (PCI_CONTROLLER_MODELS,
 * PCI_CONTROLLER_OPTIONS, IOTHREAD_CONTROLLER_MODELS).
 */
import type { XmlAttribute } from '../xml/nodes';
import { attr, child, children, textOf } from '../xml/query';
import type { Controller, DomainModel } from '../domain/model';
import { parseLibvirtInt } from '../domain/model';
import { IOTHREAD_CONTROLLER_MODELS, PCI_CONTROLLER_MODELS, PCI_CONTROLLER_OPTIONS } from '../domain/catalog';
import { isX86Arch } from '../domain/machine';
import type { RuleContext, RuleFamily } from './types';
import { attributeNameSpan, elementNameSpan, valueSpan, type Span } from './spans';
import { report } from './report';

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export const controllerOptionRules: RuleFamily = {
  name: 'controller-options',
  run(ctx) {
    const m = ctx.model;
    let iothreads: Set<number> | undefined;
    for (const c of m.controllers) {
      if (c.type === 'pci') {
        checkModelName(ctx, c);
        checkOptions(ctx, c);
      }
      const iothread = attr(child(c.el, 'driver'), 'iothread');
      if (iothread && iothread.value !== undefined && iothread.valueClosed) {
        iothreads ??= definedIothreads(m);
        checkIothread(ctx, c, iothread, iothreads);
      }
    }
  },
};

/** `<model name>` must be the QEMU device of the controller model. */
function checkModelName(ctx: RuleContext, c: Controller): void {
  const model = c.model?.value;
  const name = c.modelName;
  if (!model || !name || name.value === undefined || !name.valueClosed || !has(PCI_CONTROLLER_MODELS, model)) return;
  const info = PCI_CONTROLLER_MODELS[model];
  // Root buses have no model name on x86 and ARM; pSeries names its host bridge: not judged here.
  if (!info.modelName) return;
  const fits = [info.modelName, ...(info.otherModelNames ?? [])];
  if (fits.includes(name.value)) return;
  const owner = Object.values(PCI_CONTROLLER_MODELS).find((x) => x.modelName === name.value || x.otherModelNames?.includes(name.value!));
  report(
    ctx,
    'controller-model-name',
    valueSpan(name),
    `<model name='${name.value}'/> does not fit a ${model}${owner ? ` (it is the device of ${owner.name})` : ''}: libvirt refuses it ("Option 'modelName' has invalid value for PCI controller with index '${c.index}', model '${model}'…"). Write name='${info.modelName}'${
      fits.length > 1
        ? ` (or ${fits
            .slice(1)
            .map((x) => `'${x}'`)
            .join(', ')})`
        : ''
    }, or leave <model> out.`,
    { data: { from: name.value, to: info.modelName } },
  );
}

/** `<target>` options the model does not take. */
function checkOptions(ctx: RuleContext, c: Controller): void {
  const model = c.model?.value;
  if (!model || !has(PCI_CONTROLLER_MODELS, model)) return;
  const found: Array<{ key: string; at: Span }> = [];
  for (const a of c.target?.attributes ?? []) {
    if (has(PCI_CONTROLLER_OPTIONS, a.name) && a.name !== 'node') found.push({ key: a.name, at: attributeNameSpan(a) });
  }
  // <node> on index 0 is controller-root-numa's.
  if (c.numaNode && c.index !== 0) found.push({ key: 'node', at: elementNameSpan(c.numaNode.el) });
  for (const { key, at } of found) {
    const opt = PCI_CONTROLLER_OPTIONS[key];
    const arch = ctx.model.arch?.value;
    const archFits = !opt.arches || arch === undefined || opt.arches.includes(arch);
    if (opt.models.includes(model) && archFits) continue;
    const owner = `${opt.models.join(', ')}${opt.arches ? ` of ${opt.arches.join('/')} (pSeries) guests` : ''}`;
    report(
      ctx,
      'controller-option-model',
      at,
      `${opt.label} is not an option of a ${model}${opt.models.includes(model) ? ` on ${arch}` : ''}: libvirt refuses it ("Option '${opt.libvirtName}' is not valid for PCI controller with index '${c.index}', model '${model}'…"). It belongs to ${owner}. Remove it.`,
      { data: { option: key, model, models: opt.models } },
    );
  }
}

/** I/O thread ids the domain defines: 1..N of `<iothreads>N</iothreads>`, and each `<iothreadids><iothread id>`. */
function definedIothreads(m: DomainModel): Set<number> {
  const ids = new Set<number>();
  const countEl = child(m.root, 'iothreads');
  const n = countEl ? parseLibvirtInt(textOf(countEl)) : NaN;
  for (let i = 1; Number.isFinite(n) && i <= n && i <= 4096; i++) ids.add(i);
  for (const t of children(child(m.root, 'iothreadids'), 'iothread')) {
    const id = parseLibvirtInt(attr(t, 'id')?.value);
    if (Number.isFinite(id)) ids.add(id);
  }
  return ids;
}

function checkIothread(ctx: RuleContext, c: Controller, iothread: XmlAttribute, defined: Set<number>): void {
  const model = c.model?.value;
  const at = attributeNameSpan(iothread);
  const what = `<controller type='${c.type ?? ''}'${model ? ` model='${model}'` : ''}>`;
  const refuse = (why: string) =>
    report(
      ctx,
      'controller-iothread-model',
      at,
      `iothread is only for virtio-scsi controllers; ${why} (libvirt: "'iothread' attribute only supported for virtio scsi controllers"). Remove iothread, or use <controller type='scsi' model='virtio-scsi'>.`,
      { data: { type: c.type, model } },
    );
  if (c.type !== 'scsi') return refuse(`libvirt refuses it on a ${what}`);
  if (model !== undefined && !IOTHREAD_CONTROLLER_MODELS.includes(model)) return refuse(`libvirt refuses it on model='${model}'`);
  // Without a model libvirt picks lsilogic on x86 and virtio-scsi on the other machines.
  if (model === undefined && isX86Arch(ctx.model.arch?.value)) return refuse(`without a model libvirt makes this x86 SCSI controller an lsilogic and refuses it`);
  const id = parseLibvirtInt(iothread.value);
  if (!Number.isFinite(id) || defined.has(id)) return;
  report(
    ctx,
    'controller-iothread-missing',
    valueSpan(iothread),
    `iothread='${iothread.value}' names no I/O thread of this domain (libvirt: "controller iothread '${id}' not defined in iothreadid"). ${
      defined.size
        ? `Use one of ${[...defined]
            .sort((a, b) => a - b)
            .slice(0, 8)
            .join(', ')}`
        : `Add <iothreads>${id}</iothreads> to the domain`
    }.`,
    { data: { iothread: id } },
  );
}
