// murmur3's 32-bit finalizer: the mixing step of the counter-based mask generator (dare_mask_f32, della_mask_f32,
// fused_merge16, the stats pass's sample), scalar and on four lanes.
// The masks are h = fmix32(fmix32(i ^ key) ^ key) ≥ t, and fmix32 = xorshift 16, ·c1, xorshift 13, ·c2, xorshift 16.
// Two identities let the vector paths skip steps with the same result (fmix32x4Mid is the middle three steps):
// - between the two: with y the first middle's result, z = y ^ (y >>> 16) ^ key has the high half of y ^ key,
//   so z ^ (z >>> 16) = y ^ key ^ (key >>> 16): one xor with a constant instead of five operations;
// - at the end: h = y ^ (y >>> 16) has y's high half, and an unsigned compare decides on the high halves first,
//   so h ≥ t ⇔ (y ^ (t >>> 16)) ≥ t (when the high halves tie, the low half y_lo ^ (t >>> 16) is h's).
// Not an entry point: index.ts does not re-export this file.
// @ts-ignore: decorator
@inline
export function fmix32(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

/** fmix32 on four lanes; c1, c2 hold the splatted multipliers 0x85ebca6b and 0xc2b2ae35 (hoisted by the caller). */
// @ts-ignore: decorator
@inline
export function fmix32x4(h: v128, c1: v128, c2: v128): v128 {
  h = fmix32x4Mid(v128.xor(h, i32x4.shr_u(h, 16)), c1, c2);
  return v128.xor(h, i32x4.shr_u(h, 16));
}

/** The middle of fmix32x4, between its opening and closing h ^= h >>> 16: h·c1, h ^= h >>> 13, h·c2. */
// @ts-ignore: decorator
@inline
export function fmix32x4Mid(h: v128, c1: v128, c2: v128): v128 {
  h = i32x4.mul(h, c1);
  h = v128.xor(h, i32x4.shr_u(h, 13));
  return i32x4.mul(h, c2);
}
