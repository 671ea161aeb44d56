import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EDGE_F32_BITS, firstDiff, runBoth } from './harness.js';

const SRC = 4096;
const DST = 65536;

function u16s(): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 0, maxLength: 300 });
}
function f32bits(): fc.Arbitrary<number[]> {
  return fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(...EDGE_F32_BITS)), { minLength: 0, maxLength: 300 });
}

function checkDecode(op: 'decode_bf16' | 'decode_f16', vals: number[]): void {
  const r = runBoth(
    (u8) => new Uint16Array(u8.buffer, SRC, vals.length).set(vals),
    (k) => k[op](SRC, DST, vals.length),
  );
  expect(firstDiff(r.wasm, r.ref)).toBe(-1);
}
function checkEncode(op: 'encode_bf16' | 'encode_f16', bits: number[]): void {
  const r = runBoth(
    (u8) => new Uint32Array(u8.buffer, SRC, bits.length).set(bits),
    (k) => k[op](SRC, DST, bits.length),
  );
  expect(firstDiff(r.wasm, r.ref)).toBe(-1);
}

describe('wasm codecs equal the scalar io codecs bit for bit', () => {
  it('decode_bf16 on random halves of any length', () => {
    fc.assert(
      fc.property(u16s(), (v) => checkDecode('decode_bf16', v)),
      { seed: 11, numRuns: 200 },
    );
  });
  it('decode_f16 on random halves, and on all 65536 half bit patterns (subnormals, ±0, Inf, NaN payloads)', () => {
    fc.assert(
      fc.property(u16s(), (v) => checkDecode('decode_f16', v)),
      { seed: 12, numRuns: 200 },
    );
    for (let start = 0; start < 65536; start += 8192) {
      checkDecode(
        'decode_f16',
        Array.from({ length: 8192 }, (_, i) => start + i),
      );
    }
  });
  it('encode_bf16 (round to nearest even, NaN kept) on random and edge f32 bit patterns', () => {
    fc.assert(
      fc.property(f32bits(), (v) => checkEncode('encode_bf16', v)),
      { seed: 13, numRuns: 300 },
    );
    checkEncode('encode_bf16', EDGE_F32_BITS);
  });
  it('encode_f16 (round to nearest even, overflow to Inf, subnormal rounding) on random and edge f32 bit patterns', () => {
    fc.assert(
      fc.property(f32bits(), (v) => checkEncode('encode_f16', v)),
      { seed: 14, numRuns: 300 },
    );
    checkEncode('encode_f16', EDGE_F32_BITS);
    // every f32 in the half subnormal/normal boundary region, sampled densely
    const dense: number[] = [];
    for (let b = 0x33000000; b < 0x39000000; b += 0x1fff) dense.push(b, b | 0x80000000);
    for (let i = 0; i < dense.length; i += 8000) checkEncode('encode_f16', dense.slice(i, i + 8000));
  });
});
