/**
 * Holds the first analyses and requests until the host the settings name
 * has been read, within a bound. Without it a client that asks right after
 * opening (Neovim's request_sync, a quick Ctrl+Space) or the first published
 * diagnostics get the picture of no host at all: "Host-dependent checks are
 * off" and no host SMMUs to complete, replaced a moment later.
 *
 * A slow host (a large sysfs, a snapshot on a slow mount) must not keep the
 * editor waiting, so after `boundMs` everything proceeds without it and
 * `onTimeout` says so; the read goes on and its result is checked against
 * when it arrives.
 */
export class StartupGate {
  private opened = false;
  private release!: () => void;
  private readonly ready = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly boundMs: number,
    private readonly onTimeout: () => void,
  ) {}

  /** Starts the bound's clock (when the client initializes); the gate opens at the latest `boundMs` later. */
  start(): void {
    if (this.opened || this.timer) return;
    this.timer = setTimeout(() => {
      if (this.opened) return;
      this.open();
      this.onTimeout();
    }, this.boundMs);
  }

  /** The initial read is done (or failed): everything waiting goes ahead. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    if (this.timer) clearTimeout(this.timer);
    this.release();
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** Resolves once the gate is open: at once afterwards. */
  wait(): Promise<void> {
    return this.ready;
  }
}
