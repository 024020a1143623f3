/**
 * Go to definition from controller index references (guest address bus,
 * iommu pciBus, nestedSmmuv3 address bus) to the PCI controller declaring
 * that index. The cursor is marked with `|`; expected locations are the
 * exact text spans, found in the cursor-free text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Location } from 'vscode-languageserver-types';
import { armDomain, atCursor, locationOf as loc } from './helpers';
import { ROOT_EXPANDER_PORT as TREE } from './fixtures/domains';

function definitionAt(marked: string): { text: string; result: Location[] } {
  const { text, ls, doc, position } = atCursor(marked);
  return { text, result: ls.definition(doc, position) };
}

test('pciBus value goes to the expander index value', () => {
  const { text, result } = definitionAt(
    armDomain(`${TREE}
    <iommu model='smmuv3'>
      <driver pciBus='|1' accel='on'/>
    </iommu>`),
  );
  assert.deepEqual(result, [loc(text, "index='1' model='pcie-expander-bus'", '1')]);
});

test('a hostdev guest bus goes to its root port; the cursor may sit just after the last digit', () => {
  const { text, result } = definitionAt(
    armDomain(`${TREE}
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x03|' slot='0x00' function='0x0'/>
    </hostdev>`),
  );
  assert.deepEqual(result, [loc(text, "index='3'", '3')]);
});

test("a controller's own address bus goes to the controller it plugs into", () => {
  const marked = armDomain(TREE).replace("bus='0x01' slot='0x00'", "bus='0x0|1' slot='0x00'");
  const { text, result } = definitionAt(marked);
  assert.deepEqual(result, [loc(text, "index='1' model='pcie-expander-bus'", '1')]);
});

test('a controller with an implicit index is found by its element name', () => {
  const { text, result } = definitionAt(
    armDomain(`    <controller type='usb' model='qemu-xhci'/>
    <controller type='pci' model='pcie-root'/>
    <interface type='network'>
      <address type='pci' domain='0x0000' bus='|0' slot='0x02' function='0x0'/>
    </interface>`),
  );
  assert.deepEqual(result, [loc(text, "<controller type='pci' model='pcie-root'/>", 'controller')]);
});

test('a nestedSmmuv3 address bus goes to the controller', () => {
  const { text, result } = definitionAt(
    armDomain(`${TREE}
    <nestedSmmuv3>
      <name>smmu3.0x0000000016000000</name>
      <address type='pci' domain='0x0000' bus='0x0|1' slot='0x00' function='0x0'/>
    </nestedSmmuv3>`),
  );
  assert.deepEqual(result, [loc(text, "index='1' model='pcie-expander-bus'", '1')]);
});

test('with two PCI controllers sharing an index, the first one is the definition (as libvirt reads it)', () => {
  const { text, result } = definitionAt(
    armDomain(`${TREE}
    <controller type='pci' index='3' model='pcie-root-port'/>
    <video><address type='pci' bus='|3' slot='0x00'/></video>`),
  );
  assert.deepEqual(result, [loc(text, "index='3'", '3', 0)]);
});

test('nothing on bad input or away from a reference', () => {
  const cases = [
    // malformed value
    `${TREE}\n    <video><address type='pci' bus='0x|zz' slot='0x00'/></video>`,
    // names no controller
    `${TREE}\n    <video><address type='pci' bus='0x0|9' slot='0x00'/></video>`,
    // empty pciBus
    `${TREE}\n    <iommu model='smmuv3'><driver pciBus='|'/></iommu>`,
    // a host address inside <source> is not a guest bus
    `${TREE}\n    <hostdev mode='subsystem' type='pci'><source><address domain='0x0009' bus='0x0|1' slot='0x00' function='0x0'/></source></hostdev>`,
    // not a PCI address
    `${TREE}\n    <disk type='file'><address type='drive' controller='0' bus='|1' target='0' unit='0'/></disk>`,
    // the index names only a non-PCI controller
    `    <controller type='usb' index='5' model='qemu-xhci'/>\n    <video><address type='pci' bus='|5' slot='0x00'/></video>`,
    // on the slot, not the bus
    `${TREE}\n    <video><address type='pci' bus='0x01' slot='0x0|0'/></video>`,
    // on the index itself
    `${TREE.replace("index='3'", "index='|3'")}`,
    // half-typed: attribute without a value yet, unclosed elements
    `${TREE}\n    <video><address type='pci' bus=| slot='0x00'\n`,
  ];
  for (const c of cases) assert.deepEqual(definitionAt(armDomain(c)).result, [], c);
});

test('nothing outside a libvirt domain document', () => {
  assert.deepEqual(definitionAt(`<network><address type='pci' bus='|0'/></network>`).result, []);
});
