/**
 * smmu-map-emulated-device: an emulated device (virtio disk or NIC, a USB or
 * SCSI controller) below an accelerated vSMMU, which QEMU refuses. The fix
 * takes it to pcie-root, which has no accelerated vSMMU in such domains:
 *
 * - when it sits alone on a root port of the expander, that root port moves
 *   to a free pcie-root slot, device and all (nothing is left empty behind,
 *   the device's own address does not change);
 * - otherwise the device moves to a free root port on pcie-root, or to a new
 *   one there.
 *
 * Either way pcie-root takes one more bus number, so the fix is offered only
 * while pcie-root's bus range has room below the lowest expander.
 */
import { CodeActionKind, type CodeAction } from 'vscode-languageserver-types';
import { isGuestPci, type PciDevice } from '../../domain/model';
import { expandersByBusNr, PciAllocator, rootBusNumbers } from '../../domain/allocate';
import { smmuMappingOf } from '../../domain/smmuMapping';
import { controllerOfAddress, isAccel, iommuForIndex, pluggedInto } from '../../domain/topology';
import { attr } from '../../xml/query';
import { DevicesInserter, EditBuilder, makeAction, setAttribute, type FixContext } from './edits';
import { intData, offsetsOf, type CodeDiagnostic } from './lookup';
import { rootPortSpec } from './pciSpecs';
import { hex2 } from '../pciLayout';

export function emulatedDeviceFixes(ctx: FixContext, d: CodeDiagnostic<'smmu-map-emulated-device'>): CodeAction[] {
  const model = ctx.model;
  const dev = deviceOf(ctx, d);
  if (!dev || !isGuestPci(dev.address)) return [];
  // Still below an accelerated complex, and pcie-root itself is not one.
  const mapping = smmuMappingOf(model, ctx.feature.host);
  if (!mapping.expanders.some((e) => e.accel && e.emulated.includes(dev))) return [];
  const rootIommu = iommuForIndex(model, 0);
  if (rootIommu && isAccel(rootIommu)) return [];
  const lowest = expandersByBusNr(model)[0]?.busNr?.value;
  if (lowest !== undefined && rootBusNumbers(model) + 1 >= lowest) return [];

  const alloc = new PciAllocator(model);
  const b = new EditBuilder();
  const port = controllerOfAddress(model, dev.address);
  const below = port ? pluggedInto(model, port.index) : undefined;
  const alone =
    port?.model?.value === 'pcie-root-port' &&
    below!.controllers.length === 0 &&
    below!.devices.length === 1 &&
    below!.devices[0] === dev &&
    isGuestPci(port.address) &&
    model.pciControllers.get(port.address.bus.value)?.model?.value === 'pcie-expander-bus';
  let title: string;
  if (alone && port?.address) {
    const slot = alloc.slot(0);
    if (slot === undefined) return [];
    const el = port.address.el;
    setAttribute(ctx, b, el, 'bus', '0x00');
    setAttribute(ctx, b, el, 'slot', hex2(slot));
    if (attr(el, 'function') && port.address.function?.value !== 0) setAttribute(ctx, b, el, 'function', '0x0');
    title = `Move its root port (index ${port.index}) to pcie-root`;
  } else {
    const free = alloc.freeRootPort(0);
    let target = free?.index;
    if (target === undefined) {
      const slot = alloc.slot(0);
      const index = alloc.index();
      const chassis = alloc.chassisFor(index);
      if (slot === undefined || chassis === undefined) return [];
      const ins = new DevicesInserter(ctx);
      ins.addController(rootPortSpec(index, chassis, 0, slot));
      if (!ins.flush(b)) return [];
      target = index;
    }
    const el = dev.address.el;
    setAttribute(ctx, b, el, 'bus', hex2(target));
    if (dev.address.slot?.value !== 0) setAttribute(ctx, b, el, 'slot', '0x00');
    if (attr(el, 'function') && dev.address.function?.value !== 0) setAttribute(ctx, b, el, 'function', '0x0');
    title = free ? `Move this <${dev.kind}> to the free root port ${target} on pcie-root` : `Move this <${dev.kind}> to a new root port on pcie-root`;
  }
  const a = makeAction(ctx, title, CodeActionKind.QuickFix, [d], b, true);
  return a ? [a] : [];
}

/** The device the diagnostic names by `data.device`, unless its range lies in another device's address. */
function deviceOf(ctx: FixContext, d: CodeDiagnostic<'smmu-map-emulated-device'>): PciDevice | undefined {
  const r = offsetsOf(ctx, d);
  const devices = ctx.model.pciDevices;
  const under = devices.find((x) => x.address && r.start >= x.address.el.start && r.start < x.address.el.end);
  if (under) return under;
  const i = intData(d, 'device');
  return i !== undefined && i < devices.length ? devices[i] : undefined;
}
