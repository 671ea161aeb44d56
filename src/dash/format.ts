// Pure text helpers for the dashboard: fixed-width numbers, inline bars, sparklines, truncation.

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** A number in at most `width` characters: fixed-point when it fits with 2 significant digits, else scientific. */
export function fmtNum(x: number, width = 8): string {
  if (Number.isNaN(x)) return '–'.padStart(width);
  if (!Number.isFinite(x)) return (x > 0 ? 'inf' : '-inf').padStart(width);
  if (x === 0) return '0'.padStart(width);
  const a = Math.abs(x);
  let s: string;
  if (a >= 0.01 && a < 1000) s = x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
  else
    s = x
      .toExponential(1)
      .replace('e+', 'e')
      .replace(/e(-?)0*(\d)/, 'e$1$2');
  return s.length > width ? s.slice(0, width) : s.padStart(width);
}

/** A share in [0, 1] as "0.50" (or "–" when unknown), padded to width. */
export function fmtShare(x: number, width = 4): string {
  return (Number.isFinite(x) ? x.toFixed(2) : '–').padStart(width);
}

/** A horizontal bar of `width` cells filled to frac ∈ [0, 1] with eighth-cell resolution, padded with spaces. */
export function bar(frac: number, width: number): string {
  if (width <= 0) return '';
  const f = Number.isFinite(frac) ? Math.min(1, Math.max(0, frac)) : 0;
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const s = '█'.repeat(full) + (full < width ? EIGHTHS[eighths % 8]! : '');
  return s.padEnd(width);
}

/**
 * A sparkline of `values` in `width` cells: values are bucketed (each cell shows its bucket's maximum, so a hot
 * layer never disappears) and scaled from the minimum to the maximum — logarithmically when all are positive and
 * they span more than a factor of 10 (ρ often does). Non-finite values count as the minimum.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (values.length === 0 || width <= 0) return '';
  const cells = Math.min(width, values.length);
  const buckets: number[] = [];
  for (let c = 0; c < cells; c++) {
    const from = Math.floor((c * values.length) / cells);
    const to = Math.max(from + 1, Math.floor(((c + 1) * values.length) / cells));
    let m = -Infinity;
    for (let i = from; i < to; i++) if (Number.isFinite(values[i]!) && values[i]! > m) m = values[i]!;
    buckets.push(m);
  }
  const finite = buckets.filter(Number.isFinite);
  const rawLo = finite.length ? Math.min(...finite) : 0;
  const rawHi = finite.length ? Math.max(...finite) : 0;
  if (rawLo > 0 && rawHi / rawLo > 10) for (let c = 0; c < cells; c++) buckets[c] = Math.log(buckets[c]!);
  const lo = rawLo > 0 && rawHi / rawLo > 10 ? Math.log(rawLo) : rawLo;
  const hi = rawLo > 0 && rawHi / rawLo > 10 ? Math.log(rawHi) : rawHi;
  return buckets
    .map((v) => {
      if (!Number.isFinite(v) || hi === lo) return SPARK[Number.isFinite(v) && hi > 0 ? 3 : 0]!;
      return SPARK[Math.min(7, Math.floor(((v - lo) / (hi - lo)) * 8))]!;
    })
    .join('');
}

/** Cut s to at most width characters (an ellipsis marks the cut), then pad to exactly width. */
export function fit(s: string, width: number): string {
  if (width <= 0) return '';
  const chars = Array.from(s);
  if (chars.length <= width) return s + ' '.repeat(width - chars.length);
  return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/** Cut s to at most width characters without padding. */
export function clip(s: string, width: number): string {
  const chars = Array.from(s);
  return chars.length <= width ? s : chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/** A tensor name without the ubiquitous "model." prefix and ".weight" suffix (the full name is still filterable). */
export function shortTensorName(name: string): string {
  return name.replace(/^model\./, '').replace(/\.weight$/, '');
}

/** Verdict as an upper-case badge text. */
export function verdictBadge(v: string): string {
  return v.toUpperCase();
}

/** A signed value with 3 decimals (+0.012, −0.008); one that rounds to zero prints as 0.000, never "-0.000". */
export function signed3(x: number, missing = '–'): string {
  if (!Number.isFinite(x)) return missing;
  const r = Math.round(x * 1000) / 1000;
  if (r === 0) return ' 0.000';
  return (r > 0 ? '+' : '') + r.toFixed(3);
}

/** " measured (predicted 0.40)" beside a drop rate the probe measured, " predicted" when a probe ran on others; else nothing. */
export function measuredNote(m: { safeDropRateSource?: 'measured' | 'predicted'; predictedDropRate?: number }): string {
  if (m.safeDropRateSource === 'measured') return ` measured (predicted ${fmtShare(m.predictedDropRate ?? NaN).trim()})`;
  return m.safeDropRateSource === 'predicted' ? ' predicted' : '';
}
