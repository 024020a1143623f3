/**
 * Quick fixes for schema-invalid findings: each test hands the code actions
 * a diagnostic shaped as schema validation publishes it (code, range, data;
 * see server/src/schema/messages.ts) and compares the document after the
 * fix with the expected text.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from 'vscode-languageserver-types';
import { DOC_URI, parse, service, shippedGrammar } from './helpers';
import type { Grammar } from '../server/src/schema/grammarSource';

let grammar: Grammar | undefined;
before(async () => {
  grammar = await shippedGrammar();
});

/** Applies the first quick fix for a schema-invalid diagnostic on `covered` (the n-th occurrence) and returns [title, text]. */
function fix(text: string, covered: string, data: Record<string, unknown>, nth = 0): [string, string] | undefined {
  const ls = service({ grammar });
  const doc = parse(text, ls);
  let start = -1;
  for (let i = 0; i <= nth; i++) start = text.indexOf(covered, start + 1);
  assert.ok(start >= 0, `'${covered}' not in the text`);
  const d: Diagnostic = { range: doc.lines.range(start, start + covered.length), code: 'schema-invalid', source: 'libvirt-domain-xml', message: 'x', data };
  const [a] = ls.codeActions(doc, d.range, [d], ['quickfix']);
  if (!a) return undefined;
  const edits = a.edit?.changes?.[DOC_URI] ?? [];
  return [a.title, TextDocument.applyEdits(TextDocument.create(DOC_URI, 'xml', 1, text), edits)];
}

const DISK = "<domain type='kvm'>\n  <devices>\n    <disk type='flie' devcie='disk'>\n      <sorce file='/a.img'>\n      </sorce>\n    </disk>\n  </devices>\n</domain>\n";

describe('schema quick fixes', () => {
  test("Did you mean 'file'? changes the value", () => {
    assert.deepEqual(fix(DISK, 'flie', { attribute: 'type', allowed: ['file', 'block'], suggestion: 'file' }), [
      "Change type to 'file'",
      DISK.replace("type='flie'", "type='file'"),
    ]);
  });

  test('a misspelt attribute is renamed, a misspelt element in its start and end tag', () => {
    assert.deepEqual(fix(DISK, 'devcie', { attribute: 'devcie', suggestion: 'device' }), ['Rename devcie to device', DISK.replace('devcie=', 'device=')]);
    assert.deepEqual(fix(DISK, 'sorce', { element: 'sorce', suggestion: 'source' }), [
      'Rename <sorce> to <source>',
      DISK.replace('<sorce', '<source').replace('</sorce>', '</source>'),
    ]);
  });

  test('a missing required attribute or child element is added', () => {
    const text = "<domain type='kvm'>\n  <devices>\n    <interface>\n    </interface>\n  </devices>\n</domain>\n";
    assert.deepEqual(fix(text, 'interface', { attribute: 'type', missing: true }), ['Add the missing attribute type', text.replace('<interface>', "<interface type=''>")]);
    const noName = "<domain type='kvm'>\n  <memory>1</memory>\n</domain>\n";
    assert.deepEqual(fix(noName, 'domain', { element: 'name', missing: true }), [
      'Add the missing <name>',
      noName.replace("<domain type='kvm'>", "<domain type='kvm'>\n  <name/>"),
    ]);
  });

  test('a stale diagnostic gets no fix: the value was changed meanwhile, the suggestion is not allowed', () => {
    assert.equal(fix(DISK.replace('flie', 'file'), "file'", { attribute: 'type', allowed: ['file'], suggestion: 'file' }), undefined);
    assert.equal(fix(DISK, 'flie', { attribute: 'type', allowed: ['block'], suggestion: 'file' }), undefined);
  });
});
