/**
 * Rule family `machine`: machines without PCI, and the root bus each machine
 * has (model, index 0, no address). Each case is a domain and the findings
 * libvirt 12.8's verdict says it deserves.
 */
import { test } from 'node:test';
import { deepEqual } from 'node:assert/strict';
import { armDomain, findingList, findingsOf } from './helpers';
import { machineRules } from '../server/src/rules/machine';

const R = { rules: [machineRules] };

function x86(machine: string, devices: string): string {
  return `<domain type='kvm'><name>x</name><memory>1</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='${machine}'>hvm</type></os><devices>${devices}</devices></domain>`;
}

test('controller-root-model: pcie-root on i440fx, pci-root on Q35 and ARM virt', () => {
  const text = x86('pc-i440fx-9.0', `<controller type='pci' index='0' model='pcie-root'/>`);
  const at = text.indexOf(`pcie-root'`);
  const machineAt = text.indexOf('pc-i440fx-9.0');
  deepEqual(findingList(text, R), [
    {
      code: 'controller-root-model',
      severity: 'error',
      start: at,
      end: at + 9,
      message: `An i440fx machine ('pc-i440fx-9.0') has a pci-root root bus: the PCI controller with index 0 must be model='pci-root', not 'pcie-root' (libvirt: "The PCI controller with index='0' must be model='pci-root' for this machine type"). Write model='pci-root', or change the machine.`,
      related: [{ start: machineAt, end: machineAt + 13, message: 'the guest machine' }],
      data: { model: 'pcie-root', expected: 'pci-root', machine: 'pc-i440fx-9.0' },
    },
  ]);
  deepEqual(findingsOf(x86('q35', `<controller type='pci' index='0' model='pci-root'/>`), R), ['controller-root-model @ pci-root']);
  deepEqual(findingsOf(armDomain(`<controller type='pci' index='0' model='pci-root'/>`), R), ['controller-root-model @ pci-root']);
  // A port at index 0 takes the root's place.
  deepEqual(findingsOf(x86('q35', `<controller type='pci' index='0' model='pcie-root-port'/>`), R), ['controller-root-model @ pcie-root-port']);
  deepEqual(findingsOf(x86('pc', `<controller type='pci' index='0' model='pci-root'/>`), R), []);
  deepEqual(findingsOf(x86('pc-q35-9.0', `<controller type='pci' index='0' model='pcie-root'/>`), R), []);
  // libvirt does not fill in a missing model at index 0 (it reports model='(null)'), nor for a pci-bridge that takes index 0.
  deepEqual(findingsOf(x86('q35', `<controller type='pci' index='0'/>`), R), ['controller-root-model @ 0']);
  deepEqual(findingsOf(x86('pc', `<controller type='pci' model='pci-bridge'/>`), R), ['controller-root-model @ pci-bridge']);
  // A pcie-root without an index takes index 0; an unwritten x86 machine is left to libvirt's default.
  deepEqual(findingsOf(x86('q35', `<controller type='pci' model='pcie-root'/>`), R), []);
  const noMachine = `<domain type='kvm'><os><type arch='x86_64'>hvm</type></os><devices><controller type='pci' index='0' model='pcie-root'/></devices></domain>`;
  deepEqual(findingsOf(noMachine, R), []);
});

test('controller-root-index: a root model at another index', () => {
  deepEqual(findingsOf(x86('pc', `<controller type='pci' index='0' model='pci-root'/><controller type='pci' index='1' model='pci-root'/>`), R), ['controller-root-index @ 1']);
  const [f] = findingList(x86('q35', `<controller type='pci' index='2' model='pcie-root'/>`), R).filter((x) => x.code === 'controller-root-index');
  deepEqual(
    [f.severity, f.message],
    [
      'error',
      `A pcie-root is the root bus and must have index 0; this one has index 2 (libvirt: "pci-root and pcie-root controllers should have index 0"). Set index='0', or use a bridge, port or expander model for an extra bus.`,
    ],
  );
});

test('controller-root-address: a root bus with an address', () => {
  const text = armDomain(`<controller type='pci' index='0' model='pcie-root'><address type='pci' domain='0' bus='0' slot='1' function='0'/></controller>`);
  deepEqual(findingsOf(text, R), ['controller-root-address @ address']);
  deepEqual(findingsOf(armDomain(`<controller type='pci' index='0' model='pcie-root'/>`), R), []);
});

test('machine-no-pci: isapc and microvm refuse PCI controllers and PCI addresses', () => {
  const text = x86('isapc', `<controller type='pci' model='pci-root' index='0'/>`);
  const at = text.indexOf(`pci' model`);
  const machineAt = text.indexOf(`isapc`);
  deepEqual(findingList(text, R), [
    {
      code: 'machine-no-pci',
      severity: 'error',
      start: at,
      end: at + 3,
      message: `Machine type 'isapc' has no PCI bus: libvirt refuses this PCI controller ("Machine type 'isapc' does not support PCI"). Remove it, or use a machine with PCI (q35, or pc for i440fx).`,
      related: [{ start: machineAt, end: machineAt + 5, message: 'the guest machine' }],
      data: { machine: 'isapc' },
    },
  ]);
  deepEqual(findingsOf(x86('microvm', `<controller type='pci' model='pci-root' index='0'/>`), R), ['machine-no-pci @ pci']);
  deepEqual(
    findingsOf(x86('microvm', `<rng model='virtio'><backend model='random'>/dev/urandom</backend><address type='pci' domain='0' bus='0' slot='3' function='0'/></rng>`), R),
    ['machine-no-pci @ pci'],
  );
  // virtio-mmio and ISA devices are what these machines have.
  deepEqual(findingsOf(x86('microvm', `<rng model='virtio'><backend model='random'>/dev/urandom</backend><address type='virtio-mmio'/></rng>`), R), []);
  deepEqual(findingsOf(x86('isapc', `<serial type='pty'/>`), R), []);
  // 'microvm' is not a machine of other architectures; nothing to say there.
  const arm = armDomain(`<controller type='pci' index='0' model='pcie-root'/>`).replace(`machine='virt'`, `machine='microvm'`);
  deepEqual(findingsOf(arm, R), []);
});
