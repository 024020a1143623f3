/**
 * The extension's own LSP messages: their names and the shapes they carry.
 * Imports nothing of the project, so the client can take it whole without
 * pulling server code into its bundle, and both ends read the same names.
 */

/** A position range as LSP sends it (zero-based lines, UTF-16 characters). */
export interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** Request: the vSMMU topology of one open document (`{ uri }` → TopologyView | null). */
export const TOPOLOGY_REQUEST = 'libvirtDomainXml/topology';

export interface TopologyParams {
  uri: string;
}

export interface ProblemView {
  code: string;
  severity: 'error' | 'warning' | 'information' | 'hint';
  message: string;
}

export interface DeviceView {
  /** 'hostdev': an assigned PCI device; 'emulated': a QEMU device behind an accelerated vSMMU. */
  kind: 'hostdev' | 'emulated';
  /** Short name for the tree: the host address, or the element and its model. */
  label: string;
  /** Host address `dddd:bb:ss.f` of an assigned device, when its source address is complete. */
  bdf?: string;
  /** The host's description of the device, when the host knows it. */
  name?: string;
  /** Where it sits in the guest: "expander 1 → root port 3", "no guest address". */
  where: string;
  range: Range;
  problems: ProblemView[];
}

export interface UnmatchedView extends DeviceView {
  /** Why the device could not be placed under a host SMMU (or, without a host, under a root complex). */
  reason: string;
}

export interface VsmmuView {
  accel: boolean;
  range: Range;
  problems: ProblemView[];
}

/** A root complex that can carry a vSMMU: a pcie-expander-bus, or pcie-root (index 0). */
export interface ExpanderView {
  index: number;
  /** "expander 1 (busNr 252)", "pcie-root". */
  label: string;
  busNr?: number;
  /** Guest NUMA cell of the expander. */
  numaNode?: number;
  /** The host SMMU the earlier `nestedSmmuv3` proposal names on this expander, if any. */
  namedSmmu?: string;
  /** The controller element; absent for an implicit pcie-root. */
  range?: Range;
  /** The `<iommu>` whose pciBus is this index. */
  vsmmu?: VsmmuView;
  devices: DeviceView[];
  problems: ProblemView[];
}

export interface HostDeviceView {
  bdf: string;
  name?: string;
}

export interface SmmuView {
  name: string;
  platformDevice?: string;
  numaNode?: number;
  /** Expanders (or pcie-root) bound to this SMMU: the first device with a known SMMU below them is behind it. */
  expanders: ExpanderView[];
  /** Devices behind this SMMU that sit outside its expanders. */
  devices: DeviceView[];
  /** True when no device assigned to this domain is behind this SMMU. */
  unused: boolean;
  /** Host devices behind this SMMU that the domain does not assign. */
  unassigned: HostDeviceView[];
  problems: ProblemView[];
}

export interface TopologyView {
  /** Where host knowledge comes from, or why there is none. */
  hostSource: string;
  /** 'host': grouped by host SMMU; 'expander': no ARM host is known, grouped by root complex. */
  grouping: 'host' | 'expander';
  /** One entry per host SMMUv3, in the host's order (empty in expander grouping). */
  smmus: SmmuView[];
  /**
   * Host grouping: the expanders (and a pcie-root vSMMU) that no device of a
   * known host SMMU is bound to. Expander grouping: every expander, then
   * pcie-root when it has a vSMMU or devices.
   */
  expanders: ExpanderView[];
  unmatched: UnmatchedView[];
}

/** Request: read the host again; answers with the new HostStatus. */
export const REFRESH_HOST_REQUEST = 'libvirtDomainXml/refreshHost';
/** Request: the current host topology as snapshot JSON, or null. */
export const HOST_TOPOLOGY_REQUEST = 'libvirtDomainXml/hostTopology';
/** Notification from the server: where host knowledge comes from now (HostStatus). */
export const HOST_STATUS_NOTIFICATION = 'libvirtDomainXml/hostStatus';
/** Notification from the server: which libvirt grammar completion, hover and validation use (GrammarStatus). */
export const GRAMMAR_STATUS_NOTIFICATION = 'libvirtDomainXml/grammarStatus';

export interface GrammarStatus {
  /** Short text for a status bar: "libvirt 12.8.0 grammar", "no grammar". */
  text: string;
  /** Release, source and directory, and any source passed over. */
  detail: string;
  /** How documents are validated against it ("Schema validation: libxml2 in the language server…"), once known. */
  validation?: string;
}

/** The code action kind of the "generate vSMMU topology" source action. */
export const GENERATE_TOPOLOGY_KIND = 'source.generateVsmmuTopology';

export interface HostStatus {
  /** Short text for a status bar. */
  text: string;
  /** Longer explanation for a tooltip. */
  detail: string;
  kind: 'sysfs' | 'snapshot' | 'none' | 'error';
  smmuCount: number;
}

// libvirt. The Libvirt Domains view, the libvirt: file system and "Show QEMU
// command line" ask the server, which runs virsh (server/src/libvirt/): the
// editor holds no libvirt logic of its own.

/** What every libvirt request carries: the connection, and the time limit setting as the editor has it. */
export interface LibvirtParams {
  /** A libvirt URI, as for `virsh -c`: `qemu:///system`, `qemu+ssh://root@grace7/system`. */
  connection: string;
  /** `libvirtDomainXml.libvirt.timeoutSeconds`: the limit of each virsh run; absent or unusable, 10 s. */
  timeoutSeconds?: unknown;
}

/** Request: the connections the view lists, from the setting's raw value (`{ setting }` → LibvirtConnectionList). */
export const LIBVIRT_CONNECTIONS_REQUEST = 'libvirtDomainXml/libvirt/connections';

export interface LibvirtConnectionsParams {
  /** `libvirtDomainXml.libvirt.connections` as written; unset, qemu:///system where virsh is installed. */
  setting: unknown;
}

export interface LibvirtConnectionList {
  connections: string[];
  /** Why the list is empty or shorter than written. */
  note?: string;
}

/** Request: every domain of a connection with its state (LibvirtParams → LibvirtDomainEntry[]). */
export const LIBVIRT_DOMAINS_REQUEST = 'libvirtDomainXml/libvirt/domains';

export interface LibvirtDomainEntry {
  name: string;
  /** As virsh prints it: 'running', 'shut off', … */
  state: string;
}

/** Request: a domain's persistent definition, `virsh dumpxml --inactive` (LibvirtDomainParams → string). */
export const LIBVIRT_READ_REQUEST = 'libvirtDomainXml/libvirt/read';

export interface LibvirtDomainParams extends LibvirtParams {
  name: string;
}

/**
 * Request: define a domain from the editor's text with `virsh define
 * --validate`, after checking that the text names the same domain
 * (LibvirtDefineParams → LibvirtDefineResult). Nothing is started.
 */
export const LIBVIRT_DEFINE_REQUEST = 'libvirtDomainXml/libvirt/define';

export interface LibvirtDefineParams extends LibvirtDomainParams {
  text: string;
}

/** libvirt's refusal of a domain as an error on the element its message names (else the root). */
export interface LibvirtRefusal {
  range: Range;
  code: string;
  source: string;
  message: string;
  /** libvirt's own words. */
  detail: string;
}

export type LibvirtDefineResult =
  | { defined: true }
  /** Not saved: `message` says why; `refusal` is set when libvirt refused the XML (not when the name differs). */
  | { defined: false; message: string; refusal?: LibvirtRefusal };

/**
 * Request: the QEMU command line libvirt would run for the text (`virsh
 * domxml-to-native`; nothing defined or started), as the document to show
 * (LibvirtNativeParams → LibvirtNativeResult).
 */
export const LIBVIRT_NATIVE_REQUEST = 'libvirtDomainXml/libvirt/native';

export interface LibvirtNativeParams extends LibvirtParams {
  text: string;
  /** How the text is named in the result and in libvirt's messages (the domain's name, the file's path). */
  label: string;
}

export type LibvirtNativeResult = { accepted: true; text: string } | { accepted: false; message: string; refusal: LibvirtRefusal };

/**
 * The error code of a libvirt request that could not be answered (virsh
 * missing, connection refused or not answering, credentials wanted, no such
 * domain…); the error's message says what happened and what to do, its data
 * is a LibvirtFailure.
 */
export const LIBVIRT_FAILURE_CODE = 4100;

export interface LibvirtFailure {
  kind: 'missing' | 'refused' | 'auth' | 'timeout' | 'read-only' | 'not-found' | 'rejected' | 'unsupported' | 'failed' | 'bad-request';
}
