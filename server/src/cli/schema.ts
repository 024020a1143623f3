/**
 * `check --schema auto|off|DIR`: libvirt's own RelaxNG verdict beside our
 * rules, through the schema validator the language server uses.
 *
 * Availability is decided once, on the main thread, before any file is
 * checked. When there are no schemas, the editor shows a `schema-unavailable`
 * finding on the first document; a run over many files on several threads
 * would put it on whichever file each thread saw first, so the output would
 * depend on timing. The CLI says it once instead, as a note on standard
 * error (and in SARIF as a tool notification), and threads validate only
 * when schemas are there.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { toDiagnostic, type ParsedDocument } from '../languageService';
import { SchemaValidator, type SchemaStatus } from '../schema/validator';

/** 'off', 'auto' (find the installed schemas) or a directory holding domain.rng. */
export type SchemaMode = string;

export type SchemaCheck = (doc: ParsedDocument) => Promise<Diagnostic[]>;

/** Where this thread's validator reports failures; check.ts points it at the current file's log. */
let logSink: (message: string) => void = () => undefined;

export function setSchemaLog(sink: (message: string) => void): void {
  logSink = sink;
}

function validatorFor(mode: SchemaMode): SchemaValidator {
  return new SchemaValidator({
    settings: { enable: true, directory: mode === 'auto' ? '' : mode },
    // The validator also says which schemas it loaded; once per thread that is noise, failures are not.
    log: (m) => { if (!m.startsWith('schema validation: ') && !m.startsWith('schema validation off: ')) logSink(m); },
  });
}

/** Validators already made on this thread, so the grammar is read once per thread and mode. */
const validators = new Map<SchemaMode, SchemaValidator>();

function cachedValidator(mode: SchemaMode): SchemaValidator {
  let v = validators.get(mode);
  if (!v) {
    v = validatorFor(mode);
    validators.set(mode, v);
  }
  return v;
}

/** Whether schemas can be used in this mode, and if not, why (the validator's own words). */
export async function schemaStatus(mode: SchemaMode): Promise<SchemaStatus> {
  if (mode === 'off') return { available: false, reason: 'switched off with --schema off.' };
  return cachedValidator(mode).status();
}

let runs = 0;

/** Schema diagnostics of one document; call only when schemaStatus said available. */
export function createSchemaCheck(mode: SchemaMode): SchemaCheck {
  const validator = cachedValidator(mode);
  return async (doc) => {
    // A unique uri per call: the validator cancels an older run for the same uri, and files may share a name.
    const uri = `cli:${++runs}:${doc.uri}`;
    try {
      const r = await validator.validate(uri, 0, doc.text);
      return r === 'superseded' ? [] : r.map((f) => toDiagnostic(doc, f));
    } finally {
      validator.forget(uri); // the validator keeps each document's last text for the editor; a run must not pile them up
    }
  };
}

