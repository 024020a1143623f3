/**
 * The checker in pipelines: directories and globs, a host map for a fleet of
 * host classes, worker threads with a stable order, SARIF, thresholds,
 * --output, standard input and schema validation.
 *
 * The fleet test generates a few thousand domain files and runs the bundled
 * bin (worker threads need a JavaScript entry; `npm test` builds first).
 * LDX_FLEET_DIR=DIR keeps the generated tree there (docs/performance-cli.md
 * measures on it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli as run, runCliIn as runIn } from './cliRun';
import { expandBraces, hasMagic, matchGlob } from '../server/src/cli/glob';
import { expandInputs } from '../server/src/cli/files';
import { matchHostMap, parseHostMap } from '../server/src/cli/hostMap';
import { parseRulesDoc, plainText, ruleName } from '../server/src/cli/rulesDoc';
import { artifactLocation } from '../server/src/cli/sarif';

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURE_HOST = path.join(__dirname, 'fixtures', 'hosts', 'grace-3smmu.json');

// ---------------------------------------------------------------- generator

interface Gpu {
  source: string;
  expander: number;
}

/**
 * An aarch64 virt domain: one pcie-expander-bus per distinct expander index
 * (busNr 256 - 4 * index), one root port per GPU below its expander, and one
 * accelerated vSMMU per expander.
 */
function fleetDomain(name: string, gpus: Gpu[], opts: { pciBus?: (expander: number) => string; unclosedHostdev?: boolean } = {}): string {
  const expanders = [...new Set(gpus.map((g) => g.expander))].sort((a, b) => a - b);
  const l: string[] = [
    `<domain type='kvm'>`,
    `  <name>${name}</name>`,
    `  <memory unit='GiB'>64</memory>`,
    `  <vcpu placement='static'>16</vcpu>`,
    `  <os firmware='efi'>`,
    `    <type arch='aarch64' machine='virt'>hvm</type>`,
    `  </os>`,
    `  <features>`,
    `    <acpi/>`,
    `    <gic version='3'/>`,
    `  </features>`,
    `  <cpu mode='host-passthrough'/>`,
    `  <iommufd enabled='yes'/>`,
    `  <devices>`,
    `    <controller type='pci' index='0' model='pcie-root'/>`,
  ];
  for (const e of expanders) {
    l.push(
      `    <controller type='pci' index='${e}' model='pcie-expander-bus'>`,
      `      <model name='pxb-pcie'/>`,
      `      <target busNr='${256 - 4 * e}'/>`,
      `      <address type='pci' domain='0x0000' bus='0x00' slot='0x0${e}' function='0x0'/>`,
      `    </controller>`,
    );
  }
  gpus.forEach((g, i) => {
    l.push(
      `    <controller type='pci' index='${10 + i}' model='pcie-root-port'>`,
      `      <target chassis='${10 + i}' port='0x${i.toString(16)}'/>`,
      `      <address type='pci' domain='0x0000' bus='0x0${g.expander}' slot='0x0${i}' function='0x0'/>`,
      `    </controller>`,
    );
  });
  gpus.forEach((g, i) => {
    const [dom, bus] = g.source.split(':');
    l.push(
      `    <hostdev mode='subsystem' type='pci' managed='yes'>`,
      `      <source>`,
      `        <address domain='0x${dom}' bus='0x${bus}' slot='0x00' function='0x0'/>`,
      `      </source>`,
      `      <address type='pci' domain='0x0000' bus='0x${(10 + i).toString(16)}' slot='0x00' function='0x0'/>`,
    );
    if (!(opts.unclosedHostdev && i === 0)) l.push(`    </hostdev>`);
  });
  for (const e of expanders) l.push(`    <iommu model='smmuv3'>`, `      <driver pciBus='${opts.pciBus?.(e) ?? e}' accel='on'/>`, `    </iommu>`);
  l.push(`  </devices>`, `</domain>`, ``);
  return l.join('\n');
}

const GPU_A = '0009:01'; // behind smmu3.0x0000000016000000 on both host classes
const GPU_B = '0019:01'; // behind smmu3.0x0000000036000000, only on the gb200 class

interface Variant {
  name: string;
  text: (n: string) => string;
  codes: string[];
}

/** Per host class: the domains generated for it and the codes each must produce against that class's host (in position order). */
const VARIANTS: Record<'gb200' | 'gh200', Variant[]> = {
  gb200: [
    {
      name: 'two-gpus',
      text: (n) =>
        fleetDomain(n, [
          { source: GPU_A, expander: 1 },
          { source: GPU_B, expander: 2 },
        ]),
      codes: [],
    },
    {
      name: 'mixed',
      text: (n) =>
        fleetDomain(n, [
          { source: GPU_A, expander: 1 },
          { source: GPU_B, expander: 1 },
        ]),
      codes: ['smmu-map-mixed'],
    },
    {
      name: 'busnr',
      text: (n) =>
        fleetDomain(
          n,
          [
            { source: GPU_A, expander: 1 },
            { source: GPU_B, expander: 2 },
          ],
          { pciBus: (e) => (e === 1 ? '252' : String(e)) },
        ),
      codes: ['smmu-map-uncovered', 'iommu-pcibus-is-busnr'],
    },
  ],
  gh200: [
    { name: 'one-gpu', text: (n) => fleetDomain(n, [{ source: GPU_A, expander: 1 }]), codes: [] },
    // Clean on gb200, but this host class has no 0019:01:00.0: the host map must pick the right host.
    {
      name: 'two-gpus',
      text: (n) =>
        fleetDomain(n, [
          { source: GPU_A, expander: 1 },
          { source: GPU_B, expander: 2 },
        ]),
      codes: ['smmu-map-host-device-missing'],
    },
    { name: 'broken', text: (n) => fleetDomain(n, [{ source: GPU_A, expander: 1 }], { unclosedHostdev: true }), codes: ['xml-unclosed-element'] },
  ],
};

/** A host with one SMMUv3 and one GPU (0009:01:00.0). */
const GH200_SNAPSHOT = {
  version: 1,
  hostname: 'gh200',
  iommus: [{ name: 'smmu3.0x0000000016000000', kind: 'smmuv3', devices: ['0009:01:00.0'] }],
  pciDevices: [{ bdf: '0009:01:00.0', vendorId: '0x10de', deviceId: '0x2342', classCode: '0x030200', driver: 'vfio-pci', iommu: 'smmu3.0x0000000016000000' }],
};

interface Fleet {
  root: string;
  domains: { file: string; codes: string[] }[];
  skipped: number;
}

/**
 * `n` domains alternating between fleet/gb200 and fleet/gh200 (racks as
 * subdirectories), a few for fleet/misc (the map's default host), and
 * non-domain files that a directory walk must skip: network and pool XML, a
 * README, and a domain inside a hidden directory.
 */
function generateFleet(root: string, n: number): Fleet {
  const domains: Fleet['domains'] = [];
  const put = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  for (let i = 0; i < n; i++) {
    const cls = i % 2 === 0 ? 'gb200' : 'gh200';
    const k = Math.floor(i / 2);
    const v = VARIANTS[cls][k % 3];
    const file = `fleet/${cls}/rack-${k % 7}/vm-${String(i).padStart(5, '0')}.xml`;
    put(file, v.text(`vm-${i}`));
    domains.push({ file, codes: v.codes });
  }
  for (let i = 0; i < 5; i++) {
    const file = `fleet/misc/vm-misc-${i}.xml`;
    // An XML declaration and a comment before the root still make a domain file.
    put(file, `<?xml version='1.0'?>\n<!-- generated -->\n` + VARIANTS.gb200[0].text(`misc-${i}`));
    domains.push({ file, codes: [] });
  }
  let skipped = 0;
  for (let i = 0; i < 20; i++) {
    put(`fleet/gb200/networks/net-${i}.xml`, `<network>\n  <name>net${i}</name>\n  <forward mode='nat'/>\n</network>\n`);
    put(`fleet/gh200/pools/pool-${i}.xml`, `<?xml version='1.0'?>\n<pool type='dir'>\n  <name>p${i}</name>\n</pool>\n`);
    skipped += 2;
  }
  put('fleet/README.md', '# not XML\n');
  put('fleet/.cache/stale.xml', VARIANTS.gh200[2].text('hidden'));
  mkdirSync(path.join(root, 'hosts'), { recursive: true });
  copyFileSync(FIXTURE_HOST, path.join(root, 'hosts', 'gb200.json'));
  writeFileSync(path.join(root, 'hosts', 'gh200.json'), JSON.stringify(GH200_SNAPSHOT));
  writeFileSync(
    path.join(root, 'map.json'),
    JSON.stringify({
      hosts: [
        { files: 'fleet/gb200/**/*.xml', snapshot: 'hosts/gb200.json' },
        { files: ['fleet/gh200/**/*.xml'], snapshot: 'hosts/gh200.json' },
      ],
      default: 'hosts/gb200.json',
    }),
  );
  const byPath = (a: { file: string }, b: { file: string }) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  return { root, domains: domains.sort(byPath), skipped };
}

// ---------------------------------------------------------------- helpers

function bin(cwd: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface JsonFinding {
  file: string;
  severity: string;
  code: string;
  message: string;
}

const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `ldx-${name}-`));

// ---------------------------------------------------------------- the fleet

test('fleet: a generated tree of 2000 domains with a host map, on 1 and 2 threads, in path order, with SARIF', () => {
  const root = process.env.LDX_FLEET_DIR ?? tmp('fleet');
  mkdirSync(root, { recursive: true });
  const fleet = generateFleet(root, 2000);
  const common = ['check', '--schema', 'off', '--host-map', 'map.json', 'fleet'];

  const expected = fleet.domains.flatMap((d) => d.codes.map((code) => [d.file, code]));
  const perCode = (list: string[]) => list.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});

  // On the main thread, JSON.
  const one = bin(root, [...common, '--jobs', '1', '--format', 'json']);
  assert.equal(one.code, 1, one.err);
  const findings = JSON.parse(one.out) as JsonFinding[];
  assert.deepEqual(
    findings.map((f) => [f.file, f.code]),
    expected,
  );
  assert.deepEqual(perCode(findings.map((f) => f.code)), perCode(expected.map(([, c]) => c)));
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;

  // On two worker threads, text: the same findings in the same order, whatever thread finished first.
  const two = bin(root, [...common, '--jobs', '2']);
  assert.equal(two.code, 1);
  const lines = two.out
    .trimEnd()
    .split('\n')
    .map((l) => /^(.*):\d+:\d+: (\w+) ([\w-]+): (.*)$/.exec(l)!.slice(1));
  assert.deepEqual(
    lines,
    findings.map((f) => [f.file, f.severity, f.code, f.message]),
  );
  assert.equal(two.err, `${fleet.domains.length} files checked: ${errors} errors, ${warnings} warnings; ${fleet.skipped} files without a <domain> root skipped\n`);

  const sarifRun = bin(root, [...common, '--jobs', '2', '--format', 'sarif']);
  assert.equal(sarifRun.code, 1);
  const sarif = JSON.parse(sarifRun.out) as Sarif;
  checkSarifStructure(sarif);
  const results = sarif.runs[0].results;
  assert.deepEqual(
    results.map((r) => [r.locations[0].physicalLocation.artifactLocation.uri, r.ruleId]),
    expected,
  );
  assert.deepEqual(
    results.map((r) => r.level),
    findings.map((f) => (f.severity === 'information' || f.severity === 'hint' ? 'note' : f.severity)),
  );
  assert.deepEqual(
    results.map((r) => r.message.text),
    findings.map((f) => f.message),
  );
  // The rules are those of docs/rules.md, in its order.
  const documented = parseRulesDoc(readFileSync(path.join(ROOT, 'docs', 'rules.md'), 'utf8')).map((r) => r.id);
  assert.deepEqual(sarif.runs[0].tool.driver.rules.map((r) => r.id).slice(0, documented.length), documented);
});

interface Sarif {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; informationUri?: string; rules: SarifRule[] } };
    invocations: { executionSuccessful: boolean }[];
    results: SarifResult[];
  }[];
}
interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription?: { text: string };
  help: { text: string; markdown: string };
  defaultConfiguration: { level: string };
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number; startColumn: number; endLine: number; endColumn: number } };
  }[];
}

/** The fields SARIF 2.1.0 and code-scanning uploads require, with their types. */
function checkSarifStructure(s: Sarif): void {
  assert.equal(s.version, '2.1.0');
  assert.equal(s.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  assert.equal(s.runs.length, 1);
  const driver = s.runs[0].tool.driver;
  assert.deepEqual([driver.name, driver.version, 'informationUri' in driver], ['libvirt-domain-xml', '0.1.0', false]);
  const levels = ['error', 'warning', 'note', 'none'];
  const ids = new Set<string>();
  for (const r of driver.rules) {
    assert.ok(/^[a-z0-9]+(-[a-z0-9]+)+$/.test(r.id), r.id);
    assert.ok(!ids.has(r.id), `rule ${r.id} listed twice`);
    ids.add(r.id);
    assert.equal(
      r.name,
      r.id
        .split('-')
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join(''),
    );
    assert.equal(typeof r.shortDescription.text, 'string');
    assert.ok(r.shortDescription.text.length > 0 && r.help.text.length > 0 && r.help.markdown.length > 0, r.id);
    assert.ok(levels.includes(r.defaultConfiguration.level), r.id);
  }
  for (const res of s.runs[0].results) {
    assert.equal(driver.rules[res.ruleIndex]?.id, res.ruleId);
    assert.ok(levels.includes(res.level));
    assert.ok(res.message.text.length > 0);
    assert.equal(res.locations.length, 1);
    const { artifactLocation: a, region } = res.locations[0].physicalLocation;
    assert.ok(!a.uri.startsWith('/') && !a.uri.includes('\\'), a.uri);
    assert.equal(a.uriBaseId, '%SRCROOT%');
    for (const v of Object.values(region)) assert.ok(Number.isInteger(v) && v >= 1, JSON.stringify(region));
    assert.ok(region.endLine > region.startLine || (region.endLine === region.startLine && region.endColumn >= region.startColumn));
  }
}

test('fleet: each variant gives its codes against its class host (the expectations the fleet test sums)', async () => {
  const dir = tmp('variants');
  const hosts = { gb200: FIXTURE_HOST, gh200: path.join(dir, 'gh200.json') };
  writeFileSync(hosts.gh200, JSON.stringify(GH200_SNAPSHOT));
  const got: string[][] = [];
  const want: string[][] = [];
  for (const cls of ['gb200', 'gh200'] as const) {
    for (const v of VARIANTS[cls]) {
      const file = path.join(dir, `${cls}-${v.name}.xml`);
      writeFileSync(file, v.text(v.name));
      const r = await run(['check', '--schema', 'off', '--host', hosts[cls], '--format', 'json', file]);
      got.push([cls, v.name, ...(JSON.parse(r.out) as JsonFinding[]).map((f) => f.code)]);
      want.push([cls, v.name, ...v.codes]);
    }
  }
  assert.deepEqual(got, want);
});

// ---------------------------------------------------------------- globs and files

test('glob: segments, classes, alternatives and hidden names', () => {
  const cases: [string, string, boolean][] = [
    ['*.xml', 'a.xml', true],
    ['*.xml', 'dir/a.xml', false],
    ['*.xml', '.hidden.xml', false],
    ['.*.xml', '.hidden.xml', true],
    ['fleet/**/*.xml', 'fleet/a.xml', true],
    ['fleet/**/*.xml', 'fleet/x/y/a.xml', true],
    ['fleet/**/*.xml', 'fleet/.git/a.xml', false],
    ['fleet/**', 'fleet/x/y', true],
    ['fleet/**', 'fleet', false],
    ['vm-?.xml', 'vm-1.xml', true],
    ['vm-?.xml', 'vm-12.xml', false],
    ['vm-[0-4].xml', 'vm-3.xml', true],
    ['vm-[0-4].xml', 'vm-7.xml', false],
    ['vm-[!0-4].xml', 'vm-7.xml', true],
    ['vm-[^0-4].xml', 'vm-3.xml', false],
    ['{gb200,gh200}/*.xml', 'gh200/a.xml', true],
    ['{gb200,gh200}/*.xml', 'gx200/a.xml', false],
    ['a{b,{c,d}e}f', 'adef', true],
    ['a{b}c', 'a{b}c', true],
    ['vm\\*.xml', 'vm*.xml', true],
    ['vm\\*.xml', 'vmX.xml', false],
    ['./fleet/*.xml', 'fleet/a.xml', true],
    ['/srv/**/*.xml', '/srv/a/b.xml', true],
    ['[unclosed', '[unclosed', true],
  ];
  assert.deepEqual(
    cases.map(([p, s]) => [p, s, matchGlob(p, s)]),
    cases,
  );
  assert.deepEqual(expandBraces('x{a,b{1,2}}y'), ['xay', 'xb1y', 'xb2y']);
  assert.deepEqual(['a.xml', 'a*.xml', 'a{b,c}', 'a{b}', 'a\\*', '[x]'].map(hasMagic), [false, true, true, false, false, true]);
});

test('files: directories walk *.xml, globs expand, named files stay; sorted, no duplicates, missing ones reported', async () => {
  const dir = tmp('files');
  for (const f of ['b/2.xml', 'b/1.xml', 'a/x.xml', 'a/deep/y.xml', 'a/notes.txt', 'a/.git/z.xml', 'c/u.XML']) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), '<domain/>');
  }
  const e = await expandInputs(['b', 'a/x.xml', '{a,c}/**/*.{xml,XML}', 'a/notes.txt', 'nope/*.xml', 'missing.xml', '-'], dir);
  assert.deepEqual(
    e.files.map((f) => [f.path, f.discovered]),
    [
      ['a/deep/y.xml', true],
      ['a/notes.txt', false],
      ['a/x.xml', false],
      ['b/1.xml', true],
      ['b/2.xml', true],
      ['c/u.XML', true],
    ],
  );
  assert.deepEqual([e.stdin, e.problems], [true, ["no files match 'nope/*.xml'", 'cannot read missing.xml: ENOENT']]);
  // A directory given as '.' shows paths without './'.
  assert.deepEqual(
    (await expandInputs(['.'], path.join(dir, 'b'))).files.map((f) => f.path),
    ['1.xml', '2.xml'],
  );
  // A glob matching directories takes their *.xml files, as naming them would.
  assert.deepEqual(
    (await expandInputs(['{a,c}'], dir)).files.map((f) => f.path),
    ['a/deep/y.xml', 'a/x.xml', 'c/u.XML'],
  );
});

test('check: a discovered non-domain file is skipped and counted, a named one is an error; a glob matching nothing exits 2', async () => {
  const dir = tmp('skip');
  writeFileSync(path.join(dir, 'net.xml'), '<network><name>n</name></network>\n');
  writeFileSync(path.join(dir, 'vm.xml'), VARIANTS.gh200[2].text('vm'));
  const walked = await run(['check', '--schema', 'off', '--host', FIXTURE_HOST, dir]);
  assert.deepEqual([walked.code, walked.err], [1, '1 file checked: 1 error, 0 warnings; 1 file without a <domain> root skipped\n']);
  const named = await run(['check', '--schema', 'off', '--host', FIXTURE_HOST, path.join(dir, 'net.xml')]);
  assert.deepEqual([named.code, named.err], [1, '1 file checked: 1 error, 0 warnings\n']);
  assert.match(named.out, /net\.xml:1:2: error xml-root-not-domain: The root element is <network>, not <domain>/);
  const none = await run(['check', '--schema', 'off', '--host', FIXTURE_HOST, path.join(dir, '*.json')]);
  assert.equal(none.code, 2);
  assert.match(none.err, /no files match '.*\*\.json'/);
});

// ---------------------------------------------------------------- host map

test('host map: the first matching entry wins, then the default; paths are relative to the map', () => {
  const r = parseHostMap(
    JSON.stringify({
      hosts: [
        { files: 'fleet/gb200/**/*.xml', snapshot: 'hosts/gb200.json' },
        { files: ['fleet/gb200/special/*.xml', 'fleet/gh200/**/*.xml'], snapshot: 'hosts/gh200.json' },
      ],
      default: 'hosts/other.json',
    }),
    'conf/map.json',
    '/repo',
  );
  const map = r.map!;
  const pick = (f: string) => path.relative('/repo/conf', matchHostMap(map, f) ?? map.default ?? '');
  assert.deepEqual(['/repo/conf/fleet/gb200/special/a.xml', '/repo/conf/fleet/gh200/r1/b.xml', '/repo/conf/fleet/misc/c.xml', '/repo/fleet/gb200/x.xml'].map(pick), [
    'hosts/gb200.json',
    'hosts/gh200.json',
    'hosts/other.json',
    'hosts/other.json',
  ]);
});

test('host map: every way to get it wrong is one clear message', () => {
  const cases: [string, string][] = [
    ['{"hosts": [', 'Host map m.json is not valid JSON: '],
    ['[]', 'Host map m.json is not usable: the top level must be an object, not a list.'],
    ['{"host": []}', 'Host map m.json is not usable: unknown key "host" at the top level (expected "hosts" and optionally "default").'],
    ['{}', 'Host map m.json is not usable: "hosts" is missing (expected a list of { "files", "snapshot" }).'],
    ['{"hosts": {}}', 'Host map m.json is not usable: "hosts" must be a list, not an object.'],
    ['{"hosts": [{"snapshot": "a.json"}]}', 'Host map m.json is not usable: hosts[0].files is missing (expected a glob or a list of globs).'],
    ['{"hosts": [{"files": [], "snapshot": "a.json"}]}', 'Host map m.json is not usable: hosts[0].files is an empty list.'],
    ['{"hosts": [{"files": "*.xml", "snapshot": 3}]}', 'Host map m.json is not usable: hosts[0].snapshot must be a non-empty string, not number 3.'],
    ['{"hosts": [{"files": "*.xml"}]}', 'Host map m.json is not usable: hosts[0].snapshot is missing (expected the path of a host snapshot).'],
    ['{"hosts": [{"files": "*.xml", "snapshot": "a.json", "sysfs": "/"}]}', 'Host map m.json is not usable: unknown key "sysfs" in hosts[0] (expected "files" and "snapshot").'],
    ['{"hosts": [], "default": ""}', 'Host map m.json is not usable: "default" must be a non-empty string, not string "".'],
  ];
  assert.deepEqual(
    cases.map(([text]) => {
      const e = parseHostMap(text, 'm.json', '/x').error ?? '';
      return e.startsWith('Host map m.json is not valid JSON: ') ? 'Host map m.json is not valid JSON: ' : e;
    }),
    cases.map(([, message]) => message),
  );
});

test('check --host-map: a bad map or a missing snapshot exits 2 before any file is read', async () => {
  const dir = tmp('badmap');
  writeFileSync(path.join(dir, 'vm.xml'), VARIANTS.gh200[0].text('vm'));
  writeFileSync(path.join(dir, 'bad.json'), '{"hosts": 1}');
  writeFileSync(path.join(dir, 'map.json'), JSON.stringify({ hosts: [{ files: '*.xml', snapshot: 'nowhere.json' }] }));
  const bad = await runIn(dir, ['check', '--schema', 'off', '--host-map', 'bad.json', 'vm.xml']);
  assert.deepEqual([bad.code, bad.out, bad.err], [2, '', 'libvirt-domain-xml: Host map bad.json is not usable: "hosts" must be a list, not number 1.\n']);
  const missing = await runIn(dir, ['check', '--schema', 'off', '--host-map', 'map.json', 'vm.xml']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^libvirt-domain-xml: host map map\.json, hosts\[0\]\.snapshot: Host snapshot .*nowhere\.json does not exist\.\n$/);
  const absent = await runIn(dir, ['check', '--schema', 'off', '--host-map', 'none.json', 'vm.xml']);
  assert.deepEqual([absent.code, absent.err], [2, 'libvirt-domain-xml: Host map none.json does not exist.\n']);
});

test('check -: standard input named with --stdin-filename takes its host from the map', async () => {
  const root = tmp('stdin');
  generateFleet(root, 0);
  const twoGpus = VARIANTS.gh200[1].text('live');
  const asGh = await runIn(root, ['check', '--schema', 'off', '--host-map', 'map.json', '--stdin-filename', 'fleet/gh200/live.xml', '--format', 'json', '-'], twoGpus);
  assert.deepEqual(
    (JSON.parse(asGh.out) as JsonFinding[]).map((f) => [f.file, f.code]),
    [['fleet/gh200/live.xml', 'smmu-map-host-device-missing']],
  );
  const asGb = await runIn(root, ['check', '--schema', 'off', '--host-map', 'map.json', '--stdin-filename', 'fleet/gb200/live.xml', '-'], twoGpus);
  assert.deepEqual([asGb.code, asGb.out], [0, '']);
});

// ---------------------------------------------------------------- thresholds and output

test('thresholds: --severity filters what is printed and counted, --max-warnings fails a run with too many warnings', async () => {
  const dir = tmp('thresholds');
  const gh = path.join(dir, 'gh200.json');
  writeFileSync(gh, JSON.stringify(GH200_SNAPSHOT));
  const file = path.join(dir, 'vm.xml');
  writeFileSync(file, VARIANTS.gh200[1].text('vm')); // one warning on this host
  const base = ['check', '--schema', 'off', '--host', gh];
  const cases: [string[], number, string][] = [
    [[], 0, '1 file checked: 0 errors, 1 warning\n'],
    [['--severity', 'error'], 0, '1 file checked: 0 errors, 0 warnings\n'],
    [['--max-warnings', '1'], 0, '1 file checked: 0 errors, 1 warning\n'],
    [['--max-warnings', '0'], 1, '1 file checked: 0 errors, 1 warning\nlibvirt-domain-xml: 1 warning found, more than --max-warnings 0 allows\n'],
    [['--max-warnings', '0', '--severity', 'error'], 0, '1 file checked: 0 errors, 0 warnings\n'],
  ];
  const got: [string[], number, string][] = [];
  for (const [extra] of cases) {
    const r = await run([...base, ...extra, file]);
    got.push([extra, r.code, r.err]);
  }
  assert.deepEqual(got, cases);
  const usage: [string[], RegExp][] = [
    [['--severity', 'fatal'], /unknown severity 'fatal'/],
    [['--max-warnings', '-1'], /--max-warnings needs a whole number/],
    [['--jobs', '0'], /--jobs needs a whole number from 1 to 64/],
    [['--format', 'xml'], /unknown format 'xml' \(text, json or sarif\)/],
    [['--libvirt-version', 'eleven'], /--libvirt-version needs a version/],
  ];
  for (const [extra, message] of usage) {
    const r = await run([...base, ...extra, file]);
    assert.equal(r.code, 2, extra.join(' '));
    assert.match(r.err, message);
  }
});

test('--output writes the report to a file and nothing to standard output', async () => {
  const dir = tmp('output');
  const file = path.join(dir, 'vm.xml');
  writeFileSync(file, VARIANTS.gh200[2].text('vm'));
  const r = await runIn(dir, ['check', '--schema', 'off', '--host', FIXTURE_HOST, '--format', 'sarif', '--output', 'report.sarif', 'vm.xml']);
  assert.deepEqual([r.code, r.out], [1, '']);
  // Nothing else was written next to the input or the report.
  assert.deepEqual(readdirSync(dir).sort(), ['report.sarif', 'vm.xml']);
  const sarif = JSON.parse(readFileSync(path.join(dir, 'report.sarif'), 'utf8')) as Sarif;
  checkSarifStructure(sarif);
  assert.deepEqual(
    sarif.runs[0].results.map((x) => [x.ruleId, x.locations[0].physicalLocation.region]),
    [['xml-unclosed-element', { startLine: 25, startColumn: 6, endLine: 25, endColumn: 13 }]],
  );
  const unwritable = await run(['check', '--schema', 'off', '--host', FIXTURE_HOST, '--output', path.join(dir, 'no', 'such', 'dir.txt'), file]);
  assert.equal(unwritable.code, 2);
  assert.match(unwritable.err, /cannot write .*dir\.txt: ENOENT/);
});

// ---------------------------------------------------------------- SARIF pieces

test('sarif: artifact URIs are relative to the working directory, encoded, absolute outside it', () => {
  assert.deepEqual(
    [artifactLocation('fleet/a b.xml', '/repo'), artifactLocation('/repo/x/y.xml', '/repo'), artifactLocation('/etc/vm.xml', '/repo'), artifactLocation('<stdin>', '/repo')],
    [{ uri: 'fleet/a%20b.xml', uriBaseId: '%SRCROOT%' }, { uri: 'x/y.xml', uriBaseId: '%SRCROOT%' }, { uri: 'file:///etc/vm.xml' }, { uri: 'stdin' }],
  );
  assert.deepEqual([ruleName('smmu-map-mixed'), plainText('a `b` **c** [d](http://e)\nf')], ['SmmuMapMixed', 'a b c d f']);
});

test('rules doc: tables give codes and severities, examples go to the codes they name or to the section', () => {
  const md = [
    '# Rules',
    '',
    '<!-- BEGIN fam -->',
    '## Family (`fam-*`)',
    '',
    'Why these rules',
    'exist.',
    '',
    '| code | severity | what | sure? |',
    '|---|---|---|---|',
    '| `fam-one` | error | first `thing` | libvirt |',
    '| `fam-two` | warning (deprecated) | second \\| thing | — |',
    '| `fam-three` | information | third | |',
    '',
    'Bad (`fam-two` on `x`):',
    '',
    '```xml',
    '<a x="1"/>',
    '```',
    '',
    'Good:',
    '',
    '```xml',
    '<a/>',
    '```',
    '',
    'Bad:',
    '',
    '```xml',
    '<b/>',
    '```',
    '<!-- END fam -->',
    '',
    '## Other (`oth-*`)',
    '',
    '| code | severity | what |',
    '|---|---|---|',
    '| `oth-one` | hint | other |',
  ].join('\n');
  const rules = parseRulesDoc(md);
  assert.deepEqual(
    rules.map((r) => [r.id, r.family, r.severity, r.what, r.extra, r.description, r.examples.map((e) => `${e.kind}:${e.code}`)]),
    [
      ['fam-one', 'fam', 'error', 'first `thing`', { 'sure?': 'libvirt' }, ['Why these rules\nexist.'], ['bad:<b/>']],
      ['fam-two', 'fam', 'warning', 'second | thing', {}, ['Why these rules\nexist.'], ['bad:<a x="1"/>', 'good:<a/>', 'bad:<b/>']],
      ['fam-three', 'fam', 'information', 'third', {}, ['Why these rules\nexist.'], ['bad:<b/>']],
      ['oth-one', 'oth', 'hint', 'other', {}, [], []],
    ],
  );
});

// ---------------------------------------------------------------- schema

test("check --schema DIR: the schema findings are merged into the file's own, in position order", async () => {
  const dir = tmp('schema');
  writeFileSync(
    path.join(dir, 'domain.rng'),
    [
      `<?xml version="1.0"?>`,
      `<grammar xmlns="http://relaxng.org/ns/structure/1.0">`,
      `  <start>`,
      `    <element name="domain">`,
      `      <attribute name="type"><choice><value>kvm</value><value>qemu</value></choice></attribute>`,
      `      <element name="name"><text/></element>`,
      `      <optional><element name="devices"><zeroOrMore><element name="hostdev"><attribute name="mode"><text/></attribute></element></zeroOrMore></element></optional>`,
      `    </element>`,
      `  </start>`,
      `</grammar>`,
      ``,
    ].join('\n'),
  );
  const bothKinds = `<domain type='xen'>\n  <name>s</name>\n  <devices>\n    <iommu model='bogus'/>\n  </devices>\n</domain>\n`;
  const r = await run(['check', '--schema', dir, '--host', FIXTURE_HOST, '-'], bothKinds);
  assert.equal(r.code, 1);
  assert.deepEqual(
    r.out.split('\n').map((l) => l.split(': ').slice(0, 2).join(': ')),
    ['<stdin>:1:15: error schema-invalid', '<stdin>:4:6: error schema-invalid', '<stdin>:4:19: error iommu-model-unknown', ''],
  );
  // Not well-formed: the schema has nothing to add to the XML error.
  const text = `<domain type='xen'>\n  <name>s</name>\n  <devices>\n    <hostdev mode='subsystem'>\n  </devices>\n</domain>\n`;
  const broken = await run(['check', '--schema', dir, '--host', FIXTURE_HOST, '--format', 'json', '-'], text);
  assert.deepEqual(
    (JSON.parse(broken.out) as JsonFinding[]).map((f) => f.code),
    ['xml-unclosed-element'],
  );
  const off = await run(['check', '--schema', 'off', '--host', FIXTURE_HOST, '-'], `<domain type='xen'>\n  <name>s</name>\n</domain>\n`);
  assert.deepEqual([off.code, off.out], [0, '']);
  const missing = await run(['check', '--schema', path.join(dir, 'nothing'), '--host', FIXTURE_HOST, '-'], '<domain/>');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--schema .*nothing: the schema directory given, .*nothing, holds no readable domain\.rng\.\n$/);
});
