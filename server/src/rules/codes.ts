/**
 * The registry of finding codes: every code any part of the verdict can
 * report (the rule families, the XML scanner, the input check, libvirt's
 * schema, libvirt's own refusal), with its family, its default severity,
 * whether a quick fix exists, and the shape of its `data`.
 *
 * It is the one place a code is declared. The rules emit codes through it
 * (`Finding.code` is a `RuleCode`, so a code not listed here does not
 * compile), the severity comes from here (rules/report.ts), the quick fixes
 * are keyed on its fixable codes and read `data` through its types
 * (features/codeActions.ts, features/fixes/lookup.ts), and
 * test/rule-codes.test.ts checks docs/rules.md's tables against it.
 *
 * To add a code: add one line to its family below, e.g.
 *     'iommu-foo-bar': error<{ attribute: string }>(),
 * (the type argument is the `data` the finding carries; leave it out for
 * none; `{ fixable: true }` once a quick fix for it is registered), then a
 * row with the same severity in docs/rules.md's table of that family.
 */
import type { XmlProblemCode } from '../xml/nodes';
import type { LIBVIRT_REFUSED } from '../libvirt/refusal';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** What the registry knows of one code; `D` is the type of the finding's `data` (undefined: none). */
export interface CodeSpec<D = undefined> {
  /** The default severity: what the rule reports and docs/rules.md states. */
  readonly severity: Severity;
  /**
   * Other severities the code is reported with in a stated situation (its
   * row in docs/rules.md says when), e.g. a warning in the editor where the
   * CLI reports an error.
   */
  readonly otherSeverities: readonly Severity[];
  /** A quick fix is registered for it (features/codeActions.ts). */
  readonly fixable: boolean;
  /** Never set: carries the type of `data` for the compiler (a parameter, so that `| undefined` survives). */
  readonly dataType?: (data: D) => void;
}

interface Options {
  readonly otherSeverities?: readonly Severity[];
}

type NotFixable<D> = CodeSpec<D> & { readonly fixable: false };

const spec = <D>(severity: Severity, o: Options = {}): NotFixable<D> => ({ severity, otherSeverities: o.otherSeverities ?? [], fixable: false });
const error = <D = undefined>(o?: Options) => spec<D>('error', o);
const warning = <D = undefined>(o?: Options) => spec<D>('warning', o);
const information = <D = undefined>(o?: Options) => spec<D>('information', o);
/** Marks a code whose quick fix is registered in features/codeActions.ts (the compiler then asks for one). */
const fixable = <D>(s: NotFixable<D>): CodeSpec<D> & { readonly fixable: true } => ({ ...s, fixable: true });

type Family<F extends string, T> = { readonly [K in keyof T]: T[K] & { readonly family: F } };

/** The codes of one family; the family name is the one docs/rules.md files the codes under. */
function family<F extends string, T extends Record<string, CodeSpec<never>>>(name: F, codes: T): Family<F, T> {
  const out: Record<string, unknown> = {};
  for (const [code, s] of Object.entries(codes)) out[code] = { ...s, family: name };
  return out as Family<F, T>;
}

// Shapes of data that several codes share.
/** A hostdev by its position among the domain's hostdevs, and its host address when written. */
export interface HostdevRef {
  hostdev: number;
  bdf?: string;
}
interface PciBusData {
  pciBus: number;
  suggestedIndex?: number;
}
interface Rename {
  from: string;
  to: string;
}
/** A device on host node `hostNode` below expander `expanderIndex`, and the guest cell that fits it, when one does. */
interface DeviceCellData {
  expanderIndex: number;
  hostdev: number;
  hostNode: number;
  cell?: number;
}

const XML = family('xml', {
  'xml-unclosed-element': error(),
  'xml-unterminated-start-tag': error(),
  'xml-mismatched-end-tag': error(),
  'xml-stray-end-tag': error(),
  'xml-duplicate-attribute': error(),
  'xml-attribute-without-value': error(),
  'xml-unquoted-attribute-value': error(),
  'xml-unterminated-attribute-value': error(),
  'xml-bad-entity': error(),
  'xml-unterminated-comment': error(),
  'xml-multiple-roots': error(),
  'xml-text-outside-root': error(),
  'xml-no-root': error(),
  'xml-invalid-name': error(),
  'xml-not-well-formed': error(),
  'findings-capped': information<{ omitted: number; limit: number }>(),
  'xml-empty': error(),
  'xml-not-text': error(),
  'xml-encoding': error(),
  // A warning in the editor, where only a near miss of <domain> is reported.
  'xml-root-not-domain': error<{ rename: Rename } | undefined>({ otherSeverities: ['warning'] }),
});

const IOMMU = family('iommu', {
  'iommu-model-missing': error(),
  'iommu-model-unknown': error<{ model: string }>(),
  'iommu-model-machine': error<{ model: string; machine?: string; arch?: string }>(),
  'iommu-virtio-needs-acpi': error(),
  'iommu-attribute-model': error<{ attribute: string; model: string }>(),
  'iommu-attribute-unknown': warning<{ attribute: string; model: string }>(),
  'iommu-attribute-spelling': fixable(warning<Rename>()),
  'iommu-value-onoff': error<{ attribute: string; value: string }>(),
  'iommu-value-range': error<{ attribute: string; value: string }>(),
  'iommu-needs-pcibus': fixable(error<{ attribute: string; suggestedIndex?: number }>()),
  'iommu-accel-only': error<{ attribute: string }>(),
  'iommu-address-forbidden': error<{ model: string }>(),
  'iommu-multiple': error(),
  'iommu-pcibus-duplicate': error<{ pciBus: number }>(),
  'iommu-pcibus-missing': fixable(error<PciBusData>()),
  'iommu-pcibus-is-busnr': fixable(error<Required<PciBusData>>()),
  'iommu-pcibus-not-expander': fixable(error<PciBusData>()),
});

const CONTROLLERS = family('controllers', {
  'controller-index-duplicate': error<{ type: string | undefined; index: number }>(),
  'controller-busnr-range': error<{ attribute: string; min: number; max: number }>(),
  'controller-chassisnr-range': error<{ attribute: string; min: number; max: number }>(),
  'controller-chassis-range': error<{ attribute: string; min: number; max: number }>(),
  'controller-port-range': error<{ attribute: string; min: number; max: number }>(),
  'controller-busnr-duplicate': error<{ busNr: number; otherIndex: number }>(),
  'controller-busnr-overlap': warning<{ index: number; busNr: number; needed: number; limit: number }>(),
  'controller-busnr-no-spare': warning<{ index: number; busNr: number; limit: number }>(),
  'controller-expander-placement': error<{ index: number }>(),
  'controller-expander-child': error<{ expanderIndex: number }>(),
  'controller-expander-machine': error<{ model: string; machine?: string }>(),
  'controller-numa-node': error<{ node: number | string; cells: number[] }>(),
  'controller-root-numa': error<{ index: number }>(),
  'controller-chassis-duplicate': error<{ chassis: number; otherIndex: number }>(),
  'controller-bridge-index-order': error<{ index: number; bus: number }>(),
  'controller-index-below-bus': error<{ index: number; bus: number }>(),
  'address-bus-missing': information<{ bus: number; expanderIndex?: number }>(),
});

const MACHINE = family('machine', {
  'machine-no-pci': error<{ machine: string }>(),
  'controller-root-model': error<{ model?: string; expected: string; machine?: string }>(),
  'controller-root-index': error<{ model: string; index: number }>(),
  'controller-root-address': error<{ model: string }>(),
});

const CONTROLLER_OPTIONS = family('controller-options', {
  'controller-model-name': error<Rename>(),
  'controller-option-model': error<{ option: string; model: string; models: readonly string[] }>(),
  'controller-iothread-model': error<{ type: string | undefined; model: string | undefined }>(),
  'controller-iothread-missing': error<{ iothread: number }>(),
});

const PCI_ADDRESSES = family('pci-addresses', {
  'address-pci-range': error<{ attribute: string; max: number }>(),
  'address-slot-range': error<{ bus: number; busModel: string | undefined; minSlot: number; maxSlot: number }>(),
  'address-bus-accepts': error<{ bus: number; busModel: string | undefined; connect: string }>(),
  'address-integrated-bus': error<{ bus: number }>(),
  'address-duplicate': error<{ address: string }>(),
  'address-type-hostdev-only': error<{ kind: string; type: string }>(),
  'address-type-machine': error<{ kind: string; type: string; arch: string | undefined }>(),
  'address-type-device': error<{ kind: string; type: string; bus?: string; allowed?: readonly string[] }>(),
  'address-no-free-slot': error<{ ports: number; room: number }>(),
});

const HOSTDEVS = family('hostdevs', {
  'hostdev-duplicate': error<{ source: string }>(),
  'hostdev-address-type': error<{ hostdevType: string; addressType: string | undefined; allowed: readonly string[] }>(),
  'hostdev-mdev-model': error<{ model: string; arch?: string } | undefined>(),
  'hostdev-mdev-display': error<{ model: string | undefined }>(),
});

const NUMA_CELLS = family('numa-cells', {
  'numa-cell-id': error<{ id: number; cells: number; suggestedId?: number }>(),
  'numa-cell-duplicate': error<{ id: number }>(),
  'numa-cpus-overlap': error<{ cpus: number[] }>(),
  'numa-cpus-beyond-vcpus': error<{ vcpus: number; cpu?: number; total?: number }>(),
  'numa-cpus-uncovered': warning<{ cpus: number[] }>(),
});

const FEATURES = family('features', {
  'features-acpi-without-uefi': error<{ arch: string | undefined }>(),
  'features-uefi-without-acpi': error<{ arch: string | undefined }>(),
  'features-hyperv-dependency': error<{ feature: string; needs: string }>(),
});

const DISKS = family('disks', {
  'disk-target-duplicate': fixable(error<{ dev: string; suggested?: string }>()),
  'disk-bus-ide': error<{ machine: string | undefined; family: string }>(),
  'disk-sgio-unfiltered': error<{ sgio: string }>(),
});

const VERSION = family('version', {
  'version-too-new': fixable(warning<{ feature: string; since: string; target: string }>()),
});

const SMMU_MAP = family('smmu-map', {
  'smmu-map-no-host': information<{ reason: 'no-host' } | { reason: 'no-smmuv3'; iommus: string[] }>(),
  'smmu-map-uncovered': fixable(warning<HostdevRef & { smmu?: string; expanderIndex?: number }>()),
  'smmu-map-mixed': fixable(error<HostdevRef & { expanderIndex: number; smmu?: string; expectedSmmu?: string }>()),
  'smmu-map-missing-expander': fixable(warning<{ smmu: string; hostdevs: number[] }>()),
  'smmu-map-emulated-device': fixable(warning<{ expanderIndex: number; device: number; kind: string }>()),
  'smmu-map-no-iommufd': fixable(warning<HostdevRef & { expanderIndex: number }>()),
  'smmu-map-host-device-missing': warning<HostdevRef>(),
  'smmu-map-host-device-no-smmu': warning<HostdevRef & { iommu?: string }>(),
  'smmu-map-no-vsmmu': fixable(information<{ hostdevs: number[]; smmus: string[] }>()),
});

const NUMA = family('numa', {
  'numa-device-cell-mismatch': fixable(warning<DeviceCellData>()),
  'numa-device-cell-cpus-remote': fixable(warning<DeviceCellData>()),
  'numa-gi-nodeset-invalid': error<{ hostdev: number }>(),
  'numa-gi-cell-missing': fixable(error<{ hostdev: number; missing: number[] }>()),
  'numa-gi-cell-not-empty': warning<{ hostdev: number; cell: number }>(),
  'numa-gi-cell-shared': warning<{ hostdev: number; cell: number }>(),
  'numa-gi-missing': fixable(information<HostdevRef>()),
});

const MMIO = family('mmio', {
  'mmio-window-too-small': fixable(warning<{ needBytes: number; windowBytes: number; suggestedKiB: number }>()),
  'mmio-pcihole64-invalid': fixable(error<{ bytes: number; suggestedKiB: number }>()),
});

const NESTED_PROPOSAL = family('nested-proposal', {
  'nested-proposal-syntax': fixable(warning<{ model: string; replacement: 'smmuv3' } | { name: string; expanderIndex: number | undefined }>()),
  'nested-smmu-name-malformed': error<{ name: string }>(),
  'nested-smmu-name-unknown': error<{ name: string; known: string[] }>(),
  'nested-smmu-duplicate': error<{ name: string; expanderIndex: number; firstExpanderIndex: number }>(),
  'nested-smmu-device-mismatch': error<HostdevRef & { smmu: string; named: string; expanderIndex: number }>(),
});

/** What libvirt's schema said, and what a fix may use of it. */
export interface SchemaInvalidData {
  /** libxml2's own message. */
  libxml2: string;
  line?: number;
  attribute?: string;
  element?: string;
  /** The close name or value the schema's message suggests ("Did you mean …?"). */
  suggestion?: string;
  allowed?: readonly string[];
  /** A required attribute or child element is missing (named by `attribute` or `element`). */
  missing?: boolean;
}

export interface SchemaNewerData {
  since: string;
  schemaVersion?: string;
  libxml2: string;
  /** Offset of the element whose attribute it is (to group the attributes of one element). */
  element?: number;
  attribute?: string;
  /** All attributes of one element that came with the same release, when grouped. */
  attributes?: string[];
}

const SCHEMA = family('schema', {
  // No data when libxml2's errors could be placed on no element (the finding is on the root).
  'schema-invalid': fixable(error<SchemaInvalidData | undefined>()),
  'schema-newer-libvirt': warning<SchemaNewerData>(),
  'schema-unavailable': information(),
});

const LIBVIRT = family('libvirt', {
  'libvirt-refused': error(),
});

/** Every code, in the order of docs/rules.md's sections. */
export const RULE_CODES = {
  ...XML,
  ...IOMMU,
  ...CONTROLLERS,
  ...MACHINE,
  ...CONTROLLER_OPTIONS,
  ...PCI_ADDRESSES,
  ...HOSTDEVS,
  ...NUMA_CELLS,
  ...FEATURES,
  ...DISKS,
  ...VERSION,
  ...SMMU_MAP,
  ...NUMA,
  ...MMIO,
  ...NESTED_PROPOSAL,
  ...SCHEMA,
  ...LIBVIRT,
};

export type RuleCode = keyof typeof RULE_CODES;
export type RuleFamilyName = (typeof RULE_CODES)[RuleCode]['family'];

/** The type of `data` a finding of code `C` carries (undefined: none). */
export type DataOf<C extends RuleCode> = (typeof RULE_CODES)[C] extends CodeSpec<infer D> ? D : never;

/** Codes that have a quick fix. */
export type FixableCode = { [C in RuleCode]: (typeof RULE_CODES)[C]['fixable'] extends true ? C : never }[RuleCode];

export function isRuleCode(code: string | undefined): code is RuleCode {
  return code !== undefined && Object.prototype.hasOwnProperty.call(RULE_CODES, code);
}

export function codeSpec(code: RuleCode): CodeSpec<never> & { readonly family: RuleFamilyName } {
  return RULE_CODES[code];
}

// Codes made below the rules layer are registry codes too: these fail to
// compile when one is missing here.
type Registered<T extends RuleCode> = T;
export type ScannerCode = Registered<XmlProblemCode>;
export type LibvirtRefusedCode = Registered<typeof LIBVIRT_REFUSED>;
