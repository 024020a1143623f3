/**
 * The vSMMU topology view: the server's view model (features/topologyView.ts)
 * for domains with and without a host, the client's tree built from it
 * (client/src/topologyTree.ts), and the manifest entries the client relies on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { armDomain, loadHost, parse, service } from './helpers';
import { RULE_FAMILIES } from '../server/src/rules/index';
import type { HostTopology } from '../server/src/host/types';
import { topologyView } from '../server/src/features/topologyView';
import type { DeviceView, ExpanderView, ProblemView, TopologyView } from '../server/src/protocol';
import { buildTopologyTree, type TopologyNode } from '../client/src/topologyTree';
import * as protocol from '../client/src/protocol';
import { COMMANDS, DOMAIN_SEEN_KEY, DOMAINS_VIEW_ID, TOPOLOGY_VIEW_ID } from '../client/src/contributions';
import { looksLikeDomain } from '../client/src/documents';

const GRACE = loadHost('grace-3smmu');
const SMMU_A = 'smmu3.0x0000000012000000'; // the NVMe disk's
const SMMU_B = 'smmu3.0x0000000016000000'; // GPU 0009:01:00.0
const SMMU_C = 'smmu3.0x0000000036000000'; // GPU 0019:01:00.0
const GPU_NAME = 'NVIDIA Corporation GH100 [H100] (10de:2342)';
const NVME = { bdf: '0001:01:00.0', name: 'Samsung Electronics Co Ltd NVMe SSD Controller (144d:a80a)' };

// ---- building blocks of the test domains -------------------------------------------------

const root = "    <controller type='pci' index='0' model='pcie-root'/>";
const expander = (index: number, busNr: number, slot: number, node?: number) => `    <controller type='pci' index='${index}' model='pcie-expander-bus'>
      <model name='pxb-pcie'/>
      <target busNr='${busNr}'>${node === undefined ? '' : `<node>${node}</node>`}</target>
      <address type='pci' bus='0x00' slot='${slot}'/>
    </controller>`;
const rootPort = (index: number, bus: number, slot: number) => `    <controller type='pci' index='${index}' model='pcie-root-port'>
      <address type='pci' bus='${bus}' slot='${slot}'/>
    </controller>`;
const IOMMUFD = "<driver name='vfio' iommufd='yes'/>";
const hostdev = (source: string, guest: string, driver = IOMMUFD) => `    <hostdev mode='subsystem' type='pci' managed='yes'>
      ${driver}
      <source><address ${source}/></source>${guest ? `\n      <address type='pci' ${guest}/>` : ''}
    </hostdev>`;
const vsmmu = (pciBus: number, accel: boolean) => `    <iommu model='smmuv3'>
      <driver pciBus='${pciBus}'${accel ? " accel='on'" : ''}/>
    </iommu>`;
const GPU_B = "domain='0x0009' bus='0x01' slot='0x00' function='0x0'";
const GPU_C = "domain='0x0019' bus='0x01' slot='0x00' function='0x0'";

/** Both GPUs below expander 1, whose accelerated vSMMU the first one binds to SMMU_B. */
const MIXED = armDomain(
  [root, expander(1, 252, 1, 0), rootPort(2, 1, 0), rootPort(3, 1, 1), hostdev(GPU_B, "bus='0x02' slot='0x00'"), hostdev(GPU_C, "bus='0x03' slot='0x00'"), vsmmu(1, true)].join(
    '\n',
  ),
);

/**
 * GPU B well placed on expander 1 next to an emulated NIC; expander 4 with a
 * plain vSMMU and nothing below it; GPU C on a root port of pcie-root; a
 * hostdev the host does not have, without guest address; and one with a
 * malformed source whose guest bus names no controller.
 */
const ASSORTED = armDomain(
  [
    root,
    expander(1, 252, 1, 0),
    rootPort(2, 1, 0),
    rootPort(3, 1, 1),
    expander(4, 240, 2),
    rootPort(5, 0, 3),
    hostdev(GPU_B, "bus='0x02' slot='0x00'"),
    "    <interface type='network'>\n      <model type='virtio'/>\n      <address type='pci' bus='0x03' slot='0x00'/>\n    </interface>",
    hostdev(GPU_C, "bus='0x05' slot='0x00'", ''),
    hostdev("domain='0x0042' bus='0x00' slot='0x00' function='0x0'", '', ''),
    hostdev("domain='0x0009' bus='zz' slot='0x00' function='0x0'", "bus='0x09' slot='0x00'", ''),
    vsmmu(1, true),
    vsmmu(4, false),
  ].join('\n'),
);

// ---- helpers -----------------------------------------------------------------------------

/**
 * Every family but numa: the documents here are about the SMMU mapping, and
 * numa's information on each GPU without Generic Initiator cells
 * (test/rules-numa-mmio.test.ts) would sit on every device of every view.
 */
const RULES = RULE_FAMILIES.filter((f) => f.name !== 'numa');

function viewOf(text: string, host: HostTopology | undefined): TopologyView | null {
  const ls = service({ host, rules: RULES });
  const doc = parse(text, ls);
  return topologyView(doc, host, ls.findings(doc));
}

/** "line:character-line:character" of the n-th (1-based) `<name …>…</name>` or `<name …/>` in the text. */
function elementAt(text: string, name: string, n = 1): string {
  let start = -1;
  for (let i = 0; i < n; i++) {
    start = text.indexOf(`<${name}`, start + 1);
    while (start >= 0 && !/[\s/>]/.test(text[start + name.length + 1])) start = text.indexOf(`<${name}`, start + 1);
  }
  assert.ok(start >= 0, `no <${name}> #${n}`);
  const tagEnd = text.indexOf('>', start);
  const end = text[tagEnd - 1] === '/' ? tagEnd + 1 : text.indexOf(`</${name}>`, start) + name.length + 3;
  const pos = (o: number) => {
    const before = text.slice(0, o);
    return `${before.split('\n').length - 1}:${o - before.lastIndexOf('\n') - 1}`;
  };
  return `${pos(start)}-${pos(end)}`;
}

type Loose = Record<string, unknown>;
const rangeText = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
  `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
const problemText = (ps: readonly ProblemView[]) => ps.map((p) => `${p.severity} ${p.code}`);

function compactDevice(d: DeviceView): Loose {
  return { ...d, range: rangeText(d.range), problems: problemText(d.problems) };
}

function compactExpander(e: ExpanderView): Loose {
  const out: Loose = { ...e, devices: e.devices.map(compactDevice), problems: problemText(e.problems) };
  if (e.range) out.range = rangeText(e.range);
  if (e.vsmmu) out.vsmmu = { accel: e.vsmmu.accel, range: rangeText(e.vsmmu.range), problems: problemText(e.vsmmu.problems) };
  return out;
}

/** The view with ranges as text and problems as "severity code" (their messages belong to the rules). */
function compact(v: TopologyView | null): Loose | null {
  if (!v) return null;
  return {
    ...v,
    smmus: v.smmus.map((s) => ({ ...s, expanders: s.expanders.map(compactExpander), devices: s.devices.map(compactDevice), problems: problemText(s.problems) })),
    expanders: v.expanders.map(compactExpander),
    unmatched: v.unmatched.map(compactDevice),
  };
}

const GRACE_SOURCE = '3 host SMMUs · snapshot grace-3smmu.json, host grace-3smmu';

const unusedSmmuA = {
  name: SMMU_A,
  platformDevice: 'arm-smmu-v3.4.auto',
  expanders: [],
  devices: [],
  unused: true,
  unassigned: [NVME],
  problems: [],
};

/** SMMU_B as the view shows it when `expanders` serve it and no device of it sits elsewhere. */
const smmuBServedBy = (expanders: Loose[]): Loose => ({
  name: SMMU_B,
  platformDevice: 'arm-smmu-v3.8.auto',
  unused: false,
  unassigned: [],
  problems: [],
  devices: [],
  expanders,
});

/** Expander 1 (busNr 252, NUMA 0: the second controller) of `text` with its accelerated vSMMU (the first iommu) and `devices`. */
const expander1 = (text: string, devices: Loose[]): Loose => ({
  index: 1,
  label: 'expander 1 (busNr 252)',
  busNr: 252,
  numaNode: 0,
  range: elementAt(text, 'controller', 2),
  problems: [],
  vsmmu: { accel: true, range: elementAt(text, 'iommu', 1), problems: [] },
  devices,
});

/** GPU B (0009:01:00.0, the first hostdev of `text`) on root port 2 of expander 1, without problems; `name` only when the host is known. */
const gpuBOnPort2 = (text: string, name?: string): Loose => ({
  kind: 'hostdev',
  label: '0009:01:00.0',
  bdf: '0009:01:00.0',
  ...(name === undefined ? {} : { name }),
  where: 'expander 1 → root port 2',
  range: elementAt(text, 'hostdev', 1),
  problems: [],
});

/** The virtio NIC of ASSORTED, emulated below expander 1's accelerated vSMMU. */
const assortedNic = (): Loose => ({
  kind: 'emulated',
  label: 'interface (virtio)',
  where: 'expander 1 → root port 3',
  range: elementAt(ASSORTED, 'interface'),
  problems: ['warning smmu-map-emulated-device'],
});

// ---- the view model ----------------------------------------------------------------------

test('topology view: with an ARM host, devices are grouped under their host SMMU and a misplaced one is marked where it belongs', () => {
  assert.deepEqual(compact(viewOf(MIXED, GRACE)), {
    hostSource: GRACE_SOURCE,
    grouping: 'host',
    smmus: [
      unusedSmmuA,
      smmuBServedBy([expander1(MIXED, [gpuBOnPort2(MIXED, GPU_NAME)])]),
      {
        name: SMMU_C,
        platformDevice: 'arm-smmu-v3.9.auto',
        unused: false,
        unassigned: [],
        problems: [],
        expanders: [],
        devices: [
          {
            kind: 'hostdev',
            label: '0019:01:00.0',
            bdf: '0019:01:00.0',
            name: GPU_NAME,
            where: 'expander 1 → root port 3',
            range: elementAt(MIXED, 'hostdev', 2),
            problems: ['error smmu-map-mixed'],
          },
        ],
      },
    ],
    expanders: [],
    unmatched: [],
  });
});

test('topology view: emulated devices behind an accelerated vSMMU, unbound expanders, devices without an expander and unmatched devices', () => {
  assert.deepEqual(compact(viewOf(ASSORTED, GRACE)), {
    hostSource: GRACE_SOURCE,
    grouping: 'host',
    smmus: [
      unusedSmmuA,
      smmuBServedBy([expander1(ASSORTED, [gpuBOnPort2(ASSORTED, GPU_NAME), assortedNic()])]),
      {
        name: SMMU_C,
        platformDevice: 'arm-smmu-v3.9.auto',
        unused: false,
        unassigned: [],
        expanders: [],
        problems: ['warning smmu-map-missing-expander'],
        devices: [
          {
            kind: 'hostdev',
            label: '0019:01:00.0',
            bdf: '0019:01:00.0',
            name: GPU_NAME,
            where: 'pcie-root → root port 5',
            range: elementAt(ASSORTED, 'hostdev', 2),
            problems: ['warning smmu-map-missing-expander', 'warning smmu-map-uncovered'],
          },
        ],
      },
    ],
    expanders: [
      {
        index: 4,
        label: 'expander 4 (busNr 240)',
        busNr: 240,
        range: elementAt(ASSORTED, 'controller', 5),
        problems: [],
        devices: [],
        vsmmu: { accel: false, range: elementAt(ASSORTED, 'iommu', 2), problems: [] },
      },
    ],
    unmatched: [
      {
        kind: 'hostdev',
        label: '0042:00:00.0',
        bdf: '0042:00:00.0',
        where: 'no guest PCI address (libvirt puts it on pcie-root)',
        range: elementAt(ASSORTED, 'hostdev', 3),
        problems: ['warning smmu-map-uncovered', 'warning smmu-map-host-device-missing'],
        reason: 'no PCI device 0042:00:00.0 on host grace-3smmu',
      },
      {
        kind: 'hostdev',
        label: 'hostdev (incomplete source address)',
        where: 'its bus (index 9) names no controller',
        range: elementAt(ASSORTED, 'hostdev', 4),
        problems: ['information address-bus-missing'],
        reason: 'the source address is incomplete or malformed',
      },
    ],
  });
});

test('topology view: without a host, devices are grouped by expander, with pcie-root for those libvirt puts there', () => {
  assert.deepEqual(compact(viewOf(ASSORTED, undefined)), {
    hostSource: 'No host topology is known: grouped by expander. Load a snapshot of the host to see its SMMUs.',
    grouping: 'expander',
    smmus: [],
    expanders: [
      expander1(ASSORTED, [gpuBOnPort2(ASSORTED), assortedNic()]),
      {
        index: 4,
        label: 'expander 4 (busNr 240)',
        busNr: 240,
        range: elementAt(ASSORTED, 'controller', 5),
        problems: [],
        devices: [],
        vsmmu: { accel: false, range: elementAt(ASSORTED, 'iommu', 2), problems: [] },
      },
      {
        index: 0,
        label: 'pcie-root',
        range: elementAt(ASSORTED, 'controller', 1),
        problems: [],
        devices: [
          {
            kind: 'hostdev',
            label: '0019:01:00.0',
            bdf: '0019:01:00.0',
            where: 'pcie-root → root port 5',
            range: elementAt(ASSORTED, 'hostdev', 2),
            problems: ['warning smmu-map-uncovered'],
          },
          {
            kind: 'hostdev',
            label: '0042:00:00.0',
            bdf: '0042:00:00.0',
            where: 'no guest PCI address (libvirt puts it on pcie-root)',
            range: elementAt(ASSORTED, 'hostdev', 3),
            problems: ['warning smmu-map-uncovered'],
          },
        ],
      },
    ],
    unmatched: [
      {
        kind: 'hostdev',
        label: 'hostdev (incomplete source address)',
        where: 'its bus (index 9) names no controller',
        range: elementAt(ASSORTED, 'hostdev', 4),
        problems: ['information address-bus-missing'],
        reason: 'its guest address does not lead to pcie-root: the bus names no controller, or the controllers form a loop',
      },
    ],
  });
});

test('topology view: a host without SMMUv3 groups by expander and says which host it is', () => {
  const x86: HostTopology = {
    version: 1,
    source: { kind: 'sysfs', root: '/sys' },
    hostname: 'x86box',
    readAt: '2026-01-01T00:00:00.000Z',
    iommus: [{ name: 'dmar0', kind: 'intel-dmar', devices: ['0000:03:00.0'] }],
    pciDevices: [{ bdf: '0000:03:00.0', iommu: 'dmar0' }],
    notes: [],
  };
  const v = viewOf(MIXED, x86);
  assert.deepEqual(
    [v?.grouping, v?.hostSource, v?.smmus, v?.expanders.map((e) => [e.label, e.devices.map((d) => d.label)])],
    [
      'expander',
      'No SMMUv3 on this host (sysfs /sys, host x86box): grouped by expander. Load a snapshot of the ARM host to see its SMMUs.',
      [],
      [['expander 1 (busNr 252)', ['0009:01:00.0', '0019:01:00.0']]],
    ],
  );
});

test('topology view: a vSMMU on pcie-root (pciBus 0) serves its host SMMU like an expander', () => {
  const text = armDomain([root, rootPort(1, 0, 1), hostdev(GPU_B, "bus='0x01' slot='0x00'"), vsmmu(0, true)].join('\n'));
  const smmu = compact(viewOf(text, GRACE))!.smmus as Loose[];
  assert.deepEqual(
    smmu[1],
    smmuBServedBy([
      {
        index: 0,
        label: 'pcie-root',
        range: elementAt(text, 'controller', 1),
        problems: [],
        vsmmu: { accel: true, range: elementAt(text, 'iommu'), problems: [] },
        devices: [
          {
            kind: 'hostdev',
            label: '0009:01:00.0',
            bdf: '0009:01:00.0',
            name: GPU_NAME,
            where: 'pcie-root → root port 1',
            range: elementAt(text, 'hostdev'),
            problems: [],
          },
        ],
      },
    ]),
  );
});

test('topology view: problems carry the same messages the diagnostics show', () => {
  const ls = service({ host: GRACE, rules: RULES });
  const doc = parse(MIXED, ls);
  const findings = ls.findings(doc);
  const view = topologyView(doc, GRACE, findings)!;
  const mixed = findings.find((f) => f.code === 'smmu-map-mixed')!;
  assert.deepEqual(view.smmus[2].devices[0].problems, [{ code: 'smmu-map-mixed', severity: 'error', message: mixed.message }]);
});

test('topology view: a document that is not a domain has no view, and half-typed XML does not throw', () => {
  assert.equal(viewOf('<network><name>default</name></network>', GRACE), null);
  const half = `<domain type='kvm'>
  <devices>
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <target busNr='x'/>
    <hostdev mode='subsystem' type='pci'>
      <source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source>
      <address type='pci' bus='0x01' slot='
`;
  const v = viewOf(half, GRACE)!;
  assert.deepEqual(
    [v.grouping, v.smmus.map((s) => [s.name, s.unused, s.expanders.map((e) => [e.label, e.devices.map((d) => [d.label, d.where])]), s.devices.length])],
    [
      'host',
      [
        [SMMU_A, true, [], 0],
        [SMMU_B, false, [['expander 1', [['0009:01:00.0', 'expander 1']]]], 0],
        [SMMU_C, true, [], 0],
      ],
    ],
  );
});

test('topology view and tree: no prefix of a domain (the user typing it) makes them throw', () => {
  const failures: string[] = [];
  for (const host of [GRACE, undefined]) {
    for (let end = 0; end <= ASSORTED.length; end += 7) {
      try {
        buildTopologyTree(viewOf(ASSORTED.slice(0, end), host));
      } catch (e) {
        failures.push(`${host ? 'host' : 'no host'}, ${end} characters: ${(e as Error).message}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

// ---- the client's tree -------------------------------------------------------------------

/** A node as [label, description, icon(+colour), reveal?, children]. */
function outline(n: TopologyNode): unknown[] {
  const icon = n.icon.color ? `${n.icon.id}/${n.icon.color}` : n.icon.id;
  return [n.label, n.description, icon, n.reveal ? rangeText(n.reveal) : null, n.children.map(outline)];
}

test('topology tree: host SMMUs with their expander, vSMMU and devices; the worst problem shows on every ancestor', () => {
  const tree = buildTopologyTree(viewOf(MIXED, GRACE));
  assert.deepEqual([tree.description, tree.message, tree.problemCount], [GRACE_SOURCE, undefined, 1]);
  assert.deepEqual(tree.nodes.map(outline), [
    [SMMU_A, 'arm-smmu-v3.4.auto · not used by this domain', 'circle-slash/muted', null, [['0001:01:00.0', `${NVME.name} · not assigned`, 'circle-outline/muted', null, []]]],
    [
      SMMU_B,
      'arm-smmu-v3.8.auto · 1 device',
      'chip',
      null,
      [
        [
          'expander 1 (busNr 252)',
          'accelerated vSMMU · guest NUMA 0',
          'type-hierarchy',
          elementAt(MIXED, 'controller', 2),
          [
            ["vSMMU (accel='on')", 'pciBus 1', 'shield', elementAt(MIXED, 'iommu'), []],
            ['0009:01:00.0', `${GPU_NAME} · expander 1 → root port 2`, 'plug', elementAt(MIXED, 'hostdev', 1), []],
          ],
        ],
      ],
    ],
    [
      SMMU_C,
      'arm-smmu-v3.9.auto · 1 device, no expander',
      'error/error',
      null,
      [['0019:01:00.0', `${GPU_NAME} · expander 1 → root port 3`, 'error/error', elementAt(MIXED, 'hostdev', 2), []]],
    ],
  ]);
  assert.deepEqual(
    tree.nodes.map((n) => [n.id, n.expanded]),
    [
      [`smmu/0/${SMMU_A}`, false],
      [`smmu/1/${SMMU_B}`, true],
      [`smmu/2/${SMMU_C}`, true],
    ],
  );
});

test('topology tree: groups for unmatched devices and unbound expanders; a problem shared by an SMMU and its device counts once', () => {
  const tree = buildTopologyTree(viewOf(ASSORTED, GRACE));
  assert.deepEqual(tree.problemCount, 6);
  assert.deepEqual(tree.nodes.slice(3).map(outline), [
    [
      'Devices without a host SMMU',
      '2',
      'warning/warning',
      null,
      [
        [
          '0042:00:00.0',
          'no PCI device 0042:00:00.0 on host grace-3smmu · no guest PCI address (libvirt puts it on pcie-root)',
          'warning/warning',
          elementAt(ASSORTED, 'hostdev', 3),
          [],
        ],
        [
          'hostdev (incomplete source address)',
          'the source address is incomplete or malformed · its bus (index 9) names no controller',
          'info/info',
          elementAt(ASSORTED, 'hostdev', 4),
          [],
        ],
      ],
    ],
    [
      'Expanders serving no host SMMU',
      '1',
      'type-hierarchy',
      null,
      [['expander 4 (busNr 240)', 'vSMMU', 'type-hierarchy', elementAt(ASSORTED, 'controller', 5), [['vSMMU', 'pciBus 4', 'shield', elementAt(ASSORTED, 'iommu', 2), []]]]],
    ],
  ]);
});

test('topology tree: node ids are unique, as VS Code requires of a tree', () => {
  const duplicates = (
    [
      [ASSORTED, GRACE],
      [ASSORTED, undefined],
      [MIXED, GRACE],
    ] as const
  ).map(([text, host]) => {
    const ids: string[] = [];
    const visit = (n: TopologyNode) => {
      ids.push(n.id);
      n.children.forEach(visit);
    };
    buildTopologyTree(viewOf(text, host)).nodes.forEach(visit);
    return ids.filter((id, i) => ids.indexOf(id) !== i);
  });
  assert.deepEqual(duplicates, [[], [], []]);
});

test('topology tree: without a host the expanders are the top level and the reason is the message', () => {
  const tree = buildTopologyTree(viewOf(MIXED, undefined));
  assert.deepEqual(
    [tree.description, tree.message, tree.nodes.map((n) => [n.label, n.icon.id, n.children.map((c) => c.label)])],
    [
      'by expander',
      'No host topology is known: grouped by expander. Load a snapshot of the host to see its SMMUs.',
      [['expander 1 (busNr 252)', 'type-hierarchy', ["vSMMU (accel='on')", '0009:01:00.0', '0019:01:00.0']]],
    ],
  );
});

test('topology tree: a document that is not a domain shows a message and no nodes', () => {
  assert.deepEqual(buildTopologyTree(null), {
    nodes: [],
    message: 'The active document is not a libvirt domain: its root element is not <domain>.',
    problemCount: 0,
  });
});

// ---- what client and server must agree on -------------------------------------------------

test('client protocol: the server answers every message the client sends, by the names of the shared protocol module', () => {
  const server = readFileSync(path.join(__dirname, '..', 'server', 'src', 'server.ts'), 'utf8');
  for (const name of ['TOPOLOGY_REQUEST', 'REFRESH_HOST_REQUEST', 'HOST_TOPOLOGY_REQUEST', 'HOST_STATUS_NOTIFICATION'] as const) {
    assert.ok(server.includes(name), `server.ts does not handle ${name}`);
    assert.ok(!server.includes(`'${protocol[name]}'`), `server.ts spells out ${protocol[name]} instead of using protocol.ts`);
  }
});

test('package.json: every command, the view and its context key the client uses are contributed, and walkthrough media exist', () => {
  const root = path.join(__dirname, '..');
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const c = pkg.contributes;
  const declared = (c.commands as { command: string }[])
    .map((x) => x.command)
    .filter((id) => id.startsWith('libvirtDomainXml.'))
    .sort();
  const isDeclared = (id: string) => declared.includes(id);
  assert.deepEqual(declared, Object.values(COMMANDS).sort());
  assert.deepEqual(
    c.views.explorer.map((v: { id: string; when?: string }) => [v.id, v.when]),
    [
      [TOPOLOGY_VIEW_ID, DOMAIN_SEEN_KEY],
      [DOMAINS_VIEW_ID, undefined],
    ],
  );
  const menuCommands = Object.values(c.menus as Record<string, { command: string }[]>)
    .flat()
    .map((m) => m.command);
  assert.deepEqual(
    menuCommands.filter((id) => !isDeclared(id)),
    [],
  );
  const media = c.walkthroughs.flatMap((w: { steps: { media: { markdown: string } }[] }) => w.steps.map((s) => s.media.markdown));
  assert.deepEqual(
    media.filter((m: string) => !existsSync(path.join(root, m))),
    [],
  );
  const links = c.walkthroughs.flatMap((w: { steps: { description: string }[] }) =>
    w.steps.flatMap((s) => [...s.description.matchAll(/\(command:(libvirtDomainXml\.[^)?]+)/g)].map((m) => m[1])),
  );
  assert.deepEqual(
    links.filter((id: string) => !isDeclared(id)),
    [],
  );
});

test('client documents: a domain is recognised after a declaration, comments and a doctype, and nothing else is', () => {
  const cases: [string, boolean][] = [
    ["<domain type='kvm'>", true],
    ["<?xml version='1.0'?>\n<!-- saved by virsh -->\n<!DOCTYPE domain>\n<domain type='kvm'>", true],
    ['<domain/>', true],
    ['<domainx>', false],
    ['<network>', false],
    ['<!-- <domain> in a comment only', false],
    ['', false],
  ];
  assert.deepEqual(
    cases.map(([text]) => [text, looksLikeDomain(text)]),
    cases,
  );
});
