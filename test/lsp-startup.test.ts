/**
 * Start-up over LSP: the first diagnostics and the first requests wait for
 * the host the settings name (within a bound), so a client that asks right
 * after opening gets the host's picture, and "no host" is never said while
 * the host is being read. The snapshot is a named pipe, so the test decides
 * when the host read ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CompletionRequest, DidChangeConfigurationNotification, type CompletionList } from 'vscode-languageserver-protocol/node';
import { startClient } from './lspClient';
import { armDomain } from './helpers';
import { GRAMMAR_STATUS_NOTIFICATION, type GrammarStatus, type HostStatus } from '../server/src/protocol';

const SNAPSHOT = readFileSync(path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json'), 'utf8');
const dir = mkdtempSync(path.join(os.tmpdir(), 'ldx-startup-'));

/** Both GPUs below one accelerated expander: smmu-map-mixed, once the host says they are behind different SMMUs. */
export const MIXED = armDomain(`    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <model name='pxb-pcie'/>
      <target busNr='252'><node>0</node></target>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </controller>
    <controller type='pci' index='2' model='pcie-root-port'>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </controller>
    <controller type='pci' index='3' model='pcie-root-port'>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x01' function='0x0'/>
    </controller>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio' iommufd='yes'/>
      <source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source>
      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio' iommufd='yes'/>
      <source><address domain='0x0019' bus='0x01' slot='0x00' function='0x0'/></source>
      <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>
    </hostdev>
    <iommu model='smmuv3'>
      <driver pciBus='1' accel='on'/>
    </iommu>`);

/** Completion at the second GPU's source address: the host's PCI devices. */
function sourceAddressPosition(text: string): { line: number; character: number } {
  const offset = text.indexOf("domain='0x0019'");
  const before = text.slice(0, offset);
  return { line: before.split('\n').length - 1, character: offset - before.lastIndexOf('\n') - 1 };
}

/** A snapshot path whose read blocks until `deliver()` writes the snapshot into it. */
function slowSnapshot(name: string): { file: string; deliver: () => Promise<void> } {
  const file = path.join(dir, `${name}.json`);
  execFileSync('mkfifo', [file]);
  return { file, deliver: () => writeFile(file, SNAPSHOT) };
}

const codesOf = (p: { diagnostics: { code?: string | number }[] }) => p.diagnostics.map((d) => String(d.code)).filter((c) => c.startsWith('smmu-map-'));

test('LSP: a document opened and asked about at once is answered against the host, after it is read', { timeout: 30_000 }, async () => {
  const host = slowSnapshot('slow');
  const client = await startClient({ initializationOptions: { host: { snapshot: host.file }, libvirtVersion: '12.8.0', schema: { enable: false } } });
  try {
    const uri = 'file:///domains/mixed.domain.xml';
    await client.open(uri, MIXED, 1);
    const completion = client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: sourceAddressPosition(MIXED) });
    // The host arrives a moment later, well within the bound.
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(
      client.published.filter((p) => p.uri === uri),
      [],
      'nothing is published while the host is read',
    );
    await host.deliver();
    const first = await client.diagnostics(uri, 1);
    assert.deepEqual(codesOf(first), ['smmu-map-mixed']);
    const items = ((await completion) as CompletionList).items.map((i) => i.label);
    assert.ok(
      items.some((l) => l.startsWith('0019:01:00.0') && l.endsWith('smmu3.0x0000000036000000')),
      JSON.stringify(items),
    );
    // Every publication for the document, first to last, had the host's picture.
    assert.deepEqual(
      client.published
        .filter((p) => p.uri === uri)
        .map(codesOf)
        .filter((c) => c.join() !== 'smmu-map-mixed'),
      [],
    );
  } finally {
    await client.stop();
  }
});

test('LSP: a host read past the bound: checked without it after 2 s, saying so, never "no host"; the host checks follow when it arrives', { timeout: 30_000 }, async () => {
  const host = slowSnapshot('slower');
  const client = await startClient({ initializationOptions: { host: { snapshot: host.file }, libvirtVersion: '12.8.0', schema: { enable: false } } });
  try {
    const uri = 'file:///domains/mixed.domain.xml';
    const opened = Date.now();
    await client.open(uri, MIXED, 1);
    const first = await client.diagnostics(uri, 1);
    const waited = Date.now() - opened;
    assert.ok(waited >= 1800 && waited < 4000, `first diagnostics after ${waited} ms`);
    assert.deepEqual(codesOf(first), [], 'neither the host checks nor "no host" while the host is read');
    const log = await client.notification<{ message: string }>('window/logMessage', (m) => /host topology/.test(m.message));
    assert.match(log.message, /The host topology is not read after 2 s: checking without it until it arrives\./);
    const status = await client.notification<HostStatus>('libvirtDomainXml/hostStatus', (s) => s.text === 'host: reading…');
    assert.equal(status.kind, 'none');
    await host.deliver();
    const after = await client.diagnostics(uri, 1, (p) => codesOf(p).length > 0);
    assert.deepEqual(codesOf(after), ['smmu-map-mixed']);
    assert.deepEqual(
      client.published
        .filter((p) => p.uri === uri)
        .flatMap(codesOf)
        .filter((c) => c === 'smmu-map-no-host'),
      [],
    );
  } finally {
    await client.stop();
  }
});

test("LSP: after a domain's first diagnostics the grammar's status names it, then says how documents are validated against it", { timeout: 30_000 }, async () => {
  for (const [schema, validation] of [
    [{}, /^Schema validation: libxml2 in the language server \((xmllint|xmllint-wasm) for documents over 256 KB\)\.$/],
    [{ enable: false }, /^Schema validation is switched off \(libvirtDomainXml\.schema\.enable\)\.$/],
  ] as const) {
    const client = await startClient({ initializationOptions: { libvirtVersion: '12.8.0', schema } });
    try {
      const uri = 'file:///domains/status.xml';
      await client.open(uri, "<domain type='kvm'><name>a</name></domain>", 1);
      await client.diagnostics(uri, 1);
      const last = await client.notification<GrammarStatus>(GRAMMAR_STATUS_NOTIFICATION, (g) => g.validation !== undefined);
      const statuses = client.notifications.filter((n) => n.method === GRAMMAR_STATUS_NOTIFICATION).map((n) => n.params as GrammarStatus);
      // The grammar first, as soon as it is read; the same again with the validation once the engine knows.
      assert.deepEqual(statuses, [{ text: last.text, detail: last.detail }, last]);
      assert.match(last.text, /^libvirt 12\.8\.0 grammar$/);
      assert.match(last.validation ?? '', validation);
      if (schema.enable === false) {
        // Switched on again: the same grammar, told again with its validation.
        await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { libvirtDomainXml: { libvirtVersion: '12.8.0' } } });
        const on = await client.notification<GrammarStatus>(GRAMMAR_STATUS_NOTIFICATION, (g) => /libxml2 in the language server/.test(g.validation ?? ''));
        assert.equal(on.detail, last.detail);
      }
    } finally {
      await client.stop();
    }
  }
});
