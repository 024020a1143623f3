/**
 * Renaming a PCI controller index: prepareRename's range and placeholder,
 * the exact edits, the document after applying them, and every refusal.
 * The cursor is marked with `|`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver-types';
import { armDomain, atCursor, DOC_URI as URI, parse, rangeOf } from './helpers';
import { devices, hostdev, ROOT_EXPANDER_PORT, vsmmu } from './fixtures/domains';
import { formatIndexLike } from '../server/src/features/indexReferences';

function prepareAt(marked: string): { text: string; result: { range: Range; placeholder: string } | null } {
  const { text, ls, doc, position } = atCursor(marked);
  return { text, result: ls.prepareRename(doc, position) };
}

function renameAt(marked: string, newName: string): { text: string; result: WorkspaceEdit | null } {
  const { text, ls, doc, position } = atCursor(marked);
  return { text, result: ls.rename(doc, position, newName) };
}

/** The text after applying the edits of a WorkspaceEdit for our one document. */
function applied(text: string, edit: WorkspaceEdit | null): string | null {
  if (!edit) return null;
  const lines = parse(text).lines;
  const edits = [...(edit.changes?.[URI] ?? [])].map((e: TextEdit) => ({ start: lines.offsetAt(e.range.start), end: lines.offsetAt(e.range.end), newText: e.newText }));
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/**
 * Root port 3 on expander 1 carries a hostdev (whose host source bus is also
 * 0x03, and must never be renamed) and, in decimal, an interface; the vSMMU
 * names expander 1.
 */
const DEVICES = devices(
  ROOT_EXPANDER_PORT,
  hostdev('0009:03:00.0', 3),
  `    <interface type='network'>
      <address type='pci' domain='0x0000' bus='3' slot='0x01' function='0x0'/>
    </interface>`,
  vsmmu(1),
);

test('prepareRename on an index value, a bus value and a pciBus value: the value range and the decimal index', () => {
  const onIndex = prepareAt(armDomain(DEVICES.replace("index='3'", "index='|3'")));
  assert.deepEqual(onIndex.result, { range: rangeOf(onIndex.text, "index='3'", '3'), placeholder: '3' });
  const onBus = prepareAt(armDomain(DEVICES.replace("bus='0x03' slot='0x00' function='0x0'/>\n    </hostdev>", "bus='0x0|3' slot='0x00' function='0x0'/>\n    </hostdev>")));
  assert.deepEqual(onBus.result, { range: rangeOf(onBus.text, "bus='0x03' slot='0x00' function='0x0'/>\n    </hostdev>", '0x03'), placeholder: '3' });
  const onPciBus = prepareAt(armDomain(DEVICES.replace("pciBus='1'", "pciBus='1|'")));
  assert.deepEqual(onPciBus.result, { range: rangeOf(onPciBus.text, "pciBus='1'", '1'), placeholder: '1' });
});

test('prepareRename refuses places that are not a renameable index', () => {
  const cases = [
    DEVICES.replace("<controller type='pci' index='3'", "<contro|ller type='pci' index='3'"), // element name
    DEVICES.replace("bus='0x01' slot='0x00'", "bus='0x01' slot='0x0|0'"), // slot
    DEVICES.replace("<address domain='0x0009' bus='0x03'", "<address domain='0x0009' bus='0x0|3'"), // host source bus
    `${DEVICES}\n    <video><address type='pci' bus='|9' slot='0x00'/></video>`, // names nothing
    `${DEVICES}\n    <video><address type='pci' bus='|x' slot='0x00'/></video>`, // malformed
    `    <controller type='usb' index='|0' model='qemu-xhci'/>`, // not a PCI controller
    `${DEVICES}\n    <controller type='pci' index='3' model='pcie-root-port'/>`.replace("index='3' model='pcie-root-port'>", "index='|3' model='pcie-root-port'>"), // shared index
  ];
  for (const c of cases) assert.deepEqual(prepareAt(armDomain(c)).result, null, c);
});

test('rename 3 → 5 from the index: exact edits, each keeping its notation; the host source address stays', () => {
  const { text, result } = renameAt(armDomain(DEVICES.replace("index='3'", "index='3|'")), '5');
  assert.deepEqual(result, {
    changes: {
      [URI]: [
        { range: rangeOf(text, "index='3'", '3'), newText: '5' },
        { range: rangeOf(text, "bus='0x03' slot='0x00' function='0x0'/>\n    </hostdev>", '0x03'), newText: '0x05' },
        { range: rangeOf(text, "bus='3' slot", '3'), newText: '5' },
      ],
    },
  });
});

test('rename 1 → 12 from the pciBus value: the whole document after the edit', () => {
  const { text, result } = renameAt(armDomain(DEVICES.replace("pciBus='1'", "pciBus='|1'")), '12');
  const expected = armDomain(
    DEVICES.replace("index='1' model='pcie-expander-bus'", "index='12' model='pcie-expander-bus'")
      .replace("bus='0x01' slot='0x00'", "bus='0x0c' slot='0x00'")
      .replace("pciBus='1'", "pciBus='12'"),
  );
  assert.equal(applied(text, result), expected);
});

test('a hex value with upper-case digits keeps them; a longer number outgrows the padding', () => {
  const marked = armDomain(`    <controller type='pci' index='|10' model='pcie-root-port'/>
    <video><address type='pci' bus='0x0A' slot='0x00'/></video>
    <sound model='ich9'><address type='pci' bus='0xa' slot='0x01'/></sound>`);
  const { text, result } = renameAt(marked, '0x11f');
  assert.equal(
    applied(text, result),
    armDomain(`    <controller type='pci' index='287' model='pcie-root-port'/>
    <video><address type='pci' bus='0x11F' slot='0x00'/></video>
    <sound model='ich9'><address type='pci' bus='0x11f' slot='0x01'/></sound>`),
  );
});

test('formatIndexLike keeps each notation', () => {
  const table: [string, number, string][] = [
    ['0x03', 5, '0x05'],
    ['0x3', 5, '0x5'],
    ['0x03', 31, '0x1f'],
    ['0X0A', 11, '0X0B'],
    ['0x0a', 11, '0x0b'],
    ['3', 12, '12'],
    ['03', 5, '05'],
    ['0', 7, '7'],
    [' 3 ', 4, ' 4 '],
    ['&#51;', 4, '4'],
  ];
  assert.deepEqual(
    table.map(([raw, n]) => formatIndexLike(raw, n)),
    table.map(([, , out]) => out),
  );
});

test('a controller with an implicit index gets an index attribute written', () => {
  const marked = armDomain(`    <controller type='pci' model='pcie-root'/>
    <controller type="pci" model="pcie-root-port">
      <address type="pci" bus="0x00" slot="0x01"/>
    </controller>
    <video><address type='pci' bus='|1' slot='0x00'/></video>`);
  const { text, result } = renameAt(marked, '6');
  assert.equal(
    applied(text, result),
    armDomain(`    <controller type='pci' model='pcie-root'/>
    <controller index="6" type="pci" model="pcie-root-port">
      <address type="pci" bus="0x00" slot="0x01"/>
    </controller>
    <video><address type='pci' bus='6' slot='0x00'/></video>`),
  );
});

test('a controller plugged into itself is renamed everywhere, its own address included', () => {
  const { text, result } = renameAt(
    armDomain(`    <controller type='pci' index='|4' model='pcie-root-port'>
      <address type='pci' bus='0x04' slot='0x00'/>
    </controller>`),
    '2',
  );
  assert.equal(
    applied(text, result),
    armDomain(`    <controller type='pci' index='2' model='pcie-root-port'>
      <address type='pci' bus='0x02' slot='0x00'/>
    </controller>`),
  );
});

test('renaming to the current index is an empty edit', () => {
  const { result } = renameAt(armDomain(DEVICES.replace("index='3'", "index='|3'")), '0x3');
  assert.deepEqual(result, { changes: { [URI]: [] } });
});

test('rename refuses a new name that is not a non-negative integer', () => {
  const marked = armDomain(DEVICES.replace("index='3'", "index='|3'"));
  assert.deepEqual(
    ['', 'abc', '-1', '1.5', '3x', '0xg'].map((n) => renameAt(marked, n).result),
    [null, null, null, null, null, null],
  );
});

test('rename refuses an index already used by another PCI controller, written or implicit', () => {
  const written = armDomain(DEVICES.replace("index='3'", "index='|3'"));
  assert.deepEqual(renameAt(written, '1').result, null);
  const implicit = armDomain(`    <controller type='pci' model='pcie-root'/>
    <controller type='pci' index='|3' model='pcie-root-port'/>`);
  assert.deepEqual(renameAt(implicit, '0').result, null);
});

test('an index used only by a non-PCI controller is free to take', () => {
  const { text, result } = renameAt(
    armDomain(`    <controller type='usb' index='0' model='qemu-xhci'/>
    <controller type='pci' index='|1' model='pcie-root'/>`),
    '0',
  );
  assert.equal(
    applied(text, result),
    armDomain(`    <controller type='usb' index='0' model='qemu-xhci'/>
    <controller type='pci' index='0' model='pcie-root'/>`),
  );
});

test('rename refuses when it would move the implicit index of another controller', () => {
  // The implicit root port gets 2 (0, 1 taken). Renaming 1 → 7 frees 1, so it would become 1.
  const marked = armDomain(`    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='|1' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>`);
  assert.deepEqual(renameAt(marked, '7').result, null);
});

test('rename refuses where prepareRename does', () => {
  const marked = armDomain(DEVICES.replace("bus='0x01' slot='0x00'", "bus='0x01' slot='0x0|0'"));
  assert.deepEqual(renameAt(marked, '5').result, null);
});
