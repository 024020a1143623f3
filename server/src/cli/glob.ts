/**
 * A small glob matcher, because Node 20 has no fs.glob and a pipeline often
 * passes patterns quoted (`'fleet/**\/*.xml'`) so that the shell leaves them
 * alone. Supported: `*` and `?` within one path segment, `**` as a whole
 * segment for any depth, `[abc]`, `[a-z]`, `[!x]`/`[^x]` classes, `{a,b}`
 * alternatives (nested too) and `\` to quote the next character.
 *
 * As in shells, wildcards do not match a leading `.` of a name: hidden files
 * and directories are only matched by a pattern that spells the dot.
 * Paths are compared with `/` separators.
 */

/** True when the text has a character that makes it a pattern rather than a plain path. */
export function hasMagic(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '*' || c === '?' || c === '[') return true;
    if (c === '{' && braceEnd(pattern, i) !== -1) return true;
  }
  return false;
}

/** Index of the `}` closing the brace group opened at `open`, if the group has a top-level comma; else -1. */
function braceEnd(p: string, open: number): number {
  let depth = 0;
  let comma = false;
  for (let i = open; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return comma ? i : -1;
    } else if (c === ',' && depth === 1) comma = true;
  }
  return -1;
}

/**
 * Expands `{a,b}` groups into separate patterns (`x{a,b}y` → `xay`, `xby`),
 * innermost combinations included. A `{` without a matching `}` or without a
 * comma is an ordinary character. The count is capped so that a hostile
 * pattern cannot make us allocate without bound.
 */
export function expandBraces(pattern: string, limit = 1024): string[] {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c !== '{') continue;
    const end = braceEnd(pattern, i);
    if (end === -1) continue;
    const head = pattern.slice(0, i);
    const tail = pattern.slice(end + 1);
    const out: string[] = [];
    for (const alt of splitAlternatives(pattern.slice(i + 1, end))) {
      for (const e of expandBraces(head + alt + tail, limit)) {
        if (out.length >= limit) return out;
        out.push(e);
      }
    }
    return [...new Set(out)];
  }
  return [pattern];
}

function splitAlternatives(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** Splits on `/` (a quoted `\/` does not split). Empty segments from `//` are dropped, a leading `/` kept as ''. */
export function segments(pattern: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) {
      cur += c + pattern[++i];
      continue;
    }
    if (c === '/') {
      if (cur !== '' || out.length === 0) out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Regular-expression source for one segment without `/`. */
function segmentSource(seg: string): string {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '\\') {
      if (i + 1 < seg.length) re += escapeRe(seg[++i]);
      else re += '\\\\';
    } else if (c === '*') {
      while (seg[i + 1] === '*') i++;
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const cls = classSource(seg, i);
      if (cls) {
        re += cls.source;
        i = cls.end;
      } else re += '\\[';
    } else {
      re += escapeRe(c);
    }
  }
  // A wildcard in first position must not match a hidden name.
  const first = seg[0];
  if (first === '*' || first === '?' || first === '[') re = '(?!\\.)' + re;
  return re;
}

/** `[...]` starting at `open`: its regular-expression source and the index of its `]`, or undefined if unclosed. */
function classSource(seg: string, open: number): { source: string; end: number } | undefined {
  let i = open + 1;
  let negate = false;
  if (seg[i] === '!' || seg[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < seg.length; i++) {
    const c = seg[i];
    if (c === ']' && !first) {
      if (body === '') return undefined;
      return { source: `[${negate ? '^/' : ''}${body}]`, end: i };
    }
    first = false;
    if (c === '\\' && i + 1 < seg.length) {
      body += '\\' + seg[++i];
      continue;
    }
    if (c === '-' && body !== '' && seg[i + 1] !== ']' && i + 1 < seg.length) {
      body += '-';
      continue;
    }
    // Inside a class only these need quoting in a JavaScript regular expression.
    body += /[\]\\^-]/.test(c) ? '\\' + c : c;
  }
  return undefined;
}

/** Regular-expression source for a brace-free pattern, matching a whole `/`-separated path. */
function patternSource(pattern: string): string {
  const segs = segments(pattern);
  let re = '';
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    if (seg === '**') {
      // Any number of visible directories; as the last segment, anything below.
      re += last ? '(?!\\.)[^/]+(?:/(?!\\.)[^/]+)*' : '(?:(?!\\.)[^/]+/)*';
      continue;
    }
    re += segmentSource(seg);
    if (!last) re += '/';
  }
  return re;
}

/** Removes a leading `./` (any number of them): paths we compare against never carry it. */
export function stripDotSlash(p: string): string {
  let s = p;
  while (s.startsWith('./')) s = s.slice(2);
  return s;
}

/** A matcher for one glob, alternatives included. */
export function globToRegExp(pattern: string): RegExp {
  const alts = expandBraces(stripDotSlash(pattern)).map((p) => patternSource(stripDotSlash(p)));
  return new RegExp(`^(?:${alts.join('|')})$`);
}

export function matchGlob(pattern: string | RegExp, path: string): boolean {
  const re = typeof pattern === 'string' ? globToRegExp(pattern) : pattern;
  return re.test(stripDotSlash(path));
}

/**
 * Where to start walking for a brace-free pattern: the leading segments
 * without wildcards (unquoted), and how many segments deep a match can be
 * below it (Infinity with `**`).
 */
export function walkPlan(pattern: string): { base: string; depth: number } {
  const segs = segments(stripDotSlash(pattern));
  const fixed: string[] = [];
  let i = 0;
  for (; i < segs.length - 1 && !hasMagic(segs[i]); i++) fixed.push(unquote(segs[i]));
  const rest = segs.slice(i);
  const depth = rest.includes('**') ? Infinity : rest.length;
  const base = fixed.length === 0 ? '.' : fixed.length === 1 && fixed[0] === '' ? '/' : fixed.join('/');
  return { base, depth };
}

function unquote(seg: string): string {
  return seg.replace(/\\(.)/g, '$1');
}
