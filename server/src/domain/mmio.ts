/**
 * The guest's 64-bit PCI MMIO window on the ARM virt machine, where the
 * 64-bit prefetchable BARs of assigned GPUs go, and how much of it the
 * assigned devices need.
 *
 * QEMU's default size is 512 GiB (hw/arm/virt.c, DEFAULT_HIGH_PCIE_MMIO_SIZE_GB,
 * the VIRT_HIGH_PCIE_MMIO entry); the machine property `highmem-mmio-size`
 * resizes it and must be a power of two no smaller than that default
 * (virt_set_highmem_mmio_size). libvirt writes `<pcihole64>` of pcie-root as
 * that property on aarch64 (seen with libvirt 12.8 and QEMU 11.1).
 */
import type { Controller, DomainModel } from './model';
import { parseLibvirtInt } from './model';
import { machineFamily } from './machine';
import type { HostPciDevice } from '../host/types';
import type { XmlElement } from '../xml/nodes';
import { attr, child, textOf } from '../xml/query';

export const GiB = 1024 ** 3;
/** QEMU's 64-bit MMIO window of the ARM virt machine unless `highmem-mmio-size` says otherwise. */
export const ARM_VIRT_DEFAULT_HIGH_MMIO = 512 * GiB;

/** libvirt's scaled-integer units (virScaleInteger): k/KiB are 1024, KB is 1000, and so on. */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  bytes: 1,
  kb: 1e3,
  k: 1024,
  kib: 1024,
  mb: 1e6,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1e9,
  g: GiB,
  gib: GiB,
  tb: 1e12,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  pb: 1e15,
  p: 1024 ** 5,
  pib: 1024 ** 5,
};

export interface Pcihole64 {
  readonly el: XmlElement;
  /** Size in bytes; NaN when the number or unit is not one libvirt reads. */
  readonly bytes: number;
}

/** The pcie-root controller (index 0), if written. */
export function pcieRootOf(m: DomainModel): Controller | undefined {
  const c = m.pciControllers.get(0);
  return c && c.model?.value === 'pcie-root' ? c : undefined;
}

/** `<pcihole64>` of pcie-root, in bytes (unit KiB unless written). */
export function pcihole64Of(m: DomainModel): Pcihole64 | undefined {
  const el = child(pcieRootOf(m)?.el, 'pcihole64');
  if (!el) return undefined;
  const n = parseLibvirtInt(textOf(el));
  const unit = (attr(el, 'unit')?.value ?? 'KiB').toLowerCase();
  const scale = UNIT_BYTES[unit];
  return { el, bytes: scale === undefined ? NaN : n * scale };
}

export interface MmioWindow {
  readonly bytes: number;
  /** Where the size comes from. */
  readonly source: 'default' | 'pcihole64';
  readonly pcihole64?: Pcihole64;
}

/** The 64-bit MMIO window of an ARM virt guest; undefined for other machines (not checked) or an unreadable pcihole64. */
export function mmioWindowOf(m: DomainModel): MmioWindow | undefined {
  if (machineFamily(m) !== 'arm-virt') return undefined;
  const hole = pcihole64Of(m);
  if (!hole) return { bytes: ARM_VIRT_DEFAULT_HIGH_MMIO, source: 'default' };
  if (!Number.isFinite(hole.bytes) || hole.bytes <= 0) return undefined;
  return { bytes: hole.bytes, source: 'pcihole64', pcihole64: hole };
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

export function nextPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

/**
 * Bytes the 64-bit prefetchable BARs of these devices take in the window.
 * BARs are naturally aligned powers of two, so placed largest first they
 * pack without gaps: the sum of their sizes (each rounded up to a power of
 * two, as the hardware does).
 */
export function prefetchable64Need(devices: readonly HostPciDevice[]): number {
  let sum = 0;
  for (const d of devices) {
    for (const b of d.bars ?? []) if (b.kind === 'mem64' && b.prefetchable) sum += nextPowerOfTwo(b.size);
  }
  return sum;
}

/** The window size to ask for: a power of two that holds `need`, never below QEMU's default. */
export function windowFor(need: number): number {
  return Math.max(ARM_VIRT_DEFAULT_HIGH_MMIO, nextPowerOfTwo(need));
}

/** Bytes as a short figure: "512 GiB", "1 TiB", "96 MiB". */
export function formatBytes(n: number): string {
  const units: Array<[string, number]> = [
    ['TiB', 1024 ** 4],
    ['GiB', GiB],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ];
  for (const [u, s] of units) {
    if (n >= s) {
      const v = n / s;
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ${u}`;
    }
  }
  return `${n} bytes`;
}
