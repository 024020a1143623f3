/**
 * The kernel's CPU list format (sysfs `cpulist`, `Cpus_allowed_list`):
 * numbers and ranges joined by commas, "0-71,144-215"; an empty list is a
 * node without CPUs (on Grace, the GPU memory nodes). Kept in host/, a
 * leaf, so the sysfs reader and the snapshot loader validate it the same way.
 */

/** Ranges longer than this are refused: no machine has that many CPUs in one node, and it bounds the work. */
const MAX_RANGE = 65536;

/** The CPUs of a list, ascending; undefined when the text is not a CPU list. */
export function parseCpuList(text: string): number[] | undefined {
  const t = text.trim();
  if (t === '') return [];
  const out = new Set<number>();
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > MAX_RANGE) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/** A CPU list written the way the kernel writes it ("0-3,8"). */
export function formatCpuList(cpus: Iterable<number>): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j;
  }
  return out.join(',');
}
