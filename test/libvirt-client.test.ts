/**
 * The editor side of libvirt that runs without VS Code: where a domain lives
 * as a document (libvirt: URIs), which connections the view lists (decided
 * by the server, server/src/libvirt/settings.ts), and the manifest entries of
 * the Libvirt Domains view. The requests themselves: test/lsp-libvirt.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { domainOf, domainUriParts, LIBVIRT_SCHEME } from '../client/src/libvirt/domainUri';
import { connectionsFrom, timeoutMsFrom, DEFAULT_CONNECTION } from '../server/src/libvirt/settings';
import { COMMANDS, DOMAINS_VIEW_ID } from '../client/src/contributions';
import { isCandidateDocument } from '../client/src/documents';
import { domainName } from '../server/src/libvirt/domainXml';

test('libvirt: URIs: the name as a .domain.xml path, the connection as the query, and back', () => {
  const ref = { connection: 'qemu+ssh://root@grace7/system?keyfile=/k&no_verify=1', name: 'gpu vm "1" é' };
  const parts = domainUriParts(ref);
  assert.deepEqual(parts, { scheme: 'libvirt', path: '/gpu vm "1" é.domain.xml', query: 'qemu+ssh://root@grace7/system?keyfile=/k&no_verify=1' });
  assert.deepEqual(domainOf(parts), ref);
  assert.equal(domainOf({ scheme: 'file', path: '/x.domain.xml', query: 'qemu:///system' }), undefined);
  assert.equal(domainOf({ scheme: LIBVIRT_SCHEME, path: '/x.domain.xml', query: '' }), undefined);
  assert.equal(domainOf({ scheme: LIBVIRT_SCHEME, path: '/a/b.domain.xml', query: 'qemu:///system' }), undefined);
});

test('libvirt: documents are analysed like files, whatever language they got', () => {
  const uri = { scheme: 'libvirt' } as never;
  assert.equal(isCandidateDocument({ languageId: 'xml', uri }), true);
  assert.equal(isCandidateDocument({ languageId: 'libvirt-xml', uri }), true);
});

test('connections: unset means qemu:///system where virsh is installed, none elsewhere (with the reason)', () => {
  assert.deepEqual(connectionsFrom(undefined, true), { connections: [DEFAULT_CONNECTION] });
  assert.deepEqual(connectionsFrom(null, false), { connections: [], note: 'virsh was not found on this machine, so no libvirt connection is shown by default.' });
  assert.deepEqual(connectionsFrom([], true), { connections: [] });
  assert.deepEqual(connectionsFrom([' qemu:///system ', 'qemu:///system', 'qemu+ssh://grace/system'], false), { connections: ['qemu:///system', 'qemu+ssh://grace/system'] });
  assert.deepEqual(connectionsFrom(['qemu:///system', 3, ''], true), {
    connections: ['qemu:///system'],
    note: 'entries of libvirtDomainXml.libvirt.connections that are not URIs were left out.',
  });
  assert.deepEqual(connectionsFrom('qemu:///system', true), { connections: [], note: 'libvirtDomainXml.libvirt.connections must be a list of libvirt URIs.' });
});

test('timeout setting: seconds to milliseconds, 10 s when unusable', () => {
  assert.deepEqual([timeoutMsFrom(2.5), timeoutMsFrom(undefined), timeoutMsFrom(-1), timeoutMsFrom('5')], [2500, 10_000, 10_000, 10_000]);
});

test('domain name in the XML: what a save is checked against', () => {
  assert.equal(domainName("<domain type='kvm'>\n  <name> gpu vm &quot;1&quot; </name>\n</domain>"), 'gpu vm "1"');
  assert.equal(domainName("<domain type='kvm'/>"), undefined);
  assert.equal(domainName('<network><name>default</name></network>'), undefined);
});

test('manifest: the Libvirt Domains view, its commands and machine-scoped settings', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  const c = pkg.contributes;
  assert.ok(c.views.explorer.some((v: { id: string; name: string }) => v.id === DOMAINS_VIEW_ID && v.name === 'Libvirt Domains'));
  const titles = new Map((c.commands as { command: string; title: string }[]).map((x) => [x.command, x.title]));
  assert.deepEqual(
    [COMMANDS.showNative, COMMANDS.checkConnection, COMMANDS.refreshDomains].map((id) => titles.get(id)),
    ['Show QEMU command line', 'Check all domains on this connection', 'Refresh'],
  );
  const props = c.configuration.properties;
  assert.deepEqual([props['libvirtDomainXml.libvirt.connections'].scope, props['libvirtDomainXml.libvirt.connections'].default], ['machine', null]);
  assert.deepEqual([props['libvirtDomainXml.libvirt.timeoutSeconds'].default], [10]);
  assert.ok(pkg.activationEvents.includes('onFileSystem:libvirt'));
});
