// murmur3's 32-bit finalizer: the mixing step of the counter-based mask generator (dare_mask_f32, della_mask_f32).
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
