import { halfBits, halfx4 } from './float16';

/**
 * Encode n f32 at src into IEEE half (u16 LE) at dst, round to nearest even: overflow → ±Inf, NaN keeps its top
 * payload bits and is made quiet, results below the half range go through one float add that rounds like the FPU.
 */
export function encode_f16(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = halfx4(v128.load(src + (<usize>i << 2)));
    const b = halfx4(v128.load(src + (<usize>i << 2) + 16));
    v128.store(dst + (<usize>i << 1), i16x8.narrow_i32x4_u(a, b));
  }
  for (; i < n; i++) {
    store<u16>(dst + (<usize>i << 1), <u16>halfBits(load<u32>(src + (<usize>i << 2))));
  }
}
