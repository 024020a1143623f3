/**
 * Quick fixes for the Grace topology findings:
 *
 * - mmio-window-too-small / mmio-pcihole64-invalid: set `<pcihole64
 *   unit='KiB'>` on pcie-root to the size the finding computed (adding the
 *   pcie-root controller when the document leaves it implicit);
 * - numa-device-cell-mismatch, numa-device-cell-cpus-remote: set the
 *   expander's `<node>` to the guest cell backed by (and run on) the
 *   device's host node;
 * - numa-gi-missing / numa-gi-cell-missing: add memory-less cells to
 *   `<cpu><numa>` and (for a GPU without any) name them in `<acpi nodeset>`.
 */
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver-types';
import { mmioWindowOf, pcieRootOf, pcihole64Of, prefetchable64Need, windowFor, formatBytes } from '../../domain/mmio';
import { acpiNodesetOf, cellForHostNode, formatNodeset, GRACE_GI_CELLS_PER_GPU, guestCells } from '../../domain/numa';
import { smmuMappingOf } from '../../domain/smmuMapping';
import { cpuNodeMap } from '../../host/queries';
import type { HostPciDevice } from '../../host/types';
import type { XmlElement } from '../../xml/nodes';
import { child, textRange } from '../../xml/query';
import { appendChild, DevicesInserter, EditBuilder, insertAfter, makeAction, childIndentOf, type FixContext } from './edits';
import { hostdevOf, intData, type CodeDiagnostic } from './lookup';

export function graceFixes(
  ctx: FixContext,
  d: CodeDiagnostic<'mmio-window-too-small' | 'mmio-pcihole64-invalid' | 'numa-device-cell-mismatch' | 'numa-device-cell-cpus-remote' | 'numa-gi-missing' | 'numa-gi-cell-missing'>,
): CodeAction[] {
  const a = (() => {
    switch (d.code) {
      case 'mmio-window-too-small':
      case 'mmio-pcihole64-invalid':
        return pcihole64Action(ctx, d);
      case 'numa-device-cell-mismatch':
      case 'numa-device-cell-cpus-remote':
        return numaNodeAction(ctx, d);
      case 'numa-gi-missing':
        return giAction(ctx, d, true);
      case 'numa-gi-cell-missing':
        return giAction(ctx, d, false);
      default:
        return undefined;
    }
  })();
  return a ? [a] : [];
}

/** The window the document needs now: what the assigned devices' BARs take, never below what pcihole64 asks for, a power of two. */
function neededWindow(ctx: FixContext): number | undefined {
  const host = ctx.feature.host;
  const hole = pcihole64Of(ctx.model);
  const devices = host
    ? smmuMappingOf(ctx.model, host)
        .placements.map((p) => p.hostDevice)
        .filter((x): x is HostPciDevice => !!x)
    : [];
  const need = Math.max(prefetchable64Need(devices), hole && Number.isFinite(hole.bytes) ? hole.bytes : 0);
  if (need === 0 && !hole) return undefined;
  return windowFor(need);
}

function pcihole64Action(ctx: FixContext, d: Diagnostic): CodeAction | undefined {
  if (!mmioWindowOf(ctx.model) && !pcihole64Of(ctx.model)) return undefined;
  const bytes = neededWindow(ctx);
  if (bytes === undefined) return undefined;
  const kib = String(bytes / 1024);
  const b = new EditBuilder();
  const hole = pcihole64Of(ctx.model);
  const root = pcieRootOf(ctx.model);
  if (hole) {
    const r = textRange(hole.el);
    if (!r || hole.el.selfClosing) return undefined;
    if (ctx.text.slice(r.start, r.end) === kib && (hole.el.attributes.find((x) => x.name === 'unit')?.value ?? 'KiB') === 'KiB') return undefined;
    b.replace(r.start, r.end, kib);
    const unit = hole.el.attributes.find((x) => x.name === 'unit');
    if (unit && unit.value !== 'KiB' && unit.valueStart >= 0 && unit.valueClosed) b.replace(unit.valueStart, unit.valueEnd, 'KiB');
    else if (unit && unit.value !== 'KiB') return undefined;
  } else if (root) {
    if (!appendChild(ctx, b, root.el, { name: 'pcihole64', attrs: [['unit', 'KiB']], text: kib })) return undefined;
  } else {
    if (ctx.model.pciControllers.has(0)) return undefined;
    const ins = new DevicesInserter(ctx);
    ins.addController({
      name: 'controller',
      attrs: [
        ['type', 'pci'],
        ['index', '0'],
        ['model', 'pcie-root'],
      ],
      children: [{ name: 'pcihole64', attrs: [['unit', 'KiB']], text: kib }],
    });
    if (!ins.flush(b)) return undefined;
  }
  return makeAction(ctx, `Set the 64-bit MMIO window to ${formatBytes(bytes)} (<pcihole64> on pcie-root)`, CodeActionKind.QuickFix, [d], b, true);
}

function numaNodeAction(ctx: FixContext, d: CodeDiagnostic<'numa-device-cell-mismatch' | 'numa-device-cell-cpus-remote'>): CodeAction | undefined {
  const index = intData(d, 'expanderIndex');
  const hostNode = intData(d, 'hostNode');
  if (index === undefined || hostNode === undefined) return undefined;
  const expander = ctx.model.pciControllers.get(index);
  const node = expander?.numaNode;
  const host = ctx.feature.host;
  const cell = cellForHostNode(ctx.model, hostNode, host && cpuNodeMap(host));
  if (!node || cell === undefined || node.value === cell) return undefined;
  const r = textRange(node.el);
  if (!r) return undefined;
  const b = new EditBuilder().replace(r.start, r.end, String(cell));
  const why = d.code === 'numa-device-cell-cpus-remote' ? `its vCPUs run on host node ${hostNode}` : `backed by host node ${hostNode}`;
  return makeAction(ctx, `Put expander ${index} in guest cell ${cell} (${why})`, CodeActionKind.QuickFix, [d], b, true);
}

/**
 * Memory-less, CPU-less cells after the last one of `<cpu><numa>`: either
 * the missing cells of an existing nodeset (when they come right after the
 * existing ones, so cell numbering stays contiguous), or eight new ones for
 * a GPU without any, named in a new `<acpi nodeset>`.
 */
function giAction(ctx: FixContext, d: CodeDiagnostic<'numa-gi-missing' | 'numa-gi-cell-missing'>, addNodeset: boolean): CodeAction | undefined {
  const found = hostdevOf(ctx, d);
  if (!found) return undefined;
  const cells = guestCells(ctx.model);
  const last = cells[cells.length - 1];
  const numa = last?.el.parent;
  if (!last || !numa || !last.el.closed) return undefined;
  const ids = cells.map((c) => c.id);
  const next = Math.max(...ids) + 1;
  let add: number[];
  if (addNodeset) {
    if (acpiNodesetOf(found.hostdev) || child(found.hostdev.el, 'acpi')) return undefined;
    // Another device's nodeset naming cells past the last one would collide: its missing cells come first.
    const named = ctx.model.hostdevs.flatMap((h) => [...(acpiNodesetOf(h)?.nodes ?? [])]);
    if (named.some((n) => n >= next)) return undefined;
    add = Array.from({ length: GRACE_GI_CELLS_PER_GPU }, (_, i) => next + i);
  } else {
    const gi = acpiNodesetOf(found.hostdev);
    if (!gi?.nodes) return undefined;
    add = [...gi.nodes].filter((n) => !ids.includes(n)).sort((a, b) => a - b);
    // Only cells that continue the numbering: a gap would leave libvirt's cells non-contiguous.
    if (add.length === 0 || add.some((n, i) => n !== next + i)) return undefined;
  }
  const b = new EditBuilder();
  const specs = add.map((id) => ({
    name: 'cell',
    attrs: [
      ['id', String(id)],
      ['memory', '0'],
      ['unit', 'KiB'],
    ] as [string, string][],
  }));
  insertAfter(ctx, b, lastElement(numa), specs, childIndentOf(ctx, numa));
  if (addNodeset && !appendChild(ctx, b, found.hostdev.el, { name: 'acpi', attrs: [['nodeset', formatNodeset(add)]] })) return undefined;
  const title = addNodeset
    ? `Add ${add.length} Generic Initiator cells (${formatNodeset(add)}) for this GPU`
    : `Add memory-less cell${add.length > 1 ? 's' : ''} ${formatNodeset(add)} to <cpu><numa>`;
  return makeAction(ctx, title, CodeActionKind.QuickFix, [d], b);
}

function lastElement(parent: XmlElement): XmlElement {
  return parent.children[parent.children.length - 1];
}
