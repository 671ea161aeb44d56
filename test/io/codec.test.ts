import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeToF32, encodeFromF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/io/codec.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The float32 value of a bit pattern. */
function bitsToF32(b: number): number {
  u32[0] = b >>> 0;
  return f32[0]!;
}
const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(4, '0');

describe('float32 → bfloat16 (round to nearest even), against hand-computed bit patterns', () => {
  const cases: [string, number, number][] = [
    ['1.0', 0x3f800000, 0x3f80],
    ['tie 1+2^-8 rounds down to even', 0x3f808000, 0x3f80],
    ['tie 1+3·2^-8 rounds up to even', 0x3f818000, 0x3f82],
    ['just above a tie rounds up', 0x3f808001, 0x3f81],
    ['just below a tie rounds down', 0x3f807fff, 0x3f80],
    ['-1.5', 0xbfc00000, 0xbfc0],
    ['+0', 0x00000000, 0x0000],
    ['-0', 0x80000000, 0x8000],
    ['+Inf', 0x7f800000, 0x7f80],
    ['-Inf', 0xff800000, 0xff80],
    ['f32 max 3.4028235e38 overflows to +Inf', 0x7f7fffff, 0x7f80],
    ['-f32 max overflows to -Inf', 0xff7fffff, 0xff80],
    ['tie below the top binade rounds to even = Inf', 0x7f7f8000, 0x7f80],
    ['just below that tie stays the largest finite bf16', 0x7f7f7fff, 0x7f7f],
    ['smallest f32 subnormal → +0', 0x00000001, 0x0000],
    ['subnormal tie rounds to even 0', 0x00008000, 0x0000],
    ['subnormal tie rounds to even 2', 0x00018000, 0x0002],
    ['bf16 subnormal is kept', 0x00010000, 0x0001],
    ['largest negative f32 subnormal rounds up to the smallest normal', 0x807fffff, 0x8080],
  ];
  for (const [what, inBits, want] of cases) {
    it(`${what}: ${hex(inBits)} → ${hex(want)}`, () => {
      expect(hex(f32ToBf16Bits(bitsToF32(inBits)))).toBe(hex(want));
    });
  }

  it('NaN stays NaN (quiet, sign kept), including signalling NaNs whose payload is only in the low bits', () => {
    for (const [inBits, want] of [
      [0x7fc00000, 0x7fc0],
      [0x7f800001, 0x7fc0],
      [0xff800001, 0xffc0],
      [0xffc00000, 0xffc0],
    ] as const) {
      const out = f32ToBf16Bits(bitsToF32(inBits));
      expect(hex(out)).toBe(hex(want));
      expect(Number.isNaN(bitsToF32(out << 16))).toBe(true);
    }
  });

  it('matches a float64 nearest-candidate reference on random bit patterns (ties to even, overflow to Inf)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        const x = bitsToF32(bits);
        if (Number.isNaN(x) || !Number.isFinite(x)) return;
        const lo = bits >>> 16; // truncation toward zero in magnitude
        const hi = lo + 1;
        const val = (b: number): number => ((b & 0x7fff) === 0x7f80 ? Math.sign(x) * 2 ** 128 : bitsToF32(b << 16));
        const dLo = Math.abs(x - val(lo));
        const dHi = Math.abs(val(hi) - x);
        const want = dLo < dHi ? lo : dHi < dLo ? hi : (lo & 1) === 0 ? lo : hi;
        expect(hex(f32ToBf16Bits(x))).toBe(hex(want & 0xffff));
      }),
      { seed: 20240611, numRuns: 20000 },
    );
  });
});

describe('float32 → float16 (round to nearest even), against hand-computed bit patterns', () => {
  const cases: [string, number, number][] = [
    ['1.0', 0x3f800000, 0x3c00],
    ['tie 1+2^-11 rounds down to even', 0x3f801000, 0x3c00],
    ['tie 1+3·2^-11 rounds up to even', 0x3f803000, 0x3c02],
    ['65504, the largest half', 0x477fe000, 0x7bff],
    ['just below 65520 stays 65504', 0x477fefff, 0x7bff],
    ['65520 ties to even = +Inf', 0x477ff000, 0x7c00],
    ['f32 max overflows to +Inf', 0x7f7fffff, 0x7c00],
    ['-f32 max overflows to -Inf', 0xff7fffff, 0xfc00],
    ['+Inf', 0x7f800000, 0x7c00],
    ['-Inf', 0xff800000, 0xfc00],
    ['+0', 0x00000000, 0x0000],
    ['-0', 0x80000000, 0x8000],
    ['2^-24, the smallest subnormal', 0x33800000, 0x0001],
    ['2^-25 ties to even 0', 0x33000000, 0x0000],
    ['1.5·2^-25 rounds up to the smallest subnormal', 0x33400000, 0x0001],
    ['1.5·2^-24 ties to even 2·2^-24', 0x33c00000, 0x0002],
    ['-2^-24', 0xb3800000, 0x8001],
    ['2^-26 underflows to 0', 0x32800000, 0x0000],
    ['2^-14 - 2^-25 ties up to the smallest normal', 0x387fe000, 0x0400],
    ['2^-14, the smallest normal', 0x38800000, 0x0400],
    ['a float32 subnormal underflows to -0', 0x80000001, 0x8000],
  ];
  for (const [what, inBits, want] of cases) {
    it(`${what}: ${hex(inBits)} → ${hex(want)}`, () => {
      expect(hex(f32ToF16Bits(bitsToF32(inBits)))).toBe(hex(want));
    });
  }

  it('NaN stays NaN', () => {
    for (const inBits of [0x7fc00000, 0x7f800001, 0xffc00000, 0x7fffffff]) {
      const out = f32ToF16Bits(bitsToF32(inBits));
      expect((out & 0x7c00) === 0x7c00 && (out & 0x3ff) !== 0).toBe(true);
      expect(out & 0x8000).toBe((inBits >>> 16) & 0x8000);
    }
  });

  /** Value of a half bit pattern computed from the definition in float64 (independent of the decoder). */
  function halfValue(h: number): number {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) return s * m * 2 ** -24;
    if (e === 31) return m === 0 ? s * Infinity : NaN;
    return s * (1024 + m) * 2 ** (e - 25);
  }

  it('decodes every half bit pattern to the value its definition gives', () => {
    for (let h = 0; h < 0x10000; h++) {
      const got = f16BitsToF32(h);
      const want = halfValue(h);
      if (Number.isNaN(want)) expect(Number.isNaN(got)).toBe(true);
      else expect(Object.is(got, want)).toBe(true);
    }
  });

  it('matches a float64 nearest-half reference on random float32 values (ties to even, overflow to Inf)', () => {
    const finite: number[] = [];
    for (let h = 0; h < 0x7c00; h++) finite.push(halfValue(h)); // ascending positive halves
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
        const x = bitsToF32(bits);
        if (!Number.isFinite(x)) return;
        const a = Math.abs(x);
        let want: number;
        if (a >= 65520) want = 0x7c00;
        else {
          let lo = 0;
          let hi = finite.length - 1;
          while (hi - lo > 1) {
            const mid = (lo + hi) >> 1;
            if (finite[mid]! <= a) lo = mid;
            else hi = mid;
          }
          const dLo = a - finite[lo]!;
          const dHi = finite[hi]! - a;
          want = a >= finite[hi]! ? hi : dLo < dHi ? lo : dHi < dLo ? hi : (lo & 1) === 0 ? lo : hi;
        }
        if (bits & 0x80000000) want |= 0x8000;
        expect(hex(f32ToF16Bits(x))).toBe(hex(want));
      }),
      { seed: 7, numRuns: 20000 },
    );
  });
});

describe('bulk encode/decode', () => {
  it('decodeToF32(encodeFromF32(x)) is the identity on values already representable in each dtype', () => {
    const halves = new Float32Array(4096).map((_, i) => halfValue16(i * 16 + 3));
    const bytes = new Uint8Array(halves.length * 2);
    encodeFromF32('F16', halves, bytes, halves.length);
    const back = new Float32Array(halves.length);
    decodeToF32('F16', bytes, back, halves.length);
    expect([...back]).toEqual([...halves]);

    const bf = new Float32Array(4096).map((_, i) => bitsToF32(((i * 16 + 3) & 0x7f7f) << 16));
    const bb = new Uint8Array(bf.length * 2);
    encodeFromF32('BF16', bf, bb, bf.length);
    const back2 = new Float32Array(bf.length);
    decodeToF32('BF16', bb, back2, bf.length);
    expect([...back2]).toEqual([...bf]);
  });
});

function halfValue16(h: number): number {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  if (e === 31) return 0;
  return e === 0 ? s * m * 2 ** -24 : s * (1024 + m) * 2 ** (e - 25);
}
