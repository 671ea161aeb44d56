/**
 * Per row of `cols` elements (n a multiple of cols): out[3r] = Σa², out[3r + 1] = Σb², out[3r + 2] = Σa·b in float64,
 * element order. The per-row variants of NuSLERP (nuslerp_flatten: false) and Model Stock (filter_wise: true).
 */
export function row_dots_f32(a: usize, b: usize, n: i32, cols: i32, out: usize): void {
  for (let r = 0; r + cols <= n; r += cols) {
    let aa = 0.0,
      bb = 0.0,
      ab = 0.0;
    for (let j = 0; j < cols; j++) {
      const off = (<usize>(r + j)) << 2;
      const x = <f64>load<f32>(a + off);
      const y = <f64>load<f32>(b + off);
      aa += x * x;
      bb += y * y;
      ab += x * y;
    }
    const o = out + ((<usize>(3 * (r / cols))) << 3);
    store<f64>(o, aa);
    store<f64>(o + 8, bb);
    store<f64>(o + 16, ab);
  }
}
