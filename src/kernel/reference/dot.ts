const f = Math.fround;

/** The f32 dot product in the kernels' order (dot_f32.ts): 4 lanes over elements 4i + l, lanes summed left to right, then the tail. */
export function dotF32(x: Float32Array, a: number, b: number, n: number): number {
  const acc = [0, 0, 0, 0];
  let i = 0;
  for (; i + 4 <= n; i += 4) for (let l = 0; l < 4; l++) acc[l] = f(acc[l]! + f(x[a + i + l]! * x[b + i + l]!));
  let s = f(f(f(acc[0]! + acc[1]!) + acc[2]!) + acc[3]!);
  for (; i < n; i++) s = f(s + f(x[a + i]! * x[b + i]!));
  return s;
}
