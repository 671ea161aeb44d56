/** dst[i] = a[i] - b[i] in f32 for n elements (dst may alias a or b): a fine-tune's delta from its base. */
export function delta_f32(a: usize, b: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(dst + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(dst + o, load<f32>(a + o) - load<f32>(b + o));
  }
}
