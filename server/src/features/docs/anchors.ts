/**
 * The section ids of libvirt's documentation pages that hovers link to, as
 * libvirt 12.8.0 publishes them: `https://libvirt.org/<page>#<id>`.
 *
 * How they were derived: libvirt writes these pages in reStructuredText
 * (docs/formatdomain.rst and friends) and docutils gives every section the
 * id of its title, lower-cased with each run of other characters turned
 * into one hyphen ("Block I/O Tuning" -> `block-i-o-tuning`). The lists
 * below are the `<section id>` values of the pages as built for 12.8.0
 * (Debian unstable's package libvirt-doc 12.8.0-1, which carries the HTML
 * that libvirt.org serves), checked against the section titles of
 * docs/formatdomain.rst in libvirt's repository. A test checks that every
 * anchor the docs tables use is one of these, and, where a libvirt-doc
 * package is installed, that the installed page still has it.
 */

/** Where libvirt publishes its documentation. */
export const LIBVIRT_DOCS_BASE = 'https://libvirt.org/';

/** The page most links go to. */
export const DOMAIN_FORMAT_PAGE = 'formatdomain.html';

/** Section ids by page. */
export const DOC_SECTIONS: Readonly<Record<string, readonly string[]>> = {
  'formatdomain.html': [
    'element-and-attribute-overview', 'general-metadata', 'operating-system-booting', 'guest-firmware',
    'host-bootloader', 'direct-kernel-boot', 'container-boot', 'common-os-element-configuration',
    'smbios-system-information', 'cpu-allocation', 'iothreads-allocation', 'cpu-tuning', 'memory-allocation',
    'memory-backing', 'memory-tuning', 'numa-node-tuning', 'block-i-o-tuning', 'host-device-iommufd',
    'resource-partitioning', 'fibre-channel-vmid', 'cpu-model-and-topology',
    'acpi-heterogeneous-memory-attribute-table', 'events-configuration', 'power-management',
    'disk-throttle-group-management', 'hypervisor-features', 'time-keeping', 'performance-monitoring-events',
    'devices', 'hard-drives-floppy-disks-cdroms', 'filesystems', 'device-addresses', 'virtio-related-options',
    'virtio-device-models', 'controllers', 'device-leases', 'host-device-assignment', 'usb-pci-scsi-devices',
    'acpi-generic-initiators', 'block-character-devices', 'redirected-devices', 'smartcard-devices',
    'network-interfaces', 'virtual-network', 'bridge-to-lan', 'userspace-connection-using-slirp',
    'userspace-connection-using-passt', 'generic-ethernet-connection', 'direct-attachment-to-physical-interface',
    'pci-passthrough', 'vdpa-devices', 'teaming-a-virtio-hostdev-nic-pair', 'multicast-tunnel', 'tcp-tunnel',
    'udp-unicast-tunnel', 'null-network-interface', 'vmware-distributed-switch', 'setting-the-nic-model',
    'setting-nic-driver-specific-options', 'setting-network-backend-specific-options',
    'overriding-the-target-element', 'specifying-boot-order', 'interface-rom-bios-configuration',
    'setting-up-a-network-backend-in-a-driver-domain', 'quality-of-service',
    'setting-vlan-tag-on-supported-network-types-only', 'isolating-guests-network-traffic-from-each-other',
    'modifying-virtual-link-state', 'mtu-configuration', 'coalesce-settings', 'ip-configuration',
    'vhost-user-connection', 'vhost-user-connection-with-passt-backend', 'traffic-filtering-with-nwfilter',
    'input-devices', 'hub-devices', 'graphical-framebuffers', 'video-devices',
    'consoles-serial-parallel-channel-devices', 'guest-interface', 'parallel-port', 'serial-port', 'console',
    'relationship-between-serial-ports-and-consoles', 'channel', 'host-interface', 'domain-logfile', 'device-logfile',
    'virtual-console', 'null-device', 'pseudo-tty', 'host-device-proxy', 'named-pipe', 'tcp-client-server',
    'udp-network-console', 'unix-domain-socket-client-server', 'spice-channel', 'nmdm-device', 'sound-devices',
    'audio-backends', 'none-audio-backend', 'alsa-audio-backend', 'coreaudio-audio-backend', 'd-bus-audio-backend',
    'jack-audio-backend', 'oss-audio-backend', 'pipewire-audio-backend', 'pulseaudio-audio-backend',
    'sdl-audio-backend', 'spice-audio-backend', 'file-audio-backend', 'watchdog-devices', 'memory-balloon-device',
    'random-number-generator-device', 'tpm-device', 'nvram-device', 'panic-device', 'shared-memory-device',
    'memory-devices', 'iommu-devices', 'vsock', 'crypto', 'pstore', 'security-label', 'key-wrap', 'launch-security',
    'example-configs',
  ],
  'drvqemu.html': [
    'project-links', 'deployment-pre-requisites', 'connections-to-qemu-driver', 'embedded-driver', 'directory-tree',
    'api-usage-with-event-loop', 'location-of-configuration-files', 'driver-security-architecture',
    'driver-instances', 'posix-users-groups', 'linux-process-capabilities', 'selinux-basic-confinement',
    'selinux-svirt-confinement', 'apparmor-svirt-confinement', 'cgroups-device-acls', 'live-migration-compatibility',
    'migration-cpu-model-compatibility', 'import-and-export-of-libvirt-domain-xml-configs',
    'converting-from-qemu-args-to-domain-xml', 'converting-from-domain-xml-to-qemu-args',
    'pass-through-of-arbitrary-qemu-commands', 'qemu-feature-configuration-for-testing',
    'control-of-qemu-deprecation-warnings', 'overriding-properties-of-qemu-devices', 'example-domain-xml-config',
    'qemu-emulated-guest-on-x86-64', 'kvm-hardware-accelerated-guest-on-i686',
    'hvf-hardware-accelerated-guest-on-x86-64',
  ],
  'drvlxc.html': [
    'control-groups-requirements', 'namespace-requirements', 'default-container-setup', 'command-line-arguments',
    'environment-variables', 'filesystem-mounts', 'device-nodes', 'security-considerations', 'network-isolation',
    'filesystem-isolation', 'user-and-group-isolation', 'location-of-configuration-files',
    'systemd-socket-activation-integration', 'container-security', 'svirt-selinux', 'auditing', 'device-access',
    'example-configurations', 'example-config-version-1', 'altering-the-available-capabilities', 'inherit-namespaces',
    'container-usage-management', 'defining-saving-container-configuration', 'viewing-container-configuration',
    'starting-containers', 'stopping-containers', 'rebooting-a-container',
    'undefining-deleting-a-container-configuration', 'connecting-to-a-container-console',
    'running-commands-in-a-container', 'monitoring-container-utilization', 'converting-lxc-container-configuration',
  ],
  'drvesx.html': [
    'project-links', 'deployment-pre-requisites', 'connections-to-the-vmware-esx-driver', 'uri-format',
    'extra-parameters', 'authentication', 'uuid-stability', 'certificates-for-https', 'connection-problems',
    'questions-blocking-tasks', 'specialities-in-the-domain-xml-config', 'restrictions', 'datastore-references',
    'mac-addresses', 'available-hardware', 'scsi-controller-models', 'network-card-models',
    'import-and-export-of-domain-xml-configs', 'converting-from-vmware-vmx-config-to-domain-xml-config',
    'converting-from-domain-xml-config-to-vmware-vmx-config', 'example-domain-xml-configs', 'fedora11-on-x86-64',
    'migration', 'scheduler-configuration', 'vmware-tools', 'links',
  ],
};

/**
 * The link for an anchor of the docs tables: a bare id is a section of
 * formatdomain.html, `page#id` a section of another page (the QEMU, LXC and
 * ESX driver pages, for their XML namespaces).
 */
export function docLink(anchor: string): string {
  const i = anchor.indexOf('#');
  return i < 0 ? `${LIBVIRT_DOCS_BASE}${DOMAIN_FORMAT_PAGE}#${anchor}` : `${LIBVIRT_DOCS_BASE}${anchor}`;
}

/** True when `anchor` names a section libvirt 12.8.0's pages have. */
export function isKnownAnchor(anchor: string): boolean {
  const i = anchor.indexOf('#');
  const [page, id] = i < 0 ? [DOMAIN_FORMAT_PAGE, anchor] : [anchor.slice(0, i), anchor.slice(i + 1)];
  return DOC_SECTIONS[page]?.includes(id) ?? false;
}
