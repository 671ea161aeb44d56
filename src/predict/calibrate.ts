// Calibration: re-derive the error model's constant κ from measured ground truth (families/*/truth.json) and
// the weight statistics of the same fine-tunes. Pure functions; the I/O lives in calibration-data.ts and
// calibrate-cli.ts.
import { linearRegression, rootMeanSquare } from 'simple-statistics';
import { crossingDropRate, DROP_RATE_GRID, safeDropRate } from './error-model.js';

/** One calibration point: a fine-tune's block relative norm and its measured retained-gain sweep. */
export interface CalibrationPoint {
  family: string;
  model: string;
  r: number;
  /** Measured (p, retained) pairs, p ascending. */
  sweep: { p: number; retained: number }[];
  /** truth.json's safe_drop_rate by tolerance ("0.95" → p). */
  measuredSafe: Record<string, number>;
}

/** The fitted constants and how well they fit. */
export interface CalibrationFit {
  kappa: number;
  tolerance: number;
  /** Per point: measured crossing p*, predicted crossing, measured and predicted grid safe p, grid-step error. */
  residuals: { family: string; model: string; r: number; measuredCrossing: number; predictedCrossing: number; measuredSafe: number; predictedSafe: number; gridSteps: number }[];
  rmsCrossingResidual: number;
  /** Free-exponent check: log κ_eff = a + α·log r by least squares (α = 1 is the theory's value). */
  freeExponent: { alpha: number; intercept: number };
  /** Leave-one-out: κ fitted without the point, and that point's predicted grid safe p. */
  leaveOneOut: { model: string; kappa: number; predictedSafe: number; measuredSafe: number; gridSteps: number }[];
}

/** Linear interpolation of the p where the measured retained gain crosses the tolerance (0.99 if it never does). */
export function measuredCrossing(sweep: { p: number; retained: number }[], tolerance: number): number {
  for (let i = 1; i < sweep.length; i++) {
    const a = sweep[i - 1]!;
    const b = sweep[i]!;
    if (b.retained < tolerance) {
      if (a.retained < tolerance) return a.p;
      return a.p + ((a.retained - tolerance) / (a.retained - b.retained)) * (b.p - a.p);
    }
  }
  return sweep[sweep.length - 1]?.p ?? 0;
}

/** Grid steps between two grid drop rates (by index on DROP_RATE_GRID). */
export function gridSteps(a: number, b: number): number {
  const ia = DROP_RATE_GRID.findIndex((g) => Math.abs(g - a) < 1e-9);
  const ib = DROP_RATE_GRID.findIndex((g) => Math.abs(g - b) < 1e-9);
  return Math.abs(ia - ib);
}

/** Least-squares κ in drop-rate space: minimise Σ (p*_predicted(κ) − p*_measured)², by golden-section on log κ. */
export function fitKappa(points: { r: number; crossing: number }[], tolerance: number): number {
  const loss = (logK: number): number => points.reduce((s, q) => s + (crossingDropRate(q.r, tolerance, Math.exp(logK)) - q.crossing) ** 2, 0);
  // the loss is unimodal in log κ (each term is a monotone logistic in log κ around one minimum); bracket wide
  let lo = Math.log(1e-4);
  let hi = Math.log(1e4);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = hi - g * (hi - lo);
  let d = lo + g * (hi - lo);
  for (let i = 0; i < 200; i++) {
    if (loss(c) < loss(d)) hi = d; else lo = c;
    c = hi - g * (hi - lo);
    d = lo + g * (hi - lo);
  }
  return Math.exp((lo + hi) / 2);
}

/** Fit κ at the tolerance and report residuals, the free-exponent check and leave-one-out. */
export function calibrate(points: CalibrationPoint[], tolerance = 0.95): CalibrationFit {
  const key = String(tolerance);
  const data = points.map((p) => ({ ...p, crossing: measuredCrossing(p.sweep, tolerance) }));
  const kappa = fitKappa(data, tolerance);
  const residuals = data.map((q) => {
    const predictedSafe = safeDropRate(q.r, tolerance, kappa);
    const measuredSafe = q.measuredSafe[key] ?? NaN;
    return {
      family: q.family, model: q.model, r: q.r,
      measuredCrossing: q.crossing, predictedCrossing: crossingDropRate(q.r, tolerance, kappa),
      measuredSafe, predictedSafe, gridSteps: gridSteps(measuredSafe, predictedSafe),
    };
  });
  // κ_eff that would put each point's crossing exactly right: (1−τ)/(x*·r), x* = p*/(1−p*)
  const logPts = data.map((q) => [Math.log(q.r), Math.log((1 - tolerance) / (q.crossing / (1 - q.crossing)))] as [number, number]);
  const reg = linearRegression(logPts);
  const leaveOneOut = data.map((q, i) => {
    const k = fitKappa(data.filter((_, j) => j !== i), tolerance);
    const predictedSafe = safeDropRate(q.r, tolerance, k);
    const measuredSafe = q.measuredSafe[key] ?? NaN;
    return { model: `${q.family}/${q.model}`, kappa: k, predictedSafe, measuredSafe, gridSteps: gridSteps(measuredSafe, predictedSafe) };
  });
  return {
    kappa, tolerance, residuals,
    rmsCrossingResidual: rootMeanSquare(residuals.map((x) => x.predictedCrossing - x.measuredCrossing)),
    // slope of log κ_eff on log r is α − 1 when κ_eff ∝ r^(α−1)
    freeExponent: { alpha: 1 + reg.m, intercept: reg.b },
    leaveOneOut,
  };
}

/** The TypeScript source of src/predict/calibration.ts holding the fitted constant. */
export function renderCalibrationModule(fit: CalibrationFit, command: string): string {
  const rows = fit.residuals.map((x) => `//   ${x.family}/${x.model}: r=${x.r.toFixed(4)} measured safe p=${x.measuredSafe} predicted=${x.predictedSafe}`).join('\n');
  return `// GENERATED by \`${command}\` — do not edit by hand; rerun it when the calibration data changes.
// Least-squares fit of κ in lost(p) = κ·r·p/(1−p) at tolerance ${fit.tolerance}, on:
${rows}

/** The error model's constant κ (share of gain lost per unit of r·p/(1−p)). */
export const KAPPA = ${fit.kappa.toPrecision(6)};
/** The tolerance κ was fitted at. */
export const CALIBRATION_TOLERANCE = ${fit.tolerance};
/** How many fine-tunes the fit rests on. */
export const CALIBRATION_POINTS = ${fit.residuals.length};
`;
}
