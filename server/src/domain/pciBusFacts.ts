/**
 * What libvirt's QEMU driver allows on the guest PCI tree before anything
 * starts: the root bus each machine has, the machines that have none, and for
 * each PCI controller model the slots its bus offers and what may plug into
 * it. Learnt from libvirt's address code (src/conf/domain_addr.c, the bus
 * model table; src/qemu/qemu_postparse.c, the implicit root per machine);
 * checked against libvirt 12.8 with `virsh domxml-to-native`.
 *
 * Kept as data so that the rules, completion and the docs read one table.
 */
import type { DomainModel } from './model';
import { isX86Arch, type MachineFamily } from './machine';

/** How a device or controller attaches to the bus above it, in libvirt's terms. */
export type PciConnect =
  | 'endpoint'
  | 'pci-bridge'
  | 'pcie-root-port'
  | 'pcie-switch-upstream-port'
  | 'pcie-switch-downstream-port'
  | 'dmi-to-pci-bridge'
  | 'pcie-to-pci-bridge'
  | 'pci-expander-bus'
  | 'pcie-expander-bus';

export interface PciBusFacts {
  /** Slots the bus offers to addresses written in the XML. */
  readonly minSlot: number;
  readonly maxSlot: number;
  /**
   * What may plug into the bus when the address is written by hand. libvirt
   * lets a hand-written endpoint go wherever any endpoint may (PCI into PCIe
   * and back), and a pci-bridge wherever an endpoint may.
   */
  readonly accepts: readonly PciConnect[];
}

const ENDPOINT_BUS: readonly PciConnect[] = ['endpoint', 'pci-bridge'];

/** The bus below each PCI controller model. */
export const PCI_BUS_FACTS: Readonly<Record<string, PciBusFacts>> = {
  'pci-root': { minSlot: 1, maxSlot: 31, accepts: [...ENDPOINT_BUS, 'pci-expander-bus'] },
  'pcie-root': { minSlot: 1, maxSlot: 31, accepts: [...ENDPOINT_BUS, 'pcie-root-port', 'dmi-to-pci-bridge', 'pcie-expander-bus'] },
  'pci-bridge': { minSlot: 1, maxSlot: 31, accepts: ENDPOINT_BUS },
  'pci-expander-bus': { minSlot: 0, maxSlot: 31, accepts: ENDPOINT_BUS },
  'dmi-to-pci-bridge': { minSlot: 0, maxSlot: 31, accepts: ENDPOINT_BUS },
  'pcie-to-pci-bridge': { minSlot: 1, maxSlot: 31, accepts: ENDPOINT_BUS },
  'pcie-root-port': { minSlot: 0, maxSlot: 0, accepts: [...ENDPOINT_BUS, 'pcie-switch-upstream-port', 'pcie-to-pci-bridge'] },
  'pcie-switch-downstream-port': { minSlot: 0, maxSlot: 0, accepts: [...ENDPOINT_BUS, 'pcie-switch-upstream-port', 'pcie-to-pci-bridge'] },
  'pcie-switch-upstream-port': { minSlot: 0, maxSlot: 31, accepts: ['pcie-switch-downstream-port'] },
  'pcie-expander-bus': { minSlot: 0, maxSlot: 31, accepts: ['pcie-root-port', 'dmi-to-pci-bridge'] },
};

/** How each PCI controller model attaches to its parent bus (the roots attach to none). */
export const PCI_CONTROLLER_CONNECT: Readonly<Record<string, PciConnect>> = {
  'pci-bridge': 'pci-bridge',
  'pci-expander-bus': 'pci-expander-bus',
  'pcie-expander-bus': 'pcie-expander-bus',
  'dmi-to-pci-bridge': 'dmi-to-pci-bridge',
  'pcie-to-pci-bridge': 'pcie-to-pci-bridge',
  'pcie-root-port': 'pcie-root-port',
  'pcie-switch-upstream-port': 'pcie-switch-upstream-port',
  'pcie-switch-downstream-port': 'pcie-switch-downstream-port',
};

/** The bus models that accept a connection, for messages ("plug it into a …"). */
export function busesAccepting(connect: PciConnect): string[] {
  return Object.entries(PCI_BUS_FACTS)
    .filter(([, f]) => f.accepts.includes(connect))
    .map(([model]) => model);
}

/** Highest function number of a PCI slot. */
export const PCI_MAX_FUNCTION = 7;
/** Highest slot number any PCI bus has. */
export const PCI_MAX_SLOT = 31;
/** Highest PCI bus number (the `bus` of an address names a controller index, 0–255). */
export const PCI_MAX_BUS = 255;
/** Root ports libvirt stacks into one slot of pcie-root when it places them itself (one per function). */
export const ROOT_PORTS_PER_SLOT = PCI_MAX_FUNCTION + 1;

/** The root bus (controller index 0) each machine family gets from libvirt. */
export const ROOT_MODEL_BY_MACHINE: Readonly<Partial<Record<MachineFamily, 'pci-root' | 'pcie-root'>>> = {
  q35: 'pcie-root',
  'arm-virt': 'pcie-root',
  i440fx: 'pci-root',
};

/** The root bus models; only index 0 may have one, and it takes no address. */
export const ROOT_MODELS: readonly string[] = ['pci-root', 'pcie-root'];

/**
 * x86 machine types that have no PCI bus at all: libvirt refuses any PCI
 * controller or PCI address on them ("Machine type '…' does not support PCI").
 */
export const X86_MACHINES_WITHOUT_PCI: readonly string[] = ['isapc', 'microvm'];

/**
 * pcie-root slots that are never free for devices on Q35: 0x1f holds the
 * ICH9 LPC bridge, SATA and SMBus functions libvirt always adds.
 */
export const Q35_RESERVED_ROOT_SLOTS: readonly number[] = [0x1f];

/**
 * Devices libvirt requires directly on the root bus (bus 0): "integrated"
 * devices. Keyed by element name and model.
 */
export const INTEGRATED_DEVICES: ReadonlyArray<{ readonly element: string; readonly model: string; readonly label: string }> = [
  { element: 'iommu', model: 'virtio', label: "<iommu model='virtio'>" },
];

/** An x86 machine type without PCI; an unwritten arch counts, as only x86 has these names. */
export function machineWithoutPci(m: DomainModel): boolean {
  const machine = m.machine?.value;
  if (!machine || !X86_MACHINES_WITHOUT_PCI.includes(machine)) return false;
  return m.arch?.value === undefined || isX86Arch(m.arch.value);
}
