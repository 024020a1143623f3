/**
 * Completion from libvirt 12.8's grammar (the schemas the extension ships):
 * each test places the cursor with `|` and compares what is offered, in the
 * order the editor shows it. Skipped, with the reason, when the build could
 * not fetch the schemas.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompletionItem, TextEdit } from 'vscode-languageserver-types';
import { armDomain, atCursor, shippedGrammar, SKIP_NO_SHIPPED_SCHEMAS } from './helpers';
import type { Grammar } from '../server/src/schema/grammarSource';
import { grammarAt } from '../server/src/schema/grammarQuery';
import { parseXml } from '../server/src/xml/parser';

let grammar: Grammar | undefined;
before(async () => {
  grammar = await shippedGrammar();
});

/** Items at the `|`, in display order. */
function items(marked: string): CompletionItem[] {
  const { ls, doc, position } = atCursor(marked, { grammar });
  const list = ls.complete(doc, position);
  return [...list.items].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
}
const labels = (marked: string) => items(marked).map((i) => String(i.label));
const first = (marked: string, n: number) => labels(marked).slice(0, n);
const item = (marked: string, label: string) => items(marked).find((i) => i.label === label);

const x86 = (body: string) => `<domain type='kvm'>\n  <name>g</name>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n${body}\n</domain>\n`;

describe('completion from the grammar', () => {
  test('attribute values: units, placement, firmware, cpu mode, gic version', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    assert.deepEqual(first(x86("  <memory unit='|'>4</memory>"), 5), ['KiB', 'MiB', 'GiB', 'TiB', 'bytes']);
    assert.deepEqual(labels(x86("  <vcpu placement='|'>2</vcpu>")), ['static', 'auto']);
    assert.deepEqual(labels(x86("  <os firmware='|'/>")), ['bios', 'efi']);
    assert.deepEqual(labels(x86("  <cpu mode='|'/>")), ['custom', 'host-model', 'host-passthrough', 'maximum']);
    assert.deepEqual(labels(armDomain('').replace('<acpi/>', "<gic version='|'/>")), ['host', '2', '3']);
  });

  test("items carry the hover's one line and its link to libvirt's documentation", (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const docOf = (marked: string, label: string) => item(marked, label)?.documentation as { value?: string } | string | undefined;
    const text = (d: ReturnType<typeof docOf>) => (typeof d === 'string' ? d : d?.value);
    assert.equal(
      text(docOf(x86('  <devices>\n    <|\n  </devices>'), 'memballoon')),
      "The memory balloon: lets the host take memory back from the guest, and reports the guest's memory use.\n\n" +
        '[libvirt docs: memory-balloon-device](https://libvirt.org/formatdomain.html#memory-balloon-device)',
    );
    assert.equal(
      text(docOf(x86("  <devices>\n    <disk type='file' |>\n    </disk>\n  </devices>"), 'device')),
      'How the guest sees it: `disk`, `cdrom`, `floppy`, or `lun` (SCSI passthrough).\n\n' +
        '[libvirt docs: hard-drives-floppy-disks-cdroms](https://libvirt.org/formatdomain.html#hard-drives-floppy-disks-cdroms)',
    );
  });

  test('text with choices: <type>hvm</type>', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    assert.deepEqual(labels("<domain type='kvm'>\n  <os>\n    <type arch='x86_64'>|</type>\n  </os>\n</domain>"), ['xen', 'linux', 'xenpvh', 'hvm', 'exe']);
  });

  test('a choice follows the attribute written: <source> of a file disk, a block disk, a network interface', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const disk = (type: string) => x86(`  <devices>\n    <disk type='${type}' device='disk'>\n      <source |/>\n    </disk>\n  </devices>`);
    assert.deepEqual(labels(disk('file')).slice(0, 1), ['file']);
    assert.ok(!labels(disk('file')).includes('dev'));
    assert.deepEqual(labels(disk('block')).slice(0, 1), ['dev']);
    assert.ok(!labels(disk('block')).includes('file'));
    // network is required there, so it comes first.
    assert.deepEqual(first(x86("  <devices>\n    <interface type='network'>\n      <source |/>\n    </interface>\n  </devices>"), 1), ['network']);
  });

  test('a typed value gets a placeholder and its type in words, not the regular expression', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const hint = (marked: string) => items(marked).map((i) => [String(i.label), i.detail]);
    assert.deepEqual(hint(x86("  <devices>\n    <disk type='file' device='disk'>\n      <source file='|'/>\n    </disk>\n  </devices>")), [
      ['/path/to/file', 'an absolute file path or a VMware datastore path ("[datastore] dir/file")'],
    ]);
    assert.deepEqual(hint(x86("  <devices>\n    <interface type='network'>\n      <mac address='|'/>\n    </interface>\n  </devices>")), [
      ['52:54:00:00:00:00', 'a unicast MAC address'],
    ]);
  });

  test("an attribute name inserts name='…' and asks for suggestions again; written attributes are not offered", (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const marked = x86("  <devices>\n    <disk type='file' |>\n    </disk>\n  </devices>");
    const device = item(marked, 'device');
    assert.deepEqual([(device?.textEdit as TextEdit).newText, device?.command?.command], ["device='$1'", 'editor.action.triggerSuggest']);
    assert.ok(!labels(marked).includes('type'));
  });

  test('element names: once-only ones already written are not offered again, repeatable ones are', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const inDomain = labels(x86('  <|'));
    assert.ok(!inDomain.includes('name') && !inDomain.includes('os'));
    assert.ok(['memory', 'vcpu', 'devices', 'clock', 'memoryBacking', 'numatune', 'cputune', 'on_reboot'].every((n) => inDomain.includes(n)));
    const inDevices = labels(x86("  <devices>\n    <disk type='file'/>\n    <|\n  </devices>"));
    assert.ok(inDevices.includes('disk'));
  });

  test('a disk written whole: the cursor lands in its start tag and suggestions open there', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const disk = item(x86('  <devices>\n    <|\n  </devices>'), 'disk');
    assert.deepEqual([(disk?.textEdit as TextEdit).newText, disk?.command?.command], ['<disk $1>\n      $0\n    </disk>', 'editor.action.triggerSuggest']);
  });

  test('a child whose children are optional and seldom written is written empty; one that holds children is opened', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const inDisk = x86("  <devices>\n    <disk type='file' device='disk'>\n      <|\n    </disk>\n  </devices>");
    assert.deepEqual(
      ['driver', 'source', 'address'].map((l) => (item(inDisk, l)?.textEdit as TextEdit).newText),
      ['<driver $1/>', '<source $1/>', '<address $1/>'],
    );
    // No attributes to write (<devices>, <cputune>), or usually holding children (<cpu>): opened.
    const inDomain = "<domain type='kvm'>\n  <name>g</name>\n  <|\n</domain>\n";
    assert.deepEqual(
      ['devices', 'cputune', 'cpu'].map((l) => (item(inDomain, l)?.textEdit as TextEdit).newText),
      ['<devices>\n    $0\n  </devices>', '<cputune>\n    $0\n  </cputune>', '<cpu $1>\n    $0\n  </cpu>'],
    );
  });

  test("attribute names: the usual ones right after the required ones, whatever the grammar's order", (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const disk = (attrs: string) => x86(`  <devices>\n    <disk ${attrs}>\n    </disk>\n  </devices>`);
    assert.deepEqual(first(disk('|'), 2), ['type', 'device']);
    // The grammar lists device before type: without the table, device would come last here.
    assert.deepEqual(first(disk("type='file' |"), 1), ['device']);
    assert.deepEqual(first(x86("  <devices>\n    <disk type='file' device='disk'>\n      <target dev='vda' |/>\n    </disk>\n  </devices>"), 1), ['bus']);
  });

  test('values used in the document rank first, on another element only where the attribute means the same there', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const devs = (disk: string) => x86(`  <devices>\n    <interface type='network'>\n      <source network='default'/>\n    </interface>\n${disk}\n  </devices>`);
    // An interface's type='network' says nothing about a disk's type.
    assert.deepEqual(first(devs("    <disk type='|'>\n    </disk>"), 1), ['file']);
    // Another disk's does.
    assert.deepEqual(first(devs("    <disk type='block'/>\n    <disk type='|'>\n    </disk>"), 1), ['block']);
  });

  test('a free-text value the QEMU driver narrows down is offered: a disk <driver name>', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    assert.deepEqual(labels(x86("  <devices>\n    <disk type='file' device='disk'>\n      <driver name='|'/>\n    </disk>\n  </devices>")), ['qemu', 'name']);
    // Elsewhere a <driver name> keeps the grammar's own choices (a hostdev's: kvm, vfio, xen).
    assert.ok(!labels(x86("  <devices>\n    <hostdev mode='subsystem' type='pci'>\n      <driver name='|'/>\n    </hostdev>\n  </devices>")).includes('qemu'));
  });

  test("the domain intelligence ranks first: vSMMU and expander snippets before the grammar's devices", (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    assert.deepEqual(first(armDomain('    <|'), 2), ['vSMMU: accelerated smmuv3 on an expander', 'pxb-pcie expander bus + root port']);
  });

  test('the catalog filters the grammar: no ioapic (an x86 feature) on an aarch64 guest', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const onArm = labels(armDomain('').replace('<features>', '<features>\n    <|'));
    assert.ok(onArm.includes('gic') && !onArm.includes('ioapic'), onArm.join(' '));
    assert.ok(labels(x86('  <features>\n    <|\n  </features>')).includes('ioapic'));
  });

  test("an empty file offers the <domain> skeleton with the grammar's domain types", (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const text = (items('|')[0].textEdit as TextEdit).newText;
    assert.match(text, /^<domain type='\$\{1\|kvm,qemu,kqemu,xen,lxc,/);
  });

  test('bad input completes without error: a foreign root, a namespace, unknown ancestors', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    assert.deepEqual(labels('<network>\n  <|\n</network>'), []);
    const ns = x86("  <qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n    <|\n  </qemu:commandline>");
    assert.doesNotThrow(() => labels(ns));
    assert.deepEqual(labels(x86('  <bogus>\n    <|\n  </bogus>')), []);
  });

  test('the grammar query answers for the element at an offset (what hover shows)', (t) => {
    if (!grammar) return t.skip(SKIP_NO_SHIPPED_SCHEMAS);
    const text = "<domain type='kvm'><devices><disk type='block'><source/></disk></devices></domain>";
    const at = grammarAt(grammar.loaded.model, parseXml(text), text.indexOf('<source') + 2);
    assert.equal(at?.element.name, 'source');
    assert.deepEqual(at?.grammar.attributes.map((a) => a.name).slice(0, 1), ['dev']);
  });
});
