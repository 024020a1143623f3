/**
 * The extension manifest and grammar: what VS Code reads before any of our
 * code runs. Safety settings are checked here because a wrong scope would
 * let a cloned repository's .vscode/settings.json point the server at files
 * of its choosing.
 */
import { parseRulesDoc } from '../server/src/cli/rulesDoc';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { FIXABLE_CODES } from '../server/src/features/codeActions';

const root = path.join(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const props = pkg.contributes.configuration.properties as Record<string, { scope?: string; default?: unknown; description?: string }>;

test('manifest: identity, workspace extension kind, activation on XML, the CLI bin', () => {
  assert.deepEqual(
    [pkg.name, pkg.displayName, pkg.extensionKind, pkg.activationEvents.includes('onLanguage:xml'), pkg.bin['libvirt-domain-xml'], pkg.main],
    ['libvirt-domain-xml', 'Libvirt Domain XML', ['workspace'], true, './dist/cli.js', './dist/extension.js'],
  );
});

test('manifest: settings that point at files on this machine are machine-scoped and restricted in untrusted workspaces', () => {
  const fileSettings = ['libvirtDomainXml.host.sysfsRoot', 'libvirtDomainXml.host.snapshot', 'libvirtDomainXml.schema.directory'];
  assert.deepEqual(
    fileSettings.map((k) => props[k]?.scope),
    ['machine', 'machine', 'machine'],
  );
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.deepEqual([...pkg.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(), [...fileSettings].sort());
  // No setting names a program to run.
  assert.deepEqual(
    Object.keys(props).filter((k) => /path|program|command|executable|virsh|xmllint/i.test(k)),
    [],
  );
});

test('manifest: every setting has a description and a default', () => {
  const missing = Object.entries(props)
    .filter(([, v]) => !v.description || v.default === undefined)
    .map(([k]) => k);
  assert.deepEqual(missing, []);
});

test('language: libvirt-xml for *.domain.xml and files whose first line opens <domain', () => {
  const lang = pkg.contributes.languages.find((l: { id: string }) => l.id === 'libvirt-xml');
  assert.deepEqual(lang.filenamePatterns, ['*.domain.xml']);
  const firstLine = new RegExp(lang.firstLine);
  assert.deepEqual(
    ["<domain type='kvm'>", "<?xml version='1.0'?><domain type='kvm'>", '<domain>', '<domainsnapshot>', '<project>'].map((l) => firstLine.test(l)),
    [true, true, true, false, false],
  );
  assert.ok(existsSync(path.join(root, lang.configuration)));
});

test('grammar: builds on XML and scopes host SMMU names and PCI addresses', () => {
  const grammars = pkg.contributes.grammars as { scopeName: string; path: string; injectTo?: string[] }[];
  const base = JSON.parse(readFileSync(path.join(root, grammars.find((g) => g.scopeName === 'text.xml.libvirt')!.path), 'utf8'));
  assert.deepEqual(base.patterns, [{ include: 'text.xml' }]);
  const inj = grammars.find((g) => g.injectTo?.includes('text.xml.libvirt'))!;
  const injection = JSON.parse(readFileSync(path.join(root, inj.path), 'utf8')) as { patterns: { name: string; match: string }[] };
  const scopesOf = (text: string) => injection.patterns.filter((p) => new RegExp(p.match).test(text)).map((p) => p.name);
  assert.deepEqual(scopesOf('<nestedSmmuv3>smmu3.0x0000000016000000</nestedSmmuv3>'), ['constant.other.smmu-name.libvirt']);
  assert.deepEqual(scopesOf('<!-- host 0009:01:00.0 -->'), ['constant.other.pci-address.libvirt']);
  assert.deepEqual(scopesOf("<address bus='0x01'/>"), []);
  assert.deepEqual(scopesOf('smmu3.0x16000000'), []);
});

test('every error and warning of the iommu, controllers and smmu-map families has a quick fix or a reason in docs/rules.md', () => {
  const doc = readFileSync(path.join(root, 'docs', 'rules.md'), 'utf8');
  const why = doc.slice(doc.indexOf('### Codes without a quick fix'));
  const open = parseRulesDoc(doc)
    .filter((r) => ['iommu', 'controllers', 'smmu-map'].includes(r.family) && r.severity !== 'information' && r.severity !== 'hint')
    .map((r) => r.id)
    .filter((id) => !(FIXABLE_CODES as readonly string[]).includes(id) && !why.includes('`' + id + '`'));
  assert.deepEqual(open, []);
});

test('docs/rules.md lists every code that has a quick fix under "Quick fixes"', () => {
  const doc = readFileSync(path.join(root, 'docs', 'rules.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Quick fixes'));
  assert.ok(section.startsWith('## Quick fixes'));
  assert.deepEqual(
    FIXABLE_CODES.filter((c) => !section.includes('`' + c + '`')),
    [],
  );
});
