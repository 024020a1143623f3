#!/usr/bin/env node
/**
 * Builds fake sysfs trees shaped like the real /sys: directories, attribute
 * files and RELATIVE symlinks, so the reader's link resolution is exercised
 * the same way as on a host.
 *
 *   node scripts/make-host-fixtures.mjs [outDir] [--many N] [host ...]
 *
 * outDir defaults to test/fixtures/sysfs. Each host directory is removed and
 * rebuilt, so running it twice gives the same tree. `--many N` also builds
 * `many-N`: N devices spread over 16 SMMUs (for scale tests and timing).
 * Tests run this script into a temporary directory at startup rather than
 * relying on a checked-in tree, because symlinks do not survive every
 * checkout (core.symlinks=false, some archives).
 *
 * The hosts are fixtures, not inventories of real machines: apart from the
 * GH200 GPU at 0009:01:00.0 behind smmu3.0x0000000016000000
 * (arm-smmu-v3.8.auto), base addresses, platform-device numbers and the
 * other devices are made up to look plausible.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const posix = path.posix;

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** BARs as the `resource` file lists them: index, size in bytes, kind (io, mem32, mem64), prefetchable. */
const bar = (index, size, kind = 'mem64', prefetchable = kind === 'mem64') => ({ index, size, kind, prefetchable });

const GPU_H100 = { vendor: '0x10de', device: '0x2342', class: '0x030200' };
const GPU_B200 = { vendor: '0x10de', device: '0x2901', class: '0x030200' };
const NVME = { vendor: '0x144d', device: '0xa80a', class: '0x010802' };
const CX7 = { vendor: '0x15b3', device: '0x1021', class: '0x020000' };
// With BAR sizes (the `resource` file), only on the gb200-tray host. Plausible,
// not measured on hardware: a register BAR, the large prefetchable memory BAR
// that needs the 64-bit window, a small prefetchable one after it.
const B200_BARS = { ...GPU_B200, bars: [bar(0, 64 * MiB, 'mem64', false), bar(2, 256 * GiB), bar(4, 32 * MiB)] };
const NVME_BARS = { ...NVME, bars: [bar(0, 16 * 1024, 'mem64', false)] };
const CX7_BARS = { ...CX7, bars: [bar(0, 32 * MiB)] };

/** arm-smmu-v3 instance: class device under its ACPI platform device. */
const smmu = (base, n, numa) => ({
  name: `smmu3.0x${base.toString(16).padStart(16, '0')}`,
  dir: `/devices/platform/arm-smmu-v3.${n}.auto/iommu`,
  numa,
});
/** Intel DMAR unit: class device under devices/virtual, as on x86. */
const dmar = (n) => ({ name: `dmar${n}`, dir: '/devices/virtual/iommu' });

/**
 * Host NUMA nodes as /sys/devices/system/node/node<N>/cpulist lists them: the
 * Grace CPUs' nodes with 72 cores each, then CPU-less nodes (an empty
 * cpulist) such as a Grace GPU's memory shows as. Counts made up, not measured.
 */
const nodes = (...cpulists) => cpulists.map((cpus, id) => ({ id, cpus }));

/**
 * Host descriptions. Device fields: bdf, ids, numa (-1 = none), iommu (name),
 * group, driver, via (upstream port, default `<domain>:00:00.0`; null = on the
 * root bus itself). `nodes`: the host NUMA nodes and their CPUs (none: the
 * tree has no devices/system/node).
 */
export const HOSTS = {
  'grace-hopper': {
    iommus: [
      smmu(0x11000000, 3), // no devices behind it: SMMUs without endpoints exist too
      smmu(0x12000000, 4),
      smmu(0x13000000, 5),
      smmu(0x16000000, 8),
    ],
    nodes: nodes('0-71', ''),
    devices: [
      { bdf: '0001:01:00.0', ...NVME, numa: 0, iommu: 'smmu3.0x0000000012000000', group: 3, driver: 'nvme' },
      { bdf: '0002:01:00.0', ...CX7, numa: 0, iommu: 'smmu3.0x0000000013000000', group: 5, driver: 'mlx5_core' },
      { bdf: '0009:01:00.0', ...GPU_H100, numa: 0, iommu: 'smmu3.0x0000000016000000', group: 19, driver: 'vfio-pci' },
    ],
  },
  'grace-blackwell': {
    // These platform devices carry numa_node, which mainline arm-smmu-v3 does
    // not provide; it is here to cover the reader's handling of it.
    iommus: [smmu(0x13000000, 5, 0), smmu(0x15000000, 7, 0), smmu(0x16000000, 8, 0), smmu(0x35000000, 18, 1), smmu(0x36000000, 19, 1)],
    devices: [
      { bdf: '0006:01:00.0', ...CX7, numa: 0, iommu: 'smmu3.0x0000000013000000', group: 6, driver: 'mlx5_core' },
      { bdf: '0008:01:00.0', ...GPU_B200, numa: 0, iommu: 'smmu3.0x0000000015000000', group: 12, driver: 'vfio-pci' },
      { bdf: '0009:01:00.0', ...GPU_B200, numa: 0, iommu: 'smmu3.0x0000000016000000', group: 13, driver: 'vfio-pci' },
      { bdf: '0018:01:00.0', ...GPU_B200, numa: 1, iommu: 'smmu3.0x0000000035000000', group: 22, driver: 'vfio-pci' },
      { bdf: '0019:01:00.0', ...GPU_B200, numa: 1, iommu: 'smmu3.0x0000000036000000', group: 23, driver: 'vfio-pci' },
    ],
  },
  'grace-3smmu': {
    iommus: [smmu(0x12000000, 4), smmu(0x16000000, 8), smmu(0x36000000, 9)],
    nodes: nodes('0-71', '72-143'),
    devices: [
      { bdf: '0001:01:00.0', ...NVME, numa: 0, iommu: 'smmu3.0x0000000012000000', group: 3, driver: 'nvme' },
      { bdf: '0009:01:00.0', ...GPU_H100, numa: 0, iommu: 'smmu3.0x0000000016000000', group: 19, driver: 'vfio-pci' },
      { bdf: '0019:01:00.0', ...GPU_H100, numa: 1, iommu: 'smmu3.0x0000000036000000', group: 29, driver: 'vfio-pci' },
    ],
  },
  // A GB200-like compute tray: two Grace CPUs (host nodes 0 and 1), two
  // Blackwell GPUs per Grace, each GPU and each NIC behind an SMMU of its own.
  'gb200-tray': {
    iommus: [
      smmu(0x13000000, 5),
      smmu(0x15000000, 7),
      smmu(0x16000000, 8),
      smmu(0x17000000, 9),
      smmu(0x33000000, 16),
      smmu(0x35000000, 18),
      smmu(0x36000000, 19),
      smmu(0x37000000, 20),
    ],
    nodes: nodes('0-71', '72-143', '', '', '', ''),
    devices: [
      { bdf: '0006:01:00.0', ...CX7_BARS, numa: 0, iommu: 'smmu3.0x0000000013000000', group: 6, driver: 'mlx5_core' },
      { bdf: '0008:01:00.0', ...B200_BARS, numa: 0, iommu: 'smmu3.0x0000000015000000', group: 12, driver: 'vfio-pci' },
      { bdf: '0009:01:00.0', ...B200_BARS, numa: 0, iommu: 'smmu3.0x0000000016000000', group: 13, driver: 'vfio-pci' },
      { bdf: '000a:01:00.0', ...NVME_BARS, numa: 0, iommu: 'smmu3.0x0000000017000000', group: 14, driver: 'nvme' },
      { bdf: '0016:01:00.0', ...CX7_BARS, numa: 1, iommu: 'smmu3.0x0000000033000000', group: 20, driver: 'mlx5_core' },
      { bdf: '0018:01:00.0', ...B200_BARS, numa: 1, iommu: 'smmu3.0x0000000035000000', group: 22, driver: 'vfio-pci' },
      { bdf: '0019:01:00.0', ...B200_BARS, numa: 1, iommu: 'smmu3.0x0000000036000000', group: 23, driver: 'vfio-pci' },
      { bdf: '001a:01:00.0', ...NVME_BARS, numa: 1, iommu: 'smmu3.0x0000000037000000', group: 24, driver: 'nvme' },
    ],
  },
  'x86-dmar': {
    iommus: [dmar(0), dmar(1)],
    devices: [
      { bdf: '0000:00:02.0', vendor: '0x8086', device: '0xa780', class: '0x030000', numa: -1, iommu: 'dmar0', group: 0, driver: 'i915', via: null },
      { bdf: '0000:01:00.0', vendor: '0x10de', device: '0x2684', class: '0x030000', numa: -1, iommu: 'dmar1', group: 14, driver: 'vfio-pci', via: '0000:00:01.0' },
      { bdf: '0000:02:00.0', ...NVME, numa: -1, iommu: 'dmar1', group: 15, driver: 'nvme', via: '0000:00:1d.0' },
    ],
  },
  'vm-no-iommu': {
    iommus: null, // no class/iommu at all, as in a guest without a vIOMMU
    devices: [
      { bdf: '0000:00:00.0', vendor: '0x8086', device: '0x29c0', class: '0x060000', numa: -1, via: null },
      { bdf: '0000:00:01.0', vendor: '0x1af4', device: '0x1041', class: '0x020000', numa: -1, driver: 'virtio-pci', via: null },
      { bdf: '0000:00:02.0', vendor: '0x1af4', device: '0x1042', class: '0x010000', numa: -1, driver: 'virtio-pci', via: null },
    ],
  },
};

/** N devices over 16 SMMUs: device i sits in PCI domain i>>8, behind the SMMU numbered domain%16. */
export function manyHost(n) {
  const iommus = Array.from({ length: 16 }, (_, k) => smmu(0x10000000 + k * 0x1000000, 100 + k, k % 2));
  const devices = Array.from({ length: n }, (_, i) => {
    const domain = i >> 8;
    const bdf = `${hex(domain, 4)}:${hex(1 + ((i >> 5) & 7), 2)}:${hex(i & 31, 2)}.0`;
    return { bdf, ...(i % 2 ? CX7 : GPU_H100), numa: domain % 2, iommu: iommus[domain % 16].name, group: i, driver: 'vfio-pci' };
  });
  // Without the reverse links under kernel/ and bus/pci/drivers/ (the reader
  // never follows them): a third fewer files to create for big trees.
  return { iommus, devices, backLinks: false };
}

const hex = (n, w) => n.toString(16).padStart(w, '0');

/**
 * A sysfs `resource` file: 13 lines of `start end flags` (BARs 0-5, the ROM,
 * bridge windows), each BAR naturally aligned above a made-up base. Flags are
 * the kernel's IORESOURCE_IO 0x100, _MEM 0x200, _PREFETCH 0x2000, _MEM_64 0x100000.
 */
function resourceText(bars) {
  const h = (n) => '0x' + n.toString(16).padStart(16, '0');
  let at = 0x40000000000n;
  const rows = [];
  for (let i = 0; i < 13; i++) {
    const b = bars.find((x) => x.index === i);
    if (!b) {
      rows.push(`${h(0n)} ${h(0n)} ${h(0n)}`);
      continue;
    }
    const size = BigInt(b.size);
    at = ((at + size - 1n) / size) * size;
    let flags = b.kind === 'io' ? 0x100n : 0x200n;
    if (b.kind === 'mem64') flags |= 0x100000n;
    if (b.prefetchable) flags |= 0x2000n;
    rows.push(`${h(at)} ${h(at + size - 1n)} ${h(flags)}`);
    at += size;
  }
  return rows.join('\n') + '\n';
}

/** Writes one host's tree under `dir` (removed first). */
export function buildHost(dir, host) {
  rmSync(dir, { recursive: true, force: true });
  const file = (vpath, text) => {
    mkdirSync(path.join(dir, posix.dirname(vpath)), { recursive: true });
    writeFileSync(path.join(dir, vpath), text);
  };
  const mkdir = (vpath) => mkdirSync(path.join(dir, vpath), { recursive: true });
  // Relative targets, computed from the link's own directory, as the kernel shows them.
  const link = (from, to) => {
    mkdir(posix.dirname(from));
    symlinkSync(posix.relative(posix.dirname(from), to), path.join(dir, from));
  };

  mkdir('/class');
  mkdir('/kernel/iommu_groups');
  mkdir('/bus/pci/devices');
  mkdir('/bus/pci/drivers');

  for (const n of host.nodes ?? []) file(`/devices/system/node/node${n.id}/cpulist`, `${n.cpus}\n`);

  const classDev = new Map();
  if (host.iommus) {
    mkdir('/class/iommu');
    for (const i of host.iommus) {
      const dev = `${i.dir}/${i.name}`;
      classDev.set(i.name, dev);
      mkdir(`${dev}/devices`);
      if (i.numa !== undefined) file(`${posix.dirname(i.dir)}/numa_node`, `${i.numa}\n`);
      link(`/class/iommu/${i.name}`, dev);
    }
  }

  for (const d of host.devices) {
    const domain = d.bdf.slice(0, 4);
    const rootBus = `/devices/pci${domain}:00`;
    const via = d.via === undefined ? `${domain}:00:00.0` : d.via;
    const dev = via === null ? `${rootBus}/${d.bdf}` : `${rootBus}/${via}/${d.bdf}`;
    file(`${dev}/vendor`, `${d.vendor}\n`);
    file(`${dev}/device`, `${d.device}\n`);
    file(`${dev}/class`, `${d.class}\n`);
    file(`${dev}/numa_node`, `${d.numa ?? -1}\n`);
    if (d.bars) file(`${dev}/resource`, resourceText(d.bars));
    link(`/bus/pci/devices/${d.bdf}`, dev);
    if (d.iommu) {
      link(`${dev}/iommu`, classDev.get(d.iommu));
      link(`${classDev.get(d.iommu)}/devices/${d.bdf}`, dev);
    }
    const backLinks = host.backLinks !== false;
    if (d.group !== undefined) {
      link(`${dev}/iommu_group`, `/kernel/iommu_groups/${d.group}`);
      if (backLinks) link(`/kernel/iommu_groups/${d.group}/devices/${d.bdf}`, dev);
    }
    if (d.driver) {
      link(`${dev}/driver`, `/bus/pci/drivers/${d.driver}`);
      if (backLinks) link(`/bus/pci/drivers/${d.driver}/${d.bdf}`, dev);
    }
  }
}

function main(argv) {
  let outDir;
  let many;
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--many') many = Number(argv[++i]);
    else if (outDir === undefined) outDir = argv[i];
    else names.push(argv[i]);
  }
  if (many !== undefined && !(Number.isInteger(many) && many > 0 && many <= 65536)) {
    console.error('--many needs a device count between 1 and 65536');
    process.exit(2);
  }
  outDir = path.resolve(outDir ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'sysfs'));
  const hosts = names.length > 0 ? names : Object.keys(HOSTS);
  for (const name of hosts) {
    if (!HOSTS[name]) {
      console.error(`unknown host ${name}; known: ${Object.keys(HOSTS).join(', ')}`);
      process.exit(2);
    }
    buildHost(path.join(outDir, name), HOSTS[name]);
  }
  if (many !== undefined) buildHost(path.join(outDir, `many-${many}`), manyHost(many));
  console.log(`built ${[...hosts, ...(many !== undefined ? [`many-${many}`] : [])].join(', ')} in ${outDir}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
