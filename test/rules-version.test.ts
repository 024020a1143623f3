/**
 * Rule family `version`: features newer than the libvirt release the domain
 * targets (settings.libvirtVersion), from the catalog's `since` fields.
 */
import { test } from 'node:test';
import { deepEqual } from 'node:assert/strict';
import { armDomain, findingList, findingsOf } from './helpers';
import { versionRules } from '../server/src/rules/version';

const at = (libvirtVersion: string | undefined) => ({ rules: [versionRules], settings: { libvirtVersion } });

const ROOT = `<controller type='pci' index='0' model='pcie-root'/>`;
const PXB = `<controller type='pci' index='1' model='pcie-expander-bus'><target busNr='252'/></controller>`;

test('version-too-new: pciBus on a domain targeting 11.5.0', () => {
  const text = armDomain(ROOT + PXB + `<iommu model='smmuv3'><driver pciBus='1'/></iommu>`);
  const start = text.indexOf('pciBus');
  deepEqual(findingList(text, at('11.5.0')), [
    {
      code: 'version-too-new',
      severity: 'warning',
      start,
      end: start + 6,
      message: 'pciBus needs libvirt 11.10.0 or newer; this domain targets 11.5.0.',
      data: { feature: 'iommu-driver:pciBus', since: '11.10.0', target: '11.5.0' },
    },
  ]);
  deepEqual(findingsOf(text, at('11.10.0')), []);
  deepEqual(findingsOf(text, at('v12')), []);
});

test('version-too-new: silent without a target version, or with one that is not a version', () => {
  const text = armDomain(`<iommu model='amd'><driver xtsup='on'/></iommu>`);
  deepEqual(findingsOf(text, at(undefined)), []);
  deepEqual(findingsOf(text, at('latest')), []);
  deepEqual(findingsOf(text, at('11.0')), ['version-too-new @ amd', 'version-too-new @ xtsup']);
});

test('version-too-new: IOMMU models by their since', () => {
  deepEqual(findingsOf(armDomain(`<iommu model='virtio'/>`), at('8.2.0')), ['version-too-new @ virtio']);
  deepEqual(findingsOf(armDomain(`<iommu model='virtio'/>`), at('8.3.0')), []);
  deepEqual(findingsOf(armDomain(`<iommu model='intel'/>`), at('2.1.0')), []);
});

test('version-too-new: every accel attribute (cmdqv included, 12.7.0), but not those the model does not take', () => {
  const text = armDomain(ROOT + PXB + `<iommu model='smmuv3'><driver pciBus='1' accel='on' ssidSize='20' cmdqv='on'/></iommu>`);
  deepEqual(findingsOf(text, at('11.9.0')), ['version-too-new @ pciBus', 'version-too-new @ accel', 'version-too-new @ ssidSize', 'version-too-new @ cmdqv']);
  deepEqual(findingsOf(text, at('11.10.0')), ['version-too-new @ accel', 'version-too-new @ ssidSize', 'version-too-new @ cmdqv']);
  deepEqual(findingsOf(text, at('12.7.0')), []);
  deepEqual(findingsOf(armDomain(`<iommu model='intel'><driver pciBus='1'/></iommu>`), at('11.5.0')), []);
  deepEqual(findingsOf(armDomain(`<iommu model='intel'><driver pasid='8'/></iommu>`), at('12.7.0')), ['version-too-new @ pasid']);
});

test('version-too-new: iommufd, ACPI nodeset, granule and controller models', () => {
  const hostdev =
    `<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' iommufd='yes'/>` +
    `<source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source><acpi nodeset='2-9'/></hostdev>`;
  const text = armDomain(ROOT + hostdev + `<iommu model='virtio'><driver><granule mode='host'/></driver></iommu>`, `\n  <iommufd enabled='yes'/>`);
  deepEqual(findingsOf(text, at('11.7.0')), ['version-too-new @ iommufd', 'version-too-new @ iommufd', 'version-too-new @ nodeset', 'version-too-new @ granule']);
  deepEqual(findingsOf(text, at('12.1.0')), ['version-too-new @ iommufd']);
  deepEqual(findingsOf(text, at('12.2.0')), []);
  const bridge = armDomain(`<controller type='pci' index='1' model='pcie-to-pci-bridge'/>`);
  deepEqual(findingsOf(bridge, at('4.2.0')), ['version-too-new @ pcie-to-pci-bridge']);
  deepEqual(findingsOf(bridge, at('4.3.0')), []);
});

test('half-typed input does not throw', () => {
  deepEqual(findingsOf(armDomain(`<iommu model='smmuv3'><driver pciBus='`), at('11.0.0')), ['version-too-new @ pciBus']);
  deepEqual(findingsOf(armDomain(`<iommu model=`), at('1.0.0')), []);
});

test('version-too-new: aw_bits by model (intel since 4.5.0, virtio since 12.1.0)', () => {
  const virtio = armDomain(`<iommu model='virtio'><driver aw_bits='48'/></iommu>`);
  deepEqual(findingsOf(virtio, at('11.10.0')), ['version-too-new @ aw_bits']);
  deepEqual(findingsOf(virtio, at('12.1.0')), []);
  const intel = `<domain type='kvm'><os><type arch='x86_64' machine='q35'>hvm</type></os><devices><iommu model='intel'><driver aw_bits='48'/></iommu></devices></domain>`;
  deepEqual(findingsOf(intel, at('11.10.0')), []);
});
