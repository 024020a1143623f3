/**
 * The identifiers package.json contributes (commands, the view, context
 * keys), in one place so the code and the manifest cannot drift apart
 * unnoticed: test/topologyView.test.ts checks each against package.json.
 */
export const COMMANDS = {
  refreshHost: 'libvirtDomainXml.refreshHost',
  loadSnapshot: 'libvirtDomainXml.loadSnapshot',
  useSysfs: 'libvirtDomainXml.useSysfs',
  saveSnapshot: 'libvirtDomainXml.saveSnapshot',
  showLog: 'libvirtDomainXml.showLog',
  hostMenu: 'libvirtDomainXml.hostMenu',
  generateTopology: 'libvirtDomainXml.generateTopology',
  refreshTopology: 'libvirtDomainXml.refreshTopology',
  showTopology: 'libvirtDomainXml.showTopology',
  /** Internal: the command behind a topology node; hidden from the palette. */
  revealInXml: 'libvirtDomainXml.revealInXml',
  /** Internal: the command behind a domain in the Libvirt Domains view. */
  openDomain: 'libvirtDomainXml.libvirt.openDomain',
  refreshDomains: 'libvirtDomainXml.libvirt.refresh',
  addConnection: 'libvirtDomainXml.libvirt.addConnection',
  checkConnection: 'libvirtDomainXml.libvirt.checkConnection',
  showNative: 'libvirtDomainXml.libvirt.showNative',
} as const;

export const TOPOLOGY_VIEW_ID = 'libvirtDomainXml.topology';
export const DOMAINS_VIEW_ID = 'libvirtDomainXml.domains';

/** Context key: true once a domain has been shown in the topology view in this window. */
export const DOMAIN_SEEN_KEY = 'libvirtDomainXml.domainSeen';

/** The settings section the client passes to the server. */
export const SETTINGS_SECTION = 'libvirtDomainXml';
