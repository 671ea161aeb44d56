/** Decode n BF16 values at src (u16 LE) into f32 at dst: a 16-bit left shift, exact. */
export function decode_bf16(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const v = v128.load(src + ((<usize>i) << 1));
    v128.store(dst + ((<usize>i) << 2), i32x4.shl(i32x4.extend_low_i16x8_u(v), 16));
    v128.store(dst + ((<usize>i) << 2) + 16, i32x4.shl(i32x4.extend_high_i16x8_u(v), 16));
  }
  for (; i < n; i++) {
    store<u32>(dst + ((<usize>i) << 2), (<u32>load<u16>(src + ((<usize>i) << 1))) << 16);
  }
}
