/**
 * Where the squiggle goes (server/src/rules/spans.ts), the same in every
 * rule family and in libvirt's schema messages. `[[…]]` marks the expected
 * span in the text; the markers are taken out before parsing.
 *
 * The one rule for "nothing to mark": an empty value (`a=''`), a missing one
 * (`a` without `=`) and an empty or blank text are marked on the attribute's
 * or element's name, never as an empty span between two quotes.
 */
import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { attributeNameSpan, elementNameSpan, elementTextSpan, valueSpan, type Span } from '../server/src/rules/spans';
import { parseXml } from '../server/src/xml/parser';
import { walk } from '../server/src/xml/query';
import type { XmlAttribute, XmlElement } from '../server/src/xml/nodes';
import { getLanguageService } from '../server/src/languageService';
import { schemaStatus, schemaValidatorFor } from '../server/src/cli/schema';
import { armDomain, findingList } from './helpers';

/** The text without its `[[` `]]` markers, and the span they enclose. */
function marked(m: string): { text: string; span: Span } {
  const start = m.indexOf('[[');
  const end = m.indexOf(']]') - 2;
  assert.ok(start >= 0 && end >= start, 'the text must mark one span with [[…]]');
  return { text: m.replace('[[', '').replace(']]', ''), span: { start, end } };
}

const shown = (text: string, s: Span) => `${s.start}-${s.end} '${text.slice(s.start, s.end)}'`;

function firstElement(text: string, name: string): XmlElement {
  const doc = parseXml(text);
  let found: XmlElement | undefined;
  walk(doc, (el) => {
    if (!found && el.name === name) found = el;
  });
  assert.ok(found, `no <${name}>`);
  return found;
}

function attribute(text: string, el: string, name: string): XmlAttribute {
  const a = firstElement(text, el).attributes.find((x) => x.name === name);
  assert.ok(a, `no ${name} on <${el}>`);
  return a;
}

test('valueSpan: the value; an empty or missing value: the attribute name', () => {
  for (const m of ["<driver ssidsize='[[20]]'/>", "<driver [[ssidsize]]=''/>", '<driver [[ssidsize]]=""/>', '<driver [[ssidsize]]/>', "<driver [[ssidsize]] accel='on'/>"]) {
    const { text, span } = marked(m);
    assert.equal(shown(text, valueSpan(attribute(text, 'driver', 'ssidsize'))), shown(text, span), m);
  }
});

test('attributeNameSpan and elementNameSpan: the name as written', () => {
  const { text, span } = marked("<iommu model='smmuv3'><driver [[pciBus]]='1'/></iommu>");
  assert.equal(shown(text, attributeNameSpan(attribute(text, 'driver', 'pciBus'))), shown(text, span));
  const el = marked("<iommu model='smmuv3'><[[driver]] pciBus='1'/></iommu>");
  assert.equal(shown(el.text, elementNameSpan(firstElement(el.text, 'driver'))), shown(el.text, el.span));
});

test('elementTextSpan: the trimmed text; an empty, blank or self-closed element: its name', () => {
  for (const m of [
    '<target><node>[[1]]</node></target>',
    '<target><node>  [[1]]\n</node></target>',
    '<target><[[node]]></node></target>',
    '<target><[[node]]>  \n </node></target>',
    '<target><[[node]]/></target>',
  ]) {
    const { text, span } = marked(m);
    assert.equal(shown(text, elementTextSpan(firstElement(text, 'node'))), shown(text, span), JSON.stringify(m));
  }
});

/** The one finding of `code` in the domain, as offsets and text. */
function findingAt(text: string, code: string): string {
  const found = findingList(text).filter((f) => f.code === code);
  assert.equal(found.length, 1, `${code}: ${JSON.stringify(findingList(text).map((f) => f.code))}`);
  return shown(text, found[0]);
}

const VSMMU = (driver: string) =>
  armDomain(`
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <target busNr='252'/>
    </controller>
    <iommu model='smmuv3'>
      <driver pciBus='1' accel='on' ${driver}/>
    </iommu>`);

test("a rule on a value: the value; on an empty value: the name; a missing value is the XML family's, on the name", () => {
  const bad = marked(VSMMU("ssidsize='[[52]]'"));
  assert.equal(findingAt(bad.text, 'iommu-value-range'), shown(bad.text, bad.span));
  const empty = marked(VSMMU("[[ssidsize]]=''"));
  assert.equal(findingAt(empty.text, 'iommu-value-range'), shown(empty.text, empty.span));
  const missing = marked(VSMMU('[[ssidsize]]'));
  assert.equal(findingAt(missing.text, 'xml-attribute-without-value'), shown(missing.text, missing.span));
  assert.deepEqual(
    findingList(missing.text)
      .filter((f) => f.code.startsWith('iommu-'))
      .map((f) => f.code),
    [],
  );
});

test('a rule on an element text: the text; on a blank text: the element name', () => {
  const expander = (node: string) =>
    armDomain(`
    <controller type='pci' index='1' model='pcie-expander-bus'>
      <target busNr='252'>
        ${node}
      </target>
    </controller>`);
  const seven = marked(expander('<node>[[7]]</node>'));
  assert.equal(findingAt(seven.text, 'controller-numa-node'), shown(seven.text, seven.span));
  const blank = marked(expander('<[[node]]> </node>'));
  assert.equal(findingAt(blank.text, 'controller-numa-node'), shown(blank.text, blank.span));
});

test("libvirt's schema marks an empty value on the attribute name too", async (t) => {
  const status = await schemaStatus('auto');
  if (!status.available) {
    t.skip(`no libvirt schema on this machine: ${status.reason}`);
    return;
  }
  const ls = getLanguageService({ schema: schemaValidatorFor('auto') });
  const check = async (m: string) => {
    const { text, span } = marked(m);
    const findings = await ls.schemaFindings(ls.parse(text, `file:///spans-${text.length}.xml`, 1));
    assert.ok(findings !== 'superseded');
    const invalid = findings.filter((f) => f.code === 'schema-invalid');
    assert.deepEqual(
      invalid.map((f) => shown(text, f)),
      [shown(text, span)],
      m,
    );
  };
  await check("<domain type='[[kvmm]]'><name>t</name><memory>1024</memory><os><type>hvm</type></os></domain>");
  await check("<domain [[type]]=''><name>t</name><memory>1024</memory><os><type>hvm</type></os></domain>");
});

test('the rule families and the schema messages take their spans from spans.ts, not from raw offsets', () => {
  const root = path.join(__dirname, '..', 'server', 'src');
  const files = [
    ...readdirSync(path.join(root, 'rules'))
      .filter((f) => f.endsWith('.ts') && f !== 'spans.ts')
      .map((f) => path.join(root, 'rules', f)),
    path.join(root, 'schema', 'messages.ts'),
  ];
  const raw: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        // The schema's blanking of newer syntax is a range to rewrite, not a place to mark.
        if (/\.(name|value)(Start|End)\b/.test(line) && !line.includes('attrBlank')) raw.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(raw, []);
});
