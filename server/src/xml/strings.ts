/**
 * The strings the document model keeps: names, values and texts.
 *
 * Two reasons not to keep `text.slice(...)` as it comes:
 * - V8 makes a slice of 13 or more characters a view into the whole text.
 *   A tree re-parsed incrementally lives through many versions, and one kept
 *   view would keep its version's whole text alive (10 MB for a 5 MB file
 *   with one non-Latin-1 character), version after version.
 * - A domain repeats the same few names and short values ('address', 'bus',
 *   '0x0000', 'pci', 'yes') hundreds of thousands of times: one shared copy
 *   each saves about 12 MB on a 5 MB document.
 */

/** Strings up to this length are shared; longer ones (paths, UUIDs, descriptions) are rarely repeated. */
const MAX_SHARED_LENGTH = 24;
/** The table is emptied when it grows past this: a bound for a server that reads many files. */
const MAX_SHARED_COUNT = 50_000;

const shared = new Map<string, string>();

/** A copy of `s` that holds no reference to the text it was cut from. */
export function detach(s: string): string {
  // Shorter strings are always copied by V8. For longer ones, slicing a fresh
  // concatenation flattens it into a new string of its own first.
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** The string to keep in the model for `s`: a shared copy when short, a detached one otherwise. */
export function keep(s: string): string {
  if (s.length > MAX_SHARED_LENGTH) return detach(s);
  let hit = shared.get(s);
  if (hit === undefined) {
    if (shared.size >= MAX_SHARED_COUNT) shared.clear();
    hit = detach(s);
    shared.set(hit, hit);
  }
  return hit;
}
