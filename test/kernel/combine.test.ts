import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EDGE_F32_BITS, firstDiff, runBoth } from './harness.js';

const BASE = 4096;
const DELTAS = 16384;
const COEF = 8192;
const DIVW = 8448;
const OUT = 131072;

const bitsToF32 = (b: number): number => new Float32Array(new Uint32Array([b]).buffer)[0]!;
const finiteEdge = EDGE_F32_BITS.map(bitsToF32).filter((x) => Number.isFinite(x) && Math.abs(x) < 1e30);
const elem = fc.oneof(
  fc.float({ noNaN: true, min: -1e6, max: 1e6 }),
  fc.constantFrom(...finiteEdge, 0, -0, 1e-40, -1e-40),
  fc.integer({ min: -3, max: 3 }),
);

interface Case {
  k: number;
  n: number;
  deltas: number[][];
  base: number[];
  coef: number[];
  divw: number[];
  normalize: number;
  lambda: number;
  hasBase: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({ k: fc.integer({ min: 1, max: 6 }), n: fc.integer({ min: 0, max: 67 }) }).chain(({ k, n }) =>
  fc.record({
    k: fc.constant(k),
    n: fc.constant(n),
    deltas: fc.array(fc.array(elem, { minLength: n, maxLength: n }), { minLength: k, maxLength: k }),
    base: fc.array(elem, { minLength: n, maxLength: n }),
    coef: fc.array(fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constantFrom(0, 1, 0.5, 1 / 0.3)), {
      minLength: k,
      maxLength: k,
    }),
    divw: fc.array(fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constantFrom(0, 1, 0.6)), { minLength: k, maxLength: k }),
    normalize: fc.integer({ min: 0, max: 1 }),
    lambda: fc.oneof(fc.constant(1), fc.double({ min: -2, max: 2, noNaN: true })),
    hasBase: fc.integer({ min: 0, max: 1 }),
  }),
);

function layout(u8: Uint8Array, c: Case, stride: number): void {
  new Float32Array(u8.buffer, BASE, c.n).set(c.base);
  c.deltas.forEach((d, m) => new Float32Array(u8.buffer, DELTAS + m * stride, c.n).set(d));
  new Float64Array(u8.buffer, COEF, c.k).set(c.coef);
  new Float64Array(u8.buffer, DIVW, c.k).set(c.divw);
}

describe('combine kernels equal the scalar reference bit for bit', () => {
  for (const op of ['weighted_sum_f32', 'ties_sum_f32'] as const) {
    it(`${op} on random models, weights, λ, normalize and lengths not divisible by 4`, () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const stride = 4 * 80;
          const r = runBoth(
            (u8) => layout(u8, c, stride),
            (k) => k[op](BASE, c.hasBase, DELTAS, stride, c.k, c.n, COEF, DIVW, c.normalize, c.lambda, OUT),
          );
          expect(firstDiff(r.wasm, r.ref)).toBe(-1);
        }),
        { seed: op === 'ties_sum_f32' ? 41 : 42, numRuns: 300 },
      );
    });
  }

  it('delta_f32 equals the scalar reference, including NaN, ±0 and subnormals', () => {
    const v = fc.array(fc.oneof(fc.float(), fc.constantFrom(...EDGE_F32_BITS.map(bitsToF32))), { minLength: 0, maxLength: 100 });
    fc.assert(
      fc.property(v, v, (a, b) => {
        const n = Math.min(a.length, b.length);
        const r = runBoth(
          (u8) => {
            new Float32Array(u8.buffer, BASE, n).set(a.slice(0, n));
            new Float32Array(u8.buffer, DELTAS, n).set(b.slice(0, n));
          },
          (k) => k.delta_f32(BASE, DELTAS, OUT, n),
        );
        expect(firstDiff(r.wasm, r.ref)).toBe(-1);
      }),
      { seed: 43, numRuns: 200 },
    );
  });

  it('ties_sum_f32 follows the TIES rule on a hand-checked example: 0 sum elects +, zero entries never agree, 0 where nothing agrees', () => {
    // element 0: deltas +1, −1 (w 1, 1) → sum 0 → + elected → only +1 agrees → mixed 1/1
    // element 1: deltas 0, 0 → nothing agrees → 0
    // element 2: deltas −2, +1 → sum −1 → − → −2/1
    const c: Case = {
      k: 2,
      n: 3,
      deltas: [
        [1, 0, -2],
        [-1, 0, 1],
      ],
      base: [10, 10, 10],
      coef: [1, 1],
      divw: [1, 1],
      normalize: 1,
      lambda: 1,
      hasBase: 1,
    };
    const r = runBoth(
      (u8) => layout(u8, c, 64),
      (k) => k.ties_sum_f32(BASE, 1, DELTAS, 64, 2, 3, COEF, DIVW, 1, 1, OUT),
    );
    expect([...new Float32Array(r.wasm.buffer, OUT, 3)]).toEqual([11, 10, 8]);
  });
});
