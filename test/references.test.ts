/**
 * Find references of a PCI controller index: guest addresses plugged into
 * it, iommu pciBus values and nestedSmmuv3 address buses naming it. The
 * cursor is marked with `|`; expected locations are exact text spans found
 * in the cursor-free text, in document order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Location } from 'vscode-languageserver-types';
import { armDomain, atCursor, locationOf as loc } from './helpers';

function referencesAt(marked: string, includeDeclaration: boolean): { text: string; result: Location[] } {
  const { text, ls, doc, position } = atCursor(marked);
  return { text, result: ls.references(doc, position, includeDeclaration) };
}

/** Two expanders; index 1 carries a root port, a nestedSmmuv3 and a vSMMU. `@a`/`@b` mark where a cursor may go. */
const DOMAIN = armDomain(`    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='@a1' model='pcie-expander-bus'>
      <model name='pxb-pcie'/>
      <target busNr='252'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </controller>
    <controller type='pci' index='2' model='pcie-expander-bus'>
      <target busNr='248'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </controller>
    <@bcontroller type='pci' index='3' model='pcie-root-port'>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </controller>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0001' bus='0x01' slot='0x00' function='0x0'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>
    </hostdev>
    <interface type='network'>
      <model type='virtio'/>
      <address type='pci' domain='0x0000' bus='3' slot='0x01' function='0x0'/>
    </interface>
    <video><address type='pci' bus='0xg1' slot='0x00'/></video>
    <nestedSmmuv3>
      <name>smmu3.0x0000000016000000</name>
      <address type='pci' bus='1' slot='0x01'/>
    </nestedSmmuv3>
    <iommu model='smmuv3'>
      <driver pciBus='1' accel='on'/>
    </iommu>
    <iommu model='smmuv3'>
      <driver pciBus='2'/>
    </iommu>`);

const at = (mark: string) => DOMAIN.replace(mark, '|').replace(/@[ab]/g, '');
const clean = DOMAIN.replace(/@[ab]/g, '');

/** What refers to expander 1 in `text` (DOMAIN without marks), in document order: root port address, nestedSmmuv3 address, vSMMU pciBus. */
const refsToExpander1 = (text: string): Location[] => [
  loc(text, "bus='0x01' slot='0x00' function='0x0'/>\n    </controller>", '0x01'),
  loc(text, "bus='1' slot='0x01'", '1'),
  loc(text, "pciBus='1'", '1'),
];

test('from an expander index value: root port, nestedSmmuv3 and iommu; the host source bus and a malformed bus are not references', () => {
  const { text, result } = referencesAt(at('@a'), false);
  assert.equal(text, clean);
  assert.deepEqual(result, refsToExpander1(text));
});

test('includeDeclaration adds the index value, in document order', () => {
  const { text, result } = referencesAt(at('@a'), true);
  assert.deepEqual(result, [loc(text, "index='1'", '1'), ...refsToExpander1(text)]);
});

test('from a root port element name: the devices plugged into it, whatever their notation', () => {
  const { text, result } = referencesAt(at('@b'), false);
  assert.deepEqual(result, [loc(text, "bus='0x03' slot", '0x03'), loc(text, "bus='3' slot", '3')]);
});

test('from a reference: the same answer as from the controller', () => {
  const marked = clean.replace("pciBus='1'", "pciBus='1|'");
  const { text, result } = referencesAt(marked, true);
  assert.deepEqual(result, [loc(text, "index='1'", '1'), ...refsToExpander1(text)]);
});

test('the expander at pcie-root: pcie-root lists both expanders; an implicit index is declared at the element name', () => {
  const marked = clean.replace("<controller type='pci' index='0' model='pcie-root'/>", "<con|troller type='pci' model='pcie-root'/>");
  const { text, result } = referencesAt(marked, true);
  assert.deepEqual(result, [
    loc(text, "<controller type='pci' model='pcie-root'/>", 'controller'),
    loc(text, "bus='0x00' slot='0x01'", '0x00'),
    loc(text, "bus='0x00' slot='0x02'", '0x00'),
  ]);
});

test('a controller plugged into itself refers to itself', () => {
  const { text, result } = referencesAt(
    armDomain(`    <controller type='pci' index='|4' model='pcie-root-port'>
      <address type='pci' bus='0x04' slot='0x00'/>
    </controller>`),
    true,
  );
  assert.deepEqual(result, [loc(text, "index='4'", '4'), loc(text, "bus='0x04'", '0x04')]);
});

test('nothing for non-PCI controllers, dangling references and other places', () => {
  const cases = [
    `    <controller type='u|sb' index='1' model='qemu-xhci'/>\n    <video><address type='pci' bus='1' slot='0x00'/></video>`,
    `    <contr|oller type='usb' index='1' model='qemu-xhci'/>\n    <video><address type='pci' bus='1' slot='0x00'/></video>`,
    `    <controller type='pci' index='0' model='pcie-root'/>\n    <video><address type='pci' bus='|7' slot='0x00'/></video>`,
    `    <controller type='pci' index='0' model='pcie-root'/>\n    <video><address type='pci' bus='0x00' slot='0x0|0'/></video>`,
    `    <controller type='pci' index='0' model='pcie-root'/>\n |   <video><address type='pci' bus='0x00' slot='0x00'/></video>`,
    `    <controller type='pci' index='0x|zz' model='pcie-root'`,
  ];
  for (const c of cases) assert.deepEqual(referencesAt(armDomain(c), true).result, [], c);
});
