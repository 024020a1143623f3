/**
 * Issue 18's "done when": a Grace guest built from a bare domain with the
 * generator and the quick fixes is clean, NUMA-correct, has its Generic
 * Initiator cells and MMIO window, and leaves room to add devices.
 * (test/referee/grace.test.ts asks libvirt 12.8 about the same domain.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, service } from './helpers';
import { buildGraceGuest, TRAY } from './graceScenario';
import { smmuMappingOf } from '../server/src/domain/smmuMapping';
import { acpiNodesetOf, guestCells, hostNodesOfCell } from '../server/src/domain/numa';
import { mmioWindowOf, prefetchable64Need } from '../server/src/domain/mmio';
import { busNrRoom } from '../server/src/domain/allocate';
import type { HostPciDevice } from '../server/src/host/types';

test('a four-GPU Grace guest from a bare domain: generator, then every quick fix', () => {
  const { text, applied } = buildGraceGuest();
  assert.deepEqual(applied, [
    'Generate vSMMU topology for all passed-through devices',
    'Add 8 Generic Initiator cells (2-9) for this GPU',
    'Add 8 Generic Initiator cells (10-17) for this GPU',
    'Add 8 Generic Initiator cells (18-25) for this GPU',
    'Add 8 Generic Initiator cells (26-33) for this GPU',
    'Set the 64-bit MMIO window to 2 TiB (<pcihole64> on pcie-root)',
  ]);
  const ls = service({ host: TRAY });
  const doc = parse(text, ls);
  // Clean: not even an information is left.
  assert.deepEqual(
    ls.validate(doc).map((d) => `${d.code}: ${d.message}`),
    [],
  );

  const m = doc.domain;
  const mapping = smmuMappingOf(m, TRAY);
  const cells = new Map(guestCells(m).map((c) => [c.id, c]));
  const owners = new Set<number>();
  for (const p of mapping.placements) {
    // NUMA: the expander's cell is backed by the GPU's host node; its own vSMMU is bound to the GPU's SMMU.
    assert.ok(p.expander?.numaNode, `${p.bdf} has an expander with a <node>`);
    assert.deepEqual([...hostNodesOfCell(m, p.expander!.numaNode!.value)!], [p.hostDevice!.numaNode], p.bdf);
    assert.equal(mapping.expanders.find((e) => e.expander === p.expander)?.boundSmmu, p.hostSmmu);
    // Generic Initiators: 8 memory-less, CPU-less cells of its own.
    const gi = [...acpiNodesetOf(p.hostdev)!.nodes!];
    assert.equal(gi.length, 8);
    for (const n of gi) {
      assert.ok(cells.has(n) && !cells.get(n)!.hasCpus && !cells.get(n)!.hasMemory && !owners.has(n), `cell ${n}`);
      owners.add(n);
    }
    // Room to grow: two bus numbers left in every expander's range.
    assert.ok(busNrRoom(m, p.expander!) >= 2, `room below expander ${p.expander!.index}`);
  }
  // MMIO: the window holds the four 256 GiB BARs.
  const need = prefetchable64Need(mapping.placements.map((p) => p.hostDevice).filter((d): d is HostPciDevice => !!d));
  assert.ok(mmioWindowOf(m)!.bytes >= need);
  assert.equal(mmioWindowOf(m)!.source, 'pcihole64');
});
