// murmur3's 32-bit finalizer: the mixing step of the counter-based mask generator (dare_mask_f32, della_mask_f32,
// fused_merge16, the stats pass's sample), scalar and on four lanes.
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
  return fmix32Tail(v128.xor(h, i32x4.shr_u(h, 16)), c1, c2);
}

/** fmix32x4 after its first step (h ^= h >>> 16), for callers that have that step's result already. */
// @ts-ignore: decorator
@inline
export function fmix32Tail(h: v128, c1: v128, c2: v128): v128 {
  h = i32x4.mul(h, c1);
  h = v128.xor(h, i32x4.shr_u(h, 13));
  h = i32x4.mul(h, c2);
  return v128.xor(h, i32x4.shr_u(h, 16));
}
