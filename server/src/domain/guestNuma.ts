/**
 * The guest NUMA layout as libvirt reads it: the `<cpu><numa>` cells with
 * the vCPUs each claims, and the vCPU count of `<vcpu>`. CPU lists use
 * libvirt's cpuset syntax ("0-3,6,^2").
 */
import type { XmlAttribute, XmlElement } from '../xml/nodes';
import { attr, child, children, textOf } from '../xml/query';
import { parseLibvirtInt, type DomainModel } from './model';

export interface GuestNumaCell {
  readonly el: XmlElement;
  /** The `id` attribute, if written. */
  readonly idAttr: XmlAttribute | undefined;
  /** The id as a number (NaN when malformed or missing). */
  readonly id: number;
  /** The `cpus` attribute, if written (memory-only cells have none). */
  readonly cpusAttr: XmlAttribute | undefined;
  /** The vCPUs of `cpus`, or undefined when absent or not a valid cpuset. */
  readonly cpus: readonly number[] | undefined;
}

export interface GuestNuma {
  readonly cells: readonly GuestNumaCell[];
  /** `<vcpu>`, when written. */
  readonly vcpuEl: XmlElement | undefined;
  /** The maximum vCPU count (the text of `<vcpu>`), NaN when not a number, undefined without `<vcpu>`. */
  readonly maxVcpus: number | undefined;
}

/** Largest CPU id a cpuset may name here; libvirt's own limit is far above any guest. */
const MAX_CPU_ID = 16383;

/**
 * Parses a libvirt cpuset ("0-3,8,^2") into sorted CPU ids, or undefined
 * when the text is not one (the schema reports the syntax).
 */
export function parseCpuset(text: string): number[] | undefined {
  const on = new Set<number>();
  const off = new Set<number>();
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) return undefined;
  for (const p of parts) {
    const negate = p.startsWith('^');
    const body = negate ? p.slice(1) : p;
    const m = /^(\d+)(?:-(\d+))?$/.exec(body);
    if (!m) return undefined;
    const lo = parseInt(m[1], 10);
    const hi = m[2] !== undefined ? parseInt(m[2], 10) : lo;
    if (hi < lo || hi > MAX_CPU_ID || (negate && m[2] !== undefined)) return undefined;
    for (let i = lo; i <= hi; i++) (negate ? off : on).add(i);
  }
  return [...on].filter((c) => !off.has(c)).sort((a, b) => a - b);
}

export function readGuestNuma(m: DomainModel): GuestNuma {
  const numa = child(child(m.root, 'cpu'), 'numa');
  const cells = children(numa, 'cell').map((el): GuestNumaCell => {
    const idAttr = attr(el, 'id');
    const cpusAttr = attr(el, 'cpus');
    return {
      el,
      idAttr,
      id: parseLibvirtInt(idAttr?.value),
      cpusAttr,
      cpus: cpusAttr?.value !== undefined ? parseCpuset(cpusAttr.value) : undefined,
    };
  });
  const vcpuEl = child(m.root, 'vcpu');
  const maxVcpus = vcpuEl ? parseLibvirtInt(textOf(vcpuEl)) : undefined;
  return { cells, vcpuEl, maxVcpus };
}
