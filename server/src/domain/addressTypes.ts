/**
 * Guest `<address type>` values that devices other than hostdevs may take,
 * where libvirt restricts them before start (src/conf/domain_validate.c and
 * src/qemu/qemu_validate.c; checked against libvirt 12.8). Hostdevs have
 * their own table in hostdevFacts.ts.
 */

/** Address types a `<disk>` takes, by its `<target bus>`. */
export const DISK_BUS_ADDRESS_TYPES: Readonly<Record<string, readonly string[]>> = {
  ide: ['drive'],
  sata: ['drive'],
  scsi: ['drive'],
  fdc: ['drive'],
  usb: ['usb'],
  virtio: ['pci', 'ccw', 'virtio-mmio', 'spapr-vio', 'virtio-s390'],
};

/** Devices that take no `<address>` at all, by element and model type. */
export const ADDRESSLESS_DEVICES: ReadonlyArray<{ readonly element: string; readonly modelType: string; readonly label: string }> = [
  { element: 'video', modelType: 'ramfb', label: "<video> with <model type='ramfb'>" },
];

/** Address types that exist only on some architectures' machines (libvirt: "CCW addresses are not supported by machine type …"). */
export const ADDRESS_TYPE_ARCHES: Readonly<Record<string, { readonly arches: readonly string[]; readonly label: string }>> = {
  ccw: { arches: ['s390x', 's390'], label: 'CCW addresses' },
};
