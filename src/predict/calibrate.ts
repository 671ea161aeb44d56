// Calibration: fit the error model's constants (log x* = c + a·log r + β·log(n/n_ref)) to measured points, and
// validate it by leave-one-model-out (every variant of a held-out fine-tune left out together). Pure functions;
// measuring and loading the points is tools/calibrate/ (`npm run calibrate`).
import { DROP_RATE_GRID, dropRateOf, gridFloor, predictTolerance, type ErrorModelConstants } from './error-model.js';

/** One calibration point: a (possibly modified) fine-tune's weight features and its measured retained-gain sweep. */
export interface CalibrationPoint {
  family: string;
  /** The fine-tune it was made from (the leave-one-model-out group). */
  model: string;
  /** 'as-is' for the fine-tune itself, else how it was modified (e.g. 'scale-2', 'attn-only'). */
  variant: string;
  /** r = √ρ over the numbered blocks. */
  r: number;
  /** ‖Δ‖²-weighted fan-in of the block matrices. */
  fanIn: number;
  /** Where it came from: the family's truth.json or darekit's probe. */
  source: 'truth' | 'probe';
  /** Measured (p, retained) pairs, p ascending. */
  sweep: { p: number; retained: number }[];
}

/** Per point: measured and predicted tolerance, the leave-one-model-out interval, and whether it holds the truth. */
export interface CalibrationResidual {
  family: string;
  model: string;
  variant: string;
  r: number;
  fanIn: number;
  measuredCrossing: number;
  measuredSafe: number;
  /** Leave-one-model-out predictions (fit without every point of this model). */
  predictedCrossing: number;
  predictedSafe: number;
  dropRateLow: number;
  dropRateHigh: number;
  /** log x*: measured − predicted (leave-one-model-out). */
  residual: number;
  gridSteps: number;
  covered: boolean;
}

/** The fitted constants with their validation. */
export interface CalibrationFit {
  constants: ErrorModelConstants;
  residuals: CalibrationResidual[];
  /** Share of points whose measured safe rate lies inside their leave-one-model-out interval. */
  coverage: number;
  /** Root mean square of the leave-one-model-out residuals of log x*. */
  rmsResidual: number;
}

/** The drop rate where a measured sweep crosses the tolerance (linear interpolation; the last p when it never does). */
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

/** The measured safe rate: the largest grid p before the sweep first falls below the tolerance. */
export function measuredSafe(sweep: { p: number; retained: number }[], tolerance: number): number {
  let best = 0;
  for (const s of sweep) {
    if (s.retained < tolerance) break;
    best = Math.max(best, s.p);
  }
  return gridFloor(best);
}

/** Grid steps between two grid drop rates. */
export function gridSteps(a: number, b: number): number {
  const i = (p: number): number => DROP_RATE_GRID.findIndex((g) => Math.abs(g - p) < 1e-9);
  return Math.abs(i(a) - i(b));
}

// the smallest crossing a sweep can resolve (its first grid step is 0.1): keeps log x* finite
const MIN_CROSSING = 0.005;

const logX = (crossing: number): number => {
  const p = Math.min(0.995, Math.max(MIN_CROSSING, crossing));
  return Math.log(p / (1 - p));
};

/** Least squares of y on [1, log r, log(n/n_ref)] (normal equations, 3×3; width dropped when all n are equal). */
function leastSquares(rows: { r: number; fanIn: number; y: number }[], nRef: number): { c: number; a: number; beta: number } {
  const widths = new Set(rows.map((q) => q.fanIn.toFixed(3)));
  const useWidth = widths.size > 1;
  const k = useWidth ? 3 : 2;
  const A = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const b = new Array<number>(k).fill(0);
  for (const q of rows) {
    const x = [1, Math.log(q.r), Math.log(q.fanIn / nRef)].slice(0, k);
    for (let i = 0; i < k; i++) {
      b[i]! += x[i]! * q.y;
      for (let j = 0; j < k; j++) A[i]![j]! += x[i]! * x[j]!;
    }
  }
  // Gaussian elimination with partial pivoting
  for (let i = 0; i < k; i++) {
    let piv = i;
    for (let r = i + 1; r < k; r++) if (Math.abs(A[r]![i]!) > Math.abs(A[piv]![i]!)) piv = r;
    [A[i], A[piv]] = [A[piv]!, A[i]!];
    [b[i], b[piv]] = [b[piv]!, b[i]!];
    for (let r = i + 1; r < k; r++) {
      const f = A[r]![i]! / A[i]![i]!;
      for (let c = i; c < k; c++) A[r]![c]! -= f * A[i]![c]!;
      b[r]! -= f * b[i]!;
    }
  }
  const sol = new Array<number>(k).fill(0);
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let c = i + 1; c < k; c++) s -= A[i]![c]! * sol[c]!;
    sol[i] = s / A[i]![i]!;
  }
  return { c: sol[0]!, a: sol[1]!, beta: useWidth ? sol[2]! : 0 };
}

/** Fit the point constants (no interval yet) on some points. */
function fitPoint(points: CalibrationPoint[], tolerance: number, nRef: number): ErrorModelConstants {
  const rows = points.map((q) => ({ r: q.r, fanIn: q.fanIn, y: logX(measuredCrossing(q.sweep, tolerance)) }));
  const { c, a, beta } = leastSquares(rows, nRef);
  const ns = points.map((q) => q.fanIn);
  return {
    tolerance,
    intercept: c,
    rExponent: a,
    widthExponent: beta,
    referenceWidth: nRef,
    widthRange: [Math.min(...ns), Math.max(...ns)],
    residualLow: 0,
    residualHigh: 0,
  };
}

const groupOf = (q: { family: string; model: string }): string => `${q.family}/${q.model}`;

/** Below this many points the interval is the residuals' full range; from it on, their 5%–95% quantiles. */
export const QUANTILE_INTERVAL_MIN_POINTS = 20;

/** The interval of log x* residuals: [min, max] on few points, else the 5% and 95% quantiles (linear interpolation). */
export function residualInterval(res: number[]): [number, number] {
  const s = [...res].sort((a, b) => a - b);
  if (s.length < QUANTILE_INTERVAL_MIN_POINTS) return [s[0]!, s[s.length - 1]!];
  const q = (p: number): number => {
    const x = p * (s.length - 1);
    const i = Math.floor(x);
    return s[i]! + (x - i) * ((s[Math.min(i + 1, s.length - 1)] ?? s[i]!) - s[i]!);
  };
  return [q(0.05), q(0.95)];
}

/** Leave-one-model-out residuals of log x* for every point. */
function looResiduals(points: CalibrationPoint[], tolerance: number, nRef: number): number[] {
  return points.map((q) => {
    const k = fitPoint(
      points.filter((o) => groupOf(o) !== groupOf(q)),
      tolerance,
      nRef,
    );
    return logX(measuredCrossing(q.sweep, tolerance)) - Math.log(predictTolerance(q.r, q.fanIn, tolerance, k).noise);
  });
}

/**
 * Fit the constants at `tolerance` and validate them: the interval comes from the leave-one-model-out residuals of
 * log x* (residualInterval); coverage is checked honestly, each held-out model's interval built from the others alone.
 */
export function calibrate(points: CalibrationPoint[], tolerance = 0.95, nRef = 96): CalibrationFit {
  const point = fitPoint(points, tolerance, nRef);
  const loo = looResiduals(points, tolerance, nRef);
  const [lowRes, highRes] = residualInterval(loo);
  const constants: ErrorModelConstants = { ...point, residualLow: lowRes, residualHigh: highRes };
  const residuals = points.map((q, i) => {
    const others = points.filter((o) => groupOf(o) !== groupOf(q));
    const [lo, hi] = residualInterval(looResiduals(others, tolerance, nRef));
    const k: ErrorModelConstants = { ...fitPoint(others, tolerance, nRef), residualLow: lo, residualHigh: hi };
    const pred = predictTolerance(q.r, q.fanIn, tolerance, k);
    const crossing = measuredCrossing(q.sweep, tolerance);
    const safe = measuredSafe(q.sweep, tolerance);
    return {
      family: q.family,
      model: q.model,
      variant: q.variant,
      r: q.r,
      fanIn: q.fanIn,
      measuredCrossing: crossing,
      measuredSafe: safe,
      predictedCrossing: dropRateOf(pred.noise),
      predictedSafe: pred.dropRate,
      dropRateLow: pred.dropRateLow,
      dropRateHigh: pred.dropRateHigh,
      residual: loo[i]!,
      gridSteps: gridSteps(safe, pred.dropRate),
      covered: safe >= pred.dropRateLow - 1e-9 && safe <= pred.dropRateHigh + 1e-9,
    };
  });
  return {
    constants,
    residuals,
    coverage: residuals.filter((x) => x.covered).length / Math.max(1, residuals.length),
    rmsResidual: Math.sqrt(loo.reduce((s, x) => s + x * x, 0) / Math.max(1, loo.length)),
  };
}

/** The TypeScript source of src/predict/calibration.ts holding the fitted constants. */
export function renderCalibrationModule(fit: CalibrationFit, command: string): string {
  const k = fit.constants;
  const g = (x: number): string => Number(x.toPrecision(6)).toString();
  const rows = fit.residuals
    .map(
      (x) =>
        `//   ${x.family}/${x.model} ${x.variant}: r=${x.r.toFixed(4)} n=${x.fanIn.toFixed(1)} measured safe p=${x.measuredSafe} predicted=${x.predictedSafe} [${x.dropRateLow}, ${x.dropRateHigh}]`,
    )
    .join('\n');
  return `// GENERATED by \`${command}\` — do not edit by hand; rerun it when the calibration points change.
// log x* = c + a·log r + β·log(n/n_ref) fitted by least squares at tolerance ${k.tolerance} on ${fit.residuals.length} points
// (leave-one-model-out coverage ${(100 * fit.coverage).toFixed(0)}%, RMS residual of log x* ${fit.rmsResidual.toFixed(3)}):
${rows}
import type { ErrorModelConstants } from './constants.js';

/** The error model's fitted constants (see src/predict/error-model.ts). */
export const CALIBRATION: ErrorModelConstants = {
  tolerance: ${k.tolerance},
  intercept: ${g(k.intercept)},
  rExponent: ${g(k.rExponent)},
  widthExponent: ${g(k.widthExponent)},
  referenceWidth: ${k.referenceWidth},
  widthRange: [${g(k.widthRange[0])}, ${g(k.widthRange[1])}],
  residualLow: ${g(k.residualLow)},
  residualHigh: ${g(k.residualHigh)},
};
/** How many points the fit rests on. */
export const CALIBRATION_POINTS = ${fit.residuals.length};
`;
}
