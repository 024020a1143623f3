/**
 * No false alarms: every registered rule family over ordinary domains must
 * raise no error and no warning. Three sets:
 *  - test/corpus/*.xml, written for this project (x86 Q35 and i440fx, ARM
 *    virt with and without IOMMUs, s390x, ppc64, LXC, many devices, controllers
 *    without indexes…), checked without a host topology;
 *  - the clean bundled examples, checked against their host snapshot;
 *  - when present beside the repository, the peer corpus of virt-install
 *    output (../shared/corpus/virt-install), never copied into the repository:
 *    no errors allowed there, warnings only counted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findingList, loadHost } from './helpers';
import type { Finding } from '../server/src/rules/types';

const repoRoot = path.join(__dirname, '..');
const CORPUS = path.join(__dirname, 'corpus');
const PEER = path.join(repoRoot, '..', 'shared', 'corpus', 'virt-install');
const CLEAN_EXAMPLES = ['grace-1gpu.xml', 'grace-2gpu.xml'];

/**
 * Files where smmu-map-no-host is expected without a host: an ARM guest with
 * a PCI hostdev. A vSMMU without assigned devices depends on no host (the
 * smmuv3 files here have none), so it gets nothing.
 */
const NO_HOST_INFO = new Set(['aarch64-hostdev-nvme.xml']);

const xmlFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .sort();
const show = (text: string, fs: Finding[]): string[] => fs.map((f) => `${f.severity} ${f.code} @ ${text.slice(f.start, f.end)}`);
const serious = (f: Finding): boolean => f.severity === 'error' || f.severity === 'warning';

describe('no false alarms', () => {
  const corpus = xmlFiles(CORPUS);

  test('the corpus is varied enough to mean something', () => {
    assert.ok(corpus.length >= 12, `only ${corpus.length} corpus files`);
  });

  for (const f of corpus) {
    test(`corpus/${f}: no errors or warnings`, () => {
      const text = readFileSync(path.join(CORPUS, f), 'utf8');
      const fs = findingList(text);
      assert.deepEqual(show(text, fs.filter(serious)), []);
      assert.deepEqual(
        show(
          text,
          fs.filter((x) => x.code === 'smmu-map-no-host'),
        ),
        NO_HOST_INFO.has(f) ? ['information smmu-map-no-host @ devices'] : [],
      );
    });
  }

  const host = loadHost('grace-3smmu');
  for (const f of CLEAN_EXAMPLES) {
    test(`examples/${f}: no findings at all against its host`, () => {
      const text = readFileSync(path.join(repoRoot, 'examples', f), 'utf8');
      assert.deepEqual(show(text, findingList(text, { host })), []);
    });
  }

  /**
   * Peer-corpus documents libvirt 12.8 itself refuses (its first error, seen
   * with `virsh domxml-to-native` against the referee): virt-install's
   * kitchen-sink tests. An error on them is right; they must get one.
   */
  const REFUSED_BY_LIBVIRT: Readonly<Record<string, string>> = {
    'virt-install-many-devices.xml': "The PCI controller with index='0' must be model='pcie-root' for this machine type, but model='pcie-root-port' was found instead",
    'virt-install-mdev-devices.xml': 'Invalid PCI address 0000:01:01.0. slot must be <= 0',
    'virt-install-aarch64-cdrom-phase1.xml': 'ACPI requires UEFI on this architecture',
    'virt-install-aarch64-cdrom-phase2.xml': 'ACPI requires UEFI on this architecture',
    'virt-install-aarch64-machdefault.xml': 'ACPI requires UEFI on this architecture',
    'virt-install-aarch64-machvirt.xml': 'ACPI requires UEFI on this architecture',
    'virt-install-hyperv_enable_tlbflush_direct_and_extended.xml': "'tlbflush' hyperv feature requires 'vpindex' feature",
    'virt-install-singleton-config-1.xml': 'UEFI requires ACPI on this architecture',
    'virt-install-storage-creation.xml': 'IDE controllers are unsupported for this QEMU binary or machine type',
  };

  test('peer corpus ../shared/corpus/virt-install: no errors', (t) => {
    if (!existsSync(PEER)) {
      t.skip('peer corpus ../shared/corpus/virt-install not present');
      return;
    }
    const files = xmlFiles(PEER);
    const errors: string[] = [];
    const warnings = new Map<string, number>();
    for (const f of files) {
      const text = readFileSync(path.join(PEER, f), 'utf8');
      const found = findingList(text);
      if (Object.prototype.hasOwnProperty.call(REFUSED_BY_LIBVIRT, f)) {
        if (!found.some((x) => x.severity === 'error')) errors.push(`${f}: libvirt refuses it ("${REFUSED_BY_LIBVIRT[f]}") but no error was reported`);
        continue;
      }
      for (const x of found) {
        if (x.severity === 'error') errors.push(`${f}: ${x.code} @ ${text.slice(x.start, x.end)}`);
        else if (x.severity === 'warning') warnings.set(x.code, (warnings.get(x.code) ?? 0) + 1);
      }
    }
    const summary =
      [...warnings]
        .sort()
        .map(([code, n]) => `${code} ×${n}`)
        .join(', ') || 'none';
    console.log(`peer corpus: ${files.length} files, ${errors.length} errors, warnings: ${summary}`);
    assert.ok(files.length > 0, 'peer corpus has no .xml files');
    assert.deepEqual(errors, []);
  });
});
