/** A closed numeric interval. */
export interface Extent {
  min: number;
  max: number;
}

/** The min and max of the finite values, or null when there are none. */
export function finiteExtent(values: Iterable<number>): Extent | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : null;
}

/** Round tick values (1, 2 or 5 × 10^k steps) covering [min, max]; the returned domain is [first, last]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min > max) [min, max] = [max, min];
  const mag0 = Math.max(Math.abs(min), Math.abs(max));
  if (max - min <= mag0 * 1e-9 || max - min < 1e-200) {
    // A flat (or numerically flat) series still needs a visible axis around its value.
    const mid = (min + max) / 2;
    const pad = Math.abs(mid) < 1e-200 ? 1 : Math.abs(mid) * 0.5;
    min = mid - pad;
    max = mid + pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  let first = Math.floor(min / step + 1e-9) * step;
  if (first > min) first -= step;
  const ticks: number[] = [];
  for (let t = first; t <= max + step * 1e-9 || ticks.length < 2; t += step) {
    ticks.push(Number(t.toPrecision(12)));
    if (ticks.length > 50) break;
  }
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** Map [d0, d1] linearly onto [r0, r1]; a zero-width domain maps everything to the middle of the range. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** Powers of ten covering [min, max] (both > 0), for log axes. */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const ticks: number[] = [];
  for (let e = lo; e <= Math.max(hi, lo + 1); e++) ticks.push(10 ** e);
  return ticks;
}

/** Interpolate between two hex colours (#rrggbb) at t ∈ [0, 1]. */
export function mixColor(a: string, b: string, t: number): string {
  const ta = Math.min(1, Math.max(0, t));
  const pa = parseHex(a);
  const pb = parseHex(b);
  const c = pa.map((x, i) => Math.round(x + (pb[i]! - x) * ta));
  return '#' + c.map((x) => x.toString(16).padStart(2, '0')).join('');
}

function parseHex(h: string): number[] {
  return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
}

/** Okabe–Ito colour-blind-safe palette, cycled by series index. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#F0E442', '#000000'];

/** The palette colour for series i. */
export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}
