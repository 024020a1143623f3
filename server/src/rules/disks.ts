/**
 * Rule family `disks`: what libvirt refuses about a `<disk>` before start,
 * whatever the host: two disks with one target name (any driver), and for
 * the QEMU driver an IDE bus on a machine without an IDE controller and
 * unfiltered SCSI pass-through. The facts are domain/diskFacts.ts's.
 */
import { attr, child, children } from '../xml/query';
import type { XmlAttribute } from '../xml/nodes';
import { definiteMachine, forQemuDriver } from '../domain/machine';
import { MACHINES_WITHOUT_IDE, REFUSED_SGIO, freeDiskName } from '../domain/diskFacts';
import type { RelatedSpan, RuleContext, RuleFamily } from './types';
import { valueSpan } from './spans';
import { report } from './report';

export const diskRules: RuleFamily = {
  name: 'disks',
  run(ctx) {
    const disks = children(ctx.model.devices, 'disk');
    checkDuplicateTargets(ctx, disks);
    if (!forQemuDriver(ctx.model)) return;
    checkIdeBus(ctx, disks);
    for (const disk of disks) {
      const sgio = attr(disk, 'sgio');
      if (sgio?.value === undefined || !REFUSED_SGIO.includes(sgio.value)) continue;
      report(
        ctx,
        'disk-sgio-unfiltered',
        valueSpan(sgio),
        `sgio='${sgio.value}' lets the guest send any SCSI command to the host's device, and libvirt no longer supports it: it refuses the domain ("unfiltered sgio is no longer supported"). Remove sgio, or write sgio='filtered'.`,
        { data: { sgio: sgio.value } },
      );
    }
  },
};

function checkIdeBus(ctx: RuleContext, disks: ReturnType<typeof children>): void {
  const family = definiteMachine(ctx.model);
  if (!family || !MACHINES_WITHOUT_IDE.includes(family)) return;
  const machine = ctx.model.machine;
  const related: RelatedSpan[] | undefined = machine ? [{ ...valueSpan(machine), message: 'the guest machine' }] : undefined;
  const label = family === 'q35' ? 'Q35' : 'ARM virt';
  const instead = family === 'q35' ? "bus='sata' (Q35's AHCI controller)" : "bus='virtio', or bus='scsi' for a CD-ROM";
  for (const disk of disks) {
    const bus = attr(child(disk, 'target'), 'bus');
    if (bus?.value !== 'ide') continue;
    report(
      ctx,
      'disk-bus-ide',
      valueSpan(bus),
      `The ${label} machine has no IDE controller: libvirt refuses this disk ("IDE controllers are unsupported for this QEMU binary or machine type"). Use ${instead}, with a target dev to match (sda for sata or scsi, vda for virtio).`,
      { related, data: { machine: machine?.value, family } },
    );
  }
}

/**
 * libvirt's domain parser refuses two disks with one target name, whatever
 * their bus ("target 'vda' duplicated for disk sources …"): the name is the
 * disk's identity for hotplug, block jobs and the guest's device order.
 */
function checkDuplicateTargets(ctx: RuleContext, disks: ReturnType<typeof children>): void {
  // One pass over the targets; the names in use are gathered only once a duplicate needs a suggestion
  // (a generated domain can hold ten thousand disks, and this runs on every keystroke).
  const first = new Map<string, XmlAttribute>();
  const repeats: XmlAttribute[] = [];
  for (const disk of disks) {
    const dev = attr(child(disk, 'target'), 'dev');
    const name = dev?.value;
    if (!dev || !name) continue;
    if (first.has(name)) repeats.push(dev);
    else first.set(name, dev);
  }
  if (!repeats.length) return;
  const used = new Set(first.keys());
  for (const dev of repeats) {
    const name = dev.value!;
    const suggested = freeDiskName(name, used);
    if (suggested) used.add(suggested);
    report(
      ctx,
      'disk-target-duplicate',
      valueSpan(dev),
      `Another disk already has target dev='${name}': libvirt refuses the domain ("target '${name}' duplicated for disk sources …"). Give each disk its own target name${suggested ? `, e.g. dev='${suggested}'` : ''}.`,
      { related: [{ ...valueSpan(first.get(name)!), message: `the first disk with dev='${name}'` }], data: { dev: name, suggested } },
    );
  }
}
