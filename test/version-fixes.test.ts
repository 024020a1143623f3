/**
 * Quick fixes for `version-too-new` (syntax newer than the targeted libvirt
 * release): "remove" and, where the release-facts table knows an older
 * spelling, "replace with the older form".
 *
 * Each case is input → expected output: the input carries a `|` where the
 * person presses Ctrl+. (the diagnostic under it is the one fixed), the
 * expected document is the input with exact-once replacements. The last
 * block is a property run over every document of test/corpus,
 * test/fixtures/fixes and examples/ at several targets: every offered fix,
 * applied and re-checked, removes its finding, adds no error, keeps the XML
 * well-formed, and its title names everything it removes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, TextEdit } from 'vscode-languageserver-types';
import type { LanguageService } from '../server/src/languageService';
import { FEATURE_SINCE, LIBVIRT_RELEASE, OLDER_FORMS } from '../server/src/domain/catalog';
import { parseXml } from '../server/src/xml/parser';
import { armDomain, DOC_URI as URI, loadHostFile, service, withCursor } from './helpers';
import { devices, expander, hostdev, IOMMUFD_DRIVER, PCIE_ROOT, rootPort, vsmmu } from './fixtures/domains';

const HOST = loadHostFile(path.join(__dirname, 'fixtures', 'fixes', 'host.json'));

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create(URI, 'xml', 1, text), [...edits]);
}

/** Replaces each `from` (which must occur exactly once) by `to`. */
function edit(text: string, ...pairs: [string, string][]): string {
  let out = text;
  for (const [from, to] of pairs) {
    const i = out.indexOf(from);
    assert.ok(i >= 0 && out.indexOf(from, i + 1) < 0, `'${from}' must occur exactly once`);
    out = out.slice(0, i) + to + out.slice(i + from.length);
  }
  return out;
}

const problems = (ls: LanguageService, text: string) =>
  ls
    .validate(ls.parse(text, URI, 2))
    .filter((d) => d.severity !== undefined && d.severity <= 2)
    .map((d) => String(d.code));

/** The fixes offered at the `|` of `marked` for the version-too-new finding under it, targeting `target`. */
function fixesAt(marked: string, target: string) {
  const { text, offset } = withCursor(marked);
  const ls = service({ host: HOST, settings: { libvirtVersion: target } });
  const doc = ls.parse(text, URI, 1);
  const d = ls.validate(doc).find((x) => x.code === 'version-too-new' && doc.lines.offsetAt(x.range.start) <= offset && offset <= doc.lines.offsetAt(x.range.end));
  assert.ok(d, `no version-too-new at the cursor (target ${target})`);
  const actions = ls.codeActions(doc, { start: doc.lines.positionAt(offset), end: doc.lines.positionAt(offset) }, [d], ['quickfix']);
  const apply = (title: string) => {
    const a = actions.find((x) => x.title === title);
    assert.ok(a, `no '${title}' among ${JSON.stringify(actions.map((x) => x.title))}`);
    const out = applyEdits(text, a.edit!.changes![URI]);
    return { text: out, before: problems(ls, text), after: problems(ls, out), action: a };
  };
  return { text, titles: actions.map((a) => a.title), apply };
}

/** An accelerated vSMMU on expander 1 serving one GPU on the iommufd backend: valid from 12.7.0. */
const ACCEL_DOMAIN = armDomain(devices(PCIE_ROOT, expander(1, 252, 1), rootPort(3, 1), hostdev('0009:01:00.0', 3, IOMMUFD_DRIVER), vsmmu(1, " accel='on' ats='on' ril='off'")));

describe('remove what the target release lacks', () => {
  test('accel at 12.6.0: removes accel with the knobs that only mean something through it', () => {
    const f = fixesAt(ACCEL_DOMAIN.replace("accel='on'", "acc|el='on'"), '12.6.0');
    assert.deepEqual(f.titles, ['Remove accel, ats and ril from <driver> (accel needs libvirt 12.7.0)']);
    const r = f.apply(f.titles[0]);
    assert.equal(r.text, edit(f.text, ["<driver pciBus='1' accel='on' ats='on' ril='off'/>", "<driver pciBus='1'/>"]));
    assert.deepEqual(r.before, ['version-too-new', 'version-too-new', 'version-too-new']);
    // An emulated pluggable vSMMU in front of the GPU: valid on 12.6.0, nothing else to say.
    assert.deepEqual(r.after, []);
  });

  test('ats at 12.6.0: only ats goes, accel and ril keep their own warnings', () => {
    const f = fixesAt(ACCEL_DOMAIN.replace("ats='on'", "a|ts='on'"), '12.6.0');
    assert.deepEqual(f.titles, ['Remove ats from <driver> (needs libvirt 12.7.0)']);
    const r = f.apply(f.titles[0]);
    assert.equal(r.text, edit(f.text, [" ats='on'", '']));
    assert.deepEqual(r.after, ['version-too-new', 'version-too-new']);
  });

  test('pciBus at 11.5.0: the pluggable form goes, and the accelerated attributes with it', () => {
    const f = fixesAt(ACCEL_DOMAIN.replace("pciBus='1'", "pci|Bus='1'"), '11.5.0');
    assert.deepEqual(f.titles, ['Remove pciBus, accel, ats and ril from <driver> (pciBus needs libvirt 11.10.0)']);
    const r = f.apply(f.titles[0]);
    assert.equal(r.text, edit(f.text, ["<driver pciBus='1' accel='on' ats='on' ril='off'/>", '<driver/>']));
    // The hostdev's iommufd (12.1.0) is still too new for 11.5.0: its own finding, its own fix.
    assert.deepEqual(r.after, ['version-too-new']);
  });

  test('a removal that leaves a rule to warn is still offered, and says what it removes', () => {
    // Without iommufd='yes' the GPU behind the accelerated vSMMU is refused by QEMU: a warning, not an error.
    const f = fixesAt(ACCEL_DOMAIN.replace("iommufd='yes'", "iommu|fd='yes'"), '12.0.0');
    assert.deepEqual(f.titles, ['Remove iommufd from <driver> (needs libvirt 12.1.0)']);
    const r = f.apply(f.titles[0]);
    assert.equal(r.text, edit(f.text, [IOMMUFD_DRIVER, "<driver name='vfio'/>"]));
    assert.ok(r.after.includes('smmu-map-no-iommufd'), `after: ${r.after}`);
  });

  test('<granule> of a virtio-iommu at 12.0.0: the element goes with its line', () => {
    const input = armDomain(devices(PCIE_ROOT, "    <iommu model='virtio'>\n      <driver>\n        <gran|ule mode='4k'/>\n      </driver>\n    </iommu>"));
    const f = fixesAt(input, '12.0.0');
    assert.deepEqual(f.titles, [`Remove <granule> (needs libvirt ${LIBVIRT_RELEASE.virtioIommuGranule})`]);
    assert.equal(f.apply(f.titles[0]).text, edit(f.text, ["        <granule mode='4k'/>\n", '']));
  });

  test('<acpi nodeset> of a hostdev at 11.7.0: the attribute goes, the element stays', () => {
    const input = ACCEL_DOMAIN.replace(`      ${IOMMUFD_DRIVER}\n`, `      ${IOMMUFD_DRIVER}\n      <acpi node|set='2'/>\n`);
    const f = fixesAt(input, '11.7.0');
    assert.deepEqual(f.titles, [`Remove nodeset from <acpi> (needs libvirt ${LIBVIRT_RELEASE.hostdevAcpiNodeset})`]);
    assert.equal(f.apply(f.titles[0]).text, edit(f.text, ["<acpi nodeset='2'/>", '<acpi/>']));
  });

  test('an <iommu> whose model is too new goes whole', () => {
    const input = armDomain(devices(PCIE_ROOT, "    <iommu model='smm|uv3'/>"));
    const f = fixesAt(input, '5.0.0');
    assert.deepEqual(f.titles, ["Remove <iommu model='smmuv3'> (needs libvirt 5.5.0)"]);
    assert.equal(f.apply(f.titles[0]).text, edit(f.text, ["    <iommu model='smmuv3'/>\n", '']));
  });

  test('a removal that would add an error is not offered: the expander carries a root port and the GPU', () => {
    const f = fixesAt(ACCEL_DOMAIN.replace("model='pcie-expander-bus'", "model='pcie-exp|ander-bus'"), '1.3.0');
    assert.deepEqual(f.titles, []);
  });

  test('an element holding a comment is not removed (the comment would be lost)', () => {
    const input = armDomain(devices(PCIE_ROOT, "    <iommu model='virtio'>\n      <driver>\n        <gran|ule mode='4k'><!-- keep --></granule>\n      </driver>\n    </iommu>"));
    assert.deepEqual(fixesAt(input, '12.0.0').titles, []);
  });

  test('a stale finding (the target was raised since) gets no fix', () => {
    const { text, offset } = withCursor(ACCEL_DOMAIN.replace("accel='on'", "acc|el='on'"));
    const old = service({ host: HOST, settings: { libvirtVersion: '12.6.0' } });
    const d = old.validate(old.parse(text, URI, 1)).find((x) => x.code === 'version-too-new')!;
    const now = service({ host: HOST, settings: { libvirtVersion: '12.7.0' } });
    const doc = now.parse(text, URI, 1);
    const at = doc.lines.positionAt(offset);
    assert.deepEqual(now.codeActions(doc, { start: at, end: at }, [d], ['quickfix']), []);
  });
});

describe('write it the way the target release does', () => {
  const DOMAIN_IOMMUFD = armDomain(
    devices(PCIE_ROOT, expander(1, 252, 1), rootPort(3, 1), rootPort(4, 1, 1), hostdev('0009:01:00.0', 3), hostdev('0009:01:00.1', 4, "<driver name='vfio'/>"), vsmmu(1)),
    "\n  <iommu|fd enabled='yes'/>",
  );

  test('the table names an older form only for features the version rule knows, older than them', () => {
    for (const [feature, form] of Object.entries(OLDER_FORMS)) {
      const newer = FEATURE_SINCE[feature as keyof typeof FEATURE_SINCE].since;
      assert.ok(FEATURE_SINCE[form!.older].since < newer, `${feature} -> ${form!.older}`);
    }
  });

  test("<iommufd enabled='yes'/> at 12.1.0 becomes iommufd='yes' on each assigned device", () => {
    const f = fixesAt(DOMAIN_IOMMUFD, '12.1.0');
    assert.deepEqual(f.titles, ["Replace <iommufd> with iommufd='yes' on the 2 assigned devices' <driver> (libvirt 12.1.0)", 'Remove <iommufd> (needs libvirt 12.2.0)']);
    const r = f.apply(f.titles[0]);
    assert.equal(r.action.isPreferred, true);
    assert.equal(
      r.text,
      edit(
        f.text,
        ["  </cpu>\n  <iommufd enabled='yes'/>\n", '  </cpu>\n'],
        ["<hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>", `<hostdev mode='subsystem' type='pci' managed='yes'>\n      ${IOMMUFD_DRIVER}\n      <source>`],
        ["<driver name='vfio'/>", IOMMUFD_DRIVER],
      ),
    );
    // accel (12.7.0) stays too new for 12.1.0; the iommufd rule is satisfied by the per-device form.
    assert.deepEqual(r.after, ['version-too-new']);
    // Removing instead leaves the devices on legacy VFIO behind the accelerated vSMMU: QEMU's refusal, as warnings.
    assert.deepEqual(f.apply(f.titles[1]).after, ['version-too-new', 'smmu-map-no-iommufd', 'smmu-map-no-iommufd']);
  });

  test("a device that opts out (iommufd='no') is left as it is", () => {
    const input = DOMAIN_IOMMUFD.replace("<driver name='vfio'/>", "<driver name='vfio' iommufd='no'/>");
    const f = fixesAt(input, '12.1.0');
    assert.equal(f.titles[0], "Replace <iommufd> with iommufd='yes' on the assigned device's <driver> (libvirt 12.1.0)");
    assert.ok(f.apply(f.titles[0]).text.includes("<driver name='vfio' iommufd='no'/>"));
  });

  test('not offered with an fdgroup (no per-device spelling), nor below 12.1.0', () => {
    assert.deepEqual(fixesAt(DOMAIN_IOMMUFD.replace("enabled='yes'", "enabled='yes' fdgroup='g'"), '12.1.0').titles, ['Remove <iommufd> (needs libvirt 12.2.0)']);
    assert.deepEqual(fixesAt(DOMAIN_IOMMUFD, '12.0.0').titles, ['Remove <iommufd> (needs libvirt 12.2.0)']);
  });
});

// ---------------------------------------------------------------------------
// Property run

function documents(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const dir of [path.join(__dirname, 'corpus'), path.join(__dirname, 'fixtures', 'fixes'), path.join(__dirname, '..', 'examples')]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)
      .filter((n) => n.endsWith('.xml'))
      .sort()) {
      out.push({ name: `${path.basename(dir)}/${f}`, text: readFileSync(path.join(dir, f), 'utf8') });
    }
  }
  return out;
}

/** Attribute names and element names that a pure deletion takes away, read from the deleted text. */
function namesRemoved(text: string, edits: readonly TextEdit[]): string[] {
  const doc = TextDocument.create(URI, 'xml', 1, text);
  const out: string[] = [];
  for (const e of edits) {
    const gone = text.slice(doc.offsetAt(e.range.start), doc.offsetAt(e.range.end));
    for (const m of gone.matchAll(/<([A-Za-z_][\w.:-]*)|([A-Za-z_][\w.:-]*)=/g)) out.push(m[1] ? `<${m[1]}` : m[2]);
  }
  return out;
}

/** Every release a fact of the table names, and one just below each: the targets at which the version rule speaks. */
function targets(): string[] {
  const below = (v: string) => {
    const [a, b, c] = v.split('.').map(Number);
    return c > 0 ? `${a}.${b}.${c - 1}` : b > 0 ? `${a}.${b - 1}.0` : `${a - 1}.0.0`;
  };
  return [...new Set(Object.values(LIBVIRT_RELEASE).map(below))].sort();
}

describe('property: every offered version fix over the corpus, the fix fixtures and the examples', () => {
  const kinds = new Set<string>();
  for (const { name, text } of documents()) {
    test(name, () => {
      const violations: string[] = [];
      for (const target of targets()) {
        const ls = service({ host: HOST, settings: { libvirtVersion: target } });
        const doc = ls.parse(text, URI, 1);
        const all = ls.validate(doc);
        const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 1).map((d) => String(d.code));
        const errorsBefore = errors(all);
        for (const d of all.filter((x) => x.code === 'version-too-new')) {
          for (const a of ls.codeActions(doc, d.range, [d], ['quickfix'])) {
            const label = `${target} ${(d.data as { feature: string }).feature} → ${a.title}`;
            kinds.add(
              a.title
                .replace(/\(.*\)/, '')
                .replace(/'[^']*'/g, "'…'")
                .replace(/\d+/g, 'N')
                .trim()
                .split(' ')[0],
            );
            const edits = a.edit?.changes?.[URI] ?? [];
            const out = applyEdits(text, edits);
            if (parseXml(out).problems.length > parseXml(text).problems.length) violations.push(`${label}: XML broken`);
            const after = ls.validate(ls.parse(out, URI, 2));
            for (const e of new Set(errors(after))) {
              if (errors(after).filter((c) => c === e).length > errorsBefore.filter((c) => c === e).length) violations.push(`${label}: adds ${e}`);
            }
            const tooNew = (ds: Diagnostic[]) => ds.filter((x) => x.code === 'version-too-new').length;
            if (tooNew(after) >= tooNew(all)) violations.push(`${label}: the finding stays`);
            if (a.title.startsWith('Remove ')) {
              if (edits.some((e) => e.newText !== '')) violations.push(`${label}: a removal that writes text`);
              const removed = namesRemoved(text, edits);
              // An element removed whole takes its attributes and children along: the title names the element.
              const element = /^Remove <([A-Za-z][\w.:-]*)/.exec(a.title)?.[1];
              if (element) {
                if (removed[0] !== `<${element}`) violations.push(`${label}: removes ${removed[0]} first`);
              } else {
                const named = a.title
                  .split(' from ')[0]
                  .replace(/^Remove /, '')
                  .split(/, | and /);
                for (const n of removed) if (!named.includes(n)) violations.push(`${label}: removes ${n} without saying so`);
              }
            }
          }
        }
      }
      assert.deepEqual(violations, []);
    });
  }

  test('the run exercised both kinds of fix', () => {
    assert.deepEqual([...kinds].sort(), ['Remove', 'Replace']);
  });
});
