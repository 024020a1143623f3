/**
 * The names of the extension's own LSP messages, and the shapes they carry.
 * The shapes are the server's own types, imported as types only so that no
 * server code ends up in the client bundle; the names are repeated here for
 * the same reason (test/topologyView.test.ts checks they match the server's).
 */
export type { HostStatus } from '../../server/src/service/hostStatus';
export type {
  TopologyView, TopologyParams, SmmuView, ExpanderView, VsmmuView, DeviceView, UnmatchedView, ProblemView, HostDeviceView,
} from '../../server/src/service/topologyRequest';

/** Request: the vSMMU topology of one open document (`{ uri }` → TopologyView | null). */
export const TOPOLOGY_REQUEST = 'libvirtDomainXml/topology';
/** Request: read the host again; answers with the new HostStatus. */
export const REFRESH_HOST_REQUEST = 'libvirtDomainXml/refreshHost';
/** Request: the current host topology as snapshot JSON, or null. */
export const HOST_TOPOLOGY_REQUEST = 'libvirtDomainXml/hostTopology';
/** Notification from the server: where host knowledge comes from now (HostStatus). */
export const HOST_STATUS_NOTIFICATION = 'libvirtDomainXml/hostStatus';
/** The code action kind of the "generate vSMMU topology" source action. */
export const GENERATE_TOPOLOGY_KIND = 'source.generateVsmmuTopology';
