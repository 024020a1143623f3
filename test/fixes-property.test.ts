/**
 * Fix safety (issue 7): for every document in test/corpus and in
 * test/fixtures/fixes, with and without a host topology and with a target
 * libvirt version, every code action
 * offered for any diagnostic of the document (the real ones from the rules,
 * plus made-up ones with plausible and implausible data, because a client
 * may send back stale or foreign diagnostics), and the source action, is
 * applied and the result must:
 *
 * - stay well-formed: no xml-* problem the input did not have, and xmldom's
 *   strict verdict still clean when it was clean;
 * - keep every element the user wrote, in order (compared by name, sorted
 *   attributes and text, leaving out what fixes may rewrite: guest address
 *   numbers, the iommufd and pciBus knobs, misspelled attribute names, and
 *   the proposal's own elements that the conversion replaces);
 * - keep every comment, in order;
 * - leave no root port empty that held something before, and add none that
 *   stays empty (a move reuses or removes the port it leaves);
 * - for a real diagnostic: make it go away and add no warning or error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver-types';
import { getLanguageService, type LanguageService, type ParsedDocument } from '../server/src/languageService';
import type { HostTopology } from '../server/src/host/types';
import { smmuv3s } from '../server/src/host/queries';
import { parseXml } from '../server/src/xml/parser';
import { walk } from '../server/src/xml/query';
import type { XmlElement } from '../server/src/xml/nodes';
import { strictWellFormedness } from '../server/src/xml/wellFormed';
import { ACCEL_VSMMU_WITH_VFIO_SINCE, ATTRIBUTE_MISSPELLINGS, PROPOSAL_IOMMU_MODELS } from '../server/src/domain/catalog';
import { FIXABLE_CODES } from '../server/src/features/codeActions';
import { RULE_FAMILIES } from '../server/src/rules/index';
import { parseSnapshot } from '../server/src/host/snapshot';

const URI = 'file:///test/domain.xml';

/** The Grace host of the fix fixtures: three SMMUs, two of them with two assigned functions each. */
function fixturesHost(): HostTopology {
  const file = path.join(__dirname, 'fixtures', 'fixes', 'host.json');
  const r = parseSnapshot(readFileSync(file, 'utf8'), file);
  if (!r.topology) throw new Error(r.error);
  return r.topology;
}

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create(URI, 'xml', 1, text), [...edits]);
}

function documents(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const dir of ['corpus', path.join('fixtures', 'fixes')]) {
    const full = path.join(__dirname, dir);
    if (!existsSync(full)) continue;
    for (const f of readdirSync(full)
      .filter((n) => n.endsWith('.xml'))
      .sort()) {
      out.push({ name: `${dir}/${f}`, text: readFileSync(path.join(full, f), 'utf8') });
    }
  }
  return out;
}

function lsFor(host: HostTopology | undefined, libvirtVersion?: string): LanguageService {
  return getLanguageService({
    host: { topology: () => host },
    settings: { libvirtVersion },
    rules: RULE_FAMILIES,
    log: (m) => {
      throw new Error(`unexpected log: ${m}`);
    },
  });
}

// ---------------------------------------------------------------------------
// What must survive a fix

/** Attributes a fix may rewrite, per element name. */
const MANAGED_ATTRIBUTES: Readonly<Record<string, ReadonlySet<string>>> = {
  address: new Set(['type', 'domain', 'bus', 'slot', 'function']),
  driver: new Set(['iommufd', 'pciBus']),
  iommufd: new Set(['enabled']),
  // A root port that moves along with its device is renumbered after its new slot;
  // a disk whose target name another disk has takes a free one.
  target: new Set(['port', 'dev']),
};

/** Elements whose text a fix may rewrite: the MMIO window size, an expander's guest NUMA cell. */
const MANAGED_TEXT: ReadonlySet<string> = new Set(['pcihole64', 'node']);

/** The proposal's own elements, which the conversion replaces. */
function isProposal(el: XmlElement): boolean {
  if (el.name === 'nestedSmmuv3') return true;
  const model = el.attributes.find((a) => a.name === 'model')?.value;
  return el.name === 'iommu' && model !== undefined && Object.prototype.hasOwnProperty.call(PROPOSAL_IOMMU_MODELS, model);
}

/**
 * Element signatures in document order: name, the attributes no fix rewrites
 * (sorted), leaf text. `gone`: indexes of root ports left out, the ones a
 * move removed (it may remove the root port it empties; that nothing was
 * left on it is checked by the address checks below).
 */
function signatures(text: string, gone: ReadonlySet<number> = new Set()): string[] {
  const out: string[] = [];
  const skip = new Set<XmlElement>();
  walk(parseXml(text), (el) => {
    const removedPort =
      el.name === 'controller' &&
      el.attributes.some((a) => a.name === 'model' && a.value === 'pcie-root-port') &&
      gone.has(Number(el.attributes.find((a) => a.name === 'index')?.value));
    if (skip.has(el) || isProposal(el) || removedPort) {
      for (const c of el.children) skip.add(c);
      return;
    }
    const managed = MANAGED_ATTRIBUTES[el.name];
    const attrs = el.attributes
      .filter((a) => !managed?.has(a.name))
      .map((a) => {
        const canonical = Object.prototype.hasOwnProperty.call(ATTRIBUTE_MISSPELLINGS, a.name) ? ATTRIBUTE_MISSPELLINGS[a.name].canonical : a.name;
        return `${canonical}=${a.value ?? ''}`;
      })
      .sort();
    const leafText =
      el.children.length === 0 && !MANAGED_TEXT.has(el.name)
        ? el.texts
            .map((t) => t.value)
            .join('')
            .trim()
        : '';
    out.push(`<${el.name} ${attrs.join(' ')}>${leafText}`);
  });
  return out;
}

/** Indexes of the pcie-root-ports of a document. */
function rootPortIndexes(ls: LanguageService, text: string): Set<number> {
  const m = ls.parse(text, URI, 1).domain;
  return new Set(m.controllers.filter((c) => c.type === 'pci' && c.model?.value === 'pcie-root-port').map((c) => c.index));
}

/** Guest PCI addresses whose bus names no controller of the document. */
function danglingBuses(ls: LanguageService, text: string): number {
  const m = ls.parse(text, URI, 1).domain;
  return m.pciDevices.filter((d) => d.address?.type === 'pci' && d.address.bus && !m.pciControllers.has(d.address.bus.value)).length;
}

function comments(text: string): string[] {
  return text.match(/<!--[\s\S]*?-->/g) ?? [];
}

/** The first item of `sub` that is missing from `all` in order, or undefined when `sub` is a subsequence. */
function missingInOrder(sub: readonly string[], all: readonly string[]): string | undefined {
  let j = 0;
  for (const s of sub) {
    while (j < all.length && all[j] !== s) j++;
    if (j === all.length) return s;
    j++;
  }
  return undefined;
}

function countsOf(codes: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of codes) m.set(c, (m.get(c) ?? 0) + 1);
  return m;
}

function problemCodes(ls: LanguageService, text: string): string[] {
  return ls
    .validate(ls.parse(text, URI, 1))
    .filter((d) => d.severity !== undefined && d.severity <= 2)
    .map((d) => String(d.code));
}

/** How often `code` is reported at any severity (informations have fixes too). */
function countOf(ls: LanguageService, text: string, code: string): number {
  return ls.validate(ls.parse(text, URI, 1)).filter((d) => String(d.code) === code).length;
}

/**
 * Indexes of pcie-root-ports that nothing uses: no device or controller names
 * them as its bus, no vSMMU's pciBus names them (a wrong pciBus has its own
 * finding and fix, which decides what the port is for).
 */
function emptyRootPorts(ls: LanguageService, text: string): Set<number> {
  const m = ls.parse(text, URI, 1).domain;
  const used = new Set<number>();
  for (const d of m.pciDevices) if (d.address?.type === 'pci' && d.address.bus) used.add(d.address.bus.value);
  for (const i of m.iommus) {
    const bus = i.driver?.attributes.find((a) => a.name === 'pciBus')?.value;
    if (bus !== undefined && /^\d+$/.test(bus)) used.add(Number(bus));
  }
  const out = new Set<number>();
  for (const c of m.controllers) if (c.type === 'pci' && c.model?.value === 'pcie-root-port' && !used.has(c.index)) out.add(c.index);
  return out;
}

function xmlProblems(text: string): number {
  return parseXml(text).problems.length;
}

// ---------------------------------------------------------------------------
// Diagnostics a client might send

const ZERO = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** Plausible and implausible diagnostics for every fixable code, built from the document itself. */
function madeUpDiagnostics(doc: ParsedDocument, host: HostTopology | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const m = doc.domain;
  const at = (start: number, end: number) => doc.lines.range(start, end);
  const smmus = [...(host ? smmuv3s(host).map((s) => s.name) : []), 'smmu3.0x00000000deadbeef', ''];
  const indexes = [...m.pciControllers.keys(), 0, 1, 99, -1];
  const mk = (code: string, range: Diagnostic['range'], data: unknown): void => {
    out.push({ range, message: 'made up', code, data });
  };

  m.hostdevs.forEach((h, i) => {
    const r = at(h.el.nameStart, h.el.nameEnd);
    for (const code of ['smmu-map-no-iommufd', 'smmu-map-uncovered', 'smmu-map-mixed']) {
      for (const smmu of smmus) mk(code, r, { hostdev: i, smmu });
      mk(code, r, { hostdev: i + 100 });
      mk(code, ZERO, { hostdev: i });
    }
  });
  for (const smmu of smmus) mk('smmu-map-missing-expander', ZERO, { smmu, hostdevs: [0] });
  for (const i of m.iommus) {
    const r = at((i.driver ?? i.el).nameStart, (i.driver ?? i.el).end);
    for (const code of ['iommu-pcibus-is-busnr', 'iommu-pcibus-missing', 'iommu-pcibus-not-expander', 'iommu-needs-pcibus']) {
      for (const s of indexes) mk(code, r, { pciBus: 252, suggestedIndex: s });
    }
    for (const a of i.driver?.attributes ?? []) {
      for (const [from, { canonical }] of Object.entries(ATTRIBUTE_MISSPELLINGS)) {
        mk('iommu-attribute-spelling', at(a.nameStart, a.nameEnd), { from, to: canonical });
      }
      mk('iommu-attribute-spelling', at(a.nameStart, a.nameEnd), { from: a.name, to: 'bad name' });
    }
  }
  mk('nested-proposal-syntax', ZERO, {});
  for (const code of FIXABLE_CODES) {
    mk(code, ZERO, undefined);
    mk(code, ZERO, null);
    mk(code, ZERO, ['not', 'an', 'object']);
  }
  return out;
}

// ---------------------------------------------------------------------------

interface Checked {
  violations: string[];
  fixedCodes: Set<string>;
  titles: Set<string>;
}

function checkDocument(text: string, host: HostTopology | undefined, libvirtVersion?: string): Checked {
  const ls = lsFor(host, libvirtVersion);
  const doc = ls.parse(text, URI, 1);
  const real = ls.validate(doc);
  const beforeProblems = problemCodes(ls, text);
  const beforeSigs = signatures(text);
  const beforeComments = comments(text);
  const beforeXml = xmlProblems(text);
  const strictBefore = beforeXml === 0 ? strictWellFormedness(text) : undefined;
  const emptyBefore = emptyRootPorts(ls, text);
  const violations: string[] = [];
  const fixedCodes = new Set<string>();
  const titles = new Set<string>();

  const check = (a: CodeAction, d: Diagnostic | undefined): void => {
    const label = `${d ? `${String(d.code)} ${JSON.stringify(d.data)}` : 'source'} → ${a.title}`;
    titles.add(a.title.replace(/smmu3\.0x[0-9a-f]+/g, 'X').replace(/\b\d+\b/g, 'N'));
    const edits = a.edit?.changes?.[URI];
    if (!edits || Object.keys(a.edit?.changes ?? {}).length !== 1) {
      violations.push(`${label}: no single-document edit`);
      return;
    }
    let out: string;
    try {
      out = applyEdits(text, edits);
    } catch (e) {
      violations.push(`${label}: edits do not apply: ${(e as Error).message}`);
      return;
    }
    const xmlAfter = xmlProblems(out);
    if (xmlAfter > beforeXml) violations.push(`${label}: ${xmlAfter - beforeXml} new XML problem(s)`);
    if (beforeXml === 0 && !strictBefore) {
      const strict = strictWellFormedness(out);
      if (strict) violations.push(`${label}: not well-formed: ${strict.message}`);
    }
    const afterPorts = rootPortIndexes(ls, out);
    const removedPorts = new Set([...rootPortIndexes(ls, text)].filter((i) => !afterPorts.has(i)));
    const lostEl = missingInOrder(removedPorts.size ? signatures(text, removedPorts) : beforeSigs, signatures(out));
    if (lostEl) violations.push(`${label}: element lost or moved: ${lostEl}`);
    const lostComment = missingInOrder(beforeComments, comments(out));
    if (lostComment) violations.push(`${label}: comment lost or moved: ${lostComment}`);
    if (xmlAfter === 0 && danglingBuses(ls, out) > danglingBuses(ls, text)) violations.push(`${label}: a device names a bus that is gone`);
    if (xmlAfter === 0) {
      const left = [...emptyRootPorts(ls, out)].filter((i) => !emptyBefore.has(i));
      if (left.length) violations.push(`${label}: leaves empty root port(s) ${left.join(', ')}`);
    }

    if (d && real.includes(d)) {
      fixedCodes.add(String(d.code));
      const before = countsOf(beforeProblems);
      const after = countsOf(problemCodes(ls, out));
      if (countOf(ls, out, String(d.code)) >= countOf(ls, text, String(d.code))) violations.push(`${label}: the diagnostic is still there`);
      for (const [code, n] of after) {
        if (n > (before.get(code) ?? 0)) violations.push(`${label}: adds ${code}`);
      }
    }
  };

  for (const d of [...real, ...madeUpDiagnostics(doc, host)]) {
    for (const a of ls.codeActions(doc, d.range, [d], ['quickfix'])) check(a, d);
  }
  for (const a of ls.codeActions(doc, ZERO, [], ['source'])) check(a, undefined);
  return { violations, fixedCodes, titles };
}

describe('every offered fix keeps the document well-formed and the user content intact', () => {
  const host = fixturesHost();
  const docs = documents();
  const fixedCodes = new Set<string>();
  const titles = new Set<string>();

  for (const { name, text } of docs) {
    test(name, () => {
      // Without a target version, with none known, and targeting the first
      // libvirt in which an accelerated vSMMU serves assigned devices (version
      // checks on). An older target cannot hold the layout the fixes write (accel
      // itself is too new there), so no fix could avoid a version warning.
      const runs = [checkDocument(text, host), checkDocument(text, undefined), checkDocument(text, host, ACCEL_VSMMU_WITH_VFIO_SINCE)];
      for (const r of runs) {
        r.fixedCodes.forEach((c) => fixedCodes.add(c));
        r.titles.forEach((t) => titles.add(t));
      }
      assert.deepEqual(
        runs.flatMap((r) => r.violations),
        [],
      );
    });
  }

  test('the documents exercise every fix: each code on a real diagnostic, each kind of action', () => {
    assert.deepEqual([...fixedCodes].sort(), [
      'disk-target-duplicate',
      'iommu-attribute-spelling',
      'iommu-needs-pcibus',
      'iommu-pcibus-is-busnr',
      'iommu-pcibus-missing',
      'iommu-pcibus-not-expander',
      'mmio-pcihole64-invalid',
      'mmio-window-too-small',
      'nested-proposal-syntax',
      'numa-device-cell-cpus-remote',
      'numa-device-cell-mismatch',
      'numa-gi-cell-missing',
      'numa-gi-missing',
      'smmu-map-emulated-device',
      'smmu-map-missing-expander',
      'smmu-map-mixed',
      'smmu-map-no-iommufd',
      'smmu-map-no-vsmmu',
      'smmu-map-uncovered',
      'version-too-new',
    ]);
    assert.deepEqual(
      [...titles].sort(),
      [
        'Add an accelerated vSMMU to expander N (host SMMU X)',
        'Add a pxb-pcie expander for host SMMU X',
        "Add pciBus='N'",
        'Add N Generic Initiator cells (N-N) for this GPU',
        'Add memory-less cells N-N to <cpu><numa>',
        'Put expander N in guest cell N (backed by host node N)',
        'Put expander N in guest cell N (its vCPUs run on host node N)',
        'Set the N-bit MMIO window to N GiB (<pcihole64> on pcie-root)',
        'Set the N-bit MMIO window to N TiB (<pcihole64> on pcie-root)',
        'Change pciBus to N',
        'Convert to the upstream pluggable SMMUv3 form (whole document)',
        'Enable iommufd for the whole domain',
        'Generate vSMMU topology for all passed-through devices',
        'Move its root port (index N) to pcie-root',
        'Move this device behind expander N (its vSMMU serves no device yet)',
        'Move this device behind the expander of X (index N)',
        'Rename parentIdx to pciBus',
        'Rename ssidSize to ssidsize',
        'Rename target vda to vdb',
        'Use expander N (its vSMMU serves no device yet) for host SMMU X',
        'Use the iommufd backend for this device',
        'Remove pasid from <driver> (needs libvirt N.N.N)',
      ].sort(),
    );
  });
});
