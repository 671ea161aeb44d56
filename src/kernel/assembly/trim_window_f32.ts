/**
 * Magnitude trim of one chunk: keep element i only when it is in the top set of the `keep` cut and not in the
 * top set of the `drop` cut; others become +0. An element is in a cut's top set when its |x| bit pattern is
 * greater than the cut's bits, or equal and among the first `ties` equal elements of this chunk (index order,
 * so ties go to the lower element index). The host computes bits and per-chunk tie quotas from a streaming
 * radix select over the whole tensor. keepBits 0 with ties >= n keeps all; dropBits 0xffffffff drops none.
 */
export function trim_window_f32(ptr: usize, n: i32, keepBits: u32, keepTies: i32, dropBits: u32, dropTies: i32): void {
  const absMask = i32x4.splat(0x7fffffff);
  const vk = i32x4.splat(keepBits);
  const vd = i32x4.splat(dropBits);
  let keepSeen = 0;
  let dropSeen = 0;
  // four at a time while no lane equals a cut; otherwise (and for the last n % 4) element by element, in index
  // order, so the tie quotas go to the lower indices
  for (let i = 0; i < n; i += 4) {
    const p = ptr + ((<usize>i) << 2);
    if (i + 4 <= n) {
      const x = v128.load(p);
      const a = v128.and(x, absMask);
      const anyEq = v128.or(i32x4.eq(a, vk), i32x4.eq(a, vd));
      if (!v128.any_true(anyEq)) {
        const keep = v128.andnot(i32x4.gt_u(a, vk), i32x4.gt_u(a, vd));
        v128.store(p, v128.and(x, keep));
        continue;
      }
    }
    const end = min(i + 4, n);
    for (let j = i; j < end; j++) {
      const q = ptr + ((<usize>j) << 2);
      const u = load<u32>(q) & 0x7fffffff;
      let inKeep = u > keepBits;
      if (u == keepBits) {
        inKeep = keepSeen < keepTies;
        keepSeen++;
      }
      let inDrop = u > dropBits;
      if (u == dropBits) {
        inDrop = dropSeen < dropTies;
        dropSeen++;
      }
      if (!inKeep || inDrop) store<u32>(q, 0);
    }
  }
}
