/**
 * Bytes of a file (or of standard input) to the text the checks read, for
 * the faces that read bytes themselves (the CLI); editors hand over text they
 * decoded already.
 *
 * libvirt reads domain XML as UTF-8 (`virsh define` passes the file to the
 * daemon as a C string), so UTF-8 with or without a byte order mark is the
 * only encoding it accepts. A UTF-16 file (recognised by its byte order mark,
 * or by the `<` of its first markup next to a zero byte) is decoded so that
 * it can still be checked, and said to be UTF-16 once; bytes that are no
 * text at all are said to be so, and nothing else is read into them.
 */
export type DecodingProblem =
  | { kind: 'utf16'; bigEndian: boolean; bom: boolean }
  /** `at`: where the replacement character stands in the decoded text. */
  | { kind: 'invalid-utf8'; byteOffset: number; byte: number; at: number }
  | { kind: 'binary'; byteOffset: number };

export interface Decoded {
  /** The text, without a UTF-8 or UTF-16 byte order mark (as editors show it); empty for binary input. */
  text: string;
  problem?: DecodingProblem;
}

/** How far into the input a NUL byte makes it binary: enough for any XML prologue, small for a huge image file. */
const BINARY_SNIFF_BYTES = 8192;

export function decodeXmlBytes(bytes: Uint8Array): Decoded {
  const b0 = bytes[0],
    b1 = bytes[1];
  if (b0 === 0xff && b1 === 0xfe) return utf16(bytes.subarray(2), false, true);
  if (b0 === 0xfe && b1 === 0xff) return utf16(bytes.subarray(2), true, true);
  // Without a byte order mark, '<' (or white space) next to a zero byte opens UTF-16 XML.
  if (bytes.length >= 4 && b1 === 0 && b0 !== 0 && bytes[3] === 0) return utf16(bytes, false, false);
  if (bytes.length >= 4 && b0 === 0 && b1 !== 0 && bytes[2] === 0) return utf16(bytes, true, false);
  const sniff = bytes.subarray(0, BINARY_SNIFF_BYTES);
  const nul = sniff.indexOf(0);
  if (nul !== -1) return { text: '', problem: { kind: 'binary', byteOffset: nul } };
  const start = b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(start);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body) };
  } catch {
    const at = firstInvalidUtf8(body);
    const problem: DecodingProblem = { kind: 'invalid-utf8', byteOffset: start + at, byte: body[at], at: new TextDecoder('utf-8').decode(body.subarray(0, at)).length };
    return { text: new TextDecoder('utf-8').decode(body), problem };
  }
}

function utf16(body: Uint8Array, bigEndian: boolean, bom: boolean): Decoded {
  return { text: new TextDecoder(bigEndian ? 'utf-16be' : 'utf-16le').decode(body), problem: { kind: 'utf16', bigEndian, bom } };
}

/** Offset of the first byte that does not start (or continue) a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= b.length) return i; // not a lead byte, or a sequence cut short by the end
    for (let k = 1; k <= n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    // Overlong forms, surrogates and code points above U+10FFFF, as the fatal decoder refuses them.
    if ((c === 0xe0 && b[i + 1] < 0xa0) || (c === 0xed && b[i + 1] > 0x9f) || (c === 0xf0 && b[i + 1] < 0x90) || (c === 0xf4 && b[i + 1] > 0x8f)) return i;
    i += n + 1;
  }
  return b.length;
}
