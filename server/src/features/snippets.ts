/**
 * Whole-element snippets that completion offers under `<devices>`: a
 * pluggable accelerated vSMMU and a pxb-pcie expander with its root port.
 * Their numbers come from the document (next free index, free pcie-root
 * slot, a busNr block that fits) so that the inserted XML is valid as is.
 *
 * Snippets are written with explicit indentation matching the document and
 * inserted "as is", so the editor does not re-indent them.
 */
import { ACCEL_VSMMU_WITH_VFIO_SINCE } from '../domain/catalog';
import type { DomainModel } from '../domain/model';
import { PciAllocator } from '../domain/allocate';
import { iommuForIndex, isPcieExpander } from '../domain/topology';
import { hex2 } from './pciLayout';
import type { XmlDocument } from '../xml/nodes';
import { lineIndentOf, styleOf } from './documentStyle';

/**
 * Root ports the expander snippet leaves bus numbers for: the one it adds
 * plus two more, so a second device or a switch fits later without
 * renumbering (the same block of four as libvirt's own examples, 252 and 248).
 */
const EXPANDER_ROOM_FOR_PORTS = 3;

export interface Layout {
  /** Leading white space of the line the snippet starts on. */
  readonly indent: string;
  /** One level of indentation in this document. */
  readonly unit: string;
  /** Quote character the document uses for attribute values. */
  readonly quote: string;
}

/** The layout at `offset`: the line's indentation plus the document's own style. */
export function layoutAt(doc: XmlDocument, offset: number): Layout {
  const style = styleOf(doc);
  return { indent: lineIndentOf(doc.text, offset), unit: style.unit, quote: style.quote };
}

/** Joins snippet lines, each after the first indented by the line's level. */
function lines(l: Layout, rows: ReadonlyArray<[number, string]>): string {
  return rows.map(([level, s], i) => (i === 0 ? '' : l.indent + l.unit.repeat(level)) + s).join('\n');
}

export interface Snippet {
  readonly label: string;
  /** What the client matches the typed `<…` against: the element name and a keyword. */
  readonly filterText: string;
  readonly detail: string;
  readonly documentation: string;
  readonly text: string;
}

/** `<iommu model='smmuv3'>` with pciBus on the first pcie-expander-bus that has no vSMMU yet. */
export function vsmmuSnippet(m: DomainModel, l: Layout): Snippet {
  const q = l.quote;
  const target = m.controllers.find((c) => isPcieExpander(c) && !iommuForIndex(m, c.index));
  const bus = target ? `\${1:${target.index}}` : '${1:N}';
  return {
    label: 'vSMMU: accelerated smmuv3 on an expander',
    filterText: '<iommu vsmmu',
    detail: target ? `pciBus ${target.index} (pcie-expander-bus without a vSMMU)` : 'pciBus: the index of a pcie-expander-bus',
    documentation: `A pluggable SMMUv3 attached to one PCIe expander bus, backed by the host SMMU of the devices below it (\`accel='on'\`); with assigned devices it works from libvirt ${ACCEL_VSMMU_WITH_VFIO_SINCE} on.`,
    text: lines(l, [
      [0, `<iommu model=${q}smmuv3${q}>`],
      [1, `<driver pciBus=${q}${bus}${q} accel=${q}on${q}/>`],
      [0, '</iommu>$0'],
    ]),
  };
}

/**
 * A pcie-expander-bus (pxb-pcie) on a free pcie-root slot, plus one root
 * port on it. `cell`: the guest NUMA cell to offer first (that of the
 * assigned device still waiting for an expander, when the host tells).
 */
export function expanderSnippet(m: DomainModel, l: Layout, cell?: number): Snippet {
  const q = l.quote;
  const a = (name: string, value: string): string => `${name}=${q}${value}${q}`;
  // The same allocator as the quick fixes, so both lay out expanders alike.
  const alloc = new PciAllocator(m);
  const busNr = alloc.busNr(EXPANDER_ROOM_FOR_PORTS);
  const slot = alloc.slot(0);
  const index = alloc.index();
  const port = alloc.index();
  const chassis = alloc.chassisFor(port) ?? port;
  const ids = m.numaCells.map((c) => c.id);
  const cells = cell !== undefined && ids.includes(cell) ? [cell, ...ids.filter((x) => x !== cell)] : ids;
  const node = cells.length > 1 ? `\${2|${cells.join(',')}|}` : cells.length === 1 ? `\${2:${cells[0]}}` : undefined;
  const busNrText = busNr !== undefined ? `\${1:${busNr}}` : '${1:busNr}';
  const slotText = slot !== undefined ? hex2(slot) : '${3:0x01}';
  const target: Array<[number, string]> = node
    ? [
        [1, `<target ${a('busNr', busNrText)}>`],
        [2, `<node>${node}</node>`],
        [1, '</target>'],
      ]
    : [[1, `<target ${a('busNr', busNrText)}/>`]];
  return {
    label: 'pxb-pcie expander bus + root port',
    filterText: '<controller pxb-pcie',
    detail: `index ${index} on pcie-root slot ${slot !== undefined ? hex2(slot) : '?'}${busNr !== undefined ? `, busNr ${busNr}` : ''}; root port index ${port}`,
    documentation:
      "A PCIe expander bus (an extra root complex, for one vSMMU and the devices of one host SMMU) with a root port to plug a device into. Put the device at `bus='" +
      hex2(port) +
      "'`.",
    text: lines(l, [
      [0, `<controller ${a('type', 'pci')} ${a('index', String(index))} ${a('model', 'pcie-expander-bus')}>`],
      [1, `<model ${a('name', 'pxb-pcie')}/>`],
      ...target,
      [1, `<address ${a('type', 'pci')} ${a('domain', '0x0000')} ${a('bus', '0x00')} ${a('slot', slotText)} ${a('function', '0x0')}/>`],
      [0, '</controller>'],
      [0, `<controller ${a('type', 'pci')} ${a('index', String(port))} ${a('model', 'pcie-root-port')}>`],
      [1, `<model ${a('name', 'pcie-root-port')}/>`],
      [1, `<target ${a('chassis', String(chassis))} ${a('port', '0x0')}/>`],
      [1, `<address ${a('type', 'pci')} ${a('domain', '0x0000')} ${a('bus', hex2(index))} ${a('slot', '0x00')} ${a('function', '0x0')}/>`],
      [0, '</controller>$0'],
    ]),
  };
}
