/**
 * Turns the server's topology view model into the nodes of the Explorer's
 * "vSMMU Topology" tree: labels, descriptions, icons, tooltips and the range
 * each node reveals. Plain data and no `vscode` import, so that it runs (and
 * is tested) outside the editor; topologyView.ts only maps these nodes to
 * TreeItems.
 *
 * Containers take the icon of the worst problem below them, so a collapsed
 * node still shows that something inside is wrong.
 */
import type { DeviceView, ExpanderView, HostDeviceView, ProblemView, SmmuView, TopologyView, UnmatchedView } from './protocol';

/** An LSP range, as the server sends it. */
export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export type NodeKind = 'smmu' | 'expander' | 'vsmmu' | 'device' | 'hostDevice' | 'group';

export interface NodeIcon {
  /** A codicon id: 'error', 'chip', 'plug', … */
  id: string;
  /** Theme colour role, when the icon should not take the default foreground. */
  color?: 'error' | 'warning' | 'info' | 'muted';
}

export interface TopologyNode {
  /** Unique in the tree and stable across refreshes of the same document, so expansion state survives. */
  id: string;
  kind: NodeKind;
  label: string;
  description?: string;
  /** Plain text. */
  tooltip: string;
  icon: NodeIcon;
  /** The document range selecting the node reveals. */
  reveal?: LspRange;
  /** Initial state of a node with children. */
  expanded: boolean;
  children: TopologyNode[];
}

export interface TopologyTree {
  nodes: TopologyNode[];
  /** Short text beside the view title. */
  description?: string;
  /** Text shown above the tree, for what the user should know first. */
  message?: string;
  /** Distinct problems shown in the tree, for the view's badge. */
  problemCount: number;
}

export const UNMATCHED_GROUP = 'Devices without a host SMMU';
export const UNPLACED_GROUP = 'Devices outside the PCI tree';
export const UNBOUND_GROUP = 'Expanders serving no host SMMU';

const RANK: Record<ProblemView['severity'], number> = { error: 3, warning: 2, information: 1, hint: 0 };

export function buildTopologyTree(view: TopologyView | null): TopologyTree {
  if (!view) {
    return { nodes: [], message: 'The active document is not a libvirt domain: its root element is not <domain>.', problemCount: 0 };
  }
  const nodes: TopologyNode[] = [];
  if (view.grouping === 'host') {
    view.smmus.forEach((s, i) => nodes.push(smmuNode(s, i)));
    if (view.unmatched.length)
      nodes.push(
        group(
          'unmatched',
          UNMATCHED_GROUP,
          view.unmatched.map((d, i) => unmatchedNode(d, `unmatched/${i}`)),
        ),
      );
    if (view.expanders.length) {
      nodes.push(
        group(
          'unbound',
          UNBOUND_GROUP,
          view.expanders.map((e, i) => expanderNode(e, `unbound/${i}`)),
          'Expanders (or pcie-root) that no assigned device of a known host SMMU sits behind.',
        ),
      );
    }
  } else {
    view.expanders.forEach((e, i) => nodes.push(expanderNode(e, `complex/${i}`)));
    if (view.unmatched.length)
      nodes.push(
        group(
          'unmatched',
          UNPLACED_GROUP,
          view.unmatched.map((d, i) => unmatchedNode(d, `unmatched/${i}`)),
        ),
      );
  }
  return {
    nodes,
    description: view.grouping === 'host' ? view.hostSource : 'by expander',
    message: view.grouping === 'host' ? undefined : view.hostSource,
    problemCount: countProblems(view),
  };
}

function smmuNode(s: SmmuView, position: number): TopologyNode {
  // The position keeps ids unique should a hand-written snapshot list a name twice.
  const id = `smmu/${position}/${s.name}`;
  const assigned = s.expanders.reduce((n, e) => n + e.devices.filter((d) => d.kind === 'hostdev').length, 0) + s.devices.length;
  const facts = [s.platformDevice, s.numaNode !== undefined ? `NUMA ${s.numaNode}` : undefined];
  let state: string;
  if (s.unused) state = 'not used by this domain';
  else if (s.expanders.length === 0) state = `${plural(assigned, 'device')}, no expander`;
  else state = plural(assigned, 'device');
  const children = [
    ...s.expanders.map((e, i) => expanderNode(e, `${id}/expander/${i}`)),
    ...s.devices.map((d, i) => deviceNode(d, `${id}/device/${i}`)),
    ...s.unassigned.map((h, i) => hostDeviceNode(h, `${id}/host/${i}`)),
  ];
  const tooltip = [
    `Host SMMU ${s.name}`,
    facts.filter(Boolean).join(' · '),
    s.unused ? 'No device assigned to this domain is behind it.' : `Assigned devices behind it: ${assigned}.`,
    s.unassigned.length ? `Host devices behind it that the domain does not assign: ${s.unassigned.map((h) => h.bdf).join(', ')}.` : '',
    problemText(s.problems),
  ];
  return {
    id,
    kind: 'smmu',
    label: s.name,
    description: [...facts, state].filter(Boolean).join(' · '),
    tooltip: lines(tooltip),
    icon: iconFor(worst(s.problems, children), s.unused ? { id: 'circle-slash', color: 'muted' } : { id: 'chip' }),
    expanded: !s.unused && children.length > 0,
    children,
  };
}

function expanderNode(e: ExpanderView, id: string): TopologyNode {
  const children: TopologyNode[] = [];
  if (e.vsmmu) {
    const v = e.vsmmu;
    children.push({
      id: `${id}/vsmmu`,
      kind: 'vsmmu',
      label: v.accel ? "vSMMU (accel='on')" : 'vSMMU',
      description: `pciBus ${e.index}`,
      tooltip: lines([v.accel ? `Accelerated vSMMU on ${e.label}: nested translation backed by one host SMMU.` : `Emulated vSMMU on ${e.label}.`, problemText(v.problems)]),
      icon: iconFor(worst(v.problems, []), { id: 'shield' }),
      reveal: v.range,
      expanded: false,
      children: [],
    });
  }
  e.devices.forEach((d, i) => children.push(deviceNode(d, `${id}/device/${i}`)));
  const vs = e.vsmmu ? (e.vsmmu.accel ? 'accelerated vSMMU' : 'vSMMU') : 'no vSMMU';
  const facts = [vs, e.numaNode !== undefined ? `guest NUMA ${e.numaNode}` : undefined, e.namedSmmu ? `names ${e.namedSmmu}` : undefined];
  return {
    id,
    kind: 'expander',
    label: e.label,
    description: facts.filter(Boolean).join(' · '),
    tooltip: lines([
      e.index === 0 ? 'pcie-root (index 0)' : `pcie-expander-bus, controller index ${e.index}${e.busNr !== undefined ? `, busNr ${e.busNr}` : ''}`,
      e.vsmmu ? `Its vSMMU: <iommu model='smmuv3'> with pciBus='${e.index}'${e.vsmmu.accel ? ", accel='on'" : ''}.` : `No <iommu> has pciBus='${e.index}'.`,
      problemText(e.problems),
    ]),
    icon: iconFor(worst(e.problems, children), { id: 'type-hierarchy' }),
    reveal: e.range,
    expanded: children.length > 0,
    children,
  };
}

function deviceNode(d: DeviceView, id: string, reason?: string): TopologyNode {
  const description = [reason ?? d.name, d.where].filter(Boolean).join(' · ');
  return {
    id,
    kind: 'device',
    label: d.label,
    description,
    tooltip: lines([
      d.kind === 'hostdev' ? `Assigned device ${d.bdf ?? '(incomplete source address)'}` : `Emulated device <${d.label}>`,
      d.name ?? '',
      `In the guest: ${d.where}.`,
      reason ? `Not placed: ${reason}.` : '',
      problemText(d.problems),
    ]),
    icon: iconFor(worst(d.problems, []), d.kind === 'hostdev' ? { id: 'plug' } : { id: 'vm' }),
    reveal: d.range,
    expanded: false,
    children: [],
  };
}

function unmatchedNode(d: UnmatchedView, id: string): TopologyNode {
  const node = deviceNode(d, id, d.reason);
  // Without a problem of its own, the reason itself is the warning.
  if (d.problems.length === 0) node.icon = { id: 'question', color: 'warning' };
  return node;
}

function hostDeviceNode(h: HostDeviceView, id: string): TopologyNode {
  return {
    id,
    kind: 'hostDevice',
    label: h.bdf,
    description: [h.name, 'not assigned'].filter(Boolean).join(' · '),
    tooltip: lines([`Host device ${h.bdf}`, h.name ?? '', 'Behind this SMMU on the host, but not assigned to this domain.']),
    icon: { id: 'circle-outline', color: 'muted' },
    expanded: false,
    children: [],
  };
}

function group(id: string, label: string, children: TopologyNode[], tooltip = ''): TopologyNode {
  return {
    id,
    kind: 'group',
    label,
    description: String(children.length),
    tooltip: tooltip || label,
    icon: iconFor(worst([], children), { id: id === 'unmatched' ? 'question' : 'type-hierarchy' }),
    expanded: true,
    children,
  };
}

/** The worst severity among a node's own problems and its children's icons. */
function worst(problems: readonly ProblemView[], children: readonly TopologyNode[]): ProblemView['severity'] | undefined {
  let best = -1;
  let sev: ProblemView['severity'] | undefined;
  for (const p of problems)
    if (RANK[p.severity] > best) {
      best = RANK[p.severity];
      sev = p.severity;
    }
  for (const c of children) {
    const s = c.icon.color === 'error' ? 'error' : c.icon.color === 'warning' ? 'warning' : c.icon.color === 'info' ? 'information' : undefined;
    if (s && RANK[s] > best) {
      best = RANK[s];
      sev = s;
    }
  }
  return sev;
}

function iconFor(severity: ProblemView['severity'] | undefined, plain: NodeIcon): NodeIcon {
  if (severity === 'error') return { id: 'error', color: 'error' };
  if (severity === 'warning') return { id: 'warning', color: 'warning' };
  if (severity === 'information') return { id: 'info', color: 'info' };
  return plain;
}

function problemText(problems: readonly ProblemView[]): string {
  return problems.map((p) => `${p.severity} ${p.code}: ${p.message}`).join('\n');
}

function lines(parts: readonly string[]): string {
  return parts.filter((p) => p !== '').join('\n\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Problems counted once each, though one may show on a host SMMU and on each of its devices. */
function countProblems(view: TopologyView): number {
  const seen = new Set<string>();
  const add = (ps: readonly ProblemView[]) => ps.forEach((p) => seen.add(`${p.code}\0${p.message}`));
  const addExpander = (e: ExpanderView) => {
    add(e.problems);
    if (e.vsmmu) add(e.vsmmu.problems);
    e.devices.forEach((d) => add(d.problems));
  };
  for (const s of view.smmus) {
    add(s.problems);
    s.expanders.forEach(addExpander);
    s.devices.forEach((d) => add(d.problems));
  }
  view.expanders.forEach(addExpander);
  view.unmatched.forEach((d) => add(d.problems));
  return seen.size;
}
