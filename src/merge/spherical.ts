/**
 * Coefficients of mergekit's multislerp and karcher for N tensors from their float64 Gram matrix G (Gᵢⱼ = xᵢ·xⱼ
 * over the whole flattened tensors): both results are linear combinations Σ cᵢ·xᵢ, so every vector of the
 * algorithms is carried as its coefficients in the basis x₁…x_N and every dot product is cᵀ·G·d.
 */
import { runtimeError } from '../errors.js';

type Vec = Float64Array;

function dot(g: Float64Array[], a: Vec, b: Vec): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 0) continue;
    let t = 0;
    for (let j = 0; j < b.length; j++) t += g[i]![j]! * b[j]!;
    s += a[i]! * t;
  }
  return s;
}

const norm = (g: Float64Array[], a: Vec): number => Math.sqrt(Math.max(0, dot(g, a, a)));
const basis = (n: number, i: number, v = 1): Vec => {
  const e = new Float64Array(n);
  e[i] = v;
  return e;
};
const axpy = (out: Vec, a: number, x: Vec): void => {
  for (let i = 0; i < out.length; i++) out[i]! += a * x[i]!;
};

/**
 * mergekit's multislerp (merge_methods/multislerp.py): weights normalized to sum 1 when asked; unit vectors
 * xᵢ/(‖xᵢ‖ + eps); their weighted mean m, normalized; the tangent vectors at m and their weighted sum T; the result
 * m·cos‖T‖ + T·sin‖T‖/‖T‖ (‖T‖ + eps) scaled by Σ wᵢ‖xᵢ‖. When ‖m‖ < eps: lerp for two tensors, an error otherwise.
 */
export function multislerpCoefficients(
  g: Float64Array[],
  weights: number[],
  normalizeWeights: boolean,
  eps: number,
  tensor: string,
): number[] {
  const n = weights.length;
  if (n === 1) return [1];
  const sum = weights.reduce((a, b) => a + b, 0);
  const w = normalizeWeights ? weights.map((x) => x / sum) : weights;
  const norms = g.map((row, i) => Math.sqrt(Math.max(0, row[i]!)));
  const units = norms.map((nm, i) => basis(n, i, 1 / (nm + eps)));
  const mean = new Float64Array(n);
  units.forEach((u, i) => axpy(mean, w[i]!, u));
  const meanNorm = norm(g, mean);
  if (meanNorm < eps) {
    if (n === 2) return [w[0]!, w[1]!];
    throw runtimeError(
      `multislerp: tensor "${tensor}": the weighted sum of the unit tensors is zero (antipodal tensors with balancing weights); change the weights`,
    );
  }
  const m = mean.map((x) => x / meanNorm);
  const t = new Float64Array(n);
  units.forEach((u, i) => {
    const d = dot(g, u, m);
    const tangent = u.slice();
    axpy(tangent, -d, m);
    axpy(t, w[i]!, tangent);
  });
  const tn = norm(g, t) + eps;
  const avgNorm = norms.reduce((s, nm, i) => s + nm * w[i]!, 0);
  const out = new Float64Array(n);
  axpy(out, Math.cos(tn), m);
  axpy(out, Math.sin(tn) / tn, t);
  return Array.from(out, (c) => c * avgNorm);
}

/**
 * mergekit's karcher (merge_methods/karcher.py), equal weights 1/N: unit vectors of the tensors with norm > tol,
 * the normalized weighted mean as the start, then up to maxIter steps u ← cos‖T‖·u + sin‖T‖·T/‖T‖ (renormalized)
 * with T = Σ aᵢ·θᵢ/sin θᵢ·(uᵢ − cos θᵢ·u), stopping when ‖T‖ < tol; the result is (Σ ‖xᵢ‖/N)·u.
 */
export function karcherCoefficients(g: Float64Array[], maxIter: number, tol: number): number[] {
  const n = g.length;
  if (n === 1) return [1];
  const alphas = new Array<number>(n).fill(1 / n);
  const norms = g.map((row, i) => Math.sqrt(Math.max(0, row[i]!)));
  const valid = norms.map((nm, i) => ({ nm, i })).filter((x) => x.nm > tol);
  if (valid.length === 0) return new Array<number>(n).fill(0);
  const aSum = valid.reduce((s, v) => s + alphas[v.i]!, 0);
  const a = valid.map((v) => alphas[v.i]! / aSum);
  const units = valid.map((v) => basis(n, v.i, 1 / v.nm));
  let u: Vec = new Float64Array(n);
  units.forEach((ui, k) => axpy(u, a[k]!, ui));
  const nu = norm(g, u);
  u = nu < tol ? units[0]!.slice() : u.map((x) => x / nu);
  for (let it = 0; it < maxIter; it++) {
    const t = new Float64Array(n);
    units.forEach((ui, k) => {
      const d = Math.min(1, Math.max(-1, dot(g, u, ui)));
      const theta = Math.acos(d);
      if (theta < tol) return;
      const step = ui.slice();
      axpy(step, -d, u);
      axpy(t, a[k]! * (theta / Math.sin(theta)), step);
    });
    const nt = norm(g, t);
    if (nt < tol) break;
    const next = new Float64Array(n);
    axpy(next, Math.cos(nt), u);
    axpy(next, Math.sin(nt) / nt, t);
    const nn = norm(g, next);
    u = nn > tol ? next.map((x) => x / nn) : next;
  }
  const s = norms.reduce((acc, nm, i) => acc + alphas[i]! * nm, 0);
  return Array.from(u, (c) => c * s);
}
