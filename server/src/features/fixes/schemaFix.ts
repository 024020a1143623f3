/**
 * Fixes from libvirt's grammar:
 * - schema-invalid with a "Did you mean …?": change the value, rename the
 *   attribute or the element to the suggestion;
 * - schema-invalid for a missing required attribute or child element: add it
 *   (an attribute with its only possible value when the grammar has one).
 *
 * Removing what the target release lacks is versionFix.ts's job, on the
 * version rule's finding (it checks each removal with the rules first);
 * schema-newer-libvirt compares with the grammar in use, not with the
 * target, and gets no removal.
 *
 * Everything is found again in the current parse at the diagnostic's range
 * and checked against its data, so a stale diagnostic gets no fix.
 */
import { CodeActionKind, type CodeAction, type Diagnostic } from 'vscode-languageserver-types';
import type { XmlElement } from '../../xml/nodes';
import { elementGrammar } from '../../schema/grammarQuery';
import { lineIndentOf } from '../documentStyle';
import { EditBuilder, makeAction, setAttribute, type FixContext } from './edits';
import { attributeAt, dataOf, offsetsOf, stringData, type CodeDiagnostic } from './lookup';

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** The innermost element whose start-tag name the range starts in. */
function elementNamedAt(ctx: FixContext, d: Diagnostic): XmlElement | undefined {
  const r = offsetsOf(ctx, d);
  let found: XmlElement | undefined;
  const visit = (el: XmlElement) => {
    if (r.start >= el.nameStart && r.start <= el.nameEnd) found = el;
    if (r.start < el.start || r.start > Math.max(el.end, el.startTagEnd)) return;
    for (const c of el.children) visit(c);
  };
  for (const root of ctx.feature.doc.xml.roots) visit(root);
  return found;
}

const localOf = (n: string) => n.slice(n.indexOf(':') + 1);

export function schemaInvalidFixes(ctx: FixContext, d: CodeDiagnostic<'schema-invalid'>): CodeAction[] {
  const data = dataOf(d);
  const suggestion = stringData(d, 'suggestion');
  const attrName = stringData(d, 'attribute');
  const elName = stringData(d, 'element');
  const b = new EditBuilder();
  let title: string | undefined;
  if (suggestion !== undefined && attrName && Array.isArray(data.allowed)) {
    // A value: 'flie' -> 'file'.
    const a = attributeAt(ctx, d, attrName);
    if (!a || a.valueStart < 0 || a.value === suggestion || !data.allowed.includes(suggestion) || /['"<&]/.test(suggestion)) return [];
    b.replace(a.valueStart, a.valueEnd, suggestion);
    title = `Change ${attrName} to '${suggestion}'`;
  } else if (suggestion !== undefined && attrName) {
    // An attribute name: devcie -> device.
    const a = attributeAt(ctx, d, attrName);
    if (!a || !XML_NAME.test(suggestion) || a.element.attributes.some((x) => x.name === suggestion)) return [];
    b.replace(a.nameStart, a.nameEnd, suggestion);
    title = `Rename ${attrName} to ${suggestion}`;
  } else if (suggestion !== undefined && elName) {
    // An element name: <sorce> -> <source>, start and end tag.
    const el = elementNamedAt(ctx, d);
    if (!el || localOf(el.name) !== elName || !XML_NAME.test(suggestion)) return [];
    const prefix = el.name.includes(':') ? el.name.slice(0, el.name.indexOf(':') + 1) : '';
    b.replace(el.nameStart, el.nameEnd, prefix + suggestion);
    if (el.endTagStart >= 0) b.replace(el.endTagStart + 2, el.endTagStart + 2 + el.name.length, prefix + suggestion);
    title = `Rename <${el.name}> to <${prefix}${suggestion}>`;
  } else if (data.missing === true && attrName) {
    const el = elementNamedAt(ctx, d);
    if (!el || el.attributes.some((a) => a.name === attrName)) return [];
    const grammar = ctx.feature.grammar?.loaded.model;
    const values = grammar ? (elementGrammar(grammar, el)?.attributes.find((a) => a.name === attrName)?.values ?? []) : [];
    if (!setAttribute(ctx, b, el, attrName, values.length === 1 ? values[0] : '')) return [];
    title = `Add the missing attribute ${attrName}`;
  } else if (data.missing === true && elName) {
    const el = elementNamedAt(ctx, d);
    if (!el || el.selfClosing || !el.startTagClosed || !XML_NAME.test(elName) || el.children.some((c) => localOf(c.name) === elName)) return [];
    const indent = lineIndentOf(ctx.text, el.start);
    b.insert(el.startTagEnd, `${ctx.style.nl}${indent}${ctx.style.unit}<${elName}/>`);
    title = `Add the missing <${elName}>`;
  }
  if (!title) return [];
  const action = makeAction(ctx, title, CodeActionKind.QuickFix, [d], b, true);
  return action ? [action] : [];
}
