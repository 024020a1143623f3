/**
 * Rule family `features`: firmware, ACPI and Hyper-V combinations libvirt
 * 12.8 refuses. Each case: the `<os>`, `<features>` and `<clock>` written,
 * and the findings.
 */
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { deepEqual } from 'node:assert/strict';
import { findingList, findingsOf } from './helpers';
import { featureRules } from '../server/src/rules/features';

const R = { rules: [featureRules] };

function domain(arch: string, machine: string, os: string, features: string, extra = ''): string {
  return (
    `<domain type='kvm'><name>x</name><memory>4</memory><os${os}><type arch='${arch}' machine='${machine}'>hvm</type></os>` +
    `<features>${features}</features>${extra}<devices/></domain>`
  );
}
const arm = (os: string, features: string) => domain('aarch64', 'virt', os, features);
const x86 = (os: string, features: string, extra = '') => domain('x86_64', 'q35', os, features, extra);

test('features-acpi-without-uefi: <acpi/> on aarch64 needs firmware=efi or a pflash loader', () => {
  const text = arm('', '<acpi/>');
  const [f, ...rest] = findingList(text, R);
  deepEqual(
    [f.code, f.severity, text.slice(f.start, f.end), f.message, f.data],
    [
      'features-acpi-without-uefi',
      'error',
      'acpi',
      `<acpi/> on an aarch64 guest needs UEFI, and it has no UEFI firmware: libvirt refuses the domain ("ACPI requires UEFI on this architecture"). Add firmware='efi' to <os>, or remove <acpi/> (the guest then describes its devices with a device tree).`,
      { arch: 'aarch64' },
    ],
  );
  deepEqual(rest, []);
  // A loader without a type is a ROM.
  const rom = domain('aarch64', 'virt', '', '<acpi/>').replace('hvm</type>', "hvm</type><loader readonly='yes'>/f.fd</loader>");
  deepEqual(
    findingList(rom, R).map((x) => x.message.split(':')[0]),
    [`<acpi/> on an aarch64 guest needs UEFI, and its <loader> is of type 'rom', not pflash`],
  );
  // UEFI either way, no ACPI, or another architecture: accepted.
  deepEqual(findingsOf(arm(" firmware='efi'", '<acpi/>'), R), []);
  deepEqual(findingsOf(domain('aarch64', 'virt', '', '<acpi/>').replace('hvm</type>', "hvm</type><loader type='pflash'>/f.fd</loader>"), R), []);
  deepEqual(findingsOf(arm('', ''), R), []);
  deepEqual(findingsOf(domain('armv7l', 'virt', '', '<acpi/>'), R), []);
  deepEqual(findingsOf(x86('', '<acpi/>'), R), []);
});

test('features-uefi-without-acpi: UEFI on x86 needs <acpi/>', () => {
  const text = x86(" firmware='efi'", '');
  deepEqual(findingsOf(text, R), ['features-uefi-without-acpi @ efi']);
  deepEqual(
    findingList(text, R)[0].message,
    `firmware='efi' boots UEFI, and UEFI on an x86_64 guest needs ACPI, which <features> does not turn on: libvirt refuses the domain ("UEFI requires ACPI on this architecture"). Add <acpi/> to <features>.`,
  );
  const pflash = x86('', '').replace('hvm</type>', "hvm</type><loader type='pflash'>/f.fd</loader>");
  deepEqual(findingsOf(pflash, R), ['features-uefi-without-acpi @ loader']);
  deepEqual(findingsOf(x86(" firmware='efi'", '<acpi/>'), R), []);
  deepEqual(findingsOf(x86('', ''), R), []);
  // On aarch64 UEFI without ACPI is fine (the guest gets a device tree).
  deepEqual(findingsOf(arm(" firmware='efi'", ''), R), []);
});

test('features-hyperv-dependency: an enlightenment without the one it needs', () => {
  const hv = (inner: string, extra = '', mode = '') => x86('', `<acpi/><hyperv${mode}>${inner}</hyperv>`, extra);
  const text = hv("<tlbflush state='on'/>");
  const [f, ...rest] = findingList(text, R);
  deepEqual(
    [f.code, f.severity, text.slice(f.start, f.end), f.message, f.data],
    [
      'features-hyperv-dependency',
      'error',
      'tlbflush',
      `Hyper-V <tlbflush> needs the 'vpindex' feature: libvirt refuses the domain ("'tlbflush' hyperv feature requires 'vpindex' feature"). Add <vpindex state='on'/> to <hyperv>, or switch <tlbflush> off.`,
      { feature: 'tlbflush', needs: 'vpindex' },
    ],
  );
  deepEqual(rest, []);
  deepEqual(findingsOf(hv("<tlbflush state='on'/><vpindex state='on'/>"), R), []);
  deepEqual(findingsOf(hv("<tlbflush state='off'/>"), R), []);
  // Written but off: still unmet, and said so.
  const off = findingList(hv("<tlbflush state='on'/><vpindex state='off'/>"), R);
  deepEqual(
    off.map((x) => [x.message.includes("(it is written, but not state='on')"), x.related?.[0].message]),
    [[true, "the 'vpindex' feature, not on"]],
  );
  // tlbflush's direct needs vapic.
  deepEqual(findingsOf(hv("<tlbflush state='on'><direct state='on'/></tlbflush><vpindex state='on'/>"), R), ['features-hyperv-dependency @ direct']);
  deepEqual(findingsOf(hv("<ipi state='on'/>"), R), ['features-hyperv-dependency @ ipi']);
  deepEqual(findingsOf(hv("<evmcs state='on'/>"), R), ['features-hyperv-dependency @ evmcs']);
  deepEqual(findingsOf(hv("<evmcs state='on'/><vapic state='on'/>"), R), []);
  // stimer needs the hypervclock timer and synic.
  deepEqual(findingsOf(hv("<stimer state='on'/>"), R), ['features-hyperv-dependency @ stimer', 'features-hyperv-dependency @ stimer']);
  deepEqual(
    findingList(hv("<stimer state='on'/><synic state='on'/>"), R).map((x) => x.message),
    [
      `Hyper-V <stimer> needs the 'hypervclock' timer: libvirt refuses the domain ("'stimer' hyperv feature requires 'hypervclock' timer"). Add <timer name='hypervclock' present='yes'/> to <clock>, or switch <stimer> off.`,
    ],
  );
  deepEqual(findingsOf(hv("<stimer state='on'/><synic state='on'/>", "<clock offset='utc'><timer name='hypervclock' present='yes'/></clock>"), R), []);
  // Passthrough hands the host's set over: nothing to check.
  deepEqual(findingsOf(hv("<tlbflush state='on'/>", '', " mode='passthrough'"), R), []);
});

test('features: only domains for the QEMU driver are judged', () => {
  deepEqual(findingsOf(domain('x86_64', 'q35', " firmware='efi'", '').replace("type='kvm'", "type='bhyve'"), R), []);
  deepEqual(findingsOf(domain('x86_64', 'q35', " firmware='efi'", '').replace("type='kvm'", "type='qemu'"), R), ['features-uefi-without-acpi @ efi']);
});

test('a Windows guest with its Hyper-V enlightenments complete gets no finding from any rule', () => {
  const text = readFileSync(path.join(__dirname, 'fixtures', 'referee', 'x86-q35-windows-hyperv.xml'), 'utf8');
  deepEqual(findingsOf(text), []);
});
