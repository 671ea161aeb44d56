import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstDiff, runBoth } from './harness.js';

const A = 4096,
  B = 65536,
  OUT = 131072;

function fill(u8: Uint8Array, at: number, n: number, seed: number, near: Float32Array | undefined): void {
  const f = new Float32Array(u8.buffer, at, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = (s / 4294967296) * 2 - 1;
    // the second tensor: often within t of the first (w = 1), sometimes equal (|d| under the 1e-6 floor), sometimes far
    f[i] = near ? near[i]! + (s % 7 === 0 ? 0 : s % 3 === 0 ? u * 1e-7 : u * (s % 2 === 0 ? 1e-3 : 1)) : u;
  }
}

describe('nearswap_f32', () => {
  it('equals the scalar reference bit for bit (odd lengths, t from 0 to beyond every |d|, negative t)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer(), fc.double({ min: -0.01, max: 2, noNaN: true }), (n, seed, t) => {
        const r = runBoth(
          (u8) => {
            fill(u8, A, n, seed, undefined);
            fill(u8, B, n, seed + 1, new Float32Array(u8.buffer, A, n));
          },
          (k) => k.nearswap_f32(A, B, t, OUT, n),
        );
        expect(firstDiff(r.wasm, r.ref)).toBe(-1);
      }),
      { seed: 15, numRuns: 300 },
    );
  });
  it('t = 0 keeps the base, and a t beyond every |x − base| gives x', () => {
    const n = 257;
    const r0 = runBoth(
      (u8) => {
        fill(u8, A, n, 1, undefined);
        fill(u8, B, n, 2, undefined);
      },
      (k) => k.nearswap_f32(A, B, 0, OUT, n),
    );
    expect(Array.from(new Float32Array(r0.wasm.buffer, OUT, n))).toEqual(Array.from(new Float32Array(r0.wasm.buffer, A, n)));
    const r1 = runBoth(
      (u8) => {
        fill(u8, A, n, 1, undefined);
        fill(u8, B, n, 2, undefined);
      },
      (k) => k.nearswap_f32(A, B, 10, OUT, n),
    );
    expect(Array.from(new Float32Array(r1.wasm.buffer, OUT, n))).toEqual(Array.from(new Float32Array(r1.wasm.buffer, B, n)));
  });
});
