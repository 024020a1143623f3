/**
 * The strict verdict on well-formedness, from a conformant parser (xmldom).
 * The tolerant scanner recovers and keeps going; this answers the question
 * "would libvirt's XML parser accept this file at all?" with the first fatal
 * error at its exact place. It is slower, so callers run it off the typing
 * path (on open and save, and in the CLI).
 */
import type * as Xmldom from '@xmldom/xmldom';

let xmldom: typeof Xmldom | undefined;
/**
 * xmldom, loaded on first use: loading it (its entity tables) took 10-15 ms of the language server's start,
 * before its first diagnostics, which no longer wait for this check.
 */
function loadXmldom(): typeof Xmldom {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (xmldom ??= require('@xmldom/xmldom') as typeof Xmldom);
}

export interface StrictError {
  message: string;
  /** Zero-based line and UTF-16 column, like LSP positions. */
  line: number;
  character: number;
  level: 'fatal' | 'error';
}

export function strictWellFormedness(text: string): StrictError | undefined {
  // xmldom takes a leading byte order mark for text outside the root; it is legal, so it is left out
  // here and the columns of the first line are moved back by one.
  if (text.charCodeAt(0) === 0xfeff) {
    const e = strictWellFormedness(text.slice(1));
    return e && e.line === 0 ? { ...e, character: e.character + 1 } : e;
  }
  let firstError: StrictError | undefined;
  try {
    const parser = new (loadXmldom().DOMParser)({
      locator: true,
      onError: (level, message, context) => {
        // xmldom reports recoverable 'error's via this callback and throws on fatal ones.
        if (level === 'error' && !firstError) {
          const loc = (context as { locator?: { lineNumber?: number; columnNumber?: number } } | undefined)?.locator;
          firstError = { message: clean(message), line: (loc?.lineNumber ?? 1) - 1, character: (loc?.columnNumber ?? 1) - 1, level: 'error' };
        }
      },
    });
    parser.parseFromString(text, 'text/xml');
  } catch (e) {
    const err = e as { message?: string; locator?: { lineNumber?: number; columnNumber?: number } };
    return {
      message: clean(err.message ?? String(e)),
      line: Math.max(0, (err.locator?.lineNumber ?? 1) - 1),
      character: Math.max(0, (err.locator?.columnNumber ?? 1) - 1),
      level: 'fatal',
    };
  }
  return firstError;
}

function clean(message: string): string {
  return message
    .replace(/^\[xmldom [a-z]+\]\s*/i, '')
    .replace(/\s*@#\[line:\d+,col:\d+\]\s*$/, '')
    .split('\n')[0];
}
