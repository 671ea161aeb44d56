import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EDGE_F32_BITS, firstDiff, runBoth } from './harness.js';

const P = 4096;
const H = 65536;

// Values with many exact ties (small integers) and edge bit patterns, so tie handling is exercised.
const values = fc.array(
  fc.oneof(
    fc.integer({ min: -4, max: 4 }).map((x) => Math.fround(x)),
    fc.constantFrom(...EDGE_F32_BITS).map((b) => new Float32Array(new Uint32Array([b]).buffer)[0]!),
    fc.float(),
  ),
  { maxLength: 200 },
);
const absBits = fc.oneof(
  fc.constantFrom(0, 0x3f800000, 0x40000000, 0x40400000, 0x40800000, 0x7f800000, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);

function put(u8: Uint8Array, v: number[]): void {
  new Float32Array(u8.buffer, P, v.length).set(v);
}

describe('magnitude-trim and radix-select kernels equal their scalar references', () => {
  it('trim_window_f32 for random cuts and tie quotas, including keep-all and drop-none sentinels', () => {
    fc.assert(
      fc.property(values, absBits, fc.integer({ min: 0, max: 300 }), absBits, fc.integer({ min: 0, max: 300 }), (v, kb, kt, db, dt) => {
        const r = runBoth(
          (u8) => put(u8, v),
          (k) => k.trim_window_f32(P, v.length, kb, kt, db, dt),
        );
        expect(firstDiff(r.wasm, r.ref)).toBe(-1);
      }),
      { seed: 31, numRuns: 400 },
    );
  });

  it('hist_abs_hi16_f32 and hist_abs_lo16_f32 count the same buckets', () => {
    fc.assert(
      fc.property(values, (v) => {
        const r1 = runBoth(
          (u8) => {
            put(u8, v);
            new Uint32Array(u8.buffer, H, 32768).fill(3);
          },
          (k) => k.hist_abs_hi16_f32(P, v.length, H),
        );
        expect(firstDiff(r1.wasm, r1.ref)).toBe(-1);
        const hi = v.length > 0 ? (new Uint32Array(new Float32Array([v[0]!]).buffer)[0]! & 0x7fffffff) >>> 16 : 0x3f80;
        const r2 = runBoth(
          (u8) => {
            put(u8, v);
            new Uint32Array(u8.buffer, H, 65536).fill(0);
          },
          (k) => k.hist_abs_lo16_f32(P, v.length, hi, H),
        );
        expect(firstDiff(r2.wasm, r2.ref)).toBe(-1);
      }),
      { seed: 32, numRuns: 200 },
    );
  });

  it('count_abs_eq_f32 and count_nonfinite_f32 return the same counts', () => {
    fc.assert(
      fc.property(values, absBits, (v, bits) => {
        const b = v.length > 0 && bits % 2 === 0 ? new Uint32Array(new Float32Array([v[v.length - 1]!]).buffer)[0]! & 0x7fffffff : bits;
        const r = runBoth(
          (u8) => put(u8, v),
          (k) => k.count_abs_eq_f32(P, v.length, b),
        );
        expect(r.wasmRet).toBe(r.refRet);
        const r2 = runBoth(
          (u8) => put(u8, v),
          (k) => k.count_nonfinite_f32(P, v.length),
        );
        expect(r2.wasmRet).toBe(r2.refRet);
        expect(r2.refRet).toBe(v.filter((x) => !Number.isFinite(x)).length);
      }),
      { seed: 33, numRuns: 300 },
    );
  });
});
