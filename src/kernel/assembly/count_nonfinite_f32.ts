/** The number of NaN or ±Inf values among n f32 at ptr (exponent bits all ones): the cheap input check of a merge. */
export function count_nonfinite_f32(ptr: usize, n: i32): i32 {
  const expMask = i32x4.splat(0x7f800000);
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    acc = i32x4.sub(acc, i32x4.eq(v128.and(v128.load(ptr + ((<usize>i) << 2)), expMask), expMask));
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; i < n; i++) if ((load<u32>(ptr + ((<usize>i) << 2)) & 0x7f800000) == 0x7f800000) c++;
  return c;
}
