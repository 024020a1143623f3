/**
 * Keeps the host topology the checks run against: read once, cached, re-read
 * when the settings change, on request, or — while the user is active — at
 * most every `maxAgeMs`, so a hot-plugged or rebound device shows up without
 * restarting the server. An idle server does not poll.
 *
 * A re-read that fails (a snapshot file that became invalid while being
 * rewritten, say) keeps the last good topology and reports the error beside
 * it: checking against slightly old data beats checking against nothing.
 * A change of settings does drop the old topology, since it described a
 * different source.
 */
import { performance } from 'node:perf_hooks';
import { loadSnapshot, serializeTopology, type SnapshotResult } from './snapshot';
import { readSysfsHost } from './sysfs';
import type { HostTopology } from './types';

export interface HostSettings {
  /** sysfs tree to read (default `/sys`). */
  sysfsRoot?: string;
  /** Snapshot file; when set it is used instead of sysfs. */
  snapshot?: string;
}

export interface HostProviderOptions {
  /** Minimum time between re-reads triggered by `noteActivity()` (default 5000). */
  maxAgeMs?: number;
  /** pci.ids files for the sysfs reader. */
  pciIdsPaths?: string[];
  /** Replaces the reader (tests); must not throw, but a throw is reported as an error too. */
  read?: (settings: HostSettings) => Promise<SnapshotResult>;
  /** Clock in ms (tests). */
  now?: () => number;
}

export type HostChangeListener = (topology: HostTopology | undefined) => void;

export class HostTopologyProvider {
  /** Duration of the last completed read, in milliseconds. */
  readMs: number | undefined;
  /** Why the last read failed, or undefined after a good one. */
  lastError: string | undefined;

  private settings: HostSettings;
  private topology: HostTopology | undefined;
  private loaded = false;
  private inflight: Promise<HostTopology | undefined> | undefined;
  /** Bumped by every read start and settings change; results of older reads are dropped. */
  private generation = 0;
  private lastReadAt = 0;
  /** What listeners were last told about, to fire `onDidChange` only on real changes. */
  private lastFingerprint = '';
  private readonly listeners = new Set<HostChangeListener>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly reader: (settings: HostSettings) => Promise<SnapshotResult>;

  constructor(settings: HostSettings = {}, options: HostProviderOptions = {}) {
    this.settings = normalize(settings);
    this.maxAgeMs = options.maxAgeMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.reader = options.read ?? (async (s) => (s.snapshot ? loadSnapshot(s.snapshot) : readSysfsHost(s.sysfsRoot ?? '/sys', { pciIdsPaths: options.pciIdsPaths })));
  }

  /** True while a read is under way. */
  get reading(): boolean {
    return this.inflight !== undefined;
  }

  /** The topology from the last good read, without reading. */
  get current(): HostTopology | undefined {
    return this.topology;
  }

  /** The topology's notes, preceded by the last read error when there is one. */
  get notes(): string[] {
    const notes = [...(this.topology?.notes ?? [])];
    if (this.lastError !== undefined) {
      const kept = this.topology ? ` Still using the copy loaded earlier${this.topology.readAt ? ` (read at ${this.topology.readAt})` : ''}.` : '';
      notes.unshift(this.lastError + kept);
    }
    return notes;
  }

  /** Applies new settings; returns true (and forgets the old topology) when they differ. */
  configure(settings: HostSettings): boolean {
    const next = normalize(settings);
    if (next.sysfsRoot === this.settings.sysfsRoot && next.snapshot === this.settings.snapshot) return false;
    this.settings = next;
    this.generation++;
    this.topology = undefined;
    this.lastError = undefined;
    this.loaded = false;
    this.inflight = undefined;
    return true;
  }

  /** The topology, reading it first if needed; undefined when no read has ever succeeded for these settings. */
  get(): Promise<HostTopology | undefined> {
    if (this.inflight) return this.inflight;
    if (!this.loaded) return this.startRead();
    return Promise.resolve(this.topology);
  }

  /** Reads again now, whatever the age of the cached topology. */
  refresh(): Promise<HostTopology | undefined> {
    return this.startRead();
  }

  /**
   * Tells the provider the user is working (an edit, a save). If the cached
   * topology is older than `maxAgeMs`, a re-read starts in the background and
   * the next `get()` waits for it.
   */
  noteActivity(): void {
    if (!this.loaded || this.inflight) return;
    if (this.now() - this.lastReadAt >= this.maxAgeMs) void this.startRead();
  }

  /** Calls `listener` after a read whose result (topology or error) differs from the last one reported. */
  onDidChange(listener: HostChangeListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private startRead(): Promise<HostTopology | undefined> {
    const gen = ++this.generation;
    const settings = this.settings;
    const p = (async (): Promise<HostTopology | undefined> => {
      const t0 = performance.now();
      let result: SnapshotResult;
      try {
        result = await this.reader(settings);
      } catch (e) {
        result = { error: `Reading the host failed: ${e instanceof Error ? e.message : String(e)}` };
      }
      // A newer read or a settings change came in meanwhile: its answer is the one that counts.
      if (gen !== this.generation) return this.get();
      this.readMs = performance.now() - t0;
      this.lastReadAt = this.now();
      this.inflight = undefined;
      this.loaded = true;
      if (result.topology) {
        this.topology = result.topology;
        this.lastError = undefined;
      } else {
        this.lastError = result.error ?? 'Reading the host gave no topology.';
      }
      this.fireIfChanged();
      return this.topology;
    })();
    this.inflight = p;
    return p;
  }

  private fireIfChanged(): void {
    // readAt changes on every read; it is not a change of the host.
    const fp = (this.topology ? serializeTopology({ ...this.topology, readAt: '' }) : '') + '\0' + (this.lastError ?? '');
    if (fp === this.lastFingerprint) return;
    this.lastFingerprint = fp;
    for (const l of [...this.listeners]) {
      try {
        l(this.topology);
      } catch {
        // A failing listener must not stop the others or the read.
      }
    }
  }
}

/** Empty strings mean "not set", as VS Code gives them for cleared settings. */
function normalize(s: HostSettings): HostSettings {
  return {
    sysfsRoot: s.sysfsRoot ? s.sysfsRoot : undefined,
    snapshot: s.snapshot ? s.snapshot : undefined,
  };
}
