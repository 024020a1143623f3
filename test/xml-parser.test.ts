import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstElement, parseXml } from '../server/src/xml/parser';
import type { XmlDocument, XmlElement } from '../server/src/xml/nodes';
import { attr, elementAt, pathOf, textOf, walk } from '../server/src/xml/query';
import { LineIndex } from '../server/src/xml/lineIndex';
import { strictWellFormedness } from '../server/src/xml/wellFormed';

/** The element tree as nested [name, children] pairs, enough to see where recovery put things. */
function shape(el: XmlElement): unknown {
  return el.children.length ? [el.name, el.children.map(shape)] : el.name;
}
function problems(doc: XmlDocument): string[] {
  return doc.problems.map((p) => `${p.code} @ ${doc.text.slice(p.start, p.end)}`);
}

test('well-formed document: offsets of names, attribute names and values are exact', () => {
  const text = `<domain type='kvm'>\n  <iommu model="smmuv3"><driver pciBus='1' accel='on'/></iommu>\n</domain>\n`;
  const doc = parseXml(text);
  assert.deepEqual(problems(doc), []);
  assert.deepEqual(shape(doc.roots[0]), ['domain', [['iommu', ['driver']]]]);
  const driver = doc.roots[0].children[0].children[0];
  const pciBus = attr(driver, 'pciBus')!;
  assert.deepEqual(
    [text.slice(driver.nameStart, driver.nameEnd), text.slice(pciBus.nameStart, pciBus.nameEnd), text.slice(pciBus.valueStart, pciBus.valueEnd), pciBus.quote, pciBus.valueClosed],
    ['driver', 'pciBus', '1', "'", true],
  );
  const iommu = doc.roots[0].children[0];
  assert.equal(text.slice(iommu.start, iommu.end), `<iommu model="smmuv3"><driver pciBus='1' accel='on'/></iommu>`);
  assert.equal(text.slice(iommu.endTagStart, iommu.end), '</iommu>');
  assert.equal(doc.elementCount, 3);
});

test('entities are decoded in values and text; unknown entities are reported', () => {
  const text = `<domain><name>a&amp;b&#x41;&#66;</name><title t='&lt;&quot;'>&nope;</title></domain>`;
  const doc = parseXml(text);
  const [name, title] = doc.roots[0].children;
  assert.deepEqual([textOf(name), attr(title, 't')!.value], ['a&bAB', '<"']);
  assert.deepEqual(problems(doc), ['xml-bad-entity @ &nope;']);
});

test('an element opened just above its siblings does not swallow them (indentation recovery)', () => {
  const text = [
    '<domain>',
    '  <devices>',
    '    <hostdev mode="subsystem" type="pci">',
    '    <controller type="pci" index="1"/>',
    '    <controller type="pci" index="2"/>',
    '  </devices>',
    '</domain>',
  ].join('\n');
  const doc = parseXml(text);
  assert.deepEqual(shape(doc.roots[0]), ['domain', [['devices', ['hostdev', 'controller', 'controller']]]]);
  assert.deepEqual(problems(doc), ['xml-unclosed-element @ hostdev']);
});

test('a missing end tag of a container keeps its indented children inside it', () => {
  const text = ['<domain>', '  <devices>', '    <controller/>', '    <iommu/>', '</domain>'].join('\n');
  const doc = parseXml(text);
  assert.deepEqual(shape(doc.roots[0]), ['domain', [['devices', ['controller', 'iommu']]]]);
  assert.deepEqual(problems(doc), ['xml-unclosed-element @ devices']);
});

test('a start tag without ">" ends at the next tag and is empty', () => {
  const text = `<domain>\n  <devices>\n    <iommu model='smmuv3'\n    <controller type='pci'/>\n  </devices>\n</domain>`;
  const doc = parseXml(text);
  assert.deepEqual(shape(doc.roots[0]), ['domain', [['devices', ['iommu', 'controller']]]]);
  const iommu = doc.roots[0].children[0].children[0];
  assert.deepEqual([iommu.startTagClosed, attr(iommu, 'model')!.value, text.slice(iommu.start, iommu.startTagEnd)], [false, 'smmuv3', `<iommu model='smmuv3'`]);
  assert.deepEqual(problems(doc), ['xml-unterminated-start-tag @ <iommu']);
});

test('a half-typed attribute value ends at the line end and later elements survive', () => {
  const text = `<domain>\n  <devices>\n    <iommu model='smm\n    <controller type='pci' index='0'/>\n  </devices>\n</domain>`;
  const doc = parseXml(text);
  const [iommu, controller] = doc.roots[0].children[0].children;
  const model = attr(iommu, 'model')!;
  assert.deepEqual([model.value, model.valueClosed, text.slice(model.valueStart, model.valueEnd)], ['smm', false, 'smm']);
  assert.deepEqual([controller.name, attr(controller, 'index')!.value], ['controller', '0']);
  assert.deepEqual(problems(doc), ['xml-unterminated-start-tag @ <iommu', "xml-unterminated-attribute-value @ model='smm"]);
});

test('mismatched and stray end tags are reported where they are', () => {
  const text = `<domain>\n  <target busNr='1'></traget>\n</domain>\n</extra>`;
  const doc = parseXml(text);
  assert.deepEqual(problems(doc), ['xml-unclosed-element @ target', 'xml-mismatched-end-tag @ </traget>', 'xml-stray-end-tag @ </extra>']);
  assert.deepEqual(shape(doc.roots[0]), ['domain', ['target']]);
});

test('other tag-level problems: duplicates, missing and unquoted values, lone <, second root, text outside', () => {
  const text = `x<domain a='1' a='2' b c=3>< </domain><other/>`;
  const doc = parseXml(text);
  assert.deepEqual(problems(doc), [
    'xml-text-outside-root @ x',
    'xml-duplicate-attribute @ a',
    'xml-attribute-without-value @ b',
    'xml-unquoted-attribute-value @ 3',
    'xml-invalid-name @ <',
    'xml-multiple-roots @ other',
  ]);
});

test('comments, CDATA, processing instructions and doctype are skipped or kept as text', () => {
  const text = `<?xml version="1.0"?>\n<!DOCTYPE domain [<!ENTITY x "y">]>\n<!-- <domain> in a comment -->\n<domain><name><![CDATA[a<b]]></name></domain>`;
  const doc = parseXml(text);
  assert.deepEqual(problems(doc), []);
  assert.deepEqual([doc.roots.length, textOf(doc.roots[0].children[0])], [1, 'a<b']);
});

test('an unterminated comment and an empty document are reported, never thrown', () => {
  assert.deepEqual(problems(parseXml('<domain><!-- open')), ['xml-unclosed-element @ domain', 'xml-unterminated-comment @ <!--']);
  assert.deepEqual(problems(parseXml('')), ['xml-no-root @ ']);
});

test('a byte order mark opening the document is legal, for the scanner and the strict parser; anywhere else it is text', () => {
  const codes = (t: string) => parseXml(t).problems.map((p) => `${p.code}@${p.start}`);
  assert.deepEqual(codes('\ufeff<domain/>'), []);
  assert.deepEqual(codes('\ufeff<?xml version="1.0"?>\n<domain/>'), []);
  assert.deepEqual(codes('<domain/>\ufeff'), ['xml-text-outside-root@9']);
  assert.deepEqual(codes(' \ufeff<domain/>'), ['xml-text-outside-root@1']);
  assert.equal(strictWellFormedness('\ufeff<?xml version="1.0"?>\n<domain/>'), undefined);
  // The strict parser's columns count the mark, as the scanner's offsets do.
  assert.deepEqual(strictWellFormedness('\ufeff<domain><a></b></domain>'), strictWellFormedness(' <domain><a></b></domain>'));
});

test('elementAt finds the deepest element, including inside an unterminated start tag', () => {
  const text = `<domain>\n  <devices>\n    <iommu model='smmuv3'><driver pci</iommu>\n  </devices>\n</domain>`;
  const doc = parseXml(text);
  const at = (needle: string) => pathOf(elementAt(doc, text.indexOf(needle))!);
  assert.deepEqual([at('pci'), at('model'), at('<devices'), at('evices>')], ['domain/devices/iommu/driver', 'domain/devices/iommu', 'domain', 'domain/devices']);
});

test('pathOf numbers repeated siblings', () => {
  const doc = parseXml('<domain><devices><disk/><disk/><hostdev/></devices></domain>');
  const paths: string[] = [];
  walk(doc, (el) => paths.push(pathOf(el)));
  assert.deepEqual(paths, ['domain', 'domain/devices', 'domain/devices/disk', 'domain/devices/disk[1]', 'domain/devices/hostdev']);
});

test('LineIndex counts UTF-16 code units, so characters beyond the BMP take two', () => {
  const text = 'a😀b\n<x/>';
  const lines = new LineIndex(text);
  assert.deepEqual(lines.positionAt(text.indexOf('b')), { line: 0, character: 3 });
  assert.deepEqual(lines.positionAt(text.indexOf('<x')), { line: 1, character: 0 });
  assert.equal(lines.offsetAt({ line: 1, character: 99 }), text.length);
  assert.equal(lines.offsetAt({ line: 0, character: 99 }), 4);
});

test('the strict check (xmldom) reports the first fatal error with its place', () => {
  assert.deepEqual(strictWellFormedness('<domain>\n  <a></b>\n</domain>'), {
    message: 'Opening and ending tag mismatch: "a" != "b"',
    line: 1,
    character: 2,
    level: 'fatal',
  });
  assert.equal(strictWellFormedness("<domain type='kvm'><name>x</name></domain>"), undefined);
});

test('LineIndex treats \\n, \\r\\n and a lone \\r as line ends, like LSP', () => {
  const text = 'a\r\nb\rc\nd';
  const lines = new LineIndex(text);
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((ch) => lines.positionAt(text.indexOf(ch))),
    [
      { line: 0, character: 0 },
      { line: 1, character: 0 },
      { line: 2, character: 0 },
      { line: 3, character: 0 },
    ],
  );
  assert.equal(lines.lineCount, 4);
  assert.equal(lines.offsetAt({ line: 0, character: 9 }), 1);
});

test('firstElement reads the prologue and the first start tag only', () => {
  const text = `<?xml version="1.0"?>\n<!-- <notme/> -->\n<!DOCTYPE domain>\n<domain type='kvm'>\n  <devices><broken\n`;
  const root = firstElement(text)!;
  assert.deepEqual(
    [root.name, text.slice(root.nameStart, root.nameEnd), attr(root, 'type')?.value, root.children.length, root.startTagClosed],
    ['domain', 'domain', 'kvm', 0, true],
  );
  assert.equal(firstElement('<!-- only a comment -->'), undefined);
});
