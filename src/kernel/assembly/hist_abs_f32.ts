/** Radix-select pass 1: hist[|x| bits >>> 16] += 1 (u32 counters, 32768 buckets since the sign bit is cleared). */
export function hist_abs_hi16_f32(ptr: usize, n: i32, hist: usize): void {
  for (let i = 0; i < n; i++) {
    const u = load<u32>(ptr + (<usize>i << 2)) & 0x7fffffff;
    const h = hist + (<usize>(u >>> 16) << 2);
    store<u32>(h, load<u32>(h) + 1);
  }
}

/** Radix-select pass 2: for elements whose |x| bits have high half `hi`, hist[low 16 bits] += 1 (65536 buckets). */
export function hist_abs_lo16_f32(ptr: usize, n: i32, hi: u32, hist: usize): void {
  const vhi = i32x4.splat(hi);
  const absMask = i32x4.splat(0x7fffffff);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = v128.and(v128.load(ptr + (<usize>i << 2)), absMask);
    if (!v128.any_true(i32x4.eq(i32x4.shr_u(a, 16), vhi))) continue;
    for (let j = 0; j < 4; j++) countLo(load<u32>(ptr + (<usize>(i + j) << 2)) & 0x7fffffff, hi, hist);
  }
  for (; i < n; i++) countLo(load<u32>(ptr + (<usize>i << 2)) & 0x7fffffff, hi, hist);
}

// @ts-ignore: decorator
@inline
function countLo(u: u32, hi: u32, hist: usize): void {
  if (u >>> 16 != hi) return;
  const h = hist + (<usize>(u & 0xffff) << 2);
  store<u32>(h, load<u32>(h) + 1);
}

/** The number of elements whose |x| bit pattern equals `bits` (the per-chunk tie count of a radix-select cut). */
export function count_abs_eq_f32(ptr: usize, n: i32, bits: u32): i32 {
  const vb = i32x4.splat(bits);
  const absMask = i32x4.splat(0x7fffffff);
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    acc = i32x4.sub(acc, i32x4.eq(v128.and(v128.load(ptr + (<usize>i << 2)), absMask), vb));
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; i < n; i++) if ((load<u32>(ptr + (<usize>i << 2)) & 0x7fffffff) == bits) c++;
  return c;
}
