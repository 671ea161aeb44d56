import type { Views } from './memory.js';

/** Reference of trim_window_f32: keep ⇔ in the keep cut's top set and not in the drop cut's (ties in index order). */
export function trimWindowF32(
  v: Views,
  ptr: number,
  n: number,
  keepBits: number,
  keepTies: number,
  dropBits: number,
  dropTies: number,
): void {
  const base = ptr >>> 2;
  const kb = keepBits >>> 0,
    db = dropBits >>> 0;
  let keepSeen = 0,
    dropSeen = 0;
  for (let i = 0; i < n; i++) {
    const u = (v.u32[base + i]! & 0x7fffffff) >>> 0;
    let inKeep = u > kb;
    if (u === kb) {
      inKeep = keepSeen < keepTies;
      keepSeen++;
    }
    let inDrop = u > db;
    if (u === db) {
      inDrop = dropSeen < dropTies;
      dropSeen++;
    }
    if (!inKeep || inDrop) v.u32[base + i] = 0;
  }
}

/** Reference of hist_abs_hi16_f32. */
export function histAbsHi16F32(v: Views, ptr: number, n: number, hist: number): void {
  const base = ptr >>> 2,
    h = hist >>> 2;
  for (let i = 0; i < n; i++) v.u32[h + ((v.u32[base + i]! & 0x7fffffff) >>> 16)]!++;
}

/** Reference of hist_abs_lo16_f32. */
export function histAbsLo16F32(v: Views, ptr: number, n: number, hi: number, hist: number): void {
  const base = ptr >>> 2,
    h = hist >>> 2;
  for (let i = 0; i < n; i++) {
    const u = v.u32[base + i]! & 0x7fffffff;
    if (u >>> 16 === hi >>> 0) v.u32[h + (u & 0xffff)]!++;
  }
}

/** Reference of count_abs_eq_f32. */
export function countAbsEqF32(v: Views, ptr: number, n: number, bits: number): number {
  const base = ptr >>> 2;
  let c = 0;
  for (let i = 0; i < n; i++) if ((v.u32[base + i]! & 0x7fffffff) >>> 0 === bits >>> 0) c++;
  return c;
}

/** Reference of count_nonfinite_f32. */
export function countNonfiniteF32(v: Views, ptr: number, n: number): number {
  const base = ptr >>> 2;
  let c = 0;
  for (let i = 0; i < n; i++) if ((v.u32[base + i]! & 0x7f800000) === 0x7f800000) c++;
  return c;
}
