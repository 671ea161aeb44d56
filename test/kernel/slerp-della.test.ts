import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskHash } from '../../src/kernel/reference/mask.js';
import { EDGE_F32_BITS, firstDiff, runBoth } from './harness.js';

const A = 4096;
const B = 65536;
const ACC = 512;
const SCRATCH = 131072;

function fill(u8: Uint8Array, at: number, n: number, seed: number, edges: boolean): void {
  const f = new Float32Array(u8.buffer, at, n);
  const u = new Uint32Array(u8.buffer, at, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (edges && s % 11 === 0) u[i] = EDGE_F32_BITS[s % EDGE_F32_BITS.length]!;
    else f[i] = ((s / 4294967296) * 2 - 1) * (s % 5 === 0 ? 1e-3 : 1);
    if (s % 13 === 0) f[i] = f[(i * 7) % (i + 1)]!; // repeated magnitudes: rank ties
  }
}

describe('slerp_dots_f32 and axpy_f32', () => {
  it('equal the scalar reference bit for bit (odd starts, odd lengths, running sums carried in)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer(),
        fc.double({ min: -3, max: 3, noNaN: true }),
        (n, start, seed, coef) => {
          const r = runBoth(
            (u8) => {
              fill(u8, A, n, seed, false);
              fill(u8, B, n, seed + 1, false);
              new Float64Array(u8.buffer, ACC, 6).set([1, 2, 3, 4, 5, 6]);
            },
            (k) => {
              k.slerp_dots_f32(A, B, n, start, ACC);
              k.axpy_f32(A, B, coef, B + 8192, n);
            },
          );
          expect(firstDiff(r.wasm, r.ref)).toBe(-1);
        },
      ),
      { seed: 9, numRuns: 200 },
    );
  });

  it('the sums do not depend on how the elements are split into chunks', () => {
    const n = 1001;
    const sums = (cuts: number[]): number[] => {
      const r = runBoth(
        (u8) => {
          fill(u8, A, n, 3, false);
          fill(u8, B, n, 4, false);
          new Float64Array(u8.buffer, ACC, 6).fill(0);
        },
        (k) => {
          let s = 0;
          for (const c of [...cuts, n]) {
            k.slerp_dots_f32(A + 4 * s, B + 4 * s, c - s, s, ACC);
            s = c;
          }
        },
      );
      return [...new Float64Array(r.wasm.buffer, ACC, 6)];
    };
    const whole = sums([]);
    expect(sums([1, 2, 500, 999])).toEqual(whole);
    expect(sums([333, 334, 777])).toEqual(whole);
  });
});

describe('della_mask_f32', () => {
  it('equals the plain sort-based reference bit for bit (ties, NaN, ±0, subnormals, one-element rows)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.double({ min: 0, max: 0.049, noNaN: true }),
        fc.boolean(),
        fc.integer(),
        (cols, rows, key, start, density, epsilon, inverse, seed) => {
          const n = cols * rows;
          const r = runBoth(
            (u8) => fill(u8, A, n, seed, true),
            (k) => k.della_mask_f32(A, n, cols, key, start, density, epsilon, inverse ? 1 : 0, SCRATCH),
          );
          expect(firstDiff(r.wasm.subarray(0, SCRATCH), r.ref.subarray(0, SCRATCH))).toBe(-1);
        },
      ),
      { seed: 17, numRuns: 300 },
    );
  });

  it('keep probability rises with the magnitude rank: (d − ε) for the smallest, (d + ε) for the largest', () => {
    const cols = 64;
    const rows = 400;
    const n = cols * rows;
    const r = runBoth(
      (u8) => {
        const f = new Float32Array(u8.buffer, A, n);
        for (let i = 0; i < n; i++) f[i] = (((i * 37) % cols) + 1) * (i % 2 ? -1 : 1); // each row: a permutation of magnitudes 1..64
      },
      (k) => k.della_mask_f32(A, n, cols, 1234, 0, 0.5, 0.3, 0, SCRATCH),
    );
    const out = new Float32Array(r.wasm.buffer, A, n);
    const keptByMagnitude = new Array<number>(cols + 1).fill(0);
    for (let i = 0; i < n; i++) if (out[i] !== 0) keptByMagnitude[Math.abs(out[i]!)]!++;
    const low = keptByMagnitude.slice(1, 9).reduce((a, b) => a + b, 0) / (8 * rows);
    const high = keptByMagnitude.slice(57, 65).reduce((a, b) => a + b, 0) / (8 * rows);
    // expected ≈ 0.2 + 0.6·(3.5/63) ≈ 0.23 and ≈ 0.77; 4σ with 3,200 draws each is ≈ 0.03
    expect(Math.abs(low - (0.2 + 0.6 * (3.5 / 63)))).toBeLessThan(0.035);
    expect(Math.abs(high - (0.2 + 0.6 * (59.5 / 63)))).toBeLessThan(0.035);
    // and the mask is the documented hash: an element is kept exactly when its hash clears its rank's threshold
    const rank = (m: number): number => m - 1;
    for (let i = 0; i < cols; i++) {
      const m = ((i * 37) % cols) + 1;
      const p = 0.5 - 0.3 + (rank(m) / (cols - 1)) * 0.6;
      expect(out[i] !== 0).toBe(maskHash(1234, i) >= Math.floor((1 - p) * 4294967296 + 0.5));
    }
  });
});
