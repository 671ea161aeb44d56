/** SwiGLU's gate: out[i] = silu(g[i])·u[i], silu(x) = x / (1 + exp(−x)), in f32. out may alias g or u. */
export function silu_mul_f32(g: usize, u: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    const x = load<f32>(g + o);
    store<f32>(out + o, (x / (<f32>1 + Mathf.exp(-x))) * load<f32>(u + o));
  }
}
