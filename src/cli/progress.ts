/** A progress bar on stderr (only when stderr is a TTY, so logs and CI stay clean); results go to stdout. */
export class ProgressBar {
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly enabled: boolean;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit: 'bytes' | 'items' = 'bytes',
    enabled?: boolean,
  ) {
    this.enabled = enabled ?? (process.stderr.isTTY === true && !process.env.DAREKIT_NO_PROGRESS);
  }

  /** Report that `done` of `total` units are finished; redraws at most every 100 ms. */
  update(done: number, detail = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done < this.total) return;
    this.lastDraw = now;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const secs = (now - this.start) / 1000;
    const eta = frac > 0 ? secs / frac - secs : 0;
    const amount = this.unit === 'bytes' ? `${(done / 1e9).toFixed(2)}/${(this.total / 1e9).toFixed(2)} GB` : `${done}/${this.total}`;
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0)}% ${amount} ETA ${eta.toFixed(0)}s ${detail}`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 100) - 1)}\x1b[K`);
  }

  /** Clear the bar. */
  done(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}
