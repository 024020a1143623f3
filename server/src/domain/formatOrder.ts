/**
 * The order in which libvirt writes the children of `<domain>` and of
 * `<devices>` (virsh dumpxml, virt-install): completion offers first what
 * belongs between the elements around the cursor, because that is where a
 * document in libvirt's own layout is missing it. Elements not listed follow
 * in the grammar's order.
 */
export const FORMAT_ORDER: Readonly<Record<string, readonly string[]>> = {
  domain: [
    'name', 'uuid', 'hwuuid', 'genid', 'title', 'description', 'metadata', 'maxMemory', 'memory', 'currentMemory',
    'blkiotune', 'memtune', 'memoryBacking', 'vcpu', 'vcpus', 'iothreads', 'iothreadids', 'defaultiothread', 'cputune',
    'numatune', 'resource', 'sysinfo', 'bootloader', 'bootloader_args', 'os', 'idmap', 'features', 'cpu', 'clock',
    'on_poweroff', 'on_reboot', 'on_crash', 'on_lockfailure', 'pm', 'perf', 'devices', 'seclabel', 'keywrap',
    'launchSecurity', 'throttlegroups', 'iommufd',
  ],
  devices: [
    'emulator', 'disk', 'controller', 'lease', 'filesystem', 'interface', 'smartcard', 'serial', 'parallel', 'console',
    'channel', 'input', 'tpm', 'graphics', 'sound', 'audio', 'video', 'hostdev', 'redirdev', 'redirfilter', 'hub',
    'watchdog', 'memballoon', 'rng', 'panic', 'shmem', 'memory', 'iommu', 'vsock', 'crypto', 'pstore', 'nvram',
  ],
};

/**
 * The children a typical domain has (what `virsh dumpxml` of a virt-install
 * or virt-manager guest writes). Among the grammar's many optional elements,
 * these are offered first.
 */
export const COMMON_CHILDREN: Readonly<Record<string, readonly string[]>> = {
  domain: ['name', 'uuid', 'metadata', 'memory', 'currentMemory', 'vcpu', 'os', 'features', 'cpu', 'clock', 'on_poweroff', 'on_reboot', 'on_crash', 'pm', 'devices'],
  devices: [
    'emulator', 'disk', 'controller', 'interface', 'serial', 'console', 'channel', 'input', 'tpm', 'graphics', 'sound', 'audio',
    'video', 'hostdev', 'redirdev', 'watchdog', 'memballoon', 'rng', 'iommu', 'filesystem',
  ],
  os: ['type', 'loader', 'nvram', 'boot', 'kernel', 'initrd', 'cmdline'],
  features: ['acpi', 'apic', 'gic', 'pae', 'vmport', 'smm', 'ioapic', 'hyperv', 'kvm', 'pmu', 'vmcoreinfo'],
  cpu: ['model', 'topology', 'feature', 'numa'],
  clock: ['timer'],
  pm: ['suspend-to-mem', 'suspend-to-disk'],
  disk: ['driver', 'source', 'target', 'readonly', 'boot', 'address', 'serial'],
  interface: ['mac', 'source', 'model', 'target', 'driver', 'address', 'link', 'boot'],
  controller: ['model', 'target', 'driver', 'address'],
  graphics: ['listen', 'image', 'gl'],
  video: ['model', 'driver', 'address'],
  console: ['source', 'target'],
  serial: ['source', 'target'],
  channel: ['source', 'target'],
  hostdev: ['source', 'driver', 'address', 'rom'],
  rng: ['backend', 'rate', 'address'],
  tpm: ['backend'],
  memballoon: ['stats', 'address'],
};

/**
 * The attributes `virsh dumpxml` writes on an element, in its order, keyed
 * `element` or `parent/element`: after the required ones, the ones not yet
 * written are offered first, whatever the grammar's order (it lists a disk's
 * `device` before `type`, so after `type` it would come last).
 */
export const COMMON_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  disk: ['type', 'device'],
  'disk/driver': ['name', 'type', 'cache', 'discard'],
  'disk/target': ['dev', 'bus'],
  interface: ['type'],
  controller: ['type', 'index', 'model'],
  hostdev: ['mode', 'type', 'managed'],
  graphics: ['type', 'port', 'autoport'],
  console: ['type'],
  serial: ['type'],
  channel: ['type'],
  input: ['type', 'bus'],
  memballoon: ['model'],
  rng: ['model'],
  tpm: ['model'],
};

/**
 * Values people write for an attribute, keyed `element@attribute` (or
 * `parent/element@attribute`), when the grammar lists many: offered first,
 * before the rest in the grammar's order. Where the grammar takes any text,
 * the values listed here are the only ones offered (before the typed hint).
 */
export const COMMON_VALUES: Readonly<Record<string, readonly string[]>> = {
  'domain@type': ['kvm', 'qemu'],
  'driver@type': ['raw', 'qcow2'],
  // Free text in the grammar; libvirt's QEMU driver refuses any other disk driver name.
  'disk/driver@name': ['qemu'],
  'console@type': ['pty'],
  'serial@type': ['pty'],
  'channel@type': ['unix', 'spicevmc', 'pty'],
  'interface@type': ['network', 'bridge', 'user', 'direct'],
  'graphics@type': ['spice', 'vnc'],
  'image@compression': ['off'],
  'sound@model': ['ich9', 'ich6'],
  'video/model@type': ['virtio', 'qxl', 'vga', 'bochs', 'ramfb'],
  'input@type': ['tablet', 'keyboard', 'mouse'],
  'input@bus': ['usb', 'virtio', 'ps2'],
  'target@bus': ['virtio', 'sata', 'scsi', 'usb'],
  'disk@device': ['disk', 'cdrom'],
  'model@type': ['virtio', 'e1000e'],
  'driver@cache': ['none', 'writeback'],
  'driver@discard': ['unmap'],
  'cpu@mode': ['host-passthrough', 'host-model', 'custom', 'maximum'],
  'timer@name': ['rtc', 'pit', 'hpet', 'kvmclock', 'hypervclock'],
  'timer@tickpolicy': ['catchup', 'delay'],
  'rng/backend@model': ['random'],
  'tpm@model': ['tpm-crb', 'tpm-tis'],
  'memballoon@model': ['virtio', 'none'],
  'address@type': ['pci', 'drive', 'virtio-serial', 'usb'],
  'controller@model': ['qemu-xhci', 'virtio-scsi', 'ich9-ehci1', 'ich9-uhci1', 'ich9-uhci2', 'ich9-uhci3', 'nec-xhci'],
  'controller@type': ['pci', 'usb', 'sata', 'scsi', 'virtio-serial'],
};
