/**
 * Host topology snapshots: a HostTopology written as JSON, so a domain can be
 * checked on a laptop against the SMMUs of a server it will run on.
 *
 * Output is stable (fixed key order, sorted lists) so snapshots diff cleanly
 * in version control. Loading validates everything and reports the first
 * problem as one message naming the file and the field; it never throws,
 * because the caller shows the message to the user as it is.
 */
import { readFile } from 'node:fs/promises';
import {
  HOST_SNAPSHOT_VERSION,
  READABLE_SNAPSHOT_VERSIONS,
  type HostIommu,
  type HostNumaNode,
  type HostPciBar,
  type HostPciDevice,
  type HostSource,
  type HostTopology,
  type IommuKind,
} from './types';
import { formatCpuList, parseCpuList } from './cpuList';

export interface SnapshotResult {
  topology?: HostTopology;
  error?: string;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Pretty JSON with `version` first and every object's keys in a fixed order. */
export function serializeTopology(t: HostTopology): string {
  const source: HostSource = t.source.kind === 'sysfs' ? { kind: 'sysfs', root: t.source.root } : { kind: 'snapshot', file: t.source.file, hostname: t.source.hostname };
  // (an undefined hostname is dropped by JSON.stringify below)
  const out = {
    // Always the current format: a topology loaded from an older snapshot is written as the new one.
    version: HOST_SNAPSHOT_VERSION,
    source,
    hostname: t.hostname,
    readAt: t.readAt,
    iommus: [...t.iommus]
      .sort((a, b) => byString(a.name, b.name))
      .map((i) => ({
        name: i.name,
        kind: i.kind,
        platformDevice: i.platformDevice,
        numaNode: i.numaNode,
        oas: i.oas,
        devices: [...i.devices].sort(),
      })),
    pciDevices: [...t.pciDevices]
      .sort((a, b) => byString(a.bdf, b.bdf))
      .map((d) => ({
        bdf: d.bdf,
        vendorId: d.vendorId,
        deviceId: d.deviceId,
        classCode: d.classCode,
        vendorName: d.vendorName,
        deviceName: d.deviceName,
        numaNode: d.numaNode,
        iommuGroup: d.iommuGroup,
        driver: d.driver,
        iommu: d.iommu,
        bars: d.bars?.map((b) => ({ index: b.index, size: b.size, kind: b.kind, prefetchable: b.prefetchable })),
      })),
    numaNodes: t.numaNodes && [...t.numaNodes].sort((a, b) => a.id - b.id).map((n) => ({ id: n.id, cpus: n.cpus })),
    notes: [...t.notes],
  };
  // JSON.stringify drops undefined members, so optional fields simply vanish.
  return JSON.stringify(out, null, 2) + '\n';
}

const IOMMU_KINDS: readonly IommuKind[] = ['smmuv3', 'intel-dmar', 'amd-ivhd', 'other'];
const BDF_RE = /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;

/** "1, 2 and 3". */
function readableVersions(): string {
  const v = READABLE_SNAPSHOT_VERSIONS.map(String);
  return v.length > 1 ? `${v.slice(0, -1).join(', ')} and ${v[v.length - 1]}` : v.join('');
}

/** Thrown inside the validator only; turned into the `error` string at its edge. */
class Invalid extends Error {}

type Obj = Record<string, unknown>;

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function obj(v: unknown, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(`${where} must be an object, not ${kindOf(v)}`);
  return v as Obj;
}

function arr(v: unknown, where: string): unknown[] {
  if (v === undefined) throw new Invalid(`${where} is missing (expected an array)`);
  if (!Array.isArray(v)) throw new Invalid(`${where} must be an array, not ${kindOf(v)}`);
  return v;
}

function optStr(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new Invalid(`${where}.${key} must be a string, not ${kindOf(v)}`);
  return v;
}

function reqStr(o: Obj, key: string, where: string): string {
  const v = optStr(o, key, where);
  if (v === undefined) throw new Invalid(`${where}.${key} is missing (expected a string)`);
  return v;
}

function optInt(o: Obj, key: string, where: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new Invalid(`${where}.${key} must be a non-negative integer, not ${kindOf(v)}`);
  }
  return v;
}

function bdf(v: string, where: string): string {
  if (!BDF_RE.test(v)) throw new Invalid(`${where} is not a PCI address of the form DDDD:BB:SS.F: ${JSON.stringify(v)}`);
  return v.toLowerCase();
}

function parseIommu(v: unknown, where: string): HostIommu {
  const o = obj(v, where);
  const name = reqStr(o, 'name', where);
  const kind = reqStr(o, 'kind', where);
  if (!(IOMMU_KINDS as readonly string[]).includes(kind)) {
    throw new Invalid(`${where}.kind must be one of ${IOMMU_KINDS.join(', ')}, not ${JSON.stringify(kind)}`);
  }
  const devices = arr(o.devices, `${where}.devices`).map((d, j) => {
    if (typeof d !== 'string') throw new Invalid(`${where}.devices[${j}] must be a string, not ${kindOf(d)}`);
    return bdf(d, `${where}.devices[${j}]`);
  });
  const iommu: HostIommu = { name, kind: kind as IommuKind, devices };
  const platformDevice = optStr(o, 'platformDevice', where);
  if (platformDevice !== undefined) iommu.platformDevice = platformDevice;
  const numaNode = optInt(o, 'numaNode', where);
  if (numaNode !== undefined) iommu.numaNode = numaNode;
  const oas = optInt(o, 'oas', where);
  if (oas !== undefined) iommu.oas = oas;
  return iommu;
}

const BAR_KINDS: readonly HostPciBar['kind'][] = ['io', 'mem32', 'mem64'];

function parseBar(v: unknown, where: string): HostPciBar {
  const o = obj(v, where);
  const index = optInt(o, 'index', where);
  if (index === undefined || index > 5) throw new Invalid(`${where}.index must be a BAR number 0-5`);
  const size = optInt(o, 'size', where);
  if (size === undefined || size === 0) throw new Invalid(`${where}.size must be a positive number of bytes`);
  const kind = reqStr(o, 'kind', where);
  if (!(BAR_KINDS as readonly string[]).includes(kind)) throw new Invalid(`${where}.kind must be one of ${BAR_KINDS.join(', ')}, not ${JSON.stringify(kind)}`);
  const pf = o.prefetchable;
  if (pf !== undefined && typeof pf !== 'boolean') throw new Invalid(`${where}.prefetchable must be true or false, not ${kindOf(pf)}`);
  return { index, size, kind: kind as HostPciBar['kind'], prefetchable: pf === true };
}

function parseNumaNode(v: unknown, where: string): HostNumaNode {
  const o = obj(v, where);
  const id = optInt(o, 'id', where);
  if (id === undefined) throw new Invalid(`${where}.id is missing (expected the node number)`);
  const cpus = reqStr(o, 'cpus', where);
  const list = parseCpuList(cpus);
  if (!list) throw new Invalid(`${where}.cpus is not a CPU list such as "0-71,144-215": ${JSON.stringify(cpus)}`);
  return { id, cpus: formatCpuList(list) };
}

function parseDevice(v: unknown, where: string): HostPciDevice {
  const o = obj(v, where);
  const d: HostPciDevice = { bdf: bdf(reqStr(o, 'bdf', where), `${where}.bdf`) };
  for (const key of ['vendorId', 'deviceId', 'classCode', 'vendorName', 'deviceName', 'driver', 'iommu'] as const) {
    const s = optStr(o, key, where);
    if (s !== undefined) d[key] = s;
  }
  for (const key of ['numaNode', 'iommuGroup'] as const) {
    const n = optInt(o, key, where);
    if (n !== undefined) d[key] = n;
  }
  if (o.bars !== undefined) d.bars = arr(o.bars, `${where}.bars`).map((b, j) => parseBar(b, `${where}.bars[${j}]`));
  return d;
}

/**
 * Validates a snapshot's text. Required: `version`, `iommus`, `pciDevices`;
 * `readAt`, `hostname` and `notes` are optional so that a hand-written
 * snapshot can stay short. The result's `source` names the snapshot file (the
 * recorded sysfs source is of no use to whoever loads it elsewhere).
 */
export function parseSnapshot(text: string, file: string): SnapshotResult {
  if (text.trim() === '') return { error: `Host snapshot ${file} is empty.` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const truncated = endsInsideValue(text) ? ' (the file looks truncated)' : '';
    return { error: `Host snapshot ${file} is not valid JSON${truncated}: ${why}` };
  }
  try {
    const o = obj(data, 'the top level');
    if (o.version === undefined) {
      throw new Invalid(`it has no "version" field; this extension reads versions ${readableVersions()}`);
    }
    // Older versions lack fields, which stay unknown; their data is read the same way.
    if (typeof o.version !== 'number' || !READABLE_SNAPSHOT_VERSIONS.includes(o.version)) {
      const newer = typeof o.version === 'number' && o.version > HOST_SNAPSHOT_VERSION ? ' (written by a newer version?)' : '';
      throw new Invalid(`it has version ${JSON.stringify(o.version)}${newer}; this extension reads versions ${readableVersions()}`);
    }
    const iommus = arr(o.iommus, '"iommus"').map((v, i) => parseIommu(v, `iommus[${i}]`));
    const pciDevices = arr(o.pciDevices, '"pciDevices"').map((v, i) => parseDevice(v, `pciDevices[${i}]`));
    const numaNodes = o.numaNodes === undefined ? undefined : arr(o.numaNodes, '"numaNodes"').map((v, i) => parseNumaNode(v, `numaNodes[${i}]`));
    const seen = new Set<number>();
    for (const [i, n] of (numaNodes ?? []).entries()) {
      if (seen.has(n.id)) throw new Invalid(`numaNodes[${i}] repeats node ${n.id}`);
      seen.add(n.id);
    }
    const hostname = optStr(o, 'hostname', 'the top level');
    const readAt = optStr(o, 'readAt', 'the top level') ?? '';
    const notes =
      o.notes === undefined
        ? []
        : arr(o.notes, '"notes"').map((n, i) => {
            if (typeof n !== 'string') throw new Invalid(`notes[${i}] must be a string, not ${kindOf(n)}`);
            return n;
          });
    const topology: HostTopology = {
      version: o.version,
      source: hostname === undefined ? { kind: 'snapshot', file } : { kind: 'snapshot', file, hostname },
      readAt,
      iommus,
      pciDevices,
      notes,
    };
    if (numaNodes) topology.numaNodes = numaNodes;
    if (hostname !== undefined) topology.hostname = hostname;
    return { topology };
  } catch (e) {
    if (e instanceof Invalid) return { error: `Host snapshot ${file} is not usable: ${e.message}.` };
    return { error: `Host snapshot ${file} is not usable: ${e instanceof Error ? e.message : String(e)}.` };
  }
}

/**
 * True when the text stops inside a string, object or array: the usual shape
 * of a file cut short by a full disk or a copy in progress. Checked by
 * scanning rather than from JSON.parse's message, whose wording differs
 * between Node versions.
 */
function endsInsideValue(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return inString || depth > 0;
}

/** Reads and validates a snapshot file; I/O problems become the `error` string too. */
export async function loadSnapshot(file: string): Promise<SnapshotResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read: permission denied'
          : code === 'EISDIR'
            ? 'is a directory, not a file'
            : `cannot be read: ${e instanceof Error ? e.message : String(e)}`;
    return { error: `Host snapshot ${file} ${why}.` };
  }
  return parseSnapshot(text, file);
}
