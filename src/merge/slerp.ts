import { runtimeError } from '../errors.js';

/** mergekit's threshold: above this |cos| of the angle between the two tensors, SLERP falls back to lerp. */
export const SLERP_DOT_THRESHOLD = 0.9995;
/** Norms at or below this are not normalized (mergekit's eps). */
export const SLERP_NORM_EPS = 1e-8;

/**
 * The two coefficients of SLERP from whole-tensor sums (float64): out = s0·v0 + s1·v1, as mergekit's slerp():
 * normalize each tensor by its L2 norm when the norm exceeds 1e-8, dot = cos θ₀; when |dot| > 0.9995 the
 * tensors are nearly (anti)parallel and it is lerp (s0 = 1 − t, s1 = t); otherwise
 * s0 = sin((1 − t)θ₀)/sin θ₀ written as sin(θ₀ − tθ₀)/sin θ₀, s1 = sin(tθ₀)/sin θ₀.
 */
export function slerpCoefficients(t: number, sumSq0: number, sumSq1: number, dot01: number): { s0: number; s1: number; lerp: boolean } {
  const n0 = Math.sqrt(sumSq0);
  const n1 = Math.sqrt(sumSq1);
  const dot = dot01 / ((n0 > SLERP_NORM_EPS ? n0 : 1) * (n1 > SLERP_NORM_EPS ? n1 : 1));
  if (Math.abs(dot) > SLERP_DOT_THRESHOLD) return { s0: 1 - t, s1: t, lerp: true };
  const theta0 = Math.acos(dot);
  const sinTheta0 = Math.sin(theta0);
  const thetaT = theta0 * t;
  return { s0: Math.sin(theta0 - thetaT) / sinTheta0, s1: Math.sin(thetaT) / sinTheta0, lerp: false };
}

/**
 * NuSLERP's coefficients (mergekit's nuslerp with nuslerp_flatten: true) from whole-tensor float64 sums: each
 * tensor normalized by max(‖v‖, 1e-7), θ = acos(clamp(cos, −1, 1)); when |sin θ| < 1e-8 the tensors are colinear
 * and it is lerp (1 − t, t); otherwise s0 = sin((1 − t)θ)/sin θ, s1 = sin(tθ)/sin θ, applied to the unnormalized v.
 */
export function nuslerpCoefficients(t: number, sumSq0: number, sumSq1: number, dot01: number): { s0: number; s1: number; lerp: boolean } {
  const n0 = Math.max(Math.sqrt(sumSq0), 1e-7);
  const n1 = Math.max(Math.sqrt(sumSq1), 1e-7);
  const cos = dot01 / (n0 * n1);
  const theta = Math.acos(Math.min(1, Math.max(-1, cos)));
  const sin = Math.sin(theta);
  if (Math.abs(sin) < 1e-8) return { s0: 1 - t, s1: t, lerp: true };
  return { s0: Math.sin((1 - t) * theta) / sin, s1: Math.sin(t * theta) / sin, lerp: false };
}

/**
 * Model Stock's interpolation ratio (mergekit's model_stock, filter_wise: false) for N deltas from their pairwise
 * float64 sums: cos = mean over pairs of clamp(δᵢ·δⱼ / max(‖δᵢ‖‖δⱼ‖, 1e-6), −1, 1), t = N·cos / (1 + (N − 1)·cos).
 * The output is base + t·mean δᵢ (= t·mean θᵢ + (1 − t)·base).
 */
export function modelStockCoefficient(n: number, pairs: { sumSqA: number; sumSqB: number; dot: number }[], tensor: string): number {
  let sum = 0;
  for (const p of pairs) sum += Math.min(1, Math.max(-1, p.dot / Math.max(Math.sqrt(p.sumSqA) * Math.sqrt(p.sumSqB), 1e-6)));
  const cos = sum / pairs.length;
  const den = 1 + (n - 1) * cos;
  if (den === 0)
    throw runtimeError(
      `model_stock: tensor "${tensor}": the deltas' mean pairwise cosine is −1/(N − 1), so t = N·cos/(1 + (N − 1)·cos) is undefined`,
    );
  return (n * cos) / den;
}
