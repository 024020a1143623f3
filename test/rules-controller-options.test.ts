/**
 * Rule family `controller-options`: <model name> per PCI controller model,
 * <target> options per model, and <driver iothread> only on virtio-scsi
 * controllers naming a defined I/O thread. Verdicts as libvirt 12.8 gives them.
 */
import { test } from 'node:test';
import { deepEqual } from 'node:assert/strict';
import { armDomain, findingList, findingsOf } from './helpers';
import { controllerOptionRules } from '../server/src/rules/controllerOptions';

const R = { rules: [controllerOptionRules] };

const ROOT = `<controller type='pci' index='0' model='pcie-root'/>`;
const addr = (bus: number, slot: number) => `<address type='pci' domain='0' bus='${bus}' slot='${slot}' function='0'/>`;
const ctrl = (index: number, model: string, inner: string, bus = 0, slot = 2) => `<controller type='pci' index='${index}' model='${model}'>${inner}${addr(bus, slot)}</controller>`;
function x86(devices: string, extra = ''): string {
  return `<domain type='kvm'><name>x</name><memory>1</memory><vcpu>1</vcpu>${extra}<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>${devices}</devices></domain>`;
}

test('controller-model-name: the QEMU device must fit the model', () => {
  const text = armDomain(ROOT + ctrl(1, 'pcie-expander-bus', `<model name='pxb'/><target busNr='100'/>`));
  const at = text.indexOf(`'pxb'`) + 1;
  deepEqual(findingList(text, R), [
    {
      code: 'controller-model-name',
      severity: 'error',
      start: at,
      end: at + 3,
      message: `<model name='pxb'/> does not fit a pcie-expander-bus (it is the device of pci-expander-bus): libvirt refuses it ("Option 'modelName' has invalid value for PCI controller with index '1', model 'pcie-expander-bus'…"). Write name='pxb-pcie', or leave <model> out.`,
      data: { from: 'pxb', to: 'pxb-pcie' },
    },
  ]);
  deepEqual(findingsOf(armDomain(ROOT + ctrl(1, 'pcie-root-port', `<model name='pxb-pcie'/>`)), R), ['controller-model-name @ pxb-pcie']);
  // ioh3420 is the older root port device, still accepted.
  deepEqual(findingsOf(armDomain(ROOT + ctrl(1, 'pcie-root-port', `<model name='ioh3420'/>`)), R), []);
  deepEqual(findingsOf(armDomain(ROOT + ctrl(1, 'pcie-root-port', `<model name='pcie-root-port'/>`)), R), []);
});

test('controller-option-model: target options the model does not take', () => {
  const text = armDomain(ROOT + ctrl(1, 'pcie-root-port', `<target chassisNr='5'/>`));
  const at = text.indexOf('chassisNr');
  deepEqual(findingList(text, R), [
    {
      code: 'controller-option-model',
      severity: 'error',
      start: at,
      end: at + 9,
      message: `chassisNr is not an option of a pcie-root-port: libvirt refuses it ("Option 'chassisNr' is not valid for PCI controller with index '1', model 'pcie-root-port'…"). It belongs to pci-bridge. Remove it.`,
      data: { option: 'chassisNr', model: 'pcie-root-port', models: ['pci-bridge'] },
    },
  ]);
  deepEqual(findingsOf(armDomain(ROOT + ctrl(1, 'pcie-root-port', `<target busNr='200'><node>1</node></target>`)), R), [
    'controller-option-model @ busNr',
    'controller-option-model @ node',
  ]);
  deepEqual(findingsOf(armDomain(ROOT + ctrl(1, 'pcie-expander-bus', `<target chassis='3' port='1' busNr='100'/>`)), R), [
    'controller-option-model @ chassis',
    'controller-option-model @ port',
  ]);
  deepEqual(findingsOf(x86(`<controller type='pci' index='0' model='pcie-root'><target hotplug='off'/></controller>`), R), ['controller-option-model @ hotplug']);
  // <target index> numbers pSeries host bridges only.
  const pcIndex = `<domain type='kvm'><os><type arch='x86_64' machine='pc'>hvm</type></os><devices><controller type='pci' index='0' model='pci-root'><target index='0'/></controller></devices></domain>`;
  deepEqual(findingsOf(pcIndex, R), ['controller-option-model @ index']);
  deepEqual(findingsOf(pcIndex.replace(`arch='x86_64' machine='pc'`, `arch='ppc64' machine='pseries'`), R), []);
  // What the models do take.
  deepEqual(
    findingsOf(
      armDomain(
        ROOT + ctrl(1, 'pcie-root-port', `<target chassis='1' port='0x10' hotplug='off'/>`) + ctrl(2, 'pcie-expander-bus', `<target busNr='100'><node>1</node></target>`, 0, 3),
      ),
      R,
    ),
    [],
  );
  deepEqual(
    findingsOf(
      `<domain type='kvm'><os><type arch='x86_64' machine='pc'>hvm</type></os><devices><controller type='pci' index='0' model='pci-root'><target hotplug='off'/></controller>` +
        `<controller type='pci' index='1' model='pci-bridge'><target chassisNr='1'/>${addr(0, 3)}</controller></devices></domain>`,
      R,
    ),
    [],
  );
});

test('controller-iothread-model: iothread only on virtio-scsi controllers', () => {
  const text = x86(`<controller type='virtio-serial'><driver iothread='1'/></controller>`, '<iothreads>1</iothreads>');
  const at = text.indexOf('iothread=');
  deepEqual(findingList(text, R), [
    {
      code: 'controller-iothread-model',
      severity: 'error',
      start: at,
      end: at + 8,
      message: `iothread is only for virtio-scsi controllers; libvirt refuses it on a <controller type='virtio-serial'> (libvirt: "'iothread' attribute only supported for virtio scsi controllers"). Remove iothread, or use <controller type='scsi' model='virtio-scsi'>.`,
      data: { type: 'virtio-serial', model: undefined },
    },
  ]);
  deepEqual(findingsOf(x86(`<controller type='scsi' model='lsilogic'><driver iothread='1'/></controller>`, '<iothreads>1</iothreads>'), R), [
    'controller-iothread-model @ iothread',
  ]);
  // x86 makes a model-less SCSI controller an lsilogic; ARM a virtio-scsi.
  deepEqual(findingsOf(x86(`<controller type='scsi'><driver iothread='1'/></controller>`, '<iothreads>1</iothreads>'), R), ['controller-iothread-model @ iothread']);
  deepEqual(findingsOf(armDomain(`<controller type='scsi'><driver iothread='1'/></controller>`, '\n  <iothreads>1</iothreads>'), R), []);
  deepEqual(findingsOf(x86(`<controller type='scsi' model='virtio-scsi'><driver iothread='1'/></controller>`, '<iothreads>1</iothreads>'), R), []);
});

test('controller-iothread-missing: the I/O thread must exist', () => {
  deepEqual(findingsOf(x86(`<controller type='scsi' model='virtio-scsi'><driver iothread='2'/></controller>`, '<iothreads>1</iothreads>'), R), ['controller-iothread-missing @ 2']);
  deepEqual(
    findingsOf(x86(`<controller type='scsi' model='virtio-scsi'><driver iothread='5'/></controller>`, `<iothreads>1</iothreads><iothreadids><iothread id='5'/></iothreadids>`), R),
    [],
  );
});
