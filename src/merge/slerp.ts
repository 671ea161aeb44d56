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
