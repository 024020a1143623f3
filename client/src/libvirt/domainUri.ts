/**
 * Where a domain libvirt holds lives in the editor: `libvirt:/NAME.domain.xml?CONNECTION`.
 * The path ends in `.domain.xml` so that the editor's title is the domain's
 * name and VS Code gives it the Libvirt Domain XML language (and with it the
 * language server) as it does for files; the query is the connection URI,
 * which may itself hold '/', '?' and ':'. libvirt forbids '/' in domain
 * names, so the path is always one segment. No runtime `vscode` import, so
 * this is tested on its own.
 */
export const LIBVIRT_SCHEME = 'libvirt';
const SUFFIX = '.domain.xml';

/** The parts of a vscode.Uri this module reads and writes. */
export interface UriParts {
  scheme: string;
  path: string;
  query: string;
}

export interface DomainRef {
  connection: string;
  name: string;
}

export function domainUriParts(ref: DomainRef): UriParts {
  return { scheme: LIBVIRT_SCHEME, path: `/${ref.name}${SUFFIX}`, query: ref.connection };
}

/** The domain a libvirt: URI names, or undefined for any other URI. */
export function domainOf(uri: UriParts): DomainRef | undefined {
  if (uri.scheme !== LIBVIRT_SCHEME || !uri.query || !uri.path.startsWith('/') || !uri.path.endsWith(SUFFIX)) return undefined;
  const name = uri.path.slice(1, -SUFFIX.length);
  if (!name || name.includes('/')) return undefined;
  return { connection: uri.query, name };
}
