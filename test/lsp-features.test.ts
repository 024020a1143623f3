/**
 * Every editor feature over real LSP against dist/server.js: the same
 * requests an editor sends, on a bundled example, with the host taken from
 * the bundled snapshot. The feature tests check results in depth; this one
 * checks that each reaches the editor through the server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CodeActionRequest,
  CompletionRequest,
  DefinitionRequest,
  DocumentSymbolRequest,
  HoverRequest,
  PrepareRenameRequest,
  ReferencesRequest,
  RenameRequest,
  type CompletionList,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type Location,
  type MarkupContent,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { startClient } from './lspClient';

const root = path.join(__dirname, '..');
const text = readFileSync(path.join(root, 'examples', 'broken-pcibus-busnr.xml'), 'utf8');
const lines = text.split('\n');
const uri = 'file:///domains/broken-pcibus-busnr.xml';

/** The position of the `nth` occurrence of `needle` on the line that contains `lineHint`, plus `delta`. */
function at(lineHint: string, needle: string, delta = 0): { line: number; character: number } {
  const line = lines.findIndex((l) => l.includes(lineHint));
  assert.ok(line >= 0, lineHint);
  return { line, character: lines[line].indexOf(needle) + delta };
}

test('LSP features: diagnostics, completion, hover, quick fix, definition, references, rename and symbols through the server', async () => {
  const client = await startClient({
    initializationOptions: { host: { snapshot: path.join(root, 'examples', 'hosts', 'grace-3smmu.json') }, schema: { enable: false } },
  });
  try {
    await client.open(uri, text, 1);
    const published = await client.diagnostics(uri, 1, (p) => p.diagnostics.some((d) => d.code === 'iommu-pcibus-is-busnr'));
    const busNrDiagnostic = published.diagnostics.find((d) => d.code === 'iommu-pcibus-is-busnr') as Diagnostic;
    const td = { textDocument: { uri } };

    // Completion of on/off for accel, inside its value.
    const accel = at("pciBus='252'", "accel='on'", "accel='".length);
    const completion = (await client.connection.sendRequest(CompletionRequest.type, { ...td, position: accel })) as CompletionList;
    assert.deepEqual(completion.items.map((i) => i.label).sort(), ['off', 'on']);

    // Hover on the model of the vSMMU.
    const hover = (await client.connection.sendRequest(HoverRequest.type, { ...td, position: at("<iommu model='smmuv3'>", 'smmuv3', 1) })) as Hover;
    assert.match((hover.contents as MarkupContent).value, /SMMUv3/);

    // The quick fix for pciBus='252'.
    const actions = await client.connection.sendRequest(CodeActionRequest.type, { ...td, range: busNrDiagnostic.range, context: { diagnostics: [busNrDiagnostic] } });
    const fix = (actions ?? []).find((a) => 'title' in a && a.title === 'Change pciBus to 1') as { edit: WorkspaceEdit } | undefined;
    assert.ok(fix, `got ${JSON.stringify((actions ?? []).map((a) => a.title))}`);
    assert.deepEqual(
      fix.edit.changes?.[uri]?.map((e) => e.newText),
      ['1'],
    );

    // Definition from a guest address bus to its controller, and references back.
    const busValue = at("bus='0x02' slot='0x00'", '0x02', 1);
    const definition = (await client.connection.sendRequest(DefinitionRequest.type, { ...td, position: busValue })) as Location[];
    assert.equal(definition.length, 1);
    assert.match(lines[definition[0].range.start.line], /<controller type='pci' index='2'/);
    const refs = (await client.connection.sendRequest(ReferencesRequest.type, { ...td, position: busValue, context: { includeDeclaration: true } })) as Location[];
    assert.ok(refs.length >= 2);

    // Rename that controller index: the declaration and every reference change.
    const prepared = await client.connection.sendRequest(PrepareRenameRequest.type, { ...td, position: busValue });
    assert.ok(prepared);
    const rename = (await client.connection.sendRequest(RenameRequest.type, { ...td, position: busValue, newName: '7' })) as WorkspaceEdit;
    assert.deepEqual([...new Set(rename.changes?.[uri]?.map((e) => e.newText))].sort(), ['0x07', '7']);

    // The outline of the PCI tree.
    const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, td)) as DocumentSymbol[];
    assert.ok(
      symbols.some((s) => /pcie-root/.test(s.name)),
      JSON.stringify(symbols.map((s) => s.name)),
    );
  } finally {
    assert.equal(await client.stop(), 0);
  }
});
