/**
 * Rotate-half RoPE in place on `rows` rows of `heads` heads of `hd` values (row r starts at x + r·stride floats),
 * at position pos[r] (i32): with h = hd/2, c = cos[p·h + i], s = sin[p·h + i]:
 * x[i] ← x[i]·c − x[i+h]·s, x[i+h] ← x[i+h]·c + x[i]·s, in f32.
 */
export function rope_f32(x: usize, rows: i32, heads: i32, hd: i32, stride: i32, pos: usize, cos: usize, sin: usize): void {
  const half = hd >> 1;
  const hoff = (<usize>half) << 2;
  for (let r = 0; r < rows; r++) {
    const p = load<i32>(pos + ((<usize>r) << 2));
    const pc = cos + <usize>p * hoff,
      ps = sin + <usize>p * hoff;
    for (let h = 0; h < heads; h++) {
      const px = x + ((<usize>r * <usize>stride + <usize>h * <usize>hd) << 2);
      let i = 0;
      for (; i + 4 <= half; i += 4) {
        const o = (<usize>i) << 2;
        const x1 = v128.load(px + o),
          x2 = v128.load(px + hoff + o);
        const c = v128.load(pc + o),
          s = v128.load(ps + o);
        v128.store(px + o, f32x4.sub(f32x4.mul(x1, c), f32x4.mul(x2, s)));
        v128.store(px + hoff + o, f32x4.add(f32x4.mul(x2, c), f32x4.mul(x1, s)));
      }
      for (; i < half; i++) {
        const o = (<usize>i) << 2;
        const x1 = load<f32>(px + o),
          x2 = load<f32>(px + hoff + o);
        const c = load<f32>(pc + o),
          s = load<f32>(ps + o);
        store<f32>(px + o, x1 * c - x2 * s);
        store<f32>(px + hoff + o, x2 * c + x1 * s);
      }
    }
  }
}
