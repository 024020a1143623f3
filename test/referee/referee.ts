/**
 * Asks the referee (libvirt 12.8 and QEMU 11.1 in the root that
 * scripts/referee.sh builds and runs) for its verdict on domains.
 *
 * A verdict has two parts, as `virsh define --validate` followed by a start
 * would have them:
 *  - schema: libvirt 12.8's RelaxNG schemas (what `virt-xml-validate` and
 *    `virsh define --validate` check; a plain `define` skips them);
 *  - driver: `virsh domxml-to-native qemu-argv`, libvirt's parse and its QEMU
 *    driver's validation, ending in the QEMU command line, without defining
 *    or starting anything.
 *
 * The machine running the referee has no KVM, VFIO or tun, so the copy sent
 * to the driver is rewritten where that would fail for the machine's sake
 * (see `rewriteForReferee`); every rewrite is listed in the verdict. The
 * schema sees the domain as written.
 *
 * The client is the root's own virsh (12.8, run through chroot): always
 * present once the root is, the daemon's own release, and nothing to install
 * on the host. Domains are written below the root's /tmp for it to read.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseXml } from '../../server/src/xml/parser';
import type { XmlElement } from '../../server/src/xml/nodes';

// __filename, not __dirname: tsx sets only the former when an ES module imports this file.
const REPO = resolve(dirname(__filename), '../..');
const SCRIPT = join(REPO, 'scripts/referee.sh');
/** Exit code of scripts/referee.sh when this machine cannot run the referee. */
export const REFEREE_UNAVAILABLE = 77;

export interface SchemaVerdict {
  valid: boolean;
  /** xmllint's messages, file names stripped. */
  messages: string[];
}

export interface DriverVerdict {
  ok: boolean;
  /** libvirt's error ("unsupported configuration: ...") when not ok. */
  error?: string;
  /** The QEMU command line when ok. */
  argv?: string;
}

export interface RefereeVerdict {
  schema: SchemaVerdict;
  driver: DriverVerdict;
  /** What was changed in the copy the driver saw, one line each. */
  rewrites: string[];
  /**
   * Set when libvirt rejected the domain for a reason of this machine or of
   * the referee's QEMU build, not of the domain (a missing emulator, firmware
   * or host capability), or when the domain is not for the QEMU driver at
   * all: such a verdict says nothing about the domain.
   */
  hostReason?: string;
  /** Schema and driver both accept. */
  accepted: boolean;
}

export interface DomainInput {
  name: string;
  text: string;
}

// ---------------------------------------------------------------------------
// Rewrites for a machine without KVM, VFIO or tun

interface Edit {
  start: number;
  end: number;
  text: string;
}

const EMULATOR_BY_ARCH: Record<string, string> = {
  aarch64: '/usr/bin/qemu-system-aarch64',
  armv7l: '/usr/bin/qemu-system-arm',
  x86_64: '/usr/bin/qemu-system-x86_64',
  i686: '/usr/bin/qemu-system-i386',
};

/**
 * The copy of a domain the driver can judge here. Each rewrite changes only
 * what this machine lacks and is listed; nothing the domain says about its
 * own devices and topology is touched:
 *  - `<domain type='kvm'>` -> `qemu` (no /dev/kvm here; TCG runs the same model);
 *  - `<cpu mode='host-passthrough'|'host-model'>` -> `maximum` (both need KVM);
 *  - `<interface>` removed (libvirt opens /dev/net/tun for them and would
 *    create tap devices on a real one); one with an `<address>` leaves a
 *    virtio-rng at that address, so the slot stays taken for libvirt's checks;
 *  - an `<emulator>` path this root lacks -> the root's QEMU for the arch.
 * Not rewritten: an aarch64 domain with `<acpi/>` and no UEFI is refused by
 * libvirt on every host ("ACPI requires UEFI on this architecture"), so that
 * verdict stands.
 */
export function rewriteForReferee(text: string, rootDir?: string): { text: string; rewrites: string[] } {
  const doc = parseXml(text);
  const domain = doc.roots.find((r) => r.name === 'domain');
  if (!domain) return { text, rewrites: [] };
  const edits: Edit[] = [];
  const rewrites: string[] = [];
  const setAttr = (el: XmlElement, name: string, value: string, why: string) => {
    const a = el.attributes.find((x) => x.name === name);
    if (!a || a.value === value || a.valueStart < 0) return;
    edits.push({ start: a.valueStart, end: a.valueEnd, text: value });
    rewrites.push(`<${el.name} ${name}='${a.value}'> -> '${value}' (${why})`);
  };
  const type = domain.attributes.find((a) => a.name === 'type')?.value;
  if (type === 'kvm') setAttr(domain, 'type', 'qemu', 'no /dev/kvm on the referee machine');

  const kids = (el: XmlElement | undefined, name: string) => el?.children.filter((c) => c.name === name) ?? [];
  for (const cpu of kids(domain, 'cpu')) {
    const mode = cpu.attributes.find((a) => a.name === 'mode')?.value;
    if (mode === 'host-passthrough' || mode === 'host-model') setAttr(cpu, 'mode', 'maximum', `${mode} needs KVM; maximum is its TCG counterpart`);
  }
  const os = kids(domain, 'os')[0];
  const arch = kids(os, 'type')[0]?.attributes.find((a) => a.name === 'arch')?.value;
  for (const devices of kids(domain, 'devices')) {
    const ifaces = kids(devices, 'interface');
    let kept = 0;
    for (const iface of ifaces) {
      // An interface with an address leaves a virtio-rng at that address, so
      // that libvirt's address checks (a clash, a bus that does not exist)
      // still see the slot taken; one without is removed, whole lines and all.
      const address = kids(iface, 'address')[0];
      if (address) {
        kept++;
        edits.push({
          start: iface.start,
          end: iface.end,
          text: `<rng model='virtio'><backend model='random'>/dev/urandom</backend>${text.slice(address.start, address.end)}</rng>`,
        });
        continue;
      }
      let start = iface.start;
      let end = iface.end;
      const lineStart = text.lastIndexOf('\n', start - 1) + 1;
      if (/^[ \t]*$/.test(text.slice(lineStart, start))) start = lineStart;
      const nl = text.indexOf('\n', end);
      if (nl >= 0 && /^[ \t\r]*$/.test(text.slice(end, nl))) end = nl + 1;
      edits.push({ start, end, text: '' });
    }
    if (ifaces.length) {
      const kinds = [...new Set(ifaces.map((i) => i.attributes.find((a) => a.name === 'type')?.value ?? '?'))].join(', ');
      const stand = kept ? `; ${kept} of them left a virtio-rng at their <address>` : '';
      rewrites.push(`${ifaces.length} <interface> removed (type ${kinds}): libvirt opens /dev/net/tun for them${stand}`);
    }
    for (const emu of kids(devices, 'emulator')) {
      const path = emu.texts
        .map((t) => t.value)
        .join('')
        .trim();
      const wanted = arch ? EMULATOR_BY_ARCH[arch] : undefined;
      if (!rootDir || !wanted || path === wanted || existsSync(join(rootDir, path))) continue;
      const t = emu.texts[0];
      if (!t) continue;
      edits.push({ start: t.start, end: emu.texts[emu.texts.length - 1].end, text: wanted });
      rewrites.push(`<emulator>${path}</emulator> -> ${wanted} (not in the referee's root)`);
    }
  }
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: out, rewrites };
}

// ---------------------------------------------------------------------------
// Which rejections belong to the machine, not to the domain

/**
 * libvirt messages that judge the referee machine or its QEMU build, not the
 * domain: the emulator or firmware of this root, a QEMU built without a
 * feature, a host resource. Anything else libvirt says is about the domain.
 */
const HOST_MESSAGES: readonly { pattern: RegExp; reason: string }[] = [
  { pattern: /Cannot find emulator|Cannot check QEMU binary|No such file or directory: .*qemu/i, reason: 'no emulator for this architecture in the referee root' },
  { pattern: /Unable to find '\w+' firmware/i, reason: 'no firmware descriptor in the referee root matches' },
  { pattern: /unsupported configuration: Emulator '[^']*' does not support (?:arch|virt type)/i, reason: 'the referee root has no QEMU for this architecture or accelerator' },
  { pattern: /No guest options available for arch|could not find capabilities for arch|does not support arch/i, reason: 'the referee root has no QEMU for this architecture' },
  {
    pattern: /is not supported by this QEMU binary|not supported with this QEMU binary|this QEMU binary doesn't support|is not available with this QEMU binary/i,
    reason: "a capability the referee's QEMU 11.1 build lacks",
  },
  { pattern: /Failed to open file '\/dev\/|Cannot access .*\/dev\//i, reason: 'a host device the referee machine does not have' },
  { pattern: /host doesn't support|host does not support/i, reason: 'a host capability the referee machine lacks' },
  { pattern: /KVM is not available|kvm is not supported/i, reason: 'no KVM on the referee machine' },
  { pattern: /NUMA node \d+ is unavailable/i, reason: 'a host NUMA node (<numatune>) the referee machine does not have' },
  { pattern: /hugetlbfs filesystem is not mounted/i, reason: 'no hugetlbfs mounted on the referee machine' },
  { pattern: /spice graphics are not supported with this QEMU/i, reason: "the referee's QEMU lacks its SPICE module" },
  { pattern: /TPM version '[^']*' is not supported|swtpm.*(?:not found|No such file)/i, reason: 'no swtpm in the referee root' },
  { pattern: /CPU is incompatible with host CPU|Host CPU does not provide required features/i, reason: "CPU features the referee machine's CPU (under TCG) does not provide" },
  { pattern: /no connection driver available for storage:/i, reason: 'a storage volume, and the referee runs no storage driver' },
  {
    pattern: /USB host device is missing bus\/device information/i,
    reason: 'a USB host device named by vendor and product, looked up on the host when the command line is built (virsh define does not look)',
  },
  { pattern: /does not support machine type '[^']*-rhel[^']*'/i, reason: "a distribution's machine type the referee's upstream QEMU does not have" },
];

/** The QEMU driver judges only these domain types; the rest belong to other drivers. */
const QEMU_TYPES = new Set(['kvm', 'qemu']);

/** Why the referee cannot judge this domain at all, or undefined. */
export function outOfScope(text: string): string | undefined {
  const domain = parseXml(text).roots.find((r) => r.name === 'domain');
  if (!domain) return 'no <domain> root';
  const type = domain.attributes.find((a) => a.name === 'type')?.value;
  if (!type || !QEMU_TYPES.has(type)) return `<domain type='${type ?? ''}'> is not for the QEMU driver the referee runs`;
  return undefined;
}

export function hostReasonOf(error: string | undefined): string | undefined {
  if (!error) return undefined;
  return HOST_MESSAGES.find((m) => m.pattern.test(error))?.reason;
}

// ---------------------------------------------------------------------------
// The connection

export type RefereeOpen = { referee: Referee } | { skip: string };

export class Referee {
  private constructor(
    readonly uri: string,
    readonly root: string,
    /** True when this process started the daemon (and so stops it in close()). */
    private readonly startedHere: boolean,
  ) {}

  /**
   * Connects to a running referee, or starts one (building the root on first
   * use). `{ skip }` carries the reason when this machine cannot run it.
   * Throws when it should run and does not.
   */
  static open(): RefereeOpen {
    const root = execFileSync('bash', [SCRIPT, 'root'], { encoding: 'utf8' }).trim();
    const status = spawnSync('bash', [SCRIPT, 'status'], { encoding: 'utf8' });
    if (status.status === 0) return { referee: new Referee(status.stdout.trim(), root, false) };
    const start = spawnSync('bash', [SCRIPT, 'start'], { encoding: 'utf8', timeout: 30 * 60_000 });
    if (start.status === REFEREE_UNAVAILABLE) {
      const why =
        start.stderr
          .split('\n')
          .filter((l) => l.includes('unavailable:'))
          .pop() ?? start.stderr.trim();
      return { skip: why.replace(/^referee: unavailable: /, 'libvirt referee unavailable: ') };
    }
    if (start.status !== 0) throw new Error(`scripts/referee.sh start failed (exit ${start.status}):\n${start.stderr}`);
    return { referee: new Referee(start.stdout.trim(), root, true) };
  }

  /** Stops the daemon if this process started it. */
  close(): void {
    if (this.startedHere) spawnSync('bash', [SCRIPT, 'stop'], { stdio: 'ignore' });
  }

  /** virsh's version report, the daemon's release included ("Running against daemon: 12.8.0"). */
  version(): string {
    return this.virshSync(['version', '--daemon']).stdout;
  }

  /** libvirt's verdicts, in the order of `domains`. Batched: one xmllint and a few virsh runs for all. */
  async verdicts(domains: readonly DomainInput[], parallel = 2): Promise<RefereeVerdict[]> {
    mkdirSync(join(this.root, 'tmp/referee'), { recursive: true });
    const dir = mkdtempSync(join(this.root, 'tmp/referee/batch-'));
    const inside = '/' + dir.slice(this.root.length).replace(/^\/+/, '');
    try {
      const rewritten = domains.map((d) => rewriteForReferee(d.text, this.root));
      domains.forEach((d, i) => {
        writeFileSync(join(dir, `s${i}.xml`), d.text);
        writeFileSync(join(dir, `d${i}.xml`), rewritten[i].text);
      });
      const schemaFiles = domains.map((_, i) => `${inside}/s${i}.xml`);
      const driverFiles = domains.map((_, i) => `${inside}/d${i}.xml`);
      const chunks: number[][] = [];
      const per = Math.max(1, Math.ceil(domains.length / Math.max(1, parallel)));
      for (let i = 0; i < domains.length; i += per) chunks.push(Array.from({ length: Math.min(per, domains.length - i) }, (_, k) => i + k));
      const [schema, ...driverParts] = await Promise.all([this.schemaVerdicts(schemaFiles), ...chunks.map((c) => this.driverVerdicts(c.map((i) => driverFiles[i])))]);
      const driver = driverParts.flat();
      return domains.map((_, i) => {
        const hostReason = outOfScope(domains[i].text) ?? (driver[i].ok ? undefined : hostReasonOf(driver[i].error));
        return {
          schema: schema[i],
          driver: driver[i],
          rewrites: rewritten[i].rewrites,
          hostReason,
          accepted: schema[i].valid && driver[i].ok,
        };
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** One verdict. */
  async verdict(text: string, name = 'domain'): Promise<RefereeVerdict> {
    return (await this.verdicts([{ name, text }]))[0];
  }

  /** xmllint against the 12.8 schemas, as virt-xml-validate runs it; one run for all files. */
  private async schemaVerdicts(files: readonly string[]): Promise<SchemaVerdict[]> {
    if (!files.length) return [];
    const { stdout, stderr } = await this.run(['xmllint', '--noout', '--relaxng', '/usr/share/libvirt/schemas/domain.rng', ...files]);
    const text = stdout + stderr;
    return files.map((f) => {
      const lines = text.split('\n').filter((l) => l.startsWith(f + ':') || l.startsWith(f + ' '));
      const valid = lines.some((l) => l === `${f} validates`);
      const messages = lines.filter((l) => l !== `${f} validates` && l !== `${f} fails to validate`).map((l) => l.slice(f.length + 1).trim());
      if (!valid && !lines.length) messages.push('xmllint gave no verdict for this file');
      return { valid, messages };
    });
  }

  /** `domxml-to-native qemu-argv` for each file, in one virsh run with separators between the answers. */
  private async driverVerdicts(files: readonly string[]): Promise<DriverVerdict[]> {
    if (!files.length) return [];
    const sep = (i: number) => `@@referee-${i}@@`;
    const script = files.map((f, i) => `domxml-to-native qemu-argv ${f}; echo ${sep(i)}`).join('; ');
    // stdout and stderr share one pipe so each error stays next to its separator.
    const { stdout } = await this.run(['sh', '-c', 'exec virsh -q -c qemu:///system "$1" 2>&1', 'sh', script]);
    const out: DriverVerdict[] = [];
    let rest = stdout;
    for (let i = 0; i < files.length; i++) {
      const at = rest.indexOf(sep(i));
      const answer = (at < 0 ? rest : rest.slice(0, at)).trim();
      rest = at < 0 ? '' : rest.slice(at + sep(i).length);
      const err = /^error: (.*)$/m.exec(answer);
      if (at < 0) out.push({ ok: false, error: `virsh gave no answer (output: ${answer.slice(0, 200)})` });
      else if (err)
        out.push({
          ok: false,
          error: answer
            .split('\n')
            .filter((l) => l.startsWith('error: '))
            .map((l) => l.slice(7))
            .join(' '),
        });
      else out.push({ ok: true, argv: answer });
    }
    return out;
  }

  private virshSync(args: string[]) {
    return spawnSync('chroot', [this.root, 'virsh', '-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8' });
  }

  private run(argv: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
    return new Promise((resolvePromise, reject) => {
      const p = spawn('chroot', [this.root, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      p.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      p.on('error', reject);
      p.on('close', (code) => resolvePromise({ stdout, stderr, code }));
    });
  }
}

/** A verdict in one line for reports: what libvirt said and what was rewritten. */
export function describeVerdict(v: RefereeVerdict): string {
  const parts: string[] = [];
  if (v.accepted) parts.push('accepted');
  if (!v.schema.valid) parts.push(`schema: ${v.schema.messages[0] ?? 'invalid'}`);
  if (!v.driver.ok) parts.push(`driver: ${v.driver.error}${v.hostReason ? ` [host: ${v.hostReason}]` : ''}`);
  if (v.rewrites.length) parts.push(`rewrites: ${v.rewrites.join('; ')}`);
  return parts.join(' | ');
}
