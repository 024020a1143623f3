/**
 * The BARs of a PCI function from its sysfs `resource` file: one line per
 * resource, `start end flags` in hex, BARs 0-5 first (then the ROM and, on
 * bridges, the windows). An unused BAR reads as all zeros.
 *
 * Flags are the kernel's IORESOURCE_* bits (include/linux/ioport.h): IO
 * 0x100, MEM 0x200, PREFETCH 0x2000, MEM_64 0x100000.
 */
import type { HostPciBar } from './types';

const IORESOURCE_IO = 0x100n;
const IORESOURCE_MEM = 0x200n;
const IORESOURCE_PREFETCH = 0x2000n;
const IORESOURCE_MEM_64 = 0x100000n;
/** Lines 0-5 are the standard BARs; later lines are the ROM and bridge windows. */
const BAR_LINES = 6;

/** The BARs with a size; undefined when the text is not a resource file. */
export function parsePciResource(text: string): HostPciBar[] | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return undefined;
  const bars: HostPciBar[] = [];
  for (let i = 0; i < Math.min(lines.length, BAR_LINES); i++) {
    const m = /^\s*0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s*$/i.exec(lines[i]);
    if (!m) return undefined;
    // Addresses reach above 2^53 on large hosts: compute in BigInt, keep only the size.
    const start = BigInt('0x' + m[1]);
    const end = BigInt('0x' + m[2]);
    const flags = BigInt('0x' + m[3]);
    if (end <= start && start === 0n) continue;
    const size = end - start + 1n;
    if (size <= 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    const io = (flags & IORESOURCE_IO) !== 0n;
    const mem = (flags & IORESOURCE_MEM) !== 0n;
    if (!io && !mem) continue;
    bars.push({
      index: i,
      size: Number(size),
      kind: io ? 'io' : (flags & IORESOURCE_MEM_64) !== 0n ? 'mem64' : 'mem32',
      prefetchable: mem && (flags & IORESOURCE_PREFETCH) !== 0n,
    });
  }
  return bars;
}
