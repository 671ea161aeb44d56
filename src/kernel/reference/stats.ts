/**
 * Scalar TypeScript reference of the stats kernel (src/kernel/assembly/stats.ts). It sums in exactly the kernel's
 * order — per block of STATS_BLOCK elements, two float64 lanes by element parity, lane 0 + lane 1 at the block
 * end; Σ base² shared across fine-tunes unless the block has non-finite entries — so its results equal the wasm
 * kernel's bit for bit.
 */

/** Elements per summation block; chunk starts must be multiples of it. */
export const STATS_BLOCK = 4096;
/** float64 fields per block record of the delta pass (see DELTA_FIELD). */
export const DELTA_FIELDS = 14;
/** float64 fields per block record of the pair pass (see PAIR_FIELD). */
export const PAIR_FIELDS = 5;
/** Histogram bins: f32 bits of |Δ| >>> 18 (8 exponent bits + top 5 mantissa bits); 8160+ are never hit. */
export const HIST_BINS = 8192;

/** Field offsets of a delta block record. */
export const DELTA_FIELD = {
  nonFinite: 0, sumDelta: 1, sumSqDelta: 2, sumAbsDelta: 3, sumCubeDelta: 4, sumQuadDelta: 5, maxAbsDelta: 6,
  sumSqBase: 7, sumSqFt: 8, positive: 9, negative: 10, zero: 11, le0002: 12, le0005: 13,
} as const;

/** Field offsets of a pair block record. */
export const PAIR_FIELD = { dot: 0, bothNonzero: 1, conflicts: 2, minBoth: 3, minConflict: 4 } as const;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0]!;
}
function fromBits(b: number): number {
  u32[0] = b;
  return f32[0]!;
}

/** Largest float32 ≤ 0.002 and ≤ 0.005 (an f32 compare with them equals the exact compare with 0.002/0.005). */
export const T0002 = fromBits(0x3b03126e);
export const T0005 = fromBits(0x3ba3d70a);

/** Σ b² of one block in the kernel's lane order (element parity), only where keep(i). */
function sumSqBlockRef(b: Float32Array, from: number, len: number, keep: (i: number) => boolean): number {
  const s = [0, 0];
  for (let i = 0; i < len; i++) if (keep(i)) s[i & 1]! += b[from + i]! * b[from + i]!;
  return s[0]! + s[1]!;
}

/** Reference of stats_chunk's Σ base² per block (shared by every fine-tune's record). */
export function statsBaseSqRef(base: Float32Array, n: number, out: Float64Array): void {
  for (let b0 = 0; b0 < n; b0 += STATS_BLOCK) out[b0 / STATS_BLOCK] = sumSqBlockRef(base, b0, Math.min(STATS_BLOCK, n - b0), () => true);
}

/** Reference of stats_chunk's per-fine-tune pass (record layout in the kernel); energy accumulates Σ ⌊m²/2²⁴⌋ as float64. */
export function statsDeltaRef(base: Float32Array, ft: Float32Array, delta: Float32Array, n: number, baseSq: Float64Array, out: Float64Array, hist: Uint32Array, energy: Float64Array): void {
  for (let b0 = 0; b0 < n; b0 += STATS_BLOCK) {
    const len = Math.min(STATS_BLOCK, n - b0);
    const a1 = [0, 0], a2 = [0, 0], aa = [0, 0], a3 = [0, 0], a4 = [0, 0], af = [0, 0];
    const finite = new Uint8Array(len);
    let nNf = 0, nPos = 0, nNeg = 0, nT1 = 0, nT2 = 0, mx = 0;
    for (let i = 0; i < len; i++) {
      const bs = base[b0 + i]!, fs = ft[b0 + i]!;
      const raw = Math.fround(fs - bs);
      if (!(Math.abs(raw) < Infinity)) { delta[b0 + i] = 0; nNf++; continue; }
      finite[i] = 1;
      delta[b0 + i] = raw;
      const ad = Math.abs(raw);
      if (raw > 0) nPos++; else if (raw < 0) nNeg++;
      if (ad <= T0002) nT1++;
      if (ad <= T0005) nT2++;
      mx = Math.max(mx, ad);
      const q = raw * raw, l = i & 1;
      a1[l]! += raw; a2[l]! += q; aa[l]! += ad; a3[l]! += q * raw; a4[l]! += q * q; af[l]! += fs * fs;
      const bits = bitsOf(raw) & 0x7fffffff;
      const bin = bits >>> 18;
      hist[bin]!++;
      const m = (bits & 0x7fffff) | 0x800000;
      energy[bin]! += Math.floor((m * m) / 16777216);
    }
    const sqBase = nNf === 0 ? baseSq[b0 / STATS_BLOCK]! : sumSqBlockRef(base, b0, len, (i) => finite[i] === 1);
    const r = (b0 / STATS_BLOCK) * DELTA_FIELDS;
    const rec = [nNf, a1[0]! + a1[1]!, a2[0]! + a2[1]!, aa[0]! + aa[1]!, a3[0]! + a3[1]!, a4[0]! + a4[1]!, mx, sqBase, af[0]! + af[1]!, nPos, nNeg, len - nNf - nPos - nNeg, nT1, nT2];
    for (let k = 0; k < DELTA_FIELDS; k++) out[r + k] = rec[k]!;
  }
}

/** Reference of stats_chunk's pair pass: Σ Δa·Δb, #both ≠ 0, #opposite signs among them, Σ min(|Δa|,|Δb|), Σ over conflicts. */
export function statsPairRef(da: Float32Array, db: Float32Array, n: number, out: Float64Array): void {
  for (let b0 = 0; b0 < n; b0 += STATS_BLOCK) {
    const len = Math.min(STATS_BLOCK, n - b0);
    const dot = [0, 0], mn = [0, 0], mc = [0, 0];
    let nBoth = 0, nConf = 0;
    for (let i = 0; i < len; i++) {
      const a = da[b0 + i]!, b = db[b0 + i]!, l = i & 1;
      const isBoth = a !== 0 && b !== 0;
      const isConf = isBoth && ((bitsOf(a) ^ bitsOf(b)) >>> 31) !== 0;
      if (isBoth) nBoth++;
      if (isConf) nConf++;
      const m = Math.min(Math.abs(a), Math.abs(b));
      dot[l]! += a * b; mn[l]! += m; mc[l]! += isConf ? m : 0;
    }
    const r = (b0 / STATS_BLOCK) * PAIR_FIELDS;
    out[r] = dot[0]! + dot[1]!;
    out[r + 1] = nBoth;
    out[r + 2] = nConf;
    out[r + 3] = mn[0]! + mn[1]!;
    out[r + 4] = mc[0]! + mc[1]!;
  }
}
