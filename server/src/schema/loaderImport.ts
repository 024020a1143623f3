/**
 * import() for the server's bundle, which a loader may run through `vm`
 * rather than Node (boot/codeCache.ts, for its V8 code cache). A script that
 * V8 restores from a code cache cannot import() on Node 20: what tells Node
 * how to load for that script is not in the cache, and the call fails with
 * "A dynamic import callback was not specified" (so, after the first start,
 * libxml2 never loaded in the editor and every schema check went to
 * xmllint). The loader, loaded by Node itself, puts its own import() under
 * LOADER_IMPORT; the bundle imports through it when it is there.
 */

type Importer = (specifier: string) => Promise<unknown>;

/** Where the loader's import() is kept, on the global object both share. */
export const LOADER_IMPORT = Symbol.for('libvirt-domain-xml.loaderImport');

/** Lends the bundle `importer` (the loader's own import()). */
export function lendImport(importer: Importer): void {
  (globalThis as Record<symbol, unknown>)[LOADER_IMPORT] = importer;
}

/** import(specifier), through the loader's import() when the bundle was run by one. */
export function importModule(specifier: string): Promise<unknown> {
  const lent = (globalThis as Record<symbol, unknown>)[LOADER_IMPORT] as Importer | undefined;
  return lent ? lent(specifier) : import(specifier);
}
