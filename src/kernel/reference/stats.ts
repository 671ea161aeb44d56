/**
 * Scalar TypeScript reference of the stats kernel (src/kernel/assembly/stats.ts). It takes each block's path as the
 * kernel does (fast: float32 sums over groups of 64, 4 lanes, folded into float64; exact: float64 in two lanes by
 * element parity) and sums in exactly the kernel's order, so its results equal the wasm kernel's bit for bit.
 */
import { fmix32 } from './mask.js';

import {
  DELTA_FIELDS,
  DELTA_RECORD,
  HIST_BINS,
  PAIR_FIELDS,
  PAIR_RECORD,
  SAMPLE_WEIGHT,
  STATS_BLOCK,
  STATS_GROUP,
  STATS_T0002_BITS,
  STATS_T0005_BITS,
  STATS_TINY,
  type DeltaField,
  type PairField,
} from '../abi.js';

export {
  DELTA_FIELD,
  DELTA_FIELDS,
  HIST_BINS,
  PAIR_FIELD,
  PAIR_FIELDS,
  SAMPLE_WEIGHT,
  STATS_BLOCK,
  STATS_GROUP,
  STATS_TINY,
} from '../abi.js';
export { sampleKey } from '../mask-key.js';

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
export const T0002 = fromBits(STATS_T0002_BITS);
export const T0005 = fromBits(STATS_T0005_BITS);

const fr = Math.fround;

/** A delta block record from its fields by name, in the ABI's field order. */
function deltaRecord(fields: Record<DeltaField, number>): number[] {
  return DELTA_RECORD.map((f) => fields[f.name]);
}

/** A pair block record from its fields by name, in the ABI's field order. */
function pairRecord(fields: Record<PairField, number>): number[] {
  return PAIR_RECORD.map((f) => fields[f.name]);
}

/** Σ b² of one block in float64, two lanes by element parity, only where keep(i). */
function sumSqExact(b: Float32Array, from: number, len: number, keep: (i: number) => boolean): number {
  const s = [0, 0];
  for (let i = 0; i < len; i++) if (keep(i)) s[i & 1]! += b[from + i]! * b[from + i]!;
  return s[0]! + s[1]!;
}

/**
 * Sum term(i) over the block the fast path's way: float32 lane (i & 3) over each group of 64 (term rounded to
 * float32, each add rounded), lanes 0, 2 into float64 lane 0 and 1, 3 into lane 1 per group; elements past the last
 * whole group in float64 lane (i & 1) with term64(i); lane 0 + lane 1.
 */
function fastSum(len: number, term: (i: number) => number, term64: (i: number) => number): number {
  const len64 = len & ~(STATS_GROUP - 1);
  let a0 = 0,
    a1 = 0;
  for (let g = 0; g < len64; g += STATS_GROUP) {
    const s = [0, 0, 0, 0];
    for (let i = g; i < g + STATS_GROUP; i++) s[i & 3] = fr(s[i & 3]! + fr(term(i)));
    a0 += s[0]!;
    a1 += s[1]!;
    a0 += s[2]!;
    a1 += s[3]!;
  }
  for (let i = len64; i < len; i++)
    if ((i & 1) === 0) a0 += term64(i);
    else a1 += term64(i);
  return a0 + a1;
}

/** A histogram being filled: counts and energies (Σ w·⌊m²/2²⁴⌋, exact integers in float64) per bin. */
export interface RefHistogram {
  counts: Uint32Array;
  energy: Float64Array;
}

function histAdd(h: RefHistogram, d: number, w: number): void {
  const bits = bitsOf(d) & 0x7fffffff;
  const bin = bits >>> 18;
  const m = (bits & 0x7fffff) | 0x800000;
  h.counts[bin]! += w;
  h.energy[bin]! += w * Math.floor((m * m) / 16777216);
}

/** The exact path for one fine-tune's block (records like the kernel's deltaBlock); Δ (masked) into delta. */
function deltaExact(
  base: Float32Array,
  ft: Float32Array,
  delta: Float32Array,
  b0: number,
  len: number,
  baseSq: number,
  out: Float64Array,
  r: number,
  h: RefHistogram,
): void {
  const a1 = [0, 0],
    a2 = [0, 0],
    aa = [0, 0],
    a3 = [0, 0],
    a4 = [0, 0],
    af = [0, 0];
  const finite = new Uint8Array(len);
  let nNf = 0,
    nPos = 0,
    nNeg = 0,
    nT1 = 0,
    nT2 = 0,
    mx = 0;
  for (let i = 0; i < len; i++) {
    const bs = base[b0 + i]!,
      fs = ft[b0 + i]!;
    const raw = fr(fs - bs);
    if (!(Math.abs(raw) < Infinity)) {
      delta[b0 + i] = 0;
      nNf++;
      continue;
    }
    finite[i] = 1;
    delta[b0 + i] = raw;
    const ad = Math.abs(raw);
    if (raw > 0) nPos++;
    else if (raw < 0) nNeg++;
    if (ad <= T0002) nT1++;
    if (ad <= T0005) nT2++;
    mx = Math.max(mx, ad);
    const q = raw * raw,
      l = i & 1;
    a1[l]! += raw;
    a2[l]! += q;
    aa[l]! += ad;
    a3[l]! += q * raw;
    a4[l]! += q * q;
    af[l]! += fs * fs;
    histAdd(h, raw, 1);
  }
  const sqBase = nNf === 0 ? baseSq : sumSqExact(base, b0, len, (i) => finite[i] === 1);
  const rec = deltaRecord({
    nonFinite: nNf,
    sumDelta: a1[0]! + a1[1]!,
    sumSqDelta: a2[0]! + a2[1]!,
    sumAbsDelta: aa[0]! + aa[1]!,
    sumCubeDelta: a3[0]! + a3[1]!,
    sumQuadDelta: a4[0]! + a4[1]!,
    maxAbsDelta: mx,
    sumSqBase: sqBase,
    sumSqFt: af[0]! + af[1]!,
    positive: nPos,
    negative: nNeg,
    zero: len - nNf - nPos - nNeg,
    le0002: nT1,
    le0005: nT2,
  });
  for (let k = 0; k < DELTA_FIELDS; k++) out[r + k] = rec[k]!;
}

/** The fast path for one fine-tune's block: the record, or null when the kernel takes the exact path instead. */
function deltaFast(base: Float32Array, ft: Float32Array, delta: Float32Array, b0: number, len: number, baseSq: number): number[] | null {
  let nPos = 0,
    nNeg = 0,
    nT1 = 0,
    nT2 = 0,
    mxBits = 0;
  for (let i = 0; i < len; i++) {
    const d = fr(ft[b0 + i]! - base[b0 + i]!);
    delta[b0 + i] = d;
    const bits = bitsOf(d) & 0x7fffffff;
    if (bits >= 0x7f800000) return null;
    mxBits = Math.max(mxBits, bits);
    const ad = Math.abs(d);
    if (d > 0) nPos++;
    else if (d < 0) nNeg++;
    if (ad <= T0002) nT1++;
    if (ad <= T0005) nT2++;
  }
  const d = (i: number): number => delta[b0 + i]!;
  const f = (i: number): number => ft[b0 + i]!;
  const s1 = fastSum(len, d, d);
  const s2 = fastSum(
    len,
    (i) => d(i) * d(i),
    (i) => d(i) * d(i),
  );
  const sa = fastSum(
    len,
    (i) => Math.abs(d(i)),
    (i) => Math.abs(d(i)),
  );
  const s3 = fastSum(
    len,
    (i) => fr(d(i) * d(i)) * d(i),
    (i) => d(i) * d(i) * d(i),
  );
  const s4 = fastSum(
    len,
    (i) => {
      const q = fr(d(i) * d(i));
      return q * q;
    },
    (i) => {
      const q = d(i) * d(i);
      return q * q;
    },
  );
  const sf = fastSum(
    len,
    (i) => f(i) * f(i),
    (i) => f(i) * f(i),
  );
  if (![s1, s2, sa, s3, s4, sf].every(Number.isFinite)) return null;
  if ((sa !== 0 && s4 < STATS_TINY) || sf < STATS_TINY) return null;
  return deltaRecord({
    nonFinite: 0,
    sumDelta: s1,
    sumSqDelta: s2,
    sumAbsDelta: sa,
    sumCubeDelta: s3,
    sumQuadDelta: s4,
    maxAbsDelta: fromBits(mxBits),
    sumSqBase: baseSq,
    sumSqFt: sf,
    positive: nPos,
    negative: nNeg,
    zero: len - nPos - nNeg,
    le0002: nT1,
    le0005: nT2,
  });
}

/** Pair record of two (masked) Δ blocks, every element in float64 lanes by parity (the exact path). */
function pairExact(da: Float32Array, db: Float32Array, b0: number, len: number): number[] {
  const dot = [0, 0],
    mn = [0, 0],
    mc = [0, 0];
  let nBoth = 0,
    nConf = 0;
  for (let i = 0; i < len; i++) {
    const a = da[b0 + i]!,
      b = db[b0 + i]!,
      l = i & 1;
    const isBoth = a !== 0 && b !== 0;
    const isConf = isBoth && (bitsOf(a) ^ bitsOf(b)) >>> 31 !== 0;
    if (isBoth) nBoth++;
    if (isConf) nConf++;
    const m = Math.min(Math.abs(a), Math.abs(b));
    dot[l]! += a * b;
    mn[l]! += m;
    mc[l]! += isConf ? m : 0;
  }
  return pairRecord({
    dot: dot[0]! + dot[1]!,
    bothNonzero: nBoth,
    conflicts: nConf,
    minBoth: mn[0]! + mn[1]!,
    minConflict: mc[0]! + mc[1]!,
  });
}

/** Pair record of a sampled fast block: the dot over every element (fast sum), counts and mins from the sample. */
function pairSampled(da: Float32Array, db: Float32Array, b0: number, len: number, offs: number[]): number[] {
  const a = (i: number): number => da[b0 + i]!,
    b = (i: number): number => db[b0 + i]!;
  const dot = fastSum(
    len,
    (i) => a(i) * b(i),
    (i) => a(i) * b(i),
  );
  const len64 = len & ~(STATS_GROUP - 1);
  let nBoth = 0,
    nConf = 0;
  const sm = [0, 0],
    sc = [0, 0],
    tm = [0, 0],
    tc = [0, 0];
  const visit = (i: number, lane: number, m: number[], c: number[]): [number, number] => {
    const x = a(i),
      y = b(i);
    const isBoth = x !== 0 && y !== 0;
    const isConf = isBoth && (bitsOf(x) ^ bitsOf(y)) >>> 31 !== 0;
    const mn = Math.min(Math.abs(x), Math.abs(y));
    m[lane]! += isBoth ? mn : 0;
    c[lane]! += isConf ? mn : 0;
    return [isBoth ? 1 : 0, isConf ? 1 : 0];
  };
  for (let g = 0; g < len64; g += STATS_GROUP) {
    // lanes j = 0..3 of the sampled run fold as lanes 0, 1 (j = 0, 1) then 0, 1 again (j = 2, 3)
    const s = offs[g / STATS_GROUP]!;
    for (let j = 0; j < 4; j++) {
      const [bo, co] = visit(g + s + j, j & 1, sm, sc);
      nBoth += bo;
      nConf += co;
    }
  }
  nBoth *= SAMPLE_WEIGHT;
  nConf *= SAMPLE_WEIGHT;
  for (let i = len64; i < len; i++) {
    const [bo, co] = visit(i, i & 1, tm, tc);
    nBoth += bo;
    nConf += co;
  }
  return pairRecord({
    dot,
    bothNonzero: nBoth,
    conflicts: nConf,
    minBoth: SAMPLE_WEIGHT * (sm[0]! + sm[1]!) + (tm[0]! + tm[1]!),
    minConflict: SAMPLE_WEIGHT * (sc[0]! + sc[1]!) + (tc[0]! + tc[1]!),
  });
}

/** The sampled run's offset (0, 4, …, 60) in group g of a tensor: 4·(fmix32(fmix32(g ^ key) ^ key) mod 16). */
export function sampleOffset(key: number, g: number): number {
  return (fmix32((fmix32((g ^ key) >>> 0) ^ key) >>> 0) & 15) << 2;
}

/** What stats_chunk returns: block records per fine-tune and per pair, and dense histograms per fine-tune. */
export interface StatsChunkRef {
  delta: Float64Array;
  pair: Float64Array;
  hists: RefHistogram[];
}

/**
 * Reference of stats_chunk over decoded models (base first) of n elements: key, group0 and sampled as the kernel
 * takes them. Records laid out as the kernel writes them; histograms dense.
 */
export function statsChunkRef(models: Float32Array[], n: number, key: number, group0: number, sampled: boolean): StatsChunkRef {
  const k = models.length - 1;
  const base = models[0]!;
  const blocks = Math.ceil(n / STATS_BLOCK);
  const P = (k * (k - 1)) / 2;
  const delta = new Float64Array(k * blocks * DELTA_FIELDS);
  const pair = new Float64Array(P * blocks * PAIR_FIELDS);
  const hists = Array.from({ length: k }, () => ({ counts: new Uint32Array(HIST_BINS), energy: new Float64Array(HIST_BINS) }));
  const deltas = Array.from({ length: k }, () => new Float32Array(n));
  for (let b = 0; b < blocks; b++) {
    const b0 = b * STATS_BLOCK;
    const len = Math.min(STATS_BLOCK, n - b0);
    const baseSqFast = fastSum(
      len,
      (i) => base[b0 + i]! * base[b0 + i]!,
      (i) => base[b0 + i]! * base[b0 + i]!,
    );
    let recs: (number[] | null)[] = [];
    let fast = Number.isFinite(baseSqFast) && baseSqFast >= STATS_TINY;
    for (let i = 0; i < k && fast; i++) {
      const r = deltaFast(base, models[i + 1]!, deltas[i]!, b0, len, baseSqFast);
      recs.push(r);
      fast = r !== null;
    }
    const pairRec = (p: number, rec: number[]): void => {
      pair.set(rec, (p * blocks + b) * PAIR_FIELDS);
    };
    if (fast) {
      recs.forEach((r, i) => delta.set(r!, (i * blocks + b) * DELTA_FIELDS));
      const sample = sampled && len >= STATS_GROUP;
      const len64 = len & ~(STATS_GROUP - 1);
      const offs = sample
        ? Array.from({ length: len64 / STATS_GROUP }, (_, g) => sampleOffset(key, (group0 + b0 / STATS_GROUP + g) >>> 0))
        : [];
      for (let i = 0; i < k; i++) {
        const d = deltas[i]!;
        if (!sample) {
          for (let j = 0; j < len; j++) histAdd(hists[i]!, d[b0 + j]!, 1);
          continue;
        }
        for (let g = 0; g < len64; g += STATS_GROUP)
          for (let j = 0; j < 4; j++) histAdd(hists[i]!, d[b0 + g + offs[g / STATS_GROUP]! + j]!, SAMPLE_WEIGHT);
        for (let j = len64; j < len; j++) histAdd(hists[i]!, d[b0 + j]!, 1);
      }
      let p = 0;
      for (let a = 0; a < k; a++)
        for (let c = a + 1; c < k; c++, p++)
          pairRec(p, sample ? pairSampled(deltas[a]!, deltas[c]!, b0, len, offs) : pairExact(deltas[a]!, deltas[c]!, b0, len));
    } else {
      recs = [];
      const baseSq = sumSqExact(base, b0, len, () => true);
      for (let i = 0; i < k; i++)
        deltaExact(base, models[i + 1]!, deltas[i]!, b0, len, baseSq, delta, (i * blocks + b) * DELTA_FIELDS, hists[i]!);
      let p = 0;
      for (let a = 0; a < k; a++) for (let c = a + 1; c < k; c++, p++) pairRec(p, pairExact(deltas[a]!, deltas[c]!, b0, len));
    }
  }
  return { delta, pair, hists };
}
