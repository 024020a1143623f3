/**
 * Rule family `mmio`: the 64-bit PCI MMIO window of an ARM virt guest and
 * the BARs of the devices assigned to it.
 *
 * A GPU's large prefetchable BARs must fit QEMU's 64-bit window (512 GiB by
 * default; `<pcihole64>` on pcie-root resizes it, as QEMU's
 * `highmem-mmio-size`). When they do not, the guest firmware or kernel
 * leaves BARs unassigned and the driver fails, with nothing reported at
 * define or start. BAR sizes come from the host topology (sysfs `resource`).
 */
import { ARM_VIRT_DEFAULT_HIGH_MMIO, formatBytes, isPowerOfTwo, mmioWindowOf, pcihole64Of, prefetchable64Need, windowFor } from '../domain/mmio';
import { machineFamily } from '../domain/machine';
import { smmuMappingOf } from '../domain/smmuMapping';
import type { HostPciDevice } from '../host/types';
import type { RuleFamily } from './types';
import { elementNameSpan, elementTextSpan } from './spans';
import { finding } from './report';

export const mmioRules: RuleFamily = {
  name: 'mmio',
  run(ctx) {
    const { model, host } = ctx;
    if (machineFamily(model) !== 'arm-virt') return;
    const hole = pcihole64Of(model);
    if (hole) {
      const at = elementTextSpan(hole.el);
      if (Number.isFinite(hole.bytes) && hole.bytes > 0 && (!isPowerOfTwo(hole.bytes) || hole.bytes < ARM_VIRT_DEFAULT_HIGH_MMIO)) {
        const fit = windowFor(hole.bytes);
        ctx.report(
          finding(
            'mmio-pcihole64-invalid',
            at,
            `On ARM virt, <pcihole64> becomes QEMU's highmem-mmio-size, which must be a power of two and at least ${formatBytes(ARM_VIRT_DEFAULT_HIGH_MMIO)}; ${formatBytes(hole.bytes)} is ${isPowerOfTwo(hole.bytes) ? 'below that' : 'not a power of two'}. \`virsh define\` accepts it, and QEMU refuses to start ("${isPowerOfTwo(hole.bytes) ? `highmem-mmio-size cannot be set to a lower value than the default (${formatBytes(ARM_VIRT_DEFAULT_HIGH_MMIO)})` : 'highmem-mmio-size is not a power of 2'}"). Use ${fit / 1024} KiB (${formatBytes(fit)}).`,
            {
              data: { bytes: hole.bytes, suggestedKiB: fit / 1024 },
            },
          ),
        );
        return;
      }
    }
    if (!host) return;
    const window = mmioWindowOf(model);
    if (!window) return;
    const mapping = smmuMappingOf(model, host);
    const devices = mapping.placements.map((p) => p.hostDevice).filter((d): d is HostPciDevice => !!d);
    const need = prefetchable64Need(devices);
    if (need <= window.bytes) return;
    const fit = windowFor(need);
    const holders = devices.filter((d) => prefetchable64Need([d]) > 0).map((d) => `${d.bdf} (${formatBytes(prefetchable64Need([d]))})`);
    const where = window.source === 'pcihole64' ? `the ${formatBytes(window.bytes)} that <pcihole64> sets` : `QEMU's default of ${formatBytes(window.bytes)} for the virt machine`;
    const root = model.pciControllers.get(0);
    const at = window.pcihole64
      ? elementTextSpan(window.pcihole64.el)
      : root?.model?.value === 'pcie-root'
        ? elementNameSpan(root.el)
        : elementNameSpan(model.devices ?? model.root!);
    ctx.report(
      finding(
        'mmio-window-too-small',
        at,
        `The 64-bit prefetchable BARs of the assigned devices need ${formatBytes(need)} (${holders.join(', ')}), more than the 64-bit MMIO window: ${where}. ` +
          `The guest cannot map them all and the driver of a device left out fails. Set <pcihole64 unit='KiB'>${fit / 1024}</pcihole64> (${formatBytes(fit)}) on the pcie-root controller.`,
        { data: { needBytes: need, windowBytes: window.bytes, suggestedKiB: fit / 1024 } },
      ),
    );
  },
};
