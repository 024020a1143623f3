/**
 * Rule family `disks`: what libvirt 12.8 refuses about a `<disk>` whatever
 * the host. Each case: the machine and the disk written, and the findings.
 */
import { test } from 'node:test';
import { deepEqual } from 'node:assert/strict';
import { findingList, findingsOf } from './helpers';
import { diskRules } from '../server/src/rules/disks';
import { formatDiskName, freeDiskName, parseDiskName } from '../server/src/domain/diskFacts';

const R = { rules: [diskRules] };

function domain(arch: string, machine: string | undefined, disk: string): string {
  return (
    `<domain type='kvm'><name>x</name><memory>4</memory><os><type arch='${arch}'${machine ? ` machine='${machine}'` : ''}>hvm</type></os>` + `<devices>${disk}</devices></domain>`
  );
}
const cdrom = (bus: string) => `<disk type='file' device='cdrom'><source file='/a.iso'/><target dev='hda' bus='${bus}'/><readonly/></disk>`;

test('disk-bus-ide: Q35 and ARM virt have no IDE controller; i440fx has one', () => {
  const text = domain('x86_64', 'pc-q35-9.2', cdrom('ide'));
  const [f, ...rest] = findingList(text, R);
  deepEqual(
    [f.code, f.severity, text.slice(f.start, f.end), f.message, f.data],
    [
      'disk-bus-ide',
      'error',
      'ide',
      `The Q35 machine has no IDE controller: libvirt refuses this disk ("IDE controllers are unsupported for this QEMU binary or machine type"). Use bus='sata' (Q35's AHCI controller), with a target dev to match (sda for sata or scsi, vda for virtio).`,
      { machine: 'pc-q35-9.2', family: 'q35' },
    ],
  );
  deepEqual(rest, []);
  deepEqual(findingsOf(domain('aarch64', 'virt', cdrom('ide')), R), ['disk-bus-ide @ ide']);
  deepEqual(findingsOf(domain('x86_64', 'pc', cdrom('ide')), R), []);
  deepEqual(findingsOf(domain('x86_64', 'q35', cdrom('sata')), R), []);
  // An x86 machine left to the emulator's default (i440fx) is not judged.
  deepEqual(findingsOf(domain('x86_64', undefined, cdrom('ide')), R), []);
});

test('disk-sgio-unfiltered: libvirt no longer supports unfiltered SCSI pass-through', () => {
  const lun = (sgio: string) => `<disk type='block' device='lun'${sgio}><source dev='/dev/sda'/><target dev='sda' bus='scsi'/></disk>`;
  const text = domain('x86_64', 'q35', lun(" sgio='unfiltered'"));
  deepEqual(findingsOf(text, R), ['disk-sgio-unfiltered @ unfiltered']);
  deepEqual(
    findingList(text, R)[0].message,
    `sgio='unfiltered' lets the guest send any SCSI command to the host's device, and libvirt no longer supports it: it refuses the domain ("unfiltered sgio is no longer supported"). Remove sgio, or write sgio='filtered'.`,
  );
  deepEqual(findingsOf(domain('x86_64', 'q35', lun(" sgio='filtered'")), R), []);
  deepEqual(findingsOf(domain('x86_64', 'q35', lun('')), R), []);
});

test('disk-target-duplicate: two disks with one target name, whatever the bus or driver; the fix takes the first free name', () => {
  const disk = (file: string, dev: string, bus: string) => `<disk type='file' device='disk'><source file='${file}'/><target dev='${dev}' bus='${bus}'/></disk>`;
  const text = domain('aarch64', 'virt', disk('/a.img', 'vda', 'virtio') + disk('/b.img', 'vdb', 'virtio') + disk('/c.img', 'vda', 'virtio'));
  const [f, ...rest] = findingList(text, R);
  deepEqual(
    [f.code, f.severity, text.slice(f.start, f.end), f.start > text.indexOf('/c.img'), f.message, f.data, f.related?.map((r) => r.start)],
    [
      'disk-target-duplicate',
      'error',
      'vda',
      true,
      `Another disk already has target dev='vda': libvirt refuses the domain ("target 'vda' duplicated for disk sources …"). Give each disk its own target name, e.g. dev='vdc'.`,
      { dev: 'vda', suggested: 'vdc' },
      [text.indexOf("'vda'") + 1],
    ],
  );
  deepEqual(rest, []);
  // The bus does not matter to libvirt, nor does the driver (an LXC domain is refused the same way).
  deepEqual(findingsOf(domain('x86_64', 'q35', disk('/a.iso', 'sda', 'sata') + disk('/b.iso', 'sda', 'scsi')), R), ['disk-target-duplicate @ sda']);
  deepEqual(findingsOf(domain('x86_64', 'q35', disk('/a.img', 'vda', 'virtio') + disk('/b.img', 'vdb', 'virtio')), R), []);
  // A third disk with the same name gets its own suggestion.
  const three = findingList(domain('x86_64', 'q35', disk('/a', 'vda', 'virtio') + disk('/b', 'vda', 'virtio') + disk('/c', 'vda', 'virtio')), R);
  deepEqual(
    three.map((x) => x.data),
    [
      { dev: 'vda', suggested: 'vdb' },
      { dev: 'vda', suggested: 'vdc' },
    ],
  );
});

test('disk target names: libvirt counts the suffix in base 26 the spreadsheet way', () => {
  deepEqual(
    ['vda', 'sdz', 'hdaa', 'xvdab', 'vd', 'vd1', 'nvme0n1'].map((n) => parseDiskName(n)),
    [{ prefix: 'vd', index: 0 }, { prefix: 'sd', index: 25 }, { prefix: 'hd', index: 26 }, { prefix: 'xvd', index: 27 }, undefined, undefined, undefined],
  );
  deepEqual(
    [0, 25, 26, 27, 701, 702].map((index) => formatDiskName({ prefix: 'vd', index })),
    ['vda', 'vdz', 'vdaa', 'vdab', 'vdzz', 'vdaaa'],
  );
  deepEqual(freeDiskName('sda', new Set(['sda', 'sdb', 'sdd'])), 'sdc');
  deepEqual(freeDiskName('disk0', new Set()), undefined);
});
