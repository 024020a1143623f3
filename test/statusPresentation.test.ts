/**
 * The host status item's text and tooltip (client/src/statusPresentation.ts):
 * the host part first, the grammar after it once read, and in the tooltip
 * how documents are validated once the server knows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusPresentation } from '../client/src/statusPresentation';
import type { GrammarStatus, HostStatus } from '../client/src/protocol';

const host: HostStatus = { text: '3 host SMMUs · sysfs', detail: 'Read from /sys.', kind: 'sysfs', smmuCount: 3 };
const grammar: GrammarStatus = { text: 'libvirt 12.8.0 grammar', detail: 'Grammar: libvirt 12.8.0, shipped with the extension (/ext/libvirt-schemas).' };

test('host alone, then with the grammar, then with how documents are validated', () => {
  assert.deepEqual(statusPresentation(host), {
    text: '$(circuit-board) 3 host SMMUs · sysfs',
    tooltip: 'Read from /sys.\n\nClick to refresh or pick a snapshot.',
  });
  assert.deepEqual(statusPresentation(host, grammar), {
    text: '$(circuit-board) 3 host SMMUs · sysfs · libvirt 12.8.0 grammar',
    tooltip: `Read from /sys.\n\n${grammar.detail}\n\nClick to refresh or pick a snapshot.`,
  });
  const validation = 'Schema validation: xmllint (libxml2 could not be loaded in the language server: no WebAssembly here).';
  assert.deepEqual(statusPresentation(host, { ...grammar, validation }), {
    text: '$(circuit-board) 3 host SMMUs · sysfs · libvirt 12.8.0 grammar',
    tooltip: `Read from /sys.\n\n${grammar.detail}\n${validation}\n\nClick to refresh or pick a snapshot.`,
  });
});

test('icons: a host read that failed warns; a host without SMMUs is a plain server', () => {
  assert.match(statusPresentation({ ...host, kind: 'error', smmuCount: 0 }).text, /^\$\(warning\) /);
  assert.match(statusPresentation({ ...host, kind: 'none', smmuCount: 0 }).text, /^\$\(server\) /);
});
