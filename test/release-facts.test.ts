/**
 * Release facts come from one table (domain/catalog.ts LIBVIRT_RELEASE):
 * the minimum release for an accelerated vSMMU that serves an assigned
 * device is the one the rules themselves accept for the clean Grace
 * example, and every text that names it (messages, hover, README, docs)
 * names that same release; rule and schema messages type no release number.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ACCEL_VSMMU_WITH_VFIO_SINCE, FEATURE_SINCE, IOMMU_DRIVER_ATTRIBUTES, LIBVIRT_RELEASE } from '../server/src/domain/catalog';
import { compareVersions } from '../server/src/domain/versions';
import { loadHostFile, service } from './helpers';

const root = path.join(__dirname, '..');
const HOST = loadHostFile(path.join(root, 'examples', 'hosts', 'grace-3smmu.json'));
const GRACE = readFileSync(path.join(root, 'examples', 'grace-1gpu.xml'), 'utf8');

const codesAt = (libvirtVersion: string, text = GRACE) => {
  const ls = service({ host: HOST, settings: { libvirtVersion } });
  return ls.findings(ls.parse(text)).map((f) => `${f.code}: ${f.message}`);
};

test('the minimum for an accelerated vSMMU with a VFIO device is the latest of pciBus, accel and the hostdev iommufd backend', () => {
  // accel came last: "Since 12.7.0" in libvirt 12.8.0's own formatdomain.html; iommufd on hostdevs in 12.1.0.
  assert.equal(ACCEL_VSMMU_WITH_VFIO_SINCE, '12.7.0');
  for (const since of [IOMMU_DRIVER_ATTRIBUTES.pciBus.since!, IOMMU_DRIVER_ATTRIBUTES.accel.since!, FEATURE_SINCE.hostdevIommufd.since]) {
    assert.ok(compareVersions(since, ACCEL_VSMMU_WITH_VFIO_SINCE) <= 0, since);
  }
});

test('the clean Grace example passes at the stated minimum and not one release line before it', () => {
  assert.deepEqual(codesAt(ACCEL_VSMMU_WITH_VFIO_SINCE), []);
  // 12.6.0, the release line before accel: every accel attribute of the example is too new.
  const before = codesAt('12.6.0');
  assert.ok(before.length > 0 && before.every((c) => c.startsWith('version-too-new: ')), before.join('\n'));
  assert.ok(
    before.some((c) => /^version-too-new: accel needs libvirt 12\.7\.0 or newer; this domain targets 12\.6\.0/.test(c)),
    before.join('\n'),
  );
  // 11.10.0, the release of the pluggable vSMMU: accel and the hostdev iommufd backend are both too new.
  const pluggable = codesAt(LIBVIRT_RELEASE.pluggableSmmuv3);
  assert.ok(
    pluggable.some((c) => /^version-too-new: .*needs libvirt 12\.1\.0 or newer; this domain targets 11\.10\.0/.test(c)),
    pluggable.join('\n'),
  );
  const withoutIommufd = GRACE.replace(/ iommufd='yes'/g, '');
  assert.notEqual(withoutIommufd, GRACE);
  assert.ok(codesAt(LIBVIRT_RELEASE.pluggableSmmuv3, withoutIommufd).some((c) => /^smmu-map-no-iommufd: .*iommufd='yes'\/> to the hostdev \(libvirt 12\.1\.0\)/.test(c)));
});

test("every text that names the minimum names the catalog's release", () => {
  const nested = readFileSync(path.join(root, 'examples', 'nested-proposal.xml'), 'utf8');
  const advice = codesAt(ACCEL_VSMMU_WITH_VFIO_SINCE, nested).filter((c) => c.startsWith('nested-proposal-syntax'));
  assert.ok(advice.length >= 2);
  for (const a of advice) assert.match(a, new RegExp(`libvirt ${ACCEL_VSMMU_WITH_VFIO_SINCE.replace(/\./g, '\\.')}`), a);

  const ls = service({ host: HOST });
  const doc = ls.parse("<domain type='kvm'><devices><iommu model='smmuv3'/><hostdev><driver name='vfio'/></hostdev></devices></domain>");
  const hoverAt = (needle: string) => JSON.stringify(ls.hover(doc, doc.lines.positionAt(doc.text.indexOf(needle) + 2)));
  assert.match(hoverAt("smmuv3'/>"), new RegExp(`from libvirt ${ACCEL_VSMMU_WITH_VFIO_SINCE.replace(/\./g, '\\.')} on`));

  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  assert.match(readme, new RegExp(`accelerated vSMMU serving a passed-through device needs \\*\\*libvirt ${ACCEL_VSMMU_WITH_VFIO_SINCE.replace(/\./g, '\\.')} or\\s+newer\\*\\*`));
  const rules = readFileSync(path.join(root, 'docs', 'rules.md'), 'utf8');
  assert.match(rules, new RegExp(`Good \\(libvirt ${ACCEL_VSMMU_WITH_VFIO_SINCE.replace(/\./g, '\\.')} and later, the first release in which an accelerated`));
});

test('rule, schema and snippet messages type no release number: they read the catalog', () => {
  const dirs = ['rules', 'schema'].map((d) => path.join(root, 'server', 'src', d));
  const files = [
    ...dirs.flatMap((d) =>
      readdirSync(d)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => path.join(d, f)),
    ),
    path.join(root, 'server', 'src', 'features', 'snippets.ts'),
  ];
  const typed: string[] = [];
  for (const f of files) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^(\*|\/\/|\/\*\*)/.test(line.trim())) return;
        if (/libvirt \d+\.\d+|['"`]\d+\.\d+\.\d+['"`]/.test(line)) typed.push(`${path.relative(root, f)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(typed, []);
});
