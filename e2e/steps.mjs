/**
 * The steps of the end-to-end suite, in order, each what a person does and
 * what they should see. `session` names the code-server session (and so the
 * fixture host) a step runs in; steps of a session share one workbench and
 * run in the order listed, each starting with no editor open (run.mjs closes
 * them, discarding unsaved changes), and ends with a screenshot.
 *
 * A step gets `env`: wb (the Workbench driver), folder (the workspace copy of
 * examples/), root (the fixture sysfs root), libvirtUri (the connection the
 * Libvirt Domains view lists), assert, shot(name), and the
 * oracle functions (cliProblems, cliFindings, completionLabels, hoverMarkdown,
 * markdownAsText, textAfterFix, topologyRows).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HOSTS } from '../scripts/make-host-fixtures.mjs';
import { byPosition } from './lib/oracle.mjs';

/**
 * The first line (1-based, after line `after`) that starts with `needle`
 * once indentation is removed, and its text. Starting the line keeps the
 * examples' comments, which quote the same XML, out of the way.
 */
function lineOf(text, needle, after = 0) {
  const lines = text.split('\n');
  for (let i = after; i < lines.length; i++) if (lines[i].trimStart().startsWith(needle)) return { line: i + 1, text: lines[i] };
  throw new Error(`no line starts with ${needle}`);
}

const smmuNames = (host) => HOSTS[host].iommus.map((i) => i.name).sort();

export const steps = [
  // ---------------------------------------------------------------- fixture Grace host
  {
    session: 'host',
    name: 'the workbench opens the examples folder',
    async run({ wb, folder, assert, shot }) {
      const expected = readdirSync(folder)
        .filter((f) => f.endsWith('.xml'))
        .sort();
      const shown = await wb.until(
        'explorer lists every example',
        () => wb.explorerFiles(),
        (l) => l.length >= expected.length,
      );
      assert.deepEqual(shown.filter((f) => f.endsWith('.xml')).sort(), expected);
      await shot('host-00-workbench');
    },
  },
  {
    session: 'host',
    name: 'a broken example shows squiggles and its findings in the Problems panel',
    async run({ wb, folder, root, assert, shot, cliProblems }) {
      const name = 'broken-missing-expander.xml';
      await wb.openFile(name);
      await wb.showProblems();
      const expected = cliProblems(path.join(folder, name), root);
      assert.ok(
        expected.some((p) => p.startsWith('smmu-map-missing-expander @')),
        `the CLI reports smmu-map-missing-expander: ${expected}`,
      );
      const shown = await wb.until(
        'Problems panel matches the checker',
        () => wb.problems(name).then((l) => l.slice().sort(byPosition)),
        (l) => JSON.stringify(l) === JSON.stringify(expected),
      );
      assert.deepEqual(shown, expected);
      // F8 jumps to the first problem and shows its message inline, squiggle in view.
      await wb.nextProblem();
      const squiggles = await wb.until(
        'squiggles in view',
        () => wb.squiggles(),
        (s) => s.length > 0,
      );
      assert.ok(squiggles.includes('warning'), `squiggles seen: ${squiggles}`);
      await shot('host-01-problems');
      await wb.press('Escape');
    },
  },
  {
    session: 'host',
    name: 'the status bar item names the fixture host and opens the host menu',
    async run({ wb, assert, shot }) {
      await wb.openFile('grace-1gpu.xml');
      const items = await wb.until(
        'host status item',
        () => wb.statusItems(),
        (l) => l.some((t) => /host SMMU|SMMUv3 on this host/.test(t)),
      );
      // The grammar in use joins the item once read ("· libvirt 12.8.0 grammar"): the host part comes first either way.
      assert.ok(
        items.some((t) => t === '3 host SMMUs · sysfs' || t.startsWith('3 host SMMUs · sysfs · ')),
        `status bar: ${JSON.stringify(items)}`,
      );
      await wb.clickStatusItem('3 host SMMUs · sysfs');
      const menu = await wb.quickPickItems();
      assert.ok(
        menu.some((l) => /Refresh host topology/.test(l)),
        `host menu: ${JSON.stringify(menu)}`,
      );
      await shot('host-02-status-menu');
      await wb.press('Escape');
    },
  },
  {
    session: 'host',
    name: 'typing < in <devices> suggests the device elements',
    async run({ wb, folder, root, assert, shot, completionLabels }) {
      const name = 'grace-1gpu.xml';
      const text = readFileSync(path.join(folder, name), 'utf8');
      const close = lineOf(text, '</devices>');
      await wb.openFile(name);
      // The server reads libvirt's grammar after the first diagnostics; the status item names it once read.
      await wb.until(
        'the status item names the libvirt grammar',
        () => wb.statusItems(),
        (items) => items.some((t) => /grammar/.test(t)),
      );
      // A new line above </devices>, as a person adds a device: End, Enter, "<".
      await wb.gotoPosition(close.line - 1, 1);
      await wb.press('End');
      await wb.press('Enter');
      await wb.type('<');
      const labels = await wb.suggestions();
      const cursor = await wb.cursor();
      const expected = await completionLabels(insertLine(text, close.line, ' '.repeat(cursor.column - 2) + '<'), cursor.line, cursor.column, root);
      assert.ok(
        ['controller', 'hostdev', 'iommu'].every((l) => expected.includes(l)),
        `the service offers: ${expected}`,
      );
      assert.deepEqual(labels, expected.slice(0, labels.length));
      assert.equal(await wb.suggestCount(), expected.length);
      await wb.showSuggestDetails();
      await shot('host-03-complete-devices');
      await wb.closeWidgets();
      await wb.command('File: Revert File');
    },
  },
  {
    session: 'host',
    name: 'in a <nestedSmmuv3> element, < and then the name suggest the host SMMUs',
    async run({ wb, folder, root, host, assert, shot, cliProblems }) {
      const name = 'nested-proposal.xml';
      const file = path.join(folder, name);
      const text = readFileSync(file, 'utf8');
      // The second <nestedSmmuv3> names the NVMe drive's SMMU; replace its <name> line.
      const second = lineOf(text, '<nestedSmmuv3>', lineOf(text, '<nestedSmmuv3>').line);
      const nameLine = lineOf(text, '<name>', second.line);
      assert.ok(
        cliProblems(file, root).some((p) => p.startsWith('nested-smmu-device-mismatch')),
        'the example starts with a mismatch',
      );
      await wb.openFile(name);
      await wb.gotoPosition(nameLine.line, nameLine.text.indexOf('<') + 1);
      await wb.press('Shift+End');
      // Delete first: typing "<" over a selection would wrap it in <...> (auto-surround).
      await wb.press('Delete');
      await wb.type('<');
      const elements = await wb.suggestions();
      assert.deepEqual(elements, ['name', 'address']);
      await wb.press('Enter'); // accepts "name": <name>|</name>
      await wb.triggerSuggest();
      const names = await wb.suggestions();
      assert.deepEqual(names, smmuNames(host));
      await wb.showSuggestDetails();
      await shot('host-04-complete-smmu-names');
      // The GPU below this expander is behind ...36000000: choose it, save, and the mismatch is gone.
      const gpuSmmu = HOSTS[host].devices.find((d) => d.bdf === '0019:01:00.0').iommu;
      for (let i = 0; i < names.indexOf(gpuSmmu); i++) await wb.press('ArrowDown');
      await wb.press('Enter');
      await wb.save();
      const saved = readFileSync(file, 'utf8');
      assert.equal(saved.split('\n')[nameLine.line - 1].trim(), `<name>${gpuSmmu}</name>`);
      const expected = cliProblems(file, root);
      assert.ok(!expected.some((p) => p.startsWith('nested-smmu-device-mismatch')), `after the change: ${expected}`);
      await wb.showProblems();
      await wb.until(
        'Problems panel drops the mismatch',
        () => wb.problems(name).then((l) => l.sort(byPosition)),
        (l) => JSON.stringify(l) === JSON.stringify(expected),
      );
      await shot('host-04-smmu-name-chosen');
    },
  },
  {
    session: 'host',
    name: "hovering model='smmuv3' explains the model",
    async run({ wb, folder, root, assert, shot, hoverMarkdown, markdownAsText }) {
      const name = 'grace-1gpu.xml';
      const text = readFileSync(path.join(folder, name), 'utf8');
      const at = lineOf(text, "<iommu model='smmuv3'");
      const column = at.text.indexOf("'smmuv3'") + 3;
      await wb.openFile(name);
      await wb.gotoPosition(at.line, column);
      const shown = await wb.hoverAtCursor();
      const md = await hoverMarkdown(text, at.line, column, root);
      assert.ok(md, 'the service has a hover there');
      assert.equal(shown.replace(/\s+/g, ' ').trim(), markdownAsText(md));
      await shot('host-05-hover-smmuv3');
      await wb.closeWidgets();
    },
  },
  {
    session: 'host',
    name: "hovering <memory> says what it is and links to its section of libvirt's domain XML documentation",
    async run({ wb, folder, root, assert, shot, hoverMarkdown, markdownAsText }) {
      const name = 'grace-1gpu.xml';
      const text = readFileSync(path.join(folder, name), 'utf8');
      const at = lineOf(text, '<memory');
      const column = at.text.indexOf('<memory') + 4;
      await wb.openFile(name);
      const md = await hoverMarkdown(text, at.line, column, root);
      assert.ok(md, 'the service has a hover there');
      // The grammar's lines join the hover once the server has loaded it (after the first diagnostics): hover again until then.
      const shown = await wb.until(
        "the hover shows the service's answer, grammar lines included",
        async () => {
          await wb.closeWidgets();
          await wb.gotoPosition(at.line, column);
          return (await wb.hoverAtCursor()).replace(/\s+/g, ' ').trim();
        },
        (t) => t === markdownAsText(md),
      );
      assert.equal(shown, markdownAsText(md));
      const links = await wb.hoverLinks();
      assert.deepEqual(links, [{ text: 'libvirt docs: memory-allocation', href: 'https://libvirt.org/formatdomain.html#memory-allocation' }]);
      await shot('host-05b-hover-memory');
      await wb.closeWidgets();
    },
  },
  {
    session: 'host',
    name: "a <disk> is typed from nothing with completion alone, each step offering what libvirt's grammar allows there",
    async run({ wb, folder, root, assert, shot, cliFindings, cliProblems }) {
      // grace-1gpu.xml without its disk; completion must give the disk back (less its guest
      // address, which libvirt assigns). Only the file path and the device name are typed: they are the person's own.
      const example = readFileSync(path.join(folder, 'grace-1gpu.xml'), 'utf8');
      const diskStart = example.indexOf("    <disk type='file' device='disk'>\n");
      const diskEnd = example.indexOf('    </disk>\n', diskStart) + '    </disk>\n'.length;
      assert.ok(diskStart > 0 && diskEnd > diskStart, 'the example has a disk');
      // Written over the example itself (no later step of this session opens it): Quick Open lists a file
      // created during the session only once its file index catches up.
      const name = 'grace-1gpu.xml';
      const file = path.join(folder, name);
      writeFileSync(file, example.slice(0, diskStart) + example.slice(diskEnd));
      const expected = example.slice(0, diskStart) + example.slice(diskStart, diskEnd).replace(/ *<address [^\n]*\n/, '') + example.slice(diskEnd);
      const imagePath = /<source file='([^']+)'/.exec(example.slice(diskStart, diskEnd))[1];

      await wb.openFile(name);
      await wb.until(
        'the status item names the libvirt grammar',
        () => wb.statusItems(),
        (items) => items.some((t) => /grammar/.test(t)),
      );
      // After the last root port, where the example's disk was: a new line, "<".
      const port = lineOf(readFileSync(file, 'utf8'), "<controller type='pci' index='4'");
      const portEnd = lineOf(readFileSync(file, 'utf8'), '</controller>', port.line);
      await wb.gotoPosition(portEnd.line, 1);
      await wb.press('End');
      await wb.press('Enter');
      await wb.type('<');
      await wb.suggestionsIncluding('devices offered', ['disk']);
      await wb.acceptSuggestion('disk');
      // The element's attributes open at once (the item re-triggers completion), the usual two first.
      const diskAttributes = await wb.suggestionsIncluding('disk attributes offered', ['type', 'device']);
      assert.deepEqual(diskAttributes.slice(0, 2), ['type', 'device']);
      await wb.acceptSuggestion('type');
      const types = await wb.suggestionsIncluding('disk types offered', ['file', 'block', 'network', 'volume']);
      await wb.acceptSuggestion('file');
      await nextAttribute(wb);
      // type is written: only device is left of the two, and it is offered first.
      const rest = await wb.suggestionsIncluding('the rest of the disk attributes', ['device']);
      assert.equal(rest[0], 'device');
      assert.ok(!rest.includes('type'), `type is not offered twice: ${rest}`);
      await wb.acceptSuggestion('device');
      const deviceValues = await wb.suggestionsIncluding('device values offered', ['disk', 'cdrom']);
      await wb.acceptSuggestion('disk');

      // Into the body the snippet left open.
      await wb.press('Escape');
      await wb.press('End');
      await wb.press('ArrowDown');
      await wb.press('End');
      await wb.type('<');
      const children = await wb.suggestionsIncluding('disk children offered', ['driver', 'source', 'target']);
      await wb.acceptSuggestion('driver');
      await wb.suggestionsIncluding('driver attributes offered', ['name', 'type']);
      await wb.acceptSuggestion('name');
      // The grammar takes any text here; libvirt's QEMU driver takes only qemu, and that is what is offered.
      await wb.suggestionsIncluding('driver names offered', ['qemu']);
      await wb.acceptSuggestion('qemu');
      await nextAttribute(wb);
      await wb.suggestionsIncluding('the other driver attributes', ['type']);
      await wb.acceptSuggestion('type');
      const formats = await wb.suggestionsIncluding('image formats offered', ['raw', 'qcow2']);
      await wb.acceptSuggestion('qcow2');

      await newChildLine(wb);
      await wb.suggestionsIncluding('source offered', ['source']);
      await wb.acceptSuggestion('source');
      // type='file' decides what <source> takes: file=, not dev= (block) or network= (network).
      const sourceAttributes = await wb.suggestionsIncluding('source attributes for a file disk', ['file']);
      assert.equal(sourceAttributes[0], 'file');
      assert.ok(!sourceAttributes.includes('dev') && !sourceAttributes.includes('network') && !sourceAttributes.includes('pool'), `source of a file disk: ${sourceAttributes}`);
      await shot('host-05c-complete-disk-source');
      await wb.acceptSuggestion('file');
      await wb.closeWidgets();
      await wb.type(imagePath);

      await newChildLine(wb);
      await wb.suggestionsIncluding('target offered', ['target']);
      await wb.acceptSuggestion('target');
      // <target dev='…'/> with its required dev as a placeholder (the grammar's type name, selected): cleared,
      // the first name no other disk uses is offered there.
      await wb.closeWidgets();
      await wb.press('Backspace');
      await wb.triggerSuggest();
      const names = await wb.suggestionsIncluding('a free disk name offered', ['vda']);
      await wb.acceptSuggestion('vda');
      await nextAttribute(wb);
      await wb.suggestionsIncluding('target attributes', ['bus']);
      await wb.acceptSuggestion('bus');
      const buses = await wb.suggestionsIncluding('buses offered', ['virtio', 'sata', 'scsi']);
      await wb.acceptSuggestion('virtio');
      await wb.closeWidgets();
      await wb.save();

      assert.equal(readFileSync(file, 'utf8'), expected);
      // What the grammar allows at each step, the usual choices among the first.
      assert.ok(
        types[0] === 'file' && deviceValues.includes('cdrom') && children[0] === 'driver' && formats.slice(0, 2).includes('qcow2') && buses[0] === 'virtio' && names[0] === 'vda',
        `offered: ${JSON.stringify({ types, deviceValues, children, formats, buses, names })}`,
      );
      // No error, from the rules nor from libvirt's grammar; the Problems panel agrees with the checker.
      const findings = cliFindings(file, root, { schema: true });
      assert.deepEqual(
        findings.filter((f) => f.severity === 'error' || f.code.startsWith('schema-')).map((f) => f.code),
        [],
      );
      const problems = cliProblems(file, root);
      await wb.showProblems();
      await wb.until(
        'Problems panel matches the checker',
        () => wb.problems(name).then((l) => l.slice().sort(byPosition)),
        (l) => JSON.stringify(l) === JSON.stringify(problems),
      );
      await shot('host-05d-disk-typed');
      await wb.closeAllEditors();
      writeFileSync(file, example);
    },
  },
  {
    session: 'host',
    name: 'Ctrl+. on a host SMMU without expander adds one, and the warnings go',
    async run({ wb, folder, root, assert, shot, cliFindings, cliProblems, textAfterFix }) {
      const name = 'broken-missing-expander.xml';
      const file = path.join(folder, name);
      const before = readFileSync(file, 'utf8');
      const finding = cliFindings(file, root).find((f) => f.code === 'smmu-map-missing-expander');
      assert.ok(finding, 'the example has a host SMMU without expander');
      const title = 'Add a pxb-pcie expander for host SMMU';
      const expected = await textAfterFix(before, root, 'smmu-map-missing-expander', title);
      await wb.openFile(name);
      await wb.gotoPosition(finding.range.start.line + 1, finding.range.start.character + 1);
      const menu = await wb.quickFixMenu();
      assert.ok(menu.includes(expected.title), `quick fixes offered: ${JSON.stringify(menu)}`);
      await shot('host-06-quick-fix-menu');
      await wb.applyQuickFix(expected.title);
      await wb.save();
      assert.equal(readFileSync(file, 'utf8'), expected.text);
      const after = cliProblems(file, root);
      assert.deepEqual(
        after.filter((p) => p.startsWith('smmu-map-')),
        [],
      );
      await wb.showProblems();
      await wb.until(
        'Problems panel after the fix',
        () => wb.problems(name).then((l) => l.sort(byPosition)),
        (l) => JSON.stringify(l) === JSON.stringify(after),
      );
      await shot('host-07-quick-fix-applied');
    },
  },
  {
    session: 'host',
    name: 'the vSMMU Topology view shows each host SMMU with its expander',
    async run({ wb, folder, root, assert, shot, topologyRows }) {
      const name = 'grace-2gpu.xml';
      const expected = await topologyRows(readFileSync(path.join(folder, name), 'utf8'), root);
      assert.ok(
        expected.rows.some((r) => r.level === 1 && /^smmu3\.0x/.test(r.label)),
        'grouped by host SMMU',
      );
      await wb.openFile(name);
      const rows = await showTopology(wb, expected.rows.length);
      assert.deepEqual(rows, expected.rows);
      await shot('host-08-topology-view');
    },
  },

  {
    session: 'host',
    name: 'a domain opened from the Libvirt Domains view is completed, saved into libvirt, and a save libvirt refuses keeps the buffer',
    async run({ wb, libvirtUri, assert, shot, completionLabels }) {
      // The connection is virsh's test driver over test/fixtures/libvirt/test-node.driver (run.mjs's settings).
      const names = virsh(libvirtUri, ['list', '--all', '--name']).split('\n').filter(Boolean);
      assert.ok(names.includes('apple'), `the test driver lists apple: ${names}`);
      await wb.widenSideBar(520);
      await wb.collapseView('vSMMU Topology').catch(() => undefined);
      const pane = await wb.expandView('Libvirt Domains');
      const rows = await wb.until(
        'domains listed',
        () => wb.treeRows(pane),
        (r) => r.length >= names.length + 1,
      );
      assert.deepEqual(rows, [{ label: libvirtUri, description: '', level: 1 }, ...names.map((n) => ({ label: n, description: 'running', level: 2 }))]);
      await shot('host-09-libvirt-domains');

      // Open apple: its XML is what virsh dumpxml --inactive prints; its second expander repeats busNr 200.
      const text = virsh(libvirtUri, ['dumpxml', '--inactive', '--domain', 'apple']);
      const lines = text.split('\n');
      const second = lines.findIndex((l) => l.includes("index='2'"));
      const at = lines.findIndex((l, i) => i > second && l.includes("busNr='200'"));
      await pane
        .locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: /^apple$/ }) })
        .first()
        .click();
      await wb.page.locator('.tabs-container .tab.active', { hasText: 'apple.domain.xml' }).waitFor({ timeout: wb.timeoutMs });
      await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').waitFor({ timeout: wb.timeoutMs });
      // The language server checks it as a file: the repeated busNr is in the Problems panel.
      await wb.showProblems();
      // (Its Problems group reads "apple.domain.xml /": a libvirt: document has no folder, so rows are read whole.)
      await wb.until(
        'the domain is checked',
        () => wb.page.locator('.markers-panel .monaco-list-row').allInnerTexts(),
        (rows) => rows.some((r) => r.includes('controller-busnr-duplicate') && r.includes(`Ln ${at + 1},`)),
      );
      await shot('host-09a-libvirt-domain-open');

      // The second expander repeats busNr 200: empty the value and take the bus number completion offers.
      const column = lines[at].indexOf("busNr='200'") + "busNr='".length + 1;
      await wb.gotoPosition(at + 1, column);
      for (let i = 0; i < 3; i++) await wb.press('Shift+ArrowRight');
      await wb.press('Delete');
      await wb.triggerSuggest();
      const labels = await wb.suggestions();
      const emptied = lines.map((l, i) => (i === at ? l.replace("busNr='200'", "busNr=''") : l)).join('\n');
      const expected = await completionLabels(emptied, at + 1, column, undefined);
      assert.ok(expected.length > 0, 'the service offers a free bus number');
      assert.deepEqual(labels, expected.slice(0, labels.length));
      await wb.press('Enter');
      const chosen = expected[0];
      await wb.until(
        'completion applied',
        () => wb.page.locator('.editor-group-container.active .view-lines').innerText(),
        (t) => t.includes(`busNr='${chosen}'`),
      );
      // Saving defines the domain (virsh define --validate); libvirt accepts it, so the tab is clean.
      await wb.save();
      await shot('host-09b-libvirt-saved');

      // A bus number libvirt refuses: the save fails with libvirt's words, the buffer keeps the edit.
      await wb.gotoPosition(at + 1, column);
      for (let i = 0; i < chosen.length; i++) await wb.press('Shift+ArrowRight');
      await wb.type('255');
      await wb.press('Control+S');
      const toasts = await wb.until(
        'refusal shown',
        () => wb.notificationToasts(),
        (t) => t.some((m) => /libvirt refused the domain/.test(m)),
      );
      const refusal = toasts.find((m) => /libvirt refused the domain/.test(m));
      assert.match(refusal, /busNr '255' out of range/);
      assert.equal(await wb.page.locator('.tabs-container .tab.active.dirty').count(), 1, 'the buffer stays dirty');
      assert.ok((await wb.page.locator('.editor-group-container.active .view-lines').innerText()).includes("busNr='255'"), 'the edit is kept');
      await shot('host-10-libvirt-refused');
    },
  },
  {
    session: 'host',
    name: 'when the language server is killed, the user is told and the diagnostics come back',
    async run({ wb, folder, root, assert, shot, cliProblems, languageServerPids }) {
      // An example no earlier step has changed.
      const name = 'broken-mixed-smmus.xml';
      const file = path.join(folder, name);
      const before = cliProblems(file, root);
      assert.ok(before.length > 0, 'the example has findings');
      await wb.openFile(name);
      await wb.showProblems();
      await wb.until(
        'Problems panel matches the checker',
        () => wb.problems(name).then((l) => l.sort(byPosition)),
        (l) => JSON.stringify(l) === JSON.stringify(before),
      );
      // The server of this code-server only: its extensions directory, its process group.
      const pids = languageServerPids();
      assert.equal(pids.length, 1, `one language server for this session: ${JSON.stringify(pids)}`);
      process.kill(pids[0], 'SIGKILL');
      const message = 'The libvirt domain XML server stopped; restarting it (1/3).';
      await wb.until(
        'restart notification',
        () => wb.notificationToasts(),
        (l) => l.includes(message),
      );
      const restarted = await wb.until(
        'a new language server',
        async () => languageServerPids(),
        (l) => l.length === 1 && l[0] !== pids[0],
      );
      assert.notEqual(restarted[0], pids[0]);
      // Edit the file so that only a live server can get the Problems right: one more
      // line at the top (the examples start with a comment) moves every finding down.
      await wb.gotoPosition(1, 1);
      await wb.press('Enter');
      await wb.save();
      const after = cliProblems(file, root);
      assert.equal(after.length, before.length);
      assert.notDeepEqual(after, before);
      await wb.until(
        'Problems panel after the restart',
        () => wb.problems(name).then((l) => l.sort(byPosition)),
        (l) => JSON.stringify(l) === JSON.stringify(after),
      );
      // The toast may have timed out by now; the picture shows it when it is still there.
      await shot('restart');
    },
  },

  // ---------------------------------------------------------------- no host topology
  {
    session: 'no-host',
    name: 'without SMMUv3 on the host the status item says so',
    async run({ wb, root, host, assert, shot }) {
      // The extension starts with the first XML file opened.
      await wb.openFile('grace-1gpu.xml');
      const items = await wb.until(
        'host status item',
        () => wb.statusItems(),
        (l) => l.some((t) => /host SMMU|SMMUv3 on this host/.test(t)),
      );
      assert.ok(items.includes('no SMMUv3 on this host · sysfs'), `status bar: ${JSON.stringify(items)}`);
      const tooltip = await wb.statusItemTooltip('no SMMUv3 on this host');
      const devices = HOSTS[host].devices.length;
      assert.ok(tooltip.startsWith(`Host topology from sysfs at ${root}: 0 IOMMUs, ${devices} PCI devices.`), `tooltip: ${tooltip}`);
      await shot('no-host-00-status');
      await wb.parkMouse();
    },
  },
  {
    session: 'no-host',
    name: 'without a host the Problems panel says once why host checks are off',
    async run({ wb, folder, root, assert, shot, cliProblems }) {
      const name = 'grace-1gpu.xml';
      const expected = cliProblems(path.join(folder, name), root);
      assert.deepEqual(
        expected.map((p) => p.split(' @ ')[0]),
        ['smmu-map-no-host'],
      );
      await wb.openFile(name);
      await wb.showProblems();
      await wb.until(
        'Problems panel matches the checker',
        () => wb.problems(name).then((l) => l.sort(byPosition)),
        (l) => JSON.stringify(l) === JSON.stringify(expected),
      );
      await shot('no-host-01-problems');
    },
  },
  {
    session: 'no-host',
    name: 'without a host the vSMMU Topology view groups by expander and says why',
    async run({ wb, folder, root, assert, shot, topologyRows }) {
      const name = 'grace-2gpu.xml';
      const expected = await topologyRows(readFileSync(path.join(folder, name), 'utf8'), root);
      assert.ok(expected.message && /No SMMUv3 on this host/.test(expected.message), `the view explains: ${expected.message}`);
      await wb.openFile(name);
      const rows = await showTopology(wb, expected.rows.length);
      assert.deepEqual(rows, expected.rows);
      assert.equal(await wb.viewMessage('vSMMU Topology'), expected.message);
      await shot('no-host-02-topology-view');
    },
  },
];

/**
 * Collapses the folder tree to give the side bar to the vSMMU Topology view,
 * expands that view and waits for its rows (as many as the oracle expects).
 */
async function showTopology(wb, count) {
  await wb.widenSideBar(520);
  await wb.collapseView('examples');
  const pane = await wb.expandView('vSMMU Topology');
  return wb.until(
    'topology rows',
    () => wb.treeRows(pane),
    (r) => r.length >= count,
  );
}

/** Leaves the attribute value just completed (past its closing quote) and asks for the next attribute name. */
async function nextAttribute(wb) {
  await wb.closeWidgets();
  await wb.press('ArrowRight');
  await wb.type(' ');
  await wb.triggerSuggest();
}

/** A new line after the current one (the editor keeps its indentation), and "<" on it. */
async function newChildLine(wb) {
  await wb.closeWidgets();
  await wb.press('End');
  await wb.press('Enter');
  await wb.type('<');
}

/** What virsh prints for these arguments on the connection; throws with its message when it fails. */
function virsh(uri, args) {
  const r = spawnSync('virsh', ['--connect', uri, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** The text with `line` inserted before 1-based line `before`. */
function insertLine(text, before, line) {
  const lines = text.split('\n');
  lines.splice(before - 1, 0, line);
  return lines.join('\n');
}
