/**
 * libvirt 12.8 on the Grace guest the generator and the quick fixes build
 * (test/graceScenario.ts): accepted by the schema and by the QEMU driver,
 * with one accelerated arm-smmuv3 per expander, eight acpi-generic-initiator
 * objects per GPU, the expanders' NUMA nodes and the 2 TiB MMIO window on
 * QEMU's command line. The driver's copy leaves out <numatune>: it names host
 * NUMA nodes the referee machine does not have ("NUMA node 0 is unavailable"),
 * which says nothing about the domain. Run by `npm run test:all`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Referee } from './referee';
import { buildGraceGuest } from '../graceScenario';

let referee: Referee | undefined;
let skip: string | undefined;
before(() => {
  const opened = Referee.open();
  if ('skip' in opened) skip = opened.skip;
  else referee = opened.referee;
});
after(() => referee?.close());

test('the generated four-GPU Grace guest is accepted by libvirt 12.8', async (t) => {
  if (!referee) return t.skip(skip);
  const { text } = buildGraceGuest();
  const [asWritten, withoutNumatune] = await referee.verdicts([
    { name: 'grace-4gpu', text },
    { name: 'grace-4gpu-no-numatune', text: text.replace(/ {2}<numatune>[\s\S]*?<\/numatune>\n/, '') },
  ]);
  assert.equal(asWritten.schema.valid, true, JSON.stringify(asWritten.schema));
  assert.ok(asWritten.driver.ok || asWritten.hostReason, JSON.stringify(asWritten.driver));
  assert.equal(withoutNumatune.accepted, true, JSON.stringify(withoutNumatune));
  const argv = withoutNumatune.driver.argv ?? '';
  assert.match(argv, /highmem-mmio-size=2147483648K/);
  assert.equal(argv.match(/"driver":"arm-smmuv3","primary-bus":"pci\.\d+","id":"iommu\d","accel":true/g)?.length, 4);
  assert.equal(argv.match(/"qom-type":"acpi-generic-initiator"/g)?.length, 32);
  assert.deepEqual(
    argv.match(/"driver":"pxb-pcie","bus_nr":\d+,"id":"pci\.\d+","numa_node":\d/g)?.map((s) => s.replace(/.*"bus_nr":(\d+).*"numa_node":(\d)/, '$1/$2')),
    ['252/0', '248/0', '244/1', '240/1'],
  );
});
