/**
 * The real server over stdio: initialize, open, change, diagnostics, requests, shutdown.
 * Needs `dist/server.js` (npm test builds it first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HoverRequest, DocumentSymbolRequest } from 'vscode-languageserver-protocol/node';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startClient } from './lspClient';

const BROKEN = `<domain type='kvm'>
  <devices>
    <hostdev mode='subsystem' type='pci'>
  </devices>
</domain>
`;
const FIXED = BROKEN.replace("type='pci'>", "type='pci'/>");

test('LSP: diagnostics arrive for a broken domain, update on change, and the server shuts down cleanly', async () => {
  const client = await startClient();
  try {
    assert.equal(client.initializeResult.serverInfo?.name, 'libvirt-domain-xml');
    assert.equal(client.initializeResult.capabilities.hoverProvider, true);
    const uri = 'file:///domains/broken.xml';
    await client.open(uri, BROKEN, 1);
    const first = await client.diagnostics(uri, 1, (p) => p.diagnostics.length > 0);
    assert.deepEqual(
      first.diagnostics.filter((d) => String(d.code).startsWith('xml-')).map((d) => [d.code, d.range.start.line, d.range.start.character, d.source]),
      [['xml-unclosed-element', 2, 5, 'libvirt-domain-xml']],
    );
    await client.change(uri, 2, FIXED);
    const second = await client.diagnostics(uri, 2);
    assert.deepEqual(
      second.diagnostics.filter((d) => String(d.code).startsWith('xml-')),
      [],
    );
    // Requests are answered on the open document (whatever the features return, they must not fail).
    const symbols = await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } });
    assert.ok(Array.isArray(symbols));
    const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 2 } });
    assert.ok(hover === null || typeof hover === 'object');
  } finally {
    assert.equal(await client.stop(), 0);
  }
});

test('LSP: an XML file whose root is not <domain> gets no diagnostics', async () => {
  const client = await startClient();
  try {
    const uri = 'file:///domains/pom.xml';
    await client.open(uri, '<project><unclosed></project>', 1, 'xml');
    const p = await client.diagnostics(uri, 1);
    assert.deepEqual(p.diagnostics, []);
  } finally {
    await client.stop();
  }
});

test('LSP: a root that is almost <domain> gets a warning in a libvirt-xml or *.domain.xml file only; a byte order mark is no text', async () => {
  const client = await startClient();
  try {
    const cases: [string, string, string, string[]][] = [
      ['file:///domains/vm.domain.xml', 'xml', "<Domain type='kvm'/>", ['0:1-0:7 warning xml-root-not-domain']],
      ['untitled:Untitled-1', 'libvirt-xml', "<domian type='kvm'/>", ['0:1-0:7 warning xml-root-not-domain']],
      // Somebody else's XML stays silent, near miss or not; so does a libvirt-xml file with another root.
      ['file:///domains/Domain.xml', 'xml', "<Domain type='kvm'/>", []],
      ['file:///domains/net.domain.xml', 'libvirt-xml', '<network/>', []],
      // A client that keeps the byte order mark in the text: it is not text outside the root.
      ['file:///domains/bom.domain.xml', 'libvirt-xml', "\ufeff<domain type='kvm'><name>x</name></domain>", []],
    ];
    for (const [uri, languageId, text, expected] of cases) {
      await client.open(uri, text, 1, languageId);
      const p = await client.diagnostics(uri, 1);
      const shown = p.diagnostics.map(
        (d) =>
          `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${['', 'error', 'warning', 'information', 'hint'][d.severity ?? 0]} ${d.code}`,
      );
      assert.deepEqual(shown, expected, uri);
    }
  } finally {
    await client.stop();
  }
});

test('LSP: rapid changes publish diagnostics for the latest version only', async () => {
  const client = await startClient();
  try {
    const uri = 'file:///domains/typing.xml';
    await client.open(uri, FIXED, 1);
    await client.diagnostics(uri, 1);
    for (let v = 2; v <= 30; v++) await client.change(uri, v, v % 2 ? FIXED : BROKEN);
    const last = await client.diagnostics(uri, 30);
    assert.equal(last.version, 30);
    // Superseded versions were never analysed and published after the change storm began.
    const versions = client.published.filter((p) => p.uri === uri).map((p) => p.version);
    assert.ok(versions.length < 10, `expected debounced publishing, got versions ${versions.join(',')}`);
  } finally {
    await client.stop();
  }
});

test('LSP: above the size limit, typing pauses live analysis with a clear message and saving runs it', async () => {
  const client = await startClient({ initializationOptions: { maxLiveAnalysisSizeMB: 0.00001 } });
  try {
    const uri = 'file:///domains/huge.xml';
    await client.open(uri, BROKEN, 1);
    const opened = await client.diagnostics(uri, 1);
    assert.ok(
      opened.diagnostics.some((d) => d.code === 'xml-unclosed-element'),
      'analysed on open',
    );
    await client.change(uri, 2, BROKEN + ' ');
    const typing = await client.diagnostics(uri, 2);
    assert.deepEqual(
      typing.diagnostics.map((d) => d.code),
      ['live-analysis-paused'],
    );
    assert.match(String(typing.diagnostics[0].message), /^Live analysis is paused for this 0\.0 MB file \(limit 0\.0 MB, setting libvirtDomainXml\.maxLiveAnalysisSizeMB\)/);
    const before = client.published.length;
    await client.save(uri);
    const saved = await client.diagnostics(uri, 2, (p) => client.published.indexOf(p) >= before);
    assert.ok(
      saved.diagnostics.some((d) => d.code === 'xml-unclosed-element'),
      'analysed on save',
    );
  } finally {
    await client.stop();
  }
});

test('LSP: the schema verdict follows our own diagnostics for the same version', async (t) => {
  if (!existsSync('/usr/share/libvirt/schemas/domain.rng')) {
    t.skip('libvirt schemas not found in /usr/share/libvirt/schemas: run scripts/install-test-deps.sh');
    return;
  }
  const client = await startClient({ initializationOptions: { host: { snapshot: path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json') } } });
  try {
    const uri = 'file:///domains/typo.xml';
    const text = readFileSync(path.join(__dirname, 'fixtures', 'schema', 'invalid-disk-type-typo.xml'), 'utf8');
    await client.open(uri, text, 1);
    const withSchema = await client.diagnostics(uri, 1, (p) => p.diagnostics.some((d) => d.code === 'schema-invalid'));
    const d = withSchema.diagnostics.find((x) => x.code === 'schema-invalid')!;
    const line = text.split('\n')[d.range.start.line];
    assert.equal(line.slice(d.range.start.character, d.range.end.character), 'flie');
    assert.match(String(d.message), /'flie'.*file, block, dir/);
  } finally {
    await client.stop();
  }
});
