/**
 * Reads the host's IOMMUs and PCI devices from a sysfs tree.
 *
 * The tree may be the real `/sys` or a copy/fixture somewhere else, so every
 * path is treated as *virtual* (absolute inside the tree) and symlinks are
 * resolved here, component by component, never by the OS: a link whose target
 * is absolute (`/sys/devices/...`) or climbs above the tree must land inside
 * the tree, not on the machine running this code.
 *
 * Nothing in here throws to the caller: every problem becomes a note on the
 * returned topology, because a half-read host is still useful for checking a
 * domain, and an exception would hide the cause from the user.
 */
import * as fsCb from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HOST_SNAPSHOT_VERSION, type HostIommu, type HostNumaNode, type HostPciBar, type HostPciDevice, type HostTopology, type IommuKind } from './types';
import { iommuKindOf } from './queries';
import { addPciNames, DEFAULT_PCI_IDS_PATHS } from './pciIds';
import { parsePciResource } from './pciResource';
import { formatCpuList, parseCpuList } from './cpuList';

const posix = path.posix;

/** Top-level directories of any sysfs (see rootProblem). */
const SYSFS_TOP_DIRS = ['class', 'bus', 'devices'];

/** The few file-system calls the reader needs; replaceable so tests can inject EACCES or a vanishing root. */
export interface SysfsFs {
  /** Directory entries with their types (no following of links). */
  readdir(p: string): Promise<SysfsDirent[]>;
  readFile(p: string): Promise<string>;
  readlink(p: string): Promise<string>;
  lstat(p: string): Promise<{ isSymbolicLink(): boolean; isDirectory(): boolean }>;
}

export interface SysfsDirent {
  name: string;
  isSymbolicLink(): boolean;
  isDirectory(): boolean;
  isFile(): boolean;
}

/**
 * The real file system, called synchronously. A read is thousands of tiny
 * calls on files the kernel answers from memory; handing each to libuv's
 * thread pool and back cost more than the call itself (300 devices: about
 * 200 ms asynchronously, 80 ms synchronously, on the start-up path of the
 * first diagnostics). The event loop still gets a turn every SLICE_MS, so a
 * host with thousands of devices does not hold up the editor's requests.
 */
export const nodeSysfsFs: SysfsFs = {
  readdir: (p) => settle(() => fsCb.readdirSync(p, { withFileTypes: true })),
  readFile: (p) => settle(() => readSmallFile(p)),
  readlink: (p) => settle(() => fsCb.readlinkSync(p)),
  lstat: (p) => settle(() => fsCb.lstatSync(p)),
};

/** The longest stretch of synchronous calls before the event loop gets a turn. */
const SLICE_MS = 8;
/** When the current stretch of calls began, and when the last call ended. */
let sliceStart = -Infinity;
let lastCallEnd = -Infinity;

/** The call's result as a promise, after a turn of the event loop when the current slice is used up. */
function settle<T>(call: () => T): Promise<T> {
  const start = performance.now();
  // The event loop was free since the last call: this one begins a new slice.
  if (start - lastCallEnd > SLICE_MS) sliceStart = start;
  try {
    return pass(call());
  } catch (e) {
    return pass(undefined).then(() => Promise.reject(e as Error));
  } finally {
    lastCallEnd = performance.now();
  }
}

function pass<T>(result: T): Promise<T> {
  if (performance.now() - sliceStart < SLICE_MS) return Promise.resolve(result);
  return new Promise((resolve) =>
    setImmediate(() => {
      sliceStart = performance.now();
      resolve(result);
    }),
  );
}

/** One buffer for every attribute: reads are synchronous, so never two at once. */
const attrBuffer = Buffer.allocUnsafe(4096);

/**
 * Reads a sysfs attribute: open, read, close. Attributes are at most a page
 * and the kernel returns them in one read, so a short read is the end; a full
 * buffer reads on until end of file.
 */
function readSmallFile(p: string): string {
  const fd = fsCb.openSync(p, 'r');
  try {
    let n = fsCb.readSync(fd, attrBuffer, 0, attrBuffer.length, null);
    if (n < attrBuffer.length) return attrBuffer.toString('utf8', 0, n);
    const chunks = [Buffer.from(attrBuffer)];
    do {
      n = fsCb.readSync(fd, attrBuffer, 0, attrBuffer.length, null);
      chunks.push(Buffer.from(attrBuffer.subarray(0, n)));
    } while (n === attrBuffer.length);
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    fsCb.closeSync(fd);
  }
}

export interface ReadSysfsOptions {
  /** pci.ids files to take vendor/device names from; the first that exists wins. Host paths, not under the root. */
  pciIdsPaths?: string[];
  /** File-system layer (tests). */
  fs?: SysfsFs;
  /** Host name to record; default: this machine's name when reading `/sys` itself, otherwise none. */
  hostname?: string;
  /** How many devices are read at the same time (default 64): keeps thousands of devices from exhausting file handles. */
  concurrency?: number;
}

/** Linux gives up after 40 link hops (ELOOP); do the same. */
const MAX_LINK_HOPS = 40;
/** Notes beyond this many are summarised as "and N more", so a broken tree does not bury the useful ones. */
const MAX_NOTES = 20;

const BDF_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i;

/** A failure while resolving a virtual path, with enough detail for a one-line note. */
class ResolveError extends Error {
  constructor(
    readonly code: 'ENOENT' | 'ELOOP' | 'EACCES' | 'ENOTDIR' | 'EIO',
    readonly vpath: string,
    message: string,
    /** Set when `vpath` is a link whose target does not exist. */
    readonly danglingTarget?: string,
  ) {
    super(message);
  }
}

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function describeErr(e: unknown): string {
  if (e instanceof ResolveError) return e.message;
  const code = errCode(e);
  switch (code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return code ?? (e instanceof Error ? e.message : String(e));
  }
}

/** Collects notes, keeping the first MAX_NOTES and counting the rest. */
class Notes {
  private readonly list: string[] = [];
  private dropped = 0;
  add(note: string): void {
    if (this.list.length < MAX_NOTES) this.list.push(note);
    else this.dropped++;
  }
  result(): string[] {
    return this.dropped > 0 ? [...this.list, `... and ${this.dropped} more`] : [...this.list];
  }
}

/**
 * Resolves virtual paths inside one tree. Results for directories are cached
 * for the duration of one read: every PCI device path shares the
 * `devices/pciDDDD:BB/...` prefixes, so each prefix costs one lstat in total.
 * Only finished results are cached (not in-flight promises): a link loop would
 * otherwise wait on itself forever instead of running into the hop limit.
 */
class TreeResolver {
  private readonly cache = new Map<string, string>();
  private readonly prefix: string;
  constructor(
    readonly root: string,
    readonly fs: SysfsFs,
  ) {
    // Virtual paths are already normalised, so plain concatenation is enough (and this runs per call).
    this.prefix = path.resolve(root) === '/' ? '' : root.replace(/\/+$/, '');
  }

  /** Host path of a virtual path whose components contain no links. */
  real(vpath: string): string {
    return vpath === '/' ? this.root : this.prefix + vpath;
  }

  /** A virtual path as shown in notes: under the root, so on a live host it reads `/sys/...`. */
  show(vpath: string): string {
    return path.join(this.root, vpath);
  }

  /**
   * Resolves every link in `vpath`; the result names an existing entry with no links on the way.
   * `isLink`: its directory's listing said it is a link, which saves asking again (one lstat per device).
   */
  async resolve(vpath: string, hops = 0, isLink = false): Promise<string> {
    if (!NORMAL_VPATH.test(vpath)) vpath = posix.resolve('/', vpath);
    if (vpath === '/') return '/';
    const hit = this.cache.get(vpath);
    if (hit !== undefined) return hit;
    const parent = await this.resolve(posix.dirname(vpath), hops);
    const here = childPath(parent, posix.basename(vpath));
    let st;
    let target: string | undefined;
    try {
      if (isLink) {
        try {
          target = await this.fs.readlink(this.real(here));
        } catch (e) {
          if (errCode(e) !== 'EINVAL') throw e; // EINVAL: no longer a link; lstat says what it is
        }
      }
      st = target !== undefined ? KNOWN_LINK : await this.fs.lstat(this.real(here));
    } catch (e) {
      const code = errCode(e);
      const at = this.show(here);
      if (code === 'EACCES' || code === 'EPERM') throw new ResolveError('EACCES', here, `${at}: permission denied`);
      if (code === 'ENOTDIR') throw new ResolveError('ENOTDIR', here, `${this.show(parent)} is not a directory`);
      if (code === 'ENOENT') throw new ResolveError('ENOENT', here, `${at} does not exist`);
      throw new ResolveError('EIO', here, `${at}: ${describeErr(e)}`);
    }
    let resolved = here;
    if (st.isSymbolicLink()) {
      if (hops >= MAX_LINK_HOPS) {
        throw new ResolveError('ELOOP', vpath, `${this.show(vpath)}: symbolic link loop (more than ${MAX_LINK_HOPS} hops)`);
      }
      target ??= await this.fs.readlink(this.real(here));
      const next = rerootLinkTarget(parent, target);
      try {
        resolved = await this.resolve(next, hops + 1);
      } catch (e) {
        // Name the link that dangles (the innermost one), not only the path missing at its far end.
        if (e instanceof ResolveError && e.code === 'ENOENT' && e.danglingTarget === undefined) {
          throw new ResolveError('ENOENT', here, `${this.show(here)} is a dangling link (-> ${target})`, target);
        }
        throw e;
      }
    }
    this.cache.set(vpath, resolved);
    return resolved;
  }
}

/** An absolute path without empty, `.` or `..` components and no trailing slash: what `posix.resolve` would leave as it is. */
const NORMAL_VPATH = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$|^\/$/;

const KNOWN_LINK = { isSymbolicLink: () => true, isDirectory: () => false };

/** `dir`/`name` for an entry name of a listing or an attribute name (no slash, not `.` or `..`): posix.join without its parsing. */
function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/**
 * Where a link stored at `dir` with the given target points, as a virtual
 * path. Absolute targets are re-rooted: a copied tree's links still say
 * `/sys/...`, which means "the top of this tree". `..` above the top stays at
 * the top, as it does at `/`.
 */
export function rerootLinkTarget(dir: string, target: string): string {
  if (target.startsWith('/')) {
    const inTree = target === '/sys' || target.startsWith('/sys/') ? target.slice(4) || '/' : target;
    return posix.resolve('/', inTree);
  }
  return posix.resolve(dir, target);
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of results. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Natural order (`dmar2` before `dmar10`), so lists read the way the kernel numbered them. */
export function naturalCompare(a: string, b: string): number {
  const pa = a.match(/(\d+)|(\D+)/g) ?? [];
  const pb = b.match(/(\d+)|(\D+)/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * SMMUv3 names carry a fixed-width hex address, so plain string order is
 * address order (a natural sort would split `0x1a...` at the letter); other
 * kinds are numbered in decimal (`dmar2` before `dmar10`).
 */
export function compareIommuNames(a: string, b: string): number {
  if (iommuKindOf(a) === 'smmuv3' && iommuKindOf(b) === 'smmuv3') return a < b ? -1 : a > b ? 1 : 0;
  return naturalCompare(a, b);
}

const KIND_LABEL: Record<IommuKind, string> = {
  smmuv3: 'SMMUv3',
  'intel-dmar': 'Intel DMAR',
  'amd-ivhd': 'AMD IVHD',
  other: 'other IOMMU',
};

function parseNuma(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number.parseInt(text.trim(), 10);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

function parseIntOrUndef(text: string): number | undefined {
  const n = Number.parseInt(text, 10);
  return Number.isInteger(n) && String(n) === text ? n : undefined;
}

/**
 * Reads the host topology from the sysfs tree at `root`, in the order the
 * tree is laid out: the root itself, the IOMMU class view
 * (/class/iommu/<name>), the PCI bus view (/bus/pci/devices/<bdf>), then
 * what follows from both (IOMMU <-> device links, PCI names, closing notes).
 */
export async function readSysfsTopology(root = '/sys', opts: ReadSysfsOptions = {}): Promise<HostTopology> {
  const r = await readSysfsHost(root, opts);
  return r.topology ?? { ...emptyTopology(root, opts), notes: [r.error] };
}

/**
 * The same read, telling a root that is no sysfs tree at all (missing, not a
 * directory, or without any of class/, bus/ and devices/) apart from a host
 * without IOMMUs: the first is an error, for the user to fix the setting,
 * and no topology at all; only the second is a host the checks can speak of.
 */
export async function readSysfsHost(root = '/sys', opts: ReadSysfsOptions = {}): Promise<{ topology: HostTopology; error?: undefined } | { topology?: undefined; error: string }> {
  const reader = new SysfsReader(root, opts);
  const unusable = await reader.rootProblem();
  if (unusable) return { error: unusable };
  const topology = emptyTopology(root, opts);
  const iommuClass = await reader.readIommus();
  topology.iommus = iommuClass.iommus;
  topology.pciDevices = await reader.readPciDevices();
  const numaNodes = await reader.readNumaNodes();
  if (numaNodes) topology.numaNodes = numaNodes;
  linkIommuViews(topology);
  const pciIdsNote = await addPciNames(topology.pciDevices, opts.pciIdsPaths ?? DEFAULT_PCI_IDS_PATHS);
  if (pciIdsNote) reader.notes.add(pciIdsNote);
  reader.noteWhatIsMissing(topology.iommus, iommuClass.listed);
  await reader.noteVanishedRoot();
  topology.notes = reader.notes.result();
  return { topology };
}

function emptyTopology(root: string, opts: ReadSysfsOptions): HostTopology {
  const topology: HostTopology = {
    version: HOST_SNAPSHOT_VERSION,
    source: { kind: 'sysfs', root },
    readAt: new Date().toISOString(),
    iommus: [],
    pciDevices: [],
    notes: [],
  };
  // Only the live /sys belongs to this machine; a copied tree's host is unknown unless told.
  const hostname = opts.hostname ?? (path.resolve(root) === '/sys' ? safeHostname() : undefined);
  if (hostname !== undefined) topology.hostname = hostname;
  return topology;
}

/** An attribute's read problems, gathered per item so that one item gets one note. */
type Problems = string[];

/**
 * One read of a sysfs tree: the tree's resolver, the notes so far and the
 * steps of the read. Items are read concurrently, so each one collects its
 * notes in its own sink, and the sinks are added to `notes` afterwards in
 * item order: identical trees must give identical notes.
 */
class SysfsReader {
  readonly notes = new Notes();
  private readonly fs: SysfsFs;
  private readonly tree: TreeResolver;
  private readonly concurrency: number;
  private failures = 0;

  constructor(
    private readonly root: string,
    opts: ReadSysfsOptions,
  ) {
    this.fs = opts.fs ?? nodeSysfsFs;
    this.tree = new TreeResolver(root, this.fs);
    this.concurrency = opts.concurrency ?? 64;
  }

  /** Why the root cannot be read as a tree at all, or undefined when it can. */
  async rootProblem(): Promise<string | undefined> {
    try {
      const st = await this.fs.lstat(this.root);
      if (!st.isDirectory() && !st.isSymbolicLink()) return `The sysfs root ${this.root} is not a directory, so no IOMMUs or PCI devices were read.`;
    } catch (e) {
      const why = errCode(e) === 'ENOENT' ? 'does not exist' : `cannot be read (${describeErr(e)})`;
      return `The sysfs root ${this.root} ${why}, so no IOMMUs or PCI devices were read.`;
    }
    // Every sysfs, a VM's or a container's too, has at least one of these; a directory with none is
    // a wrong path (a project folder, a half-copied tree), not a host without IOMMUs.
    const shaped = await Promise.all(
      SYSFS_TOP_DIRS.map((d) =>
        this.fs.lstat(posix.join(this.root, d)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!shaped.some(Boolean)) {
      return `The sysfs root ${this.root} has none of ${SYSFS_TOP_DIRS.map((d) => `${d}/`).join(', ')}: it is not a sysfs tree, so no IOMMUs or PCI devices were read.`;
    }
    return undefined;
  }

  /**
   * /class/iommu/<name> -> .../<parent device>/iommu/<name>, with the
   * parent's numa_node and the devices/ directory listing the BDFs behind it.
   * `listed` is false when the tree has no IOMMU class at all.
   */
  async readIommus(): Promise<{ iommus: HostIommu[]; listed: boolean | undefined }> {
    const top: string[] = [];
    const iommuDir = await this.listDir('/class/iommu', top);
    if (iommuDir === 'missing') {
      top.push(`No IOMMU class in ${this.shown('/class/iommu')}: this machine exposes no IOMMUs (a VM or container?).`);
    }
    top.forEach((n) => this.notes.add(n));
    if (!iommuDir || iommuDir === 'missing') return { iommus: [], listed: iommuDir === 'missing' ? false : undefined };
    const names = iommuDir.entries.map((e) => e.name).sort(compareIommuNames);
    const read = await mapBounded(names, this.concurrency, (name) => this.readIommu(iommuDir.dir, name));
    return { iommus: this.collect(read, (r) => r.iommu), listed: true };
  }

  private async readIommu(classDir: string, name: string): Promise<{ iommu?: HostIommu; sink: string[] }> {
    const sink: string[] = [];
    let classDev: string;
    try {
      classDev = await this.tree.resolve(childPath(classDir, name));
    } catch (e) {
      this.fail(sink, `Skipped IOMMU ${name}: ${describeErr(e)}.`);
      return { sink };
    }
    const iommu: HostIommu = { name, kind: iommuKindOf(name), devices: [] };
    const problems: Problems = [];
    // Class devices live at .../<parent device>/iommu/<name>; Intel's hang off
    // devices/virtual, which is not a device, so it yields no platformDevice.
    const iommuParent = posix.dirname(classDev);
    const owner = posix.dirname(iommuParent);
    if (posix.basename(iommuParent) === 'iommu' && owner !== '/' && owner !== '/devices' && owner !== '/devices/virtual') {
      iommu.platformDevice = posix.basename(owner);
      const numa = parseNuma(await this.readAttr(owner, 'numa_node', problems));
      if (numa !== undefined) iommu.numaNode = numa;
    }
    const devs = await this.listDir(childPath(classDev, 'devices'), sink);
    if (devs && devs !== 'missing') {
      iommu.devices = devs.entries
        .map((e) => e.name.toLowerCase())
        .filter((n) => BDF_RE.test(n))
        .sort();
    }
    if (problems.length > 0) this.fail(sink, problemNote(`IOMMU ${name}`, problems));
    return { iommu, sink };
  }

  /**
   * /devices/system/node/node<N>/cpulist: which host CPUs belong to which
   * NUMA node, so that a vCPU pinned to host CPUs (`<vcpupin>`) can be
   * placed on a node. Undefined when the tree has no node directory (a
   * kernel without NUMA, or a copied tree without it): nothing is known then.
   */
  async readNumaNodes(): Promise<HostNumaNode[] | undefined> {
    const sink: string[] = [];
    const dir = await this.listDir('/devices/system/node', sink);
    if (!dir || dir === 'missing') {
      sink.forEach((n) => this.notes.add(n));
      return undefined;
    }
    const ids = dir.entries
      .map((e) => /^node(\d+)$/.exec(e.name))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const problems: Problems = [];
    const out: HostNumaNode[] = [];
    for (const id of ids) {
      const text = await this.readAttr(posix.join(dir.dir, `node${id}`), 'cpulist', problems);
      if (text === undefined) continue;
      const cpus = parseCpuList(text);
      if (cpus) out.push({ id, cpus: formatCpuList(cpus) });
      else problems.push(`node${id}/cpulist (not a CPU list: ${JSON.stringify(text.slice(0, 40))})`);
    }
    if (problems.length > 0) this.fail(sink, problemNote(`NUMA nodes in ${this.shown('/devices/system/node')}`, problems));
    sink.forEach((n) => this.notes.add(n));
    return out;
  }

  /** /bus/pci/devices/<bdf>: its identity attributes and the iommu_group, driver and iommu links. */
  async readPciDevices(): Promise<HostPciDevice[]> {
    const mid: string[] = [];
    const pciDir = await this.listDir('/bus/pci/devices', mid);
    if (pciDir === 'missing') {
      mid.push(`No PCI devices in ${this.shown('/bus/pci/devices')}: this machine has no PCI bus or it is not visible here.`);
    }
    mid.forEach((n) => this.notes.add(n));
    if (!pciDir || pciDir === 'missing') return [];
    const links = pciDir.entries.filter((e) => BDF_RE.test(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const read = await mapBounded(links, this.concurrency, (e) => this.readPciDevice(pciDir.dir, e.name, e.isSymbolicLink()));
    return this.collect(read, (r) => r.device);
  }

  private async readPciDevice(busDir: string, name: string, isLink: boolean): Promise<{ device?: HostPciDevice; sink: string[] }> {
    const sink: string[] = [];
    let dir: string;
    let entries: Map<string, SysfsDirent>;
    try {
      dir = await this.tree.resolve(childPath(busDir, name), 0, isLink);
      entries = new Map((await this.fs.readdir(this.tree.real(dir))).map((e) => [e.name, e]));
    } catch (e) {
      this.fail(sink, `Skipped PCI device ${name}: ${describeErr(e)}.`);
      return { sink };
    }
    // One note per device, however many of its attributes failed.
    const problems: Problems = [];
    const [vendor, device, cls, numa, bars, group, driver, iommu] = await Promise.all([
      this.readAttr(dir, 'vendor', problems, entries),
      this.readAttr(dir, 'device', problems, entries),
      this.readAttr(dir, 'class', problems, entries),
      this.readAttr(dir, 'numa_node', problems, entries),
      this.readBars(dir, problems, entries),
      this.linkBase(dir, 'iommu_group', problems, entries),
      this.linkBase(dir, 'driver', problems, entries),
      this.linkBase(dir, 'iommu', problems, entries),
    ]);
    if (problems.length > 0) this.fail(sink, problemNote(`PCI device ${name}`, problems));
    const d: HostPciDevice = { bdf: name.toLowerCase() };
    if (vendor) d.vendorId = vendor.toLowerCase();
    if (device) d.deviceId = device.toLowerCase();
    if (cls) d.classCode = cls.toLowerCase();
    const n = parseNuma(numa);
    if (n !== undefined) d.numaNode = n;
    const g = group === undefined ? undefined : parseIntOrUndef(group);
    if (g !== undefined) d.iommuGroup = g;
    if (driver) d.driver = driver;
    if (iommu) d.iommu = iommu;
    if (bars) d.bars = bars;
    return { device: d, sink };
  }

  /** BAR sizes from `resource`: what an assigned device needs of the guest's MMIO windows. */
  private async readBars(dir: string, problems: Problems, entries: Map<string, SysfsDirent>): Promise<HostPciBar[] | undefined> {
    const text = await this.readAttr(dir, 'resource', problems, entries);
    if (text === undefined) return undefined;
    const bars = parsePciResource(text);
    if (!bars) problems.push('resource (not in the start/end/flags format)');
    return bars;
  }

  /** Why no SMMUv3 or no IOMMU at all was found, when the class view was there to read. */
  noteWhatIsMissing(iommus: readonly HostIommu[], listed: boolean | undefined): void {
    if (listed !== false && iommus.length > 0 && !iommus.some((i) => i.kind === 'smmuv3')) {
      const byKind = new Map<IommuKind, string[]>();
      for (const i of iommus) byKind.set(i.kind, [...(byKind.get(i.kind) ?? []), i.name]);
      const found = [...byKind].map(([k, ns]) => `${KIND_LABEL[k]}: ${ns.join(', ')}`).join('; ');
      this.notes.add(`No SMMUv3 on this host (found ${found}).`);
    } else if (listed === true && iommus.length === 0 && this.failures === 0) {
      this.notes.add(`${this.shown('/class/iommu')} is empty: the IOMMU is off or not used by the kernel (check the kernel command line and firmware settings).`);
    }
  }

  /**
   * If reads failed, says whether it is because the whole tree went away
   * (unmounted, fixture deleted) rather than leaving only a list of missing files.
   */
  async noteVanishedRoot(): Promise<void> {
    if (this.failures === 0) return;
    try {
      await this.fs.lstat(this.root);
    } catch {
      this.notes.add(`The sysfs root ${this.root} disappeared during the read; the topology is incomplete.`);
    }
  }

  /** Adds each item's notes in item order and returns what the items read. */
  private collect<R extends { sink: string[] }, T>(read: readonly R[], item: (r: R) => T | undefined): T[] {
    const out: T[] = [];
    for (const r of read) {
      r.sink.forEach((n) => this.notes.add(n));
      const x = item(r);
      if (x) out.push(x);
    }
    return out;
  }

  private fail(sink: string[], note: string): void {
    this.failures++;
    sink.push(note);
  }

  private shown(vpath: string): string {
    return this.tree.show(vpath);
  }

  /**
   * Reads an attribute of a resolved directory. With `entries` (the
   * directory's listing) an absent attribute is simply undefined, and one that
   * was listed but cannot be read is a problem. Without a listing, "does not
   * exist" is the common, silent case.
   */
  private async readAttr(dir: string, name: string, problems: Problems, entries?: Map<string, SysfsDirent>): Promise<string | undefined> {
    const vpath = childPath(dir, name);
    const ent = entries?.get(name);
    if (entries && !ent) return undefined;
    try {
      // Plain files are read directly; a link (rare for attributes) is resolved inside the tree first.
      const real = ent && !ent.isSymbolicLink() ? this.tree.real(vpath) : this.tree.real(await this.tree.resolve(vpath));
      return (await this.fs.readFile(real)).trim();
    } catch (e) {
      const code = e instanceof ResolveError ? e.code : errCode(e);
      if (!entries && code === 'ENOENT' && !(e instanceof ResolveError && e.danglingTarget)) return undefined;
      problems.push(`${name} (${describeErr(e)})`);
      return undefined;
    }
  }

  /** Last path component of a link's target (what the kernel's own tools show for `iommu`, `driver`, `iommu_group`). */
  private async linkBase(dir: string, name: string, problems: Problems, entries: Map<string, SysfsDirent>): Promise<string | undefined> {
    if (!entries.get(name)?.isSymbolicLink()) return undefined;
    try {
      return posix.basename(await this.fs.readlink(this.tree.real(childPath(dir, name))));
    } catch (e) {
      problems.push(`${name} (${describeErr(e)})`);
      return undefined;
    }
  }

  /** Resolves and lists a virtual directory; a missing one is reported by 'missing', anything else by a note in `sink`. */
  private async listDir(vpath: string, sink: string[]): Promise<{ dir: string; entries: SysfsDirent[] } | 'missing' | undefined> {
    try {
      const dir = await this.tree.resolve(vpath);
      return { dir, entries: await this.fs.readdir(this.tree.real(dir)) };
    } catch (e) {
      const code = e instanceof ResolveError ? e.code : errCode(e);
      if (code === 'ENOENT' && !(e instanceof ResolveError && e.danglingTarget)) return 'missing';
      this.fail(sink, `Cannot read ${this.shown(vpath)}: ${describeErr(e)}.`);
      return undefined;
    }
  }
}

function problemNote(what: string, problems: Problems): string {
  // Sorted: concurrent reads finish in any order.
  return `${what}: cannot read ${problems.sort().join(', ')}.`;
}

function safeHostname(): string | undefined {
  try {
    return os.hostname();
  } catch {
    return undefined;
  }
}

/**
 * Makes the two views agree: a device's `iommu` link and the IOMMU's
 * `devices/` listing are the same fact seen from both ends, and either may be
 * missing (unreadable entry, older kernel). IOMMUs only known from device
 * links are added, so "which IOMMUs exist" still has an answer when
 * `class/iommu` could not be listed. Sorts both lists.
 */
export function linkIommuViews(t: HostTopology): void {
  const byName = new Map(t.iommus.map((i) => [i.name, i]));
  const byBdf = new Map(t.pciDevices.map((d) => [d.bdf, d]));
  for (const d of t.pciDevices) {
    if (!d.iommu) continue;
    let iommu = byName.get(d.iommu);
    if (!iommu) {
      iommu = { name: d.iommu, kind: iommuKindOf(d.iommu), devices: [] };
      byName.set(iommu.name, iommu);
      t.iommus.push(iommu);
    }
    if (!iommu.devices.includes(d.bdf)) iommu.devices.push(d.bdf);
  }
  for (const i of t.iommus) {
    for (const bdf of i.devices) {
      let d = byBdf.get(bdf);
      if (!d) {
        d = { bdf };
        byBdf.set(bdf, d);
        t.pciDevices.push(d);
      }
      if (!d.iommu) d.iommu = i.name;
    }
    i.devices.sort();
  }
  t.iommus.sort((a, b) => compareIommuNames(a.name, b.name));
  t.pciDevices.sort((a, b) => (a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0));
}
