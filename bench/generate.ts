/**
 * Realistic test material at any size: a host topology shaped like an NVIDIA
 * Grace machine (one SMMUv3 per PCI segment, GPUs, NICs with virtual
 * functions, NVMe) and libvirt domains for it with expanders (pxb-pcie) per
 * host SMMU, root ports, assigned devices, accelerated vSMMUs, disks and NICs.
 *
 * Shared by the benchmark (documents from 5 KB to 5 MB) and the robustness
 * suite (base documents to mutate). Everything is drawn from a seeded
 * generator, so the same options always give the same text.
 *
 * Large documents are not realistic domains (nobody has 12 000 disks), but
 * their mix of elements is: the core (expanders, root ports, hostdevs,
 * vSMMUs) stays within what a guest can really have, and the size beyond it
 * is made of the kind of elements long domains are long with (SCSI disks and
 * NICs), so the parser, model and rules see representative work.
 */
import { HOST_SNAPSHOT_VERSION, type HostIommu, type HostPciDevice, type HostTopology } from '../server/src/host/types';
import { makeRng, type Rng } from './rng';

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

// ---------------------------------------------------------------- host

export interface HostOptions {
  /** Number of host SMMUv3 instances (default 16); the last one serves no device, as on real hosts. */
  smmus?: number;
  /** Number of PCI devices (default 300), spread over the SMMUs. */
  devices?: number;
  seed?: number;
}

const GPU = { vendorId: '0x10de', deviceId: '0x2342', classCode: '0x030200', vendorName: 'NVIDIA Corporation', deviceName: 'GH100 [H100]' };
const NIC_VF = { vendorId: '0x15b3', deviceId: '0x101e', classCode: '0x020000', vendorName: 'Mellanox Technologies', deviceName: 'ConnectX Family mlx5Gen Virtual Function' };
const NVME = { vendorId: '0x144d', deviceId: '0xa80a', classCode: '0x010802', vendorName: 'Samsung Electronics Co Ltd', deviceName: 'NVMe SSD Controller' };

export function smmuName(k: number): string {
  return `smmu3.0x${hex(0x10000000 + k * 0x1000000, 16)}`;
}

/**
 * A Grace-like host: SMMU k translates PCI segment k. In each segment device
 * 0 is a GPU at `kkkk:01:00.0`, every fifth an NVMe drive, the rest NIC
 * virtual functions packed eight functions to a slot.
 */
export function generateHost(opts: HostOptions = {}): HostTopology {
  const smmus = Math.max(1, opts.smmus ?? 16);
  const total = Math.max(0, opts.devices ?? 300);
  const serving = Math.max(1, smmus - 1);
  const iommus: HostIommu[] = [];
  const pciDevices: HostPciDevice[] = [];
  let group = 0;
  for (let k = 0; k < smmus; k++) {
    const name = smmuName(k);
    const numaNode = k < smmus / 2 ? 0 : 1;
    const count = k < serving ? Math.floor(total / serving) + (k < total % serving ? 1 : 0) : 0;
    const bdfs: string[] = [];
    for (let j = 0; j < count; j++) {
      const seg = hex(k, 4);
      let bdf: string;
      let kind: typeof GPU;
      let driver: string;
      if (j === 0) {
        bdf = `${seg}:01:00.0`;
        kind = GPU;
        driver = 'vfio-pci';
      } else {
        const v = j - 1;
        bdf = `${seg}:${hex(2 + Math.floor(v / 256), 2)}:${hex(Math.floor((v % 256) / 8), 2)}.${v % 8}`;
        kind = j % 5 === 0 ? NVME : NIC_VF;
        driver = kind === NVME ? 'nvme' : 'vfio-pci';
      }
      bdfs.push(bdf);
      pciDevices.push({ bdf, ...kind, numaNode, iommuGroup: group++, driver, iommu: name });
    }
    iommus.push({ name, kind: 'smmuv3', platformDevice: `arm-smmu-v3.${k}.auto`, devices: [...bdfs].sort(), numaNode });
  }
  pciDevices.sort((a, b) => (a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0));
  return {
    version: HOST_SNAPSHOT_VERSION,
    source: { kind: 'snapshot', file: 'generated-host.json', hostname: 'grace-bench' },
    hostname: 'grace-bench',
    readAt: '2026-01-01T00:00:00.000Z',
    iommus,
    pciDevices,
    notes: [],
  };
}

// ---------------------------------------------------------------- domain

export interface DomainOptions {
  /** Approximate size of the document in UTF-16 code units (the result is within a few hundred of it, never below the fixed core). */
  targetBytes: number;
  /** Host whose devices are assigned (default: generateHost()). */
  host?: HostTopology;
  seed?: number;
  /**
   * Add the mistakes a user makes while editing (default true): an `ssidSize`
   * spelling, a hostdev placed behind another SMMU's expander. They give the
   * rules and the quick fixes real work.
   */
  mistakes?: boolean;
}

/** Offsets (UTF-16) of places the benchmark and tests act on. */
export interface DomainMarks {
  /** Start of the first attribute name in the first hostdev's `<source><address>`, where the host's devices are offered. */
  hostdevSourceAddress: number;
  /** Start of the value of the first vSMMU's `pciBus`. */
  pciBusValue: number;
  /** Inside the name of the first vSMMU's `accel` attribute. */
  hoverAttr: number;
  /** A digit near the middle of the document whose change keeps the structure: the one-character edit. */
  editOffset: number;
  /** The misspelt `ssidSize` attribute name, when mistakes are on (else -1). */
  fixStart: number;
  fixEnd: number;
}

export interface GeneratedDomain {
  text: string;
  marks: DomainMarks;
  counts: { expanders: number; rootPorts: number; hostdevs: number; iommus: number; disks: number; nics: number; elements: number };
}

/** Builds text while keeping track of offsets. */
class Writer {
  private parts: string[] = [];
  length = 0;
  elements = 0;
  write(s: string): void {
    this.parts.push(s);
    this.length += s.length;
    // Start tags, for the element count.
    for (let i = s.indexOf('<'); i !== -1; i = s.indexOf('<', i + 1)) {
      const c = s.charCodeAt(i + 1);
      if (c !== 0x2f && c !== 0x21 && c !== 0x3f) this.elements++;
    }
  }
  /** Writes `before`, then returns the offset where `after` starts, then writes `after`. */
  mark(before: string, after = ''): number {
    this.write(before);
    const at = this.length;
    this.write(after);
    return at;
  }
  text(): string {
    return this.parts.join('');
  }
}

const MAX_PORTS_PER_EXPANDER = 12;
/** Bytes of the tail (`</devices></domain>`) the filler must leave room for. */
const TAIL = '  </devices>\n</domain>\n';

export function generateDomain(opts: DomainOptions): GeneratedDomain {
  const rng = makeRng(opts.seed ?? 1);
  const host = opts.host ?? generateHost();
  const mistakes = opts.mistakes ?? true;
  const target = Math.max(0, opts.targetBytes);
  const w = new Writer();
  const marks: DomainMarks = { hostdevSourceAddress: -1, pciBusValue: -1, hoverAttr: -1, editOffset: -1, fixStart: -1, fixEnd: -1 };
  const digits: number[] = [];

  // Assignable devices per host SMMU (vfio-pci bound), in a stable order.
  const bySmmu = host.iommus
    .filter((i) => i.kind === 'smmuv3')
    .map((i) => ({ smmu: i, devices: host.pciDevices.filter((d) => d.iommu === i.name && d.driver === 'vfio-pci') }))
    .filter((g) => g.devices.length > 0);

  // About a third of the budget goes to the assigned-device core, within what a guest can have.
  const wantHostdevs = Math.max(1, Math.round((target * 0.35) / 650));
  const expanderCount = Math.min(bySmmu.length, Math.max(1, Math.ceil(wantHostdevs / 4)));
  const ports: number[] = [];
  let left = wantHostdevs;
  for (let e = 0; e < expanderCount; e++) {
    const share = Math.ceil(left / (expanderCount - e));
    const p = Math.max(1, Math.min(share, MAX_PORTS_PER_EXPANDER, bySmmu[e].devices.length));
    ports.push(p);
    left = Math.max(0, left - p);
  }

  header(w, rng, digits);
  w.write('  <devices>\n    <emulator>/usr/bin/qemu-system-aarch64</emulator>\n');
  w.write("    <controller type='pci' index='0' model='pcie-root'/>\n");

  // Expanders, one per host SMMU in use, with bus numbers allocated from 255 down.
  let busNr = 256;
  const expanderIndex: number[] = [];
  for (let e = 0; e < expanderCount; e++) {
    busNr -= 1 + ports[e];
    const idx = e + 1;
    expanderIndex.push(idx);
    const smmu = bySmmu[e].smmu;
    w.write(`    <!-- root complex for host SMMU ${smmu.name} -->\n`);
    w.write(`    <controller type='pci' index='${idx}' model='pcie-expander-bus'>\n      <model name='pxb-pcie'/>\n`);
    w.write(`      <target busNr='${busNr}'>\n        <node>${smmu.numaNode ?? 0}</node>\n      </target>\n`);
    w.write(`      <address type='pci' domain='0x0000' bus='0x00' slot='${hexAttr(idx)}' function='0x0'/>\n    </controller>\n`);
  }

  // Root ports: one per assigned device on its expander, then a few on pcie-root for emulated devices.
  let nextIndex = expanderCount + 1;
  const hostdevPorts: { port: number; expander: number; group: number }[] = [];
  for (let e = 0; e < expanderCount; e++) {
    for (let j = 0; j < ports[e]; j++) {
      const idx = nextIndex++;
      rootPort(w, idx, expanderIndex[e], j);
      hostdevPorts.push({ port: idx, expander: e, group: e });
    }
  }
  const rootPortsOnRoot: number[] = [];
  for (let j = 0; j < 6; j++) {
    const idx = nextIndex++;
    rootPortsOnRoot.push(idx);
    rootPort(w, idx, 0, 0, 0x11 + j);
  }

  // Assigned devices: device i of the expander's own SMMU; with mistakes, the
  // second port of the first expander gets a device of the second SMMU.
  const used = new Map<number, number>();
  let hostdevs = 0;
  for (const hp of hostdevPorts) {
    let group = hp.group;
    if (mistakes && bySmmu.length > 1 && hp.expander === 0 && hostdevs === 1) group = 1;
    const n = used.get(group) ?? 0;
    used.set(group, n + 1);
    const dev = bySmmu[group].devices[n % bySmmu[group].devices.length];
    const [d, b, sf] = dev.bdf.split(':');
    const [s, f] = sf.split('.');
    w.write("    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <driver name='vfio' iommufd='yes'/>\n      <source>\n");
    const attrAt = w.mark('        <address ', `domain='0x${d}' bus='0x${b}' slot='0x${s}' function='0x${f}'/>\n`);
    if (marks.hostdevSourceAddress < 0) marks.hostdevSourceAddress = attrAt;
    w.write(`      </source>\n      <address type='pci' domain='0x0000' bus='${hexAttr(hp.port)}' slot='0x00' function='0x0'/>\n    </hostdev>\n`);
    hostdevs++;
  }

  // Emulated devices on pcie-root's root ports (never behind an accelerated vSMMU).
  w.write(
    `    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap'/>\n      <source file='/var/lib/libvirt/images/grace-root.qcow2'/>\n      <target dev='vda' bus='virtio'/>\n      <boot order='1'/>\n      <address type='pci' domain='0x0000' bus='${hexAttr(rootPortsOnRoot[0])}' slot='0x00' function='0x0'/>\n    </disk>\n`,
  );
  w.write(
    `    <interface type='bridge'>\n      <mac address='52:54:00:6b:3c:01'/>\n      <source bridge='br0'/>\n      <model type='virtio'/>\n      <address type='pci' domain='0x0000' bus='${hexAttr(rootPortsOnRoot[1])}' slot='0x00' function='0x0'/>\n    </interface>\n`,
  );
  w.write(
    `    <controller type='scsi' index='0' model='virtio-scsi'>\n      <driver queues='8'/>\n      <address type='pci' domain='0x0000' bus='${hexAttr(rootPortsOnRoot[2])}' slot='0x00' function='0x0'/>\n    </controller>\n`,
  );
  w.write(
    `    <controller type='usb' index='0' model='qemu-xhci' ports='15'>\n      <address type='pci' domain='0x0000' bus='${hexAttr(rootPortsOnRoot[3])}' slot='0x00' function='0x0'/>\n    </controller>\n`,
  );
  w.write(`    <memballoon model='virtio'>\n      <address type='pci' domain='0x0000' bus='${hexAttr(rootPortsOnRoot[4])}' slot='0x00' function='0x0'/>\n    </memballoon>\n`);
  w.write(
    `    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n      <address type='pci' domain='0x0000' bus='${hexAttr(rootPortsOnRoot[5])}' slot='0x00' function='0x0'/>\n    </rng>\n`,
  );
  w.write(
    "    <serial type='pty'>\n      <target type='system-serial' port='0'>\n        <model name='pl011'/>\n      </target>\n    </serial>\n    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n",
  );
  w.write("    <channel type='unix'>\n      <target type='virtio' name='org.qemu.guest_agent.0'/>\n    </channel>\n");

  // One accelerated vSMMU per expander.
  for (let e = 0; e < expanderCount; e++) {
    const misspelt = mistakes && e === expanderCount - 1;
    const pciBusAt = w.mark("    <iommu model='smmuv3'>\n      <driver pciBus='", `${expanderIndex[e]}'`);
    const accelAt = w.mark(' ', "accel='on' ats='on' ril='off' ");
    if (marks.pciBusValue < 0) {
      marks.pciBusValue = pciBusAt;
      marks.hoverAttr = accelAt + 2;
    }
    if (misspelt) {
      marks.fixStart = w.mark('', 'ssidSize');
      marks.fixEnd = marks.fixStart + 'ssidSize'.length;
      w.write("='20' oas='48'/>\n    </iommu>\n");
    } else {
      w.write("ssidsize='20' oas='48'/>\n    </iommu>\n");
    }
  }

  // Filler up to the target size: SCSI disks and NICs, as long domains have.
  let disks = 1,
    nics = 1,
    scsi = 1,
    block = 0;
  while (w.length + TAIL.length < target) {
    block++;
    if (block % 40 === 0) w.write(`    <!-- tenant ${block / 40}: Mandant Müller · 租户 📦 storage and network -->\n`);
    if (block % 3 !== 0) {
      const unit = (disks - 1) % 1000;
      if (unit === 0 && disks > 1) {
        w.write(`    <controller type='scsi' index='${scsi}' model='virtio-scsi'>\n      <driver queues='4'/>\n    </controller>\n`);
        scsi++;
      }
      const serialAt = w.mark(
        `    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap'/>\n      <source file='/var/lib/libvirt/images/data-${disks}.qcow2'/>\n      <target dev='${scsiName(disks - 1)}' bus='scsi'/>\n      <serial>`,
        `${100000 + disks}</serial>\n`,
      );
      digits.push(serialAt + 5);
      w.write(`      <address type='drive' controller='${Math.floor((disks - 1) / 1000)}' bus='0' target='0' unit='${unit}'/>\n    </disk>\n`);
      disks++;
    } else {
      const mac = `52:54:00:${hex((nics >> 16) & 0xff, 2)}:${hex((nics >> 8) & 0xff, 2)}:${hex(nics & 0xff, 2)}`;
      w.write(
        `    <interface type='network'>\n      <mac address='${mac}'/>\n      <source network='tenant-${rng.int(1, 64)}'/>\n      <model type='virtio'/>\n      <driver name='vhost' queues='4'/>\n    </interface>\n`,
      );
      nics++;
    }
  }
  w.write(TAIL);

  // The edit point: the candidate digit nearest the middle.
  const middle = w.length / 2;
  marks.editOffset = digits.reduce((best, d) => (Math.abs(d - middle) < Math.abs(best - middle) ? d : best), digits[0]);

  return {
    text: w.text(),
    marks,
    counts: {
      expanders: expanderCount,
      rootPorts: hostdevPorts.length + rootPortsOnRoot.length,
      hostdevs,
      iommus: expanderCount,
      disks,
      nics,
      elements: w.elements,
    },
  };
}

function header(w: Writer, rng: Rng, digits: number[]): void {
  w.write(`<domain type='kvm'>\n  <name>grace-bench-${rng.int(1000, 9999)}</name>\n`);
  w.write(`  <uuid>${uuid(rng)}</uuid>\n`);
  w.write('  <description>Grace Hopper guest 😀 — GPU 直通 テスト, one vSMMU per host SMMU</description>\n');
  digits.push(w.mark("  <memory unit='GiB'>", '128</memory>\n') + 1);
  w.write("  <vcpu placement='static'>32</vcpu>\n");
  w.write("  <os firmware='efi'>\n    <type arch='aarch64' machine='virt'>hvm</type>\n  </os>\n");
  w.write("  <features>\n    <acpi/>\n    <gic version='3'/>\n  </features>\n");
  w.write(
    "  <cpu mode='host-passthrough'>\n    <numa>\n      <cell id='0' cpus='0-15' memory='64' unit='GiB'/>\n      <cell id='1' cpus='16-31' memory='64' unit='GiB'/>\n    </numa>\n  </cpu>\n",
  );
  w.write('  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n');
}

function rootPort(w: Writer, index: number, bus: number, port: number, slot = port): void {
  w.write(`    <controller type='pci' index='${index}' model='pcie-root-port'>\n      <model name='pcie-root-port'/>\n`);
  w.write(`      <target chassis='${index}' port='${hexAttr(port)}'/>\n`);
  w.write(`      <address type='pci' domain='0x0000' bus='${hexAttr(bus)}' slot='${hexAttr(slot)}' function='0x0'/>\n    </controller>\n`);
}

function hexAttr(n: number): string {
  return `0x${hex(n, 2)}`;
}

/** sda … sdz, sdaa …: the SCSI disk name for a zero-based number. */
function scsiName(n: number): string {
  let s = '';
  let k = n + 1;
  while (k > 0) {
    k--;
    s = String.fromCharCode(0x61 + (k % 26)) + s;
    k = Math.floor(k / 26);
  }
  return `sd${s}`;
}

function uuid(rng: Rng): string {
  const h = (n: number) => Array.from({ length: n }, () => hex(rng.int(0, 15), 1)).join('');
  return `${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(12)}`;
}
