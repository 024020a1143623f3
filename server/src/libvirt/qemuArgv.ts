/**
 * The QEMU command line of `virsh domxml-to-native qemu-argv`, made
 * readable: libvirt prints it as one shell-quoted line (environment, binary,
 * options); we split it into arguments, keep each option with its value on
 * one line, and put the parts this product is about first: the vSMMUs
 * (arm-smmuv3 and the other IOMMU devices), the PCIe expanders (pxb-pcie)
 * with the root ports on them, the iommufd object and the VFIO devices.
 */

/** Splits a POSIX-shell-quoted line into words (single and double quotes, backslashes, line continuations). */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') {
      if (line[i + 1] === '\n') {
        i++;
        continue;
      }
      if (i + 1 < line.length) {
        word += line[++i];
        inWord = true;
      }
      continue;
    }
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end === -1 ? line.length : end;
      word += line.slice(i + 1, stop);
      inWord = true;
      i = stop;
      continue;
    }
    if (c === '"') {
      inWord = true;
      for (i++; i < line.length && line[i] !== '"'; i++) {
        const next = line[i + 1] ?? '';
        if (line[i] === '\\' && next === '\n') {
          i++;
          continue;
        }
        if (line[i] === '\\' && /["\\$`]/.test(next)) {
          word += next;
          i++;
          continue;
        }
        word += line[i];
      }
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      continue;
    }
    word += c;
    inWord = true;
  }
  if (inWord) words.push(word);
  return words;
}

/** One line of the readable command line: an environment setting, the binary, or an option with its value. */
export interface QemuArgument {
  /** The words of this argument: ['-device', '{...}'], ['LC_ALL=C'], ['/usr/bin/qemu-system-aarch64']. */
  words: string[];
  /** Set on the vSMMU, expander and VFIO parts. */
  part?: 'vsmmu' | 'expander' | 'vfio';
}

const ENV = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** A device or object's properties, from QEMU's JSON form or its older key=value,... form. */
export function properties(value: string): Record<string, unknown> {
  if (value.startsWith('{')) {
    try {
      const v = JSON.parse(value) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  const out: Record<string, unknown> = {};
  // ",," is QEMU's escaped comma inside a value.
  const parts = value.split(/,(?!,)/);
  parts.forEach((p, i) => {
    const eq = p.indexOf('=');
    if (eq === -1) {
      if (i === 0) out.driver = p;
      else out[p] = true;
    } else out[p.slice(0, eq)] = p.slice(eq + 1).replace(/,,/g, ',');
  });
  return out;
}

const IOMMU_DEVICES = new Set(['arm-smmuv3', 'intel-iommu', 'amd-iommu', 'virtio-iommu', 'virtio-iommu-pci']);
const EXPANDERS = new Set(['pxb-pcie', 'pxb']);

/** Groups the words into arguments and marks the parts that matter here; order is libvirt's. */
export function qemuArguments(words: readonly string[]): QemuArgument[] {
  const out: QemuArgument[] = [];
  let i = 0;
  while (i < words.length && ENV.test(words[i])) out.push({ words: [words[i++]] });
  if (i < words.length) out.push({ words: [words[i++]] });
  while (i < words.length) {
    const w = words[i++];
    if (w.startsWith('-') && i < words.length && !words[i].startsWith('-')) out.push({ words: [w, words[i++]] });
    else out.push({ words: [w] });
  }
  // Expander ids first, so that a root port on an expander's bus is known for one.
  const expanderIds = new Set<string>();
  for (const a of out) {
    if (a.words[0] !== '-device' || a.words.length < 2) continue;
    const p = properties(a.words[1]);
    if (EXPANDERS.has(String(p.driver))) {
      a.part = 'expander';
      if (typeof p.id === 'string') expanderIds.add(p.id);
    }
  }
  for (const a of out) {
    if (a.part || a.words.length < 2) continue;
    const [opt, value] = a.words;
    const p = properties(value);
    if (opt === '-device') {
      const driver = String(p.driver);
      if (IOMMU_DEVICES.has(driver)) a.part = 'vsmmu';
      else if (driver === 'vfio-pci') a.part = 'vfio';
      else if (driver === 'pcie-root-port' && typeof p.bus === 'string' && expanderIds.has(p.bus)) a.part = 'expander';
    } else if (opt === '-object' && p['qom-type'] === 'iommufd') {
      a.part = 'vfio';
    } else if (opt === '-machine' && /(^|,)iommu=/.test(value)) {
      a.part = 'vsmmu';
    }
  }
  return out;
}

/** An argument as one line: its words joined by a space, unquoted (JSON values read as they are). */
export function argumentLine(a: QemuArgument): string {
  return a.words.join(' ');
}

/** The readable command line: the marked parts first, each group in libvirt's order. */
export function readableCommandLine(argv: string): { parts: QemuArgument[]; rest: QemuArgument[] } {
  const all = qemuArguments(splitShellWords(argv.trim()));
  return { parts: all.filter((a) => a.part), rest: all.filter((a) => !a.part) };
}

/** Headings of the two groups in the text form; '#' so that they read as comments. */
export const PARTS_HEADING = '# vSMMU, expander and VFIO';
export const REST_HEADING = "# the rest, in libvirt's order";

/** The text form shown by the CLI and the editor: the marked parts under a heading, then the rest. */
export function commandLineText(parts: readonly QemuArgument[], rest: readonly QemuArgument[]): string {
  const lines: string[] = [];
  if (parts.length) lines.push(`${PARTS_HEADING} (${parts.length})`, ...parts.map(argumentLine), REST_HEADING);
  lines.push(...rest.map(argumentLine));
  return lines.join('\n') + '\n';
}
