import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstDiff, runBoth } from './harness.js';

const D = 4096,
  STRIDE = 16384,
  BASE = 200000,
  MASK = 220000,
  W = 240000,
  OUT = 260000;

function fill(u8: Uint8Array, k: number, n: number, seed: number): void {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  for (let m = 0; m < k; m++) {
    const f = new Float32Array(u8.buffer, D + m * STRIDE, n);
    for (let i = 0; i < n; i++) {
      const r = next();
      f[i] = r % 5 === 0 ? 0 : r % 7 === 0 ? -f[Math.max(0, i - 1)]! : ((r / 4294967296) * 2 - 1) * 0.01;
    }
  }
  const b = new Float32Array(u8.buffer, BASE, n);
  const mk = new Float32Array(u8.buffer, MASK, n);
  for (let i = 0; i < n; i++) {
    b[i] = (next() / 4294967296) * 2 - 1;
    mk[i] = next() % 3 === 0 ? 0 : 1;
  }
  const w = new Float64Array(u8.buffer, W, k);
  for (let m = 0; m < k; m++) w[m] = m === 1 && seed % 4 === 0 ? 1e-9 : next() / 4294967296; // a weight under the 1e-6 floor
}

describe('ram_counts_f32, ram_sum_f32', () => {
  it('equal the scalar reference bit for bit (eps from 0 to above most deltas, counts carried in)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer(),
        fc.double({ min: 0, max: 0.012, noNaN: true }),
        (k, n, seed, eps) => {
          const r = runBoth(
            (u8) => {
              fill(u8, k, n, seed);
              new Float64Array(u8.buffer, W + 64, 2 * k).fill(3);
            },
            (kk) => {
              kk.ram_counts_f32(D, STRIDE, k, n, eps, W + 64);
              kk.ram_sum_f32(BASE, D, STRIDE, k, n, eps, W, OUT);
            },
          );
          expect(firstDiff(r.wasm, r.ref)).toBe(-1);
        },
      ),
      { seed: 22, numRuns: 200 },
    );
  });
});

describe('sce_var_f32, mask_zero_f32, sce_sum_f32', () => {
  it('equal the scalar reference bit for bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1000 }), fc.integer(), (k, n, seed) => {
        const r = runBoth(
          (u8) => fill(u8, k, n, seed),
          (kk) => {
            kk.sce_var_f32(D, STRIDE, k, n, OUT);
            kk.mask_zero_f32(MASK, D, n);
            kk.sce_sum_f32(BASE, D, STRIDE, k, n, W, OUT + 8192);
          },
        );
        expect(firstDiff(r.wasm, r.ref)).toBe(-1);
      }),
      { seed: 21, numRuns: 200 },
    );
  });
});

describe('fusion_importance_f32, fusion_mask_f32', () => {
  it('equal the scalar reference bit for bit (rows of 1 to 40 columns, per-row KL given by the host)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer(),
        fc.double({ min: 0, max: 1e-3, noNaN: true }),
        (cols, rows, seed, thr) => {
          const n = cols * rows;
          const r = runBoth(
            (u8) => {
              fill(u8, 2, n, seed);
              new Float64Array(u8.buffer, W, rows).forEach((_, i, a) => {
                a[i] = (i * 0.37 + (seed % 11)) * 1e-3;
              });
            },
            (kk) => {
              kk.fusion_importance_f32(D, D + STRIDE, n, cols, W, OUT);
              kk.fusion_mask_f32(BASE, OUT, thr, n);
            },
          );
          expect(firstDiff(r.wasm, r.ref)).toBe(-1);
        },
      ),
      { seed: 23, numRuns: 200 },
    );
  });
});

describe('row_dots_f32', () => {
  it('equals the scalar reference bit for bit (rows of 1 to 40 columns)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 30 }), fc.integer(), (cols, rows, seed) => {
        const n = cols * rows;
        const r = runBoth(
          (u8) => fill(u8, 2, n, seed),
          (kk) => kk.row_dots_f32(D, D + STRIDE, n, cols, OUT),
        );
        expect(firstDiff(r.wasm, r.ref)).toBe(-1);
      }),
      { seed: 25, numRuns: 200 },
    );
  });
});
