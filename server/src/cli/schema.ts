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
import { SchemaValidator, type SchemaStatus } from '../schema/validator';

/** 'off', 'auto' (find the installed schemas) or a directory holding domain.rng. */
export type SchemaMode = string;

/** Where this thread's validator reports anything beyond per-document failures (which go with their document). */
let logSink: (message: string) => void = () => undefined;

export function setSchemaLog(sink: (message: string) => void): void {
  logSink = sink;
}

function validatorFor(mode: SchemaMode, targetVersion: string | undefined): SchemaValidator {
  return new SchemaValidator({
    settings: { enable: true, directory: mode === 'auto' ? '' : mode, targetVersion },
    // The validator also says which schemas it loaded; once per thread that is noise, failures are not.
    log: (m) => {
      if (!m.startsWith('schema validation: ') && !m.startsWith('schema validation off: ')) logSink(m);
    },
  });
}

/** Validators already made on this thread, so the grammar is read once per thread, mode and target release. */
const validators = new Map<string, SchemaValidator>();

function cachedValidator(mode: SchemaMode, targetVersion: string | undefined): SchemaValidator {
  const key = `${mode}\u0000${targetVersion ?? ''}`;
  let v = validators.get(key);
  if (!v) {
    v = validatorFor(mode, targetVersion);
    validators.set(key, v);
  }
  return v;
}

/**
 * Whether schemas can be used in this mode, and if not, why (the validator's
 * own words). `targetVersion` (--libvirt-version) decides between installed
 * schemas older than it and the shipped ones.
 */
export async function schemaStatus(mode: SchemaMode, targetVersion?: string): Promise<SchemaStatus> {
  if (mode === 'off') return { available: false, reason: 'switched off with --schema off.' };
  return cachedValidator(mode, targetVersion).status();
}

/**
 * The validator the language services of this thread share in this mode;
 * use only when schemaStatus said available. The language service batches
 * documents through it (grammar compiled once per libxml2 run, not per file).
 */
export function schemaValidatorFor(mode: SchemaMode, targetVersion?: string): SchemaValidator | undefined {
  return mode === 'off' ? undefined : cachedValidator(mode, targetVersion);
}
