/**
 * The referee itself, against the running libvirt 12.8 (scripts/referee.sh):
 * a clean example is accepted with the expander and vSMMU on QEMU's command
 * line, a busNr out of range is refused with libvirt's words, and an unknown
 * attribute passes the driver but not the 12.8 schema. Run by
 * `npm run test:all`; skips with the reason where the referee cannot run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Referee } from './referee';

const EXAMPLE = readFileSync(join(__dirname, '../../examples/grace-2gpu.xml'), 'utf8');

describe('libvirt referee', () => {
  let referee: Referee | undefined;
  let skip: string | undefined;
  before(() => {
    const opened = Referee.open();
    if ('skip' in opened) skip = opened.skip;
    else referee = opened.referee;
  });
  after(() => referee?.close());

  test('the daemon is libvirt 12.8 with QEMU 11.1', (t) => {
    if (!referee) return t.skip(skip);
    const report = referee.version();
    assert.match(report, /^Running against daemon: 12\.8\.\d+$/m);
    assert.match(report, /^Running hypervisor: QEMU 11\.1\.\d+$/m);
  });

  test('grace-2gpu is accepted and becomes pxb-pcie with bus_nr and an accelerated arm-smmuv3', async (t) => {
    if (!referee) return t.skip(skip);
    const v = await referee.verdict(EXAMPLE);
    assert.equal(v.accepted, true, JSON.stringify(v));
    assert.match(v.driver.argv ?? '', /"driver":"pxb-pcie","bus_nr":252/);
    assert.match(v.driver.argv ?? '', /"driver":"arm-smmuv3","primary-bus":"pci.1","id":"iommu0","accel":true/);
    assert.ok(
      v.rewrites.some((r) => r.startsWith("<domain type='kvm'>")),
      v.rewrites.join('\n'),
    );
  });

  test('busNr 255 is refused by the driver in libvirt words; several verdicts come back in order', async (t) => {
    if (!referee) return t.skip(skip);
    const bad = EXAMPLE.replace("busNr='252'", "busNr='255'");
    const [ok, refused] = await referee.verdicts([
      { name: 'ok', text: EXAMPLE },
      { name: 'bad', text: bad },
    ]);
    assert.equal(ok.accepted, true);
    assert.equal(refused.accepted, false);
    assert.equal(refused.driver.error, "unsupported configuration: PCI controller busNr '255' out of range - must be 1-254");
    assert.equal(refused.hostReason, undefined);
  });

  test('ssidSize passes the driver (silently dropped) but not the 12.8 schema', async (t) => {
    if (!referee) return t.skip(skip);
    const v = await referee.verdict(EXAMPLE.replace("ssidsize='20' oas='48'/>", "ssidSize='20' oas='48'/>"));
    assert.equal(v.driver.ok, true, v.driver.error);
    assert.equal(v.schema.valid, false);
    assert.equal(v.accepted, false);
  });
});
