/**
 * The rewrites the referee applies before libvirt's QEMU driver judges a
 * domain on a machine without KVM, VFIO or tun (test/referee/referee.ts):
 * each one changes only what the machine lacks and is listed, and nothing
 * else in the text moves. No daemon needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostReasonOf, outOfScope, rewriteForReferee } from './referee/referee';

const DOMAIN = `<domain type='kvm'>
  <name>g</name>
  <os firmware='efi'><type arch='aarch64' machine='virt'>hvm</type></os>
  <features><acpi/></features>
  <cpu mode='host-passthrough'/>
  <devices>
    <controller type='pci' index='0' model='pcie-root'/>
    <interface type='network'>
      <source network='default'/>
    </interface>
    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>
  </devices>
</domain>
`;

test('kvm, host-passthrough and interfaces are rewritten, and each rewrite is listed', () => {
  const { text, rewrites } = rewriteForReferee(DOMAIN);
  assert.equal(
    text,
    `<domain type='qemu'>
  <name>g</name>
  <os firmware='efi'><type arch='aarch64' machine='virt'>hvm</type></os>
  <features><acpi/></features>
  <cpu mode='maximum'/>
  <devices>
    <controller type='pci' index='0' model='pcie-root'/>
    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>
  </devices>
</domain>
`,
  );
  assert.deepEqual(rewrites, [
    "<domain type='kvm'> -> 'qemu' (no /dev/kvm on the referee machine)",
    "<cpu mode='host-passthrough'> -> 'maximum' (host-passthrough needs KVM; maximum is its TCG counterpart)",
    '1 <interface> removed (type network): libvirt opens /dev/net/tun for them',
  ]);
});

test('a domain the machine can run as written is left alone', () => {
  const plain = "<domain type='qemu'><name>p</name><os><type arch='x86_64' machine='q35'>hvm</type></os><cpu mode='maximum'/></domain>";
  assert.deepEqual(rewriteForReferee(plain), { text: plain, rewrites: [] });
});

test('aarch64 ACPI without UEFI is not rewritten: libvirt refuses it on every host', () => {
  const noEfi = DOMAIN.replace("<os firmware='efi'>", '<os>');
  assert.ok(rewriteForReferee(noEfi).text.includes('<os><type'));
});

test('rejections that judge the machine are told apart from those that judge the domain', () => {
  assert.equal(hostReasonOf('Cannot check QEMU binary /usr/bin/qemu-system-riscv64: No such file or directory'), 'no emulator for this architecture in the referee root');
  assert.equal(hostReasonOf("unsupported configuration: PCI controller busNr '255' out of range - must be 1-254"), undefined);
  assert.equal(hostReasonOf('internal error: Could not find a suitable controller for smmuv3'), undefined);
  // A USB device named by vendor and product is looked up on the host when the command line is built.
  assert.match(hostReasonOf('internal error: USB host device is missing bus/device information') ?? '', /looked up on the host/);
});

test('domains for other drivers are out of the referee scope', () => {
  assert.match(outOfScope("<domain type='lxc'><name>c</name></domain>") ?? '', /type='lxc'.*not for the QEMU driver/);
  assert.equal(outOfScope("<domain type='kvm'><name>c</name></domain>"), undefined);
});

test('an interface with an address leaves a virtio-rng there, so the slot stays taken for libvirt', () => {
  const text =
    "<domain type='qemu'><devices><interface type='network'><source network='default'/><address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></interface></devices></domain>";
  assert.deepEqual(rewriteForReferee(text), {
    text: "<domain type='qemu'><devices><rng model='virtio'><backend model='random'>/dev/urandom</backend><address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></rng></devices></domain>",
    rewrites: ['1 <interface> removed (type network): libvirt opens /dev/net/tun for them; 1 of them left a virtio-rng at their <address>'],
  });
});
