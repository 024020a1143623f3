/**
 * Rule family `numa-cells`: guest NUMA cells against libvirt's checks on define.
 * Each case: the `<vcpu>` and `<cpu><numa>` written, and the findings.
 */
import { test } from 'node:test';
import { deepEqual } from 'node:assert/strict';
import { findingList, findingsOf } from './helpers';
import { numaCellRules } from '../server/src/rules/numaCells';
import { parseCpuset } from '../server/src/domain/guestNuma';

const R = { rules: [numaCellRules] };

function domain(vcpu: string | undefined, cells: string): string {
  return (
    `<domain type='kvm'><name>x</name><memory>4</memory>${vcpu === undefined ? '' : `<vcpu>${vcpu}</vcpu>`}` +
    `<os><type arch='aarch64' machine='virt'>hvm</type></os><cpu><numa>${cells}</numa></cpu><devices/></domain>`
  );
}
const cell = (id: number | string, cpus?: string) => `<cell id='${id}'${cpus === undefined ? '' : ` cpus='${cpus}'`} memory='1' unit='GiB'/>`;

test('parseCpuset: ranges, single ids and exclusions; malformed text is undefined', () => {
  deepEqual(parseCpuset('0-3,6,^2'), [0, 1, 3, 6]);
  deepEqual(parseCpuset('5'), [5]);
  deepEqual(parseCpuset('3-1'), undefined);
  deepEqual(parseCpuset('0,,1'), undefined);
  deepEqual(parseCpuset('a'), undefined);
});

test('numa-cell-id: ids must be 0..n-1; any order is fine', () => {
  const text = domain('4', cell(0, '0-1') + cell(2, '2-3'));
  const at = text.indexOf(`'2' cpus`) + 1;
  deepEqual(findingList(text, R), [
    {
      code: 'numa-cell-id',
      severity: 'error',
      start: at,
      end: at + 1,
      message: `Cell id 2 is out of order: with 2 cells the ids must be 0 to 1 (libvirt: "Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous ranges or ranges not starting from 0 are not allowed"). Use id='1'.`,
      data: { id: 2, cells: 2, suggestedId: 1 },
    },
  ]);
  deepEqual(findingsOf(domain('4', cell(1, '0-1') + cell(2, '2-3')), R), ['numa-cell-id @ 2']);
  deepEqual(findingsOf(domain('4', cell(1, '2-3') + cell(0, '0-1')), R), []);
});

test('numa-cell-duplicate: one id twice', () => {
  deepEqual(findingsOf(domain('4', cell(0, '0-1') + cell(0, '2-3')), R), ['numa-cell-duplicate @ 0']);
});

test('numa-cpus-overlap: a vCPU in two cells', () => {
  const text = domain('4', cell(0, '0-2') + cell(1, '2-3'));
  const [f] = findingList(text, R);
  deepEqual(
    [f.code, f.severity, text.slice(f.start, f.end), f.message],
    [
      'numa-cpus-overlap',
      'error',
      '2-3',
      `vCPU 2 is already in cell 0; libvirt refuses cells that share vCPUs ("NUMA cells … have overlapping vCPU IDs"). Give each vCPU to one cell.`,
    ],
  );
  // The shared vCPU is not also counted against <vcpu>.
  deepEqual(findingsOf(text, R), ['numa-cpus-overlap @ 2-3']);
});

test('numa-cpus-beyond-vcpus: more vCPUs in the cells than <vcpu> (libvirt counts first), or an id past it', () => {
  const text = domain('4', cell(0, '0-1') + cell(1, '2-5'));
  const [f, ...rest] = findingList(text, R);
  deepEqual(
    [f.code, f.severity, text.slice(f.start, f.end), f.message, f.data],
    [
      'numa-cpus-beyond-vcpus',
      'error',
      '2-5',
      `The cells name 6 vCPUs but <vcpu> has 4; libvirt refuses it ("Number of CPUs in <numa> exceeds the <vcpu> count"). Raise <vcpu> to 6, or take vCPUs out of the cells.`,
      { total: 6, vcpus: 4 },
    ],
  );
  deepEqual(rest, []);
  // As many vCPUs as <vcpu>, but one id past it: libvirt's second check.
  const ids = domain('4', cell(0, '0-1') + cell(1, '2,7'));
  const [g] = findingList(ids, R);
  deepEqual(
    [g.code, ids.slice(g.start, g.end), g.message, g.data],
    [
      'numa-cpus-beyond-vcpus',
      '2,7',
      `cpus='2,7' names vCPU 7, but <vcpu> has 4 (ids 0–3); libvirt refuses it ("CPU IDs in <numa> exceed the <vcpu> count"). Raise <vcpu> to 8 or use lower ids.`,
      { cpu: 7, vcpus: 4 },
    ],
  );
  deepEqual(findingsOf(domain('8', cell(0, '0-3') + cell(1, '4-7')), R), []);
});

test('numa-cpus-beyond-vcpus: without <vcpu> libvirt counts one vCPU', () => {
  const text = domain(undefined, cell(0, '0-3') + cell(1, '4-7'));
  const [f, ...rest] = findingList(text, R);
  deepEqual(
    [f.code, f.severity, text.slice(f.start, f.end), f.message, f.data],
    [
      'numa-cpus-beyond-vcpus',
      'error',
      '0-3',
      `The cells name 8 vCPUs but <vcpu> is not written, so libvirt counts 1 vCPU; libvirt refuses it ("Number of CPUs in <numa> exceeds the <vcpu> count"). Write <vcpu placement='static'>8</vcpu>, or take vCPUs out of the cells.`,
      { total: 8, vcpus: 1 },
    ],
  );
  deepEqual(rest, []);
  // One cell with vCPU 0 only is what libvirt's default allows.
  deepEqual(findingsOf(domain(undefined, cell(0, '0') + cell(1)), R), []);
  // One vCPU, but not vCPU 0 (which is then in no cell as well).
  const one = domain(undefined, cell(0, '1'));
  deepEqual(
    findingList(one, R).map((x) => x.message),
    [
      `cpus='1' names vCPU 1, but <vcpu> is not written, so libvirt counts 1 vCPU (id 0); libvirt refuses it ("CPU IDs in <numa> exceed the <vcpu> count"). Write <vcpu placement='static'>2</vcpu> or use lower ids.`,
      `vCPU 0 is in no NUMA cell: libvirt accepts it, but QEMU puts it on a cell of its own choosing (a deprecated fallback), so the guest topology is not the one written. Add it to a cell's cpus.`,
    ],
  );
});

test('numa-cpus-uncovered: vCPUs in no cell are a warning; memory-only cells are fine', () => {
  const text = domain('4', cell(0, '0'));
  const [f] = findingList(text, R);
  deepEqual([f.code, f.severity, text.slice(f.start, f.end), f.data], ['numa-cpus-uncovered', 'warning', 'numa', { cpus: [1, 2, 3] }]);
  deepEqual(findingsOf(domain('4', cell(0, '0-3') + cell(1)), R), []);
});
