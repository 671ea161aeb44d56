import { formatBytes } from './text.js';

/** How often a non-terminal stderr (a log file, CI) gets a progress line: first after this long, then as often. */
const LOG_EVERY_MS = 10_000;

/**
 * Progress on stderr (results go to stdout). On a terminal: a bar redrawn in place. Otherwise (a log, CI): a plain
 * line every 10 s, so a long run (`fixtures --preset bench`) is never silent and a short one adds nothing.
 * DAREKIT_NO_PROGRESS silences both.
 */
export class ProgressBar {
  private readonly start: number;
  private lastDraw = 0;
  private readonly mode: 'bar' | 'lines' | 'off';
  /** `enabled`: true = a bar, false = nothing, default: a bar on a TTY, lines otherwise. `clock` (ms) is for tests. */
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit: 'bytes' | 'items' = 'bytes',
    enabled?: boolean,
    private readonly clock: () => number = Date.now,
  ) {
    this.start = clock();
    if (enabled === false || process.env.DAREKIT_NO_PROGRESS) this.mode = 'off';
    else this.mode = enabled === true || process.stderr.isTTY === true ? 'bar' : 'lines';
    this.lastDraw = this.mode === 'lines' ? this.start : 0;
  }

  /** Report that `done` of `total` units are finished. */
  update(done: number, detail = ''): void {
    if (this.mode === 'off') return;
    const now = this.clock();
    const every = this.mode === 'bar' ? 100 : LOG_EVERY_MS;
    if (now - this.lastDraw < every && (done < this.total || this.mode === 'lines')) return;
    this.lastDraw = now;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const secs = (now - this.start) / 1000;
    const eta = frac > 0 ? secs / frac - secs : 0;
    const amount = this.unit === 'bytes' ? `${formatBytes(done)}/${formatBytes(this.total)}` : `${done}/${this.total}`;
    const pct = `${(frac * 100).toFixed(0)}%`;
    if (this.mode === 'lines') {
      process.stderr.write(
        `${this.label}: ${pct} ${amount}, ${secs.toFixed(0)} s so far, ETA ${eta.toFixed(0)} s${detail ? ` ${detail}` : ''}\n`,
      );
      return;
    }
    const width = 24;
    const filled = Math.round(frac * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct} ${amount} ETA ${eta.toFixed(0)}s ${detail}`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 100) - 1)}\x1b[K`);
  }

  /** Clear the bar. */
  done(): void {
    if (this.mode === 'bar') process.stderr.write('\r\x1b[K');
  }
}
