// fused_merge16 computes the combine in float32 with an error bound and recomputes in float64 every lane whose
// output bits the bound cannot vouch for. Its output must equal, bit for bit, the scalar reference of the stages it
// fuses (decode, delta, DARE mask, the float64 combine, encode), on inputs built to defeat the bound: results on and
// next to output rounding midpoints, exact and near cancellations in the sign election, zeros, subnormals, huge and
// tiny magnitudes, NaN/Inf, 1–8 models, normalize on/off, with and without a base, BF16 and F16 on both sides.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/kernel/float-bits.js';
import type { MergeKernelExports } from '../../src/kernel/exports.js';
import { referenceKernel } from '../../src/kernel/reference/index.js';
import { maskHash } from '../../src/kernel/reference/mask.js';
import { instantiateKernel } from '../../src/kernel/wasm.js';

const MEM = 1 << 20;
const wasm = instantiateKernel<MergeKernelExports>();
wasm.ensure(MEM);
const refMemory = new WebAssembly.Memory({ initial: MEM / 65536, maximum: MEM / 65536, shared: true });
const ref = referenceKernel(refMemory);

// layout (bytes): the table with its scratch, f64 coefficients, raw 16-bit inputs, then the reference's f32 areas
const TABLE = 1024;
const COEF = 16384;
const DIVW = 16640;
const RAW = 32768;
const MAX_N = 700;
const RAW_STRIDE = 2 * 1024;
const F32 = 262144;
const F32_STRIDE = 4 * 1024;
const OUT = 786432;
const OUT_F32 = 524288;
const BIT_IN = 1 << 30;
const BIT_OUT = 1 << 29;

interface Case {
  k: number;
  n: number;
  off: number;
  start: number;
  hasBase: boolean;
  elect: boolean;
  normalize: boolean;
  outF16: boolean;
  f16: boolean[]; // per input, base first when hasBase
  raw: number[][]; // 16-bit bits per input
  coef: number[];
  divw: number[];
  lambda: number;
  mode: number[];
  key: number[];
  thr: number[];
}

const bits16 = (x: number, f16: boolean): number => (f16 ? f32ToF16Bits(x) : f32ToBf16Bits(x));
const value16 = (h: number, f16: boolean): number => (f16 ? f16BitsToF32(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0]!);

/** A base value: ordinary magnitudes mostly, and zeros, subnormals, huge values, NaN/Inf now and then. */
const baseValue = fc.oneof(
  { weight: 12, arbitrary: fc.double({ min: -0.2, max: 0.2, noNaN: true }) },
  { weight: 3, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0, 1, -1, 0.5, 2 ** -14, 6e-5, 65504, 1e-40, -1e-39, 3e38, -3.3e38) },
  { weight: 1, arbitrary: fc.double({ min: -1e-30, max: 1e-30, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: -1e30, max: 1e30, noNaN: true }) },
);

/** A fine-tune's offset from the base in units of the base's 16-bit ulp (small integers: exact ties and cancellations). */
const ulps = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -4, max: 4 }) },
  { weight: 2, arbitrary: fc.integer({ min: -300, max: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, -1, 2 ** 20, -(2 ** 20)) },
);

/** Coefficients: the DARE ones (weight / density), halves that land results on midpoints, random, 0, out of range. */
const coefArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(1 / 3 / 0.3, 0.5, 1, 0.25, 2, 1 / 3, 1 / 0.3, 0.5 * (1 + 2 ** -20), 0.5 * (1 - 2 ** -22), 2 ** -15),
  },
  { weight: 3, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1e-6, 1e6) },
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    k: fc.integer({ min: 1, max: 8 }),
    n: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 70 }) }, { weight: 1, arbitrary: fc.integer({ min: 250, max: 600 }) }),
    off: fc.integer({ min: 0, max: 40 }),
    hasBase: fc.boolean(),
    anyF16: fc.integer({ min: 0, max: 3 }),
  })
  .chain(({ k, n, off, hasBase, anyF16 }) => {
    const inputs = k + (hasBase ? 1 : 0);
    return fc.record({
      k: fc.constant(k),
      n: fc.constant(n),
      off: fc.constant(off),
      start: fc.oneof(fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: 0xffffff00, max: 0xffffffff })),
      hasBase: fc.constant(hasBase),
      elect: fc.boolean(),
      normalize: fc.boolean(),
      outF16: fc.boolean().map((b) => b && anyF16 > 0),
      f16: fc.array(
        fc.boolean().map((b) => b && anyF16 > 1),
        { minLength: inputs, maxLength: inputs },
      ),
      base: fc.array(baseValue, { minLength: n + off, maxLength: n + off }),
      offsets: fc.array(fc.array(ulps, { minLength: n + off, maxLength: n + off }), { minLength: k, maxLength: k }),
      opposite: fc.double({ min: 0, max: 1, noNaN: true }),
      nonfinite: fc.option(
        fc.record({ input: fc.integer({ min: 0, max: inputs - 1 }), at: fc.nat(), v: fc.constantFrom(NaN, Infinity, -Infinity) }),
        {
          freq: 8,
        },
      ),
      coef: fc.array(coefArb, { minLength: k, maxLength: k }),
      divw: fc.array(fc.oneof(fc.constantFrom(1 / 3, 0.5, 1, 0.6), fc.double({ min: -2, max: 2, noNaN: true })), {
        minLength: k,
        maxLength: k,
      }),
      lambda: fc.oneof(fc.constant(1), fc.constant(1), fc.constantFrom(0.5, -1, 2, 1e-6), fc.double({ min: -2, max: 2, noNaN: true })),
      mode: fc.array(fc.constantFrom(0, 1, 1, 1, 2), { minLength: k, maxLength: k }),
      key: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: k, maxLength: k }),
      thr: fc.array(fc.oneof(fc.constant(Math.round(0.7 * 2 ** 32)), fc.integer({ min: 1, max: 0xffffffff })), {
        minLength: k,
        maxLength: k,
      }),
    });
  })
  .map((c) => {
    const first = c.hasBase ? 1 : 0;
    const baseF16 = c.hasBase && c.f16[0]!;
    const raw: number[][] = [];
    const baseBits = c.base.map((x) => bits16(x, baseF16));
    if (c.hasBase) raw.push(baseBits);
    for (let m = 0; m < c.k; m++) {
      const f16 = c.f16[first + m]!;
      raw.push(
        baseBits.map((hb, e) => {
          // the fine-tune: the base moved by a few of its own ulps (as real fine-tunes are); model 1 mirrors model 0
          // at random positions, so the election sees exact cancellations
          const b = value16(hb, baseF16);
          const u = c.offsets[m]![e]!;
          const steps = m === 1 && (e * 2654435761) % 1000 < c.opposite * 1000 ? -c.offsets[0]![e]! : u;
          const ulp = Math.max(Math.abs(b) * 2 ** -8, 2 ** -133);
          return bits16(b + steps * ulp, f16);
        }),
      );
    }
    if (c.nonfinite) {
      const row = raw[c.nonfinite.input]!;
      if (row.length > 0) row[c.nonfinite.at % row.length] = bits16(c.nonfinite.v, c.f16[c.nonfinite.input]!);
    }
    return {
      k: c.k,
      n: c.n,
      off: c.off,
      start: c.start,
      hasBase: c.hasBase,
      elect: c.elect,
      normalize: c.normalize,
      outF16: c.outF16,
      f16: c.f16,
      raw,
      coef: c.coef,
      divw: c.divw,
      lambda: c.lambda,
      mode: c.mode,
      key: c.key,
      thr: c.thr,
    };
  });

/**
 * Results on the double-rounding boundary: every lane's r = b + c·δ lands within a few f32 half-ulps of a BF16
 * rounding midpoint of its own base's grid (δ = n ulps of b, c·n = q + ½ + j·2⁻¹⁷, c nudged), so a float32
 * computation that skipped the midpoint test would round some of them the other way.
 */
const midpointArb: fc.Arbitrary<Case> = fc
  .record({
    k: fc.integer({ min: 1, max: 4 }),
    n: fc.integer({ min: 8, max: 64 }),
    steps: fc.integer({ min: 1, max: 8 }),
    q: fc.integer({ min: 0, max: 3 }),
    j: fc.integer({ min: -6, max: 6 }),
    nudge: fc.double({ min: -1, max: 1, noNaN: true }),
    elect: fc.boolean(),
    start: fc.nat(),
    bases: fc.array(fc.double({ min: 0.01, max: 3, noNaN: true }), { minLength: 64, maxLength: 64 }),
    signs: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
  })
  .map((g) => {
    const c0 = ((g.q + 0.5 + g.j * 2 ** -17) / g.steps) * (1 + g.nudge * 2 ** -30);
    const baseBits = g.bases.slice(0, g.n).map((x, e) => f32ToBf16Bits(g.signs[e] ? -x : x));
    const raw = [baseBits];
    raw.push(
      baseBits.map((hb) => {
        const b = value16(hb, false);
        const ulp = 2 ** (Math.floor(Math.log2(Math.abs(b))) - 7);
        return f32ToBf16Bits(b + Math.sign(b) * g.steps * ulp);
      }),
    );
    for (let m = 1; m < g.k; m++) raw.push(baseBits.map((hb) => hb ^ 1));
    return {
      k: g.k,
      n: g.n,
      off: 0,
      start: g.start,
      hasBase: true,
      elect: g.elect,
      normalize: false,
      outF16: false,
      f16: raw.map(() => false),
      raw,
      coef: [c0, ...Array.from({ length: g.k - 1 }, () => 1)],
      divw: raw.slice(1).map(() => 1),
      lambda: 1,
      mode: [0, ...Array.from({ length: g.k - 1 }, () => 2)],
      key: raw.slice(1).map(() => 1),
      thr: raw.slice(1).map(() => 0),
    };
  });

/** Whether fused_merge16's f32 bounds apply (else it must return −1): its documented preconditions. */
function applies(c: Case): boolean {
  const inRange = (x: number): boolean => Math.abs(x) >= 2 ** -15 && Math.abs(x) <= 2 ** 15;
  if (!inRange(c.lambda)) return false;
  if (c.coef.some((x) => x !== 0 && !inRange(x))) return false;
  if (c.elect && c.normalize && c.divw.some((w) => !(w > 0 && inRange(w)))) return false;
  if (!c.elect && c.normalize && !inRange(c.divw.reduce((s, w) => s + w, 0))) return false;
  return true;
}

function writeInputs(u8: Uint8Array, c: Case): void {
  c.raw.forEach((row, m) => new Uint16Array(u8.buffer, RAW + m * RAW_STRIDE, row.length).set(row));
  new Float64Array(u8.buffer, COEF, c.k).set(c.coef);
  new Float64Array(u8.buffer, DIVW, c.k).set(c.divw);
}

/** fused_merge16 on the wasm kernel: its return value and the n encoded outputs. */
function runFused(c: Case): { ret: number; out: number[] } {
  const u8 = new Uint8Array(wasm.memory.buffer, 0, MEM);
  u8.fill(0xa5);
  writeInputs(u8, c);
  const first = c.hasBase ? 1 : 0;
  const t = new Uint32Array(wasm.memory.buffer, TABLE, 4 + 4 * c.k);
  t[0] = c.hasBase ? RAW : 0;
  t[1] = (c.hasBase ? 1 : 0) | (c.hasBase && c.f16[0] ? 2 : 0) | (c.elect ? 4 : 0) | (c.normalize ? 8 : 0) | (c.outF16 ? 16 : 0);
  for (let m = 0; m < c.k; m++)
    t.set([RAW + (first + m) * RAW_STRIDE, (c.f16[first + m] ? 1 : 0) | (c.mode[m]! << 1), c.key[m]! >>> 0, c.thr[m]! >>> 0], 4 + 4 * m);
  const ret = wasm.exports.fused_merge16(TABLE, c.k, c.off, c.n, c.start, COEF, DIVW, c.lambda, OUT);
  return { ret, out: [...new Uint16Array(wasm.memory.buffer, OUT, c.n)] };
}

/** The stages one by one on the scalar reference kernel: encoded outputs, and whether an input / output is NaN/Inf. */
function runStages(c: Case): { out: number[]; badIn: boolean; badOut: boolean } {
  const u8 = new Uint8Array(refMemory.buffer, 0, MEM);
  u8.fill(0xa5);
  writeInputs(u8, c);
  const first = c.hasBase ? 1 : 0;
  const f32At = (m: number): number => F32 + m * F32_STRIDE;
  let badIn = false;
  c.raw.forEach((_, m) => {
    const src = RAW + m * RAW_STRIDE + 2 * c.off;
    if (c.f16[m]) ref.decode_f16(src, f32At(m), c.n);
    else ref.decode_bf16(src, f32At(m), c.n);
    if (ref.count_nonfinite_f32(f32At(m), c.n) > 0) badIn = true;
  });
  for (let m = 0; m < c.k; m++) {
    const p = f32At(first + m);
    if (c.hasBase) ref.delta_f32(p, f32At(0), p, c.n);
    if (c.mode[m] === 1) ref.dare_mask_f32(p, c.n, c.key[m]! >>> 0, c.start, c.thr[m]!);
    if (c.mode[m] === 2) ref.dare_mask_f32(p, c.n, c.key[m]! >>> 0, c.start, 2 ** 32);
  }
  const combine = c.elect ? ref.ties_sum_f32 : ref.weighted_sum_f32;
  combine(f32At(0), c.hasBase ? 1 : 0, f32At(first), F32_STRIDE, c.k, c.n, COEF, DIVW, c.normalize ? 1 : 0, c.lambda, OUT_F32);
  if (c.outF16) ref.encode_f16(OUT_F32, OUT, c.n);
  else ref.encode_bf16(OUT_F32, OUT, c.n);
  const out = [...new Uint16Array(refMemory.buffer, OUT, c.n)];
  const badOut = out.some((h) => (h & 0x7fff) >= (c.outF16 ? 0x7c00 : 0x7f80));
  return { out, badIn, badOut };
}

describe('fused_merge16 equals the stages it fuses, bit for bit', () => {
  it('on adversarial inputs: midpoints, election ties, zeros, subnormals, huge values, NaN/Inf, k = 1..8, BF16/F16', () => {
    let fallbacks = 0;
    let lanes = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const fused = runFused(c);
        if (!applies(c)) {
          expect(fused.ret).toBe(-1);
          return;
        }
        expect(fused.ret).toBeGreaterThanOrEqual(0);
        const want = runStages(c);
        expect((fused.ret & BIT_IN) !== 0).toBe(want.badIn);
        if (want.badIn) return; // the engine redoes the sub-block stage by stage: its bytes are not used
        expect(fused.out).toEqual(want.out);
        expect((fused.ret & BIT_OUT) !== 0).toBe(want.badOut);
        fallbacks += fused.ret & (BIT_OUT - 1);
        lanes += c.n;
      }),
      { seed: 18, numRuns: 1500 },
    );
    // the inputs are built to sit on rounding midpoints and election ties: many lanes must have taken the exact path
    expect(fallbacks).toBeGreaterThan(100);
    expect(fallbacks).toBeLessThan(lanes);
  });

  it('on results within f32 half-ulps of BF16 rounding midpoints (the double-rounding boundary)', () => {
    let fallbacks = 0;
    fc.assert(
      fc.property(midpointArb, (c) => {
        const fused = runFused(c);
        expect(fused.ret).toBeGreaterThanOrEqual(0);
        expect(fused.out).toEqual(runStages(c).out);
        fallbacks += fused.ret & (BIT_OUT - 1);
      }),
      { seed: 19, numRuns: 1000 },
    );
    expect(fallbacks).toBeGreaterThan(1000);
  });

  it('on ordinary fine-tune data most lanes keep their f32 result, with the same bits', () => {
    // base ~ N-ish(0, 0.02) in BF16, fine-tunes within a few % of it; dare_ties at density 0.3
    const n = 1000; // ≤ the layout's 1024 elements per input
    let seed = 7;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const base = Array.from({ length: n }, () => (rnd() + rnd() + rnd() - 1.5) * 0.04);
    const raw = [base.map((x) => f32ToBf16Bits(x))];
    for (let m = 0; m < 3; m++) raw.push(base.map((x) => f32ToBf16Bits(x * (1 + (rnd() - 0.5) * 0.05) + (rnd() - 0.5) * 1e-3)));
    const c: Case = {
      k: 3,
      n,
      off: 0,
      start: 12345,
      hasBase: true,
      elect: true,
      normalize: false,
      outF16: false,
      f16: [false, false, false, false],
      raw,
      coef: [1 / 3 / 0.3, 1 / 3 / 0.3, 1 / 3 / 0.3],
      divw: [1 / 3, 1 / 3, 1 / 3],
      lambda: 1,
      mode: [1, 1, 1],
      key: [0x9e3779b9, 0x12345678, 0xdeadbeef],
      thr: [Math.round(0.7 * 2 ** 32), Math.round(0.7 * 2 ** 32), Math.round(0.7 * 2 ** 32)],
    };
    const fused = runFused(c);
    expect(fused.ret).toBeGreaterThanOrEqual(0);
    expect(fused.out).toEqual(runStages(c).out);
    expect(fused.ret).toBeLessThan(n / 50);
    // dare_ties proper (normalized, every model hashed: its own specialized loop), with strips whose element
    // indices share their high 16 bits (the hash's shortcut) and strips that cross a multiple of 65536 or 2^32
    for (const start of [12345, 65536 - 300, 3 * 65536 - 8, 0xffffffff - 500]) {
      const d = { ...c, start, normalize: true };
      const f = runFused(d);
      expect(f.ret).toBeGreaterThanOrEqual(0);
      expect(f.out).toEqual(runStages(d).out);
    }
    // thresholds built from element hashes (at, around, and sharing their high 16 bits), where the kernel's folded
    // last hash step decides on the low half; random thresholds almost never land there
    for (let j = 0; j < 40; j++) {
      const e = (j * 97) % n;
      const thr = c.key.map((key, m) => {
        const h = maskHash(key >>> 0, (12345 + e) >>> 0);
        const t = [h, h + 1, h - 1, ((h & 0xffff0000) | ((j * 7919) & 0xffff)) >>> 0][(j + m) % 4]!;
        return Math.min(Math.max(t, 1), 0xffffffff);
      });
      const d = { ...c, normalize: j % 2 === 0, thr };
      const f = runFused(d);
      expect(f.ret).toBeGreaterThanOrEqual(0);
      expect(f.out).toEqual(runStages(d).out);
    }
  });
});
