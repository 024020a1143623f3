/**
 * Offset <-> line/character conversion. Offsets and characters are UTF-16
 * code units, which is what JavaScript strings index and what LSP positions
 * count by default, so no transcoding is needed.
 */
import type { TextChange } from './textChange';

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

export class LineIndex {
  private readonly starts: number[];

  /**
   * The index of `text`, an edited version of `previous`'s text: line starts
   * before the change are kept, those after it are moved, and only the
   * changed characters are scanned (a 5 MB document has 100 000+ lines).
   */
  static afterChange(previous: LineIndex, text: string, change: TextChange): LineIndex {
    const old = previous.starts;
    const delta = change.newEnd - change.oldEnd;
    // A line starts at p when text[p - 1] is \n, or \r not followed by \n: both characters decide,
    // so positions from change.start to newEnd + 1 are looked at again.
    const starts: number[] = [];
    let k = 0;
    while (k < old.length && old[k] < change.start) starts.push(old[k++]);
    if (starts.length === 0) starts.push(0);
    const last = Math.min(text.length, change.newEnd + 1);
    for (let p = Math.max(1, change.start); p <= last; p++) {
      const c = text.charCodeAt(p - 1);
      if (c === 0x0a || (c === 0x0d && text.charCodeAt(p) !== 0x0a)) starts.push(p);
    }
    while (k < old.length && old[k] <= change.oldEnd + 1) k++;
    while (k < old.length) starts.push(old[k++] + delta);
    return new LineIndex(text, starts);
  }

  constructor(
    private readonly text: string,
    knownStarts?: number[],
  ) {
    if (knownStarts) {
      this.starts = knownStarts;
      return;
    }
    // LSP counts \n, \r\n and a lone \r as line ends.
    const starts = [0];
    if (text.indexOf('\r') === -1) {
      let i = text.indexOf('\n');
      while (i !== -1) {
        starts.push(i + 1);
        i = text.indexOf('\n', i + 1);
      }
    } else {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x0a) starts.push(i + 1);
        else if (c === 0x0d) {
          if (text.charCodeAt(i + 1) === 0x0a) i++;
          starts.push(i + 1);
        }
      }
    }
    this.starts = starts;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const starts = this.starts;
    let lo = 0,
      hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - starts[lo] };
  }

  offsetAt(pos: Position): number {
    if (pos.line < 0) return 0;
    if (pos.line >= this.starts.length) return this.text.length;
    const lineStart = this.starts[pos.line];
    let lineEnd = pos.line + 1 < this.starts.length ? this.starts[pos.line + 1] : this.text.length;
    // A position past the end of a line stops before its line break.
    if (lineEnd > lineStart && this.text.charCodeAt(lineEnd - 1) === 0x0a) lineEnd--;
    if (lineEnd > lineStart && this.text.charCodeAt(lineEnd - 1) === 0x0d) lineEnd--;
    return Math.max(lineStart, Math.min(lineStart + Math.max(0, pos.character), lineEnd));
  }

  range(start: number, end: number): Range {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }

  /** Offset of the start of the line holding `offset`. */
  lineStartOf(offset: number): number {
    return this.starts[this.positionAt(offset).line];
  }
}
