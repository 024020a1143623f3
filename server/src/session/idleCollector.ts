/**
 * Gives memory back after work on a large document. V8 collects garbage when
 * it needs room, not when the user stops typing, so the garbage of a few
 * versions of a multi-megabyte file (texts, models, diagnostics) can hold
 * hundreds of MB of resident memory for minutes. When the analyses of a large
 * document pause, one full collection returns most of it; its pause (tens of
 * milliseconds at 5 MB) falls where nobody waits.
 *
 * The collector is V8's `gc`, which exists only when the process started with
 * --expose-gc (the extension starts the server so, see client/src/serverFlags.ts);
 * without it this does nothing.
 */

export interface IdleCollectorOptions {
  /** How long analyses must pause before collecting. */
  delayMs: number;
  /** Documents smaller than this leave little garbage: they never trigger a collection. */
  minSize: number;
  collect: (() => void) | undefined;
}

export class IdleCollector {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Collections run, for tests and the log. */
  collections = 0;

  constructor(private readonly o: IdleCollectorOptions) {}

  /** A document of `size` characters was just analysed. */
  analysed(size: number): void {
    const { collect } = this.o;
    if (!collect || size < this.o.minSize) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.collections++;
      collect();
    }, this.o.delayMs);
    // A pending collection never keeps the process alive.
    this.timer.unref?.();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** V8's collector when the process exposes it. */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
}
