// Calibration: fit the error model's constants (log x* = c + a·log r + β·log(n/n_ref)) to measured points, and
// validate it by leave-one-model-out (every variant of a held-out fine-tune left out together). Pure functions;
// measuring and loading the points is tools/calibrate/ (`npm run calibrate`).
import type { CharacterConstants, DeltaCharacter } from './constants.js';
import {
  deltaCharacter,
  DROP_RATE_GRID,
  dropRateOf,
  gridFloor,
  predictTolerance,
  THEORY_WIDTH_EXPONENT,
  type ErrorModelConstants,
} from './error-model.js';

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
  /** Embedding ρ / the blocks' ρ, and the embedding Δ's excess kurtosis (null without an embedding). */
  embeddingShare: number | null;
  embeddingKurtosis: number | null;
  /** Where it came from: the family's truth.json or darekit's probe. */
  source: 'truth' | 'probe';
  /** The model's score (exact match, or minus the loss) and the base's on the measuring examples; gainShare: its gain
   * over the base relative to the fine-tune's own (1 for the fine-tune itself). */
  baseScore: number;
  ftScore: number;
  gainShare: number;
  /** Measured (p, retained) pairs, p ascending; `seeds`: each mask seed's retained share, when measured by the probe. */
  sweep: { p: number; retained: number; seeds?: number[] }[];
}

/** Per point: measured and predicted tolerance, the leave-one-model-out interval, and whether it holds the truth. */
export interface CalibrationResidual {
  family: string;
  model: string;
  variant: string;
  character: DeltaCharacter;
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
  /** Crossing drop rate: measured − predicted (leave-one-model-out), the interval's scale. */
  residualP: number;
  /** Grid steps between the measured and the predicted safe rate, and between the interval's ends. */
  gridSteps: number;
  intervalSteps: number;
  covered: boolean;
  /** The same check with a nested interval (its residuals from fits without this model too). */
  coveredNested: boolean;
}

/** The fitted constants with their validation. */
export interface CalibrationFit {
  constants: ErrorModelConstants;
  residuals: CalibrationResidual[];
  /** Share of points whose measured safe rate lies inside their leave-one-model-out interval. */
  coverage: number;
  /** The same with nested intervals (stricter; see calibrate). */
  nestedCoverage: number;
  /** Root mean square of the leave-one-model-out residuals of log x*. */
  rmsResidual: number;
}

/**
 * The drop rate where a measured sweep crosses the tolerance for the last time: after the largest p whose retained
 * share is ≥ the tolerance, linear interpolation to the next p (that p itself when it is the sweep's last, the
 * first p when no later p is ≥ it). The last crossing, not the first: truth.json and the probe define the safe rate
 * as the largest such p, and an exact-match sweep hovers around the tolerance (S/sft-up × 1.1: 0.939 at p = 0.1,
 * 0.959 at 0.4), where the first dip is noise.
 */
export function measuredCrossing(sweep: { p: number; retained: number }[], tolerance: number): number {
  let last = -1;
  sweep.forEach((s, i) => {
    if (s.retained >= tolerance) last = i;
  });
  if (last < 0) return sweep[0]?.p ?? 0;
  if (last === sweep.length - 1) return sweep[last]!.p;
  const a = sweep[last]!;
  const b = sweep[last + 1]!;
  return a.p + ((a.retained - tolerance) / (a.retained - b.retained)) * (b.p - a.p);
}

/** The measured safe rate, truth.json's definition: the largest grid p whose retained share is ≥ the tolerance. */
export function measuredSafe(sweep: { p: number; retained: number }[], tolerance: number): number {
  let best = 0;
  for (const s of sweep) if (s.retained >= tolerance) best = Math.max(best, s.p);
  return gridFloor(best);
}

/** Grid steps between two grid drop rates. */
export function gridSteps(a: number, b: number): number {
  const i = (p: number): number => DROP_RATE_GRID.findIndex((g) => Math.abs(g - p) < 1e-9);
  return Math.abs(i(a) - i(b));
}

// the smallest crossing a sweep can resolve (its first grid step is 0.05 or 0.1): keeps log x* finite
const MIN_CROSSING = 0.005;

const logX = (crossing: number): number => {
  const p = Math.min(0.995, Math.max(MIN_CROSSING, crossing));
  return Math.log(p / (1 - p));
};

/** A point's delta character (see deltaCharacter). */
export const characterOf = (q: CalibrationPoint): DeltaCharacter => deltaCharacter(q.embeddingShare, q.embeddingKurtosis);

/**
 * Weight of the theory's prior β = 1 (one pseudo-observation per character, in units of log-width lever arm²): it
 * decides β only where a character's points sit at one width (a leave-one-model-out fold without both SFT models
 * of a family), and tips the fit by < 0.01 where both widths are present (log(n/96) spans ±0.3 there).
 */
export const WIDTH_PRIOR_WEIGHT = 1e-3;

/** The regressors of a point: [1_task, 1_corpus, log r, 1_task·w, 1_corpus·w], w = log(n/n_ref). */
function regressors(q: CalibrationPoint, nRef: number): number[] {
  const t = characterOf(q) === 'task' ? 1 : 0;
  const w = Math.log(q.fanIn / nRef);
  return [t, 1 - t, Math.log(q.r), t * w, (1 - t) * w];
}

/** Solve the normal equations A·x = b (Gaussian elimination with partial pivoting). */
function solve(A: number[][], b: number[]): number[] {
  const k = b.length;
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
  return sol;
}

/**
 * Least squares of log x* on the regressors, with the theory's prior on each β (WIDTH_PRIOR_WEIGHT) and a weak
 * tie of the two intercepts (the same weight), so that a character without points takes the other's constants.
 */
function leastSquares(rows: { x: number[]; y: number }[]): number[] {
  const k = 5;
  const A = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const b = new Array<number>(k).fill(0);
  const add = (x: number[], y: number, w: number): void => {
    for (let i = 0; i < k; i++) {
      b[i]! += w * x[i]! * y;
      for (let j = 0; j < k; j++) A[i]![j]! += w * x[i]! * x[j]!;
    }
  };
  for (const q of rows) add(q.x, q.y, 1);
  add([0, 0, 0, 1, 0], THEORY_WIDTH_EXPONENT, WIDTH_PRIOR_WEIGHT);
  add([0, 0, 0, 0, 1], THEORY_WIDTH_EXPONENT, WIDTH_PRIOR_WEIGHT);
  add([1, -1, 0, 0, 0], 0, WIDTH_PRIOR_WEIGHT);
  // a shared r exponent needs some spread of r; without it (one r) the prior a = −1 of the first-order theory decides
  add([0, 0, 1, 0, 0], -1, WIDTH_PRIOR_WEIGHT);
  return solve(A, b);
}

const emptyCharacter = (): CharacterConstants => ({ intercept: 0, widthExponent: 0, residualLow: 0, residualHigh: 0, points: 0 });

/** Fit the point constants (no interval yet) on some points. */
function fitPoint(points: CalibrationPoint[], tolerance: number, nRef: number): ErrorModelConstants {
  const rows = points.map((q) => ({ x: regressors(q, nRef), y: logX(measuredCrossing(q.sweep, tolerance)) }));
  const [cTask, cCorpus, a, bTask, bCorpus] = leastSquares(rows) as [number, number, number, number, number];
  const ns = points.map((q) => q.fanIn);
  const count = (c: DeltaCharacter): number => points.filter((q) => characterOf(q) === c).length;
  return {
    tolerance,
    rExponent: a,
    referenceWidth: nRef,
    widthRange: [Math.min(...ns), Math.max(...ns)],
    task: { ...emptyCharacter(), intercept: cTask, widthExponent: bTask, points: count('task') },
    corpus: { ...emptyCharacter(), intercept: cCorpus, widthExponent: bCorpus, points: count('corpus') },
  };
}

const groupOf = (q: { family: string; model: string }): string => `${q.family}/${q.model}`;

/** Below this many points the interval is the residuals' full range; from it on, the quantile below. */
export const QUANTILE_INTERVAL_MIN_POINTS = 20;
/** The share of |residuals| the interval's half-width covers (from QUANTILE_INTERVAL_MIN_POINTS points on). */
export const INTERVAL_QUANTILE = 0.9;

/**
 * The interval of residuals: symmetric, ± the INTERVAL_QUANTILE quantile of |residual| (linear interpolation; the
 * largest |residual| on few points). Symmetric because a residual's sign says which model was held out, not where a
 * new one will fall: with two fine-tunes of a character at a width, the one left out is predicted from the other,
 * so the pair's residuals are ± their difference.
 */
export function residualInterval(res: number[]): [number, number] {
  const s = res.map(Math.abs).sort((a, b) => a - b);
  if (s.length === 0) return [0, 0];
  if (s.length < QUANTILE_INTERVAL_MIN_POINTS) return [-s[s.length - 1]!, s[s.length - 1]!];
  const x = INTERVAL_QUANTILE * (s.length - 1);
  const i = Math.floor(x);
  const h = s[i]! + (x - i) * ((s[Math.min(i + 1, s.length - 1)] ?? s[i]!) - s[i]!);
  return [-h, h];
}

/**
 * Leave-one-model-out residuals for every point (each from a fit without its model's points), in log x* (the fit's
 * scale) and in drop rate (measured − predicted crossing p*: the interval's scale). The interval is built in drop
 * rate because the measurement noise is additive there: the same fine-tune measured twice (truth.json's problems and
 * the probe's examples, other masks) differs by 0.10 in p* on S/sft-shift (0.34 / 0.44) and 0.08 on N/sft-shift
 * (0.04 / 0.12), which is 0.4 and 1.1 in log x* — near p = 0 log x* magnifies the same noise.
 */
function looResiduals(points: CalibrationPoint[], tolerance: number, nRef: number): { logX: number[]; p: number[] } {
  const fits = new Map<string, ErrorModelConstants>();
  const logXs: number[] = [];
  const ps: number[] = [];
  for (const q of points) {
    const g = groupOf(q);
    let k = fits.get(g);
    if (k === undefined) {
      k = fitPoint(
        points.filter((o) => groupOf(o) !== g),
        tolerance,
        nRef,
      );
      fits.set(g, k);
    }
    const noise = predictTolerance(q.r, q.fanIn, tolerance, characterOf(q), k).noise;
    const crossing = measuredCrossing(q.sweep, tolerance);
    logXs.push(logX(crossing) - Math.log(noise));
    ps.push(crossing - dropRateOf(noise));
  }
  return { logX: logXs, p: ps };
}

/** Each character's interval from residuals: its own points' residuals (all points' when it has none). */
function withIntervals(k: ErrorModelConstants, points: CalibrationPoint[], res: number[]): ErrorModelConstants {
  const of = (c: DeltaCharacter): [number, number] => {
    const mine = res.filter((_, i) => characterOf(points[i]!) === c);
    return residualInterval(mine.length > 0 ? mine : res);
  };
  const [tl, th] = of('task');
  const [cl, ch] = of('corpus');
  return { ...k, task: { ...k.task, residualLow: tl, residualHigh: th }, corpus: { ...k.corpus, residualLow: cl, residualHigh: ch } };
}

/**
 * Fit the constants at `tolerance` and validate them by leave-one-model-out. Each point is predicted by a fit
 * without its model (the fine-tune and all its variants); its interval adds the quantiles of the leave-one-model-out
 * residuals of the other models' points of its character — each of those residuals from a fit without its own model.
 * That is what `predict` does for a new model with the full fit. The nested check (`coveredNested`: those residuals
 * from fits without the held-out model too) is stricter than the use: with two fine-tunes of a character per width,
 * a fold without both has no point of that character at that width, and its residuals measure the prior, not the fit.
 */
export function calibrate(points: CalibrationPoint[], tolerance = 0.95, nRef = 96): CalibrationFit {
  const looBoth = looResiduals(points, tolerance, nRef);
  const loo = looBoth.logX;
  const constants = withIntervals(fitPoint(points, tolerance, nRef), points, looBoth.p);
  const nested = new Map<string, ErrorModelConstants>();
  const residuals = points.map((q, i) => {
    const g = groupOf(q);
    const others = points.filter((o) => groupOf(o) !== g);
    const otherRes = looBoth.p.filter((_, j) => groupOf(points[j]!) !== g);
    const k = withIntervals(fitPoint(others, tolerance, nRef), others, otherRes);
    let kn = nested.get(g);
    if (kn === undefined) {
      kn = withIntervals(fitPoint(others, tolerance, nRef), others, looResiduals(others, tolerance, nRef).p);
      nested.set(g, kn);
    }
    const c = characterOf(q);
    const pred = predictTolerance(q.r, q.fanIn, tolerance, c, k);
    const predN = predictTolerance(q.r, q.fanIn, tolerance, c, kn);
    const crossing = measuredCrossing(q.sweep, tolerance);
    const safe = measuredSafe(q.sweep, tolerance);
    const inside = (t: { dropRateLow: number; dropRateHigh: number }): boolean =>
      safe >= t.dropRateLow - 1e-9 && safe <= t.dropRateHigh + 1e-9;
    return {
      family: q.family,
      model: q.model,
      variant: q.variant,
      character: c,
      r: q.r,
      fanIn: q.fanIn,
      measuredCrossing: crossing,
      measuredSafe: safe,
      predictedCrossing: dropRateOf(pred.noise),
      predictedSafe: pred.dropRate,
      dropRateLow: pred.dropRateLow,
      dropRateHigh: pred.dropRateHigh,
      residual: loo[i]!,
      residualP: looBoth.p[i]!,
      gridSteps: gridSteps(safe, pred.dropRate),
      intervalSteps: gridSteps(pred.dropRateLow, pred.dropRateHigh),
      covered: inside(pred),
      coveredNested: inside(predN),
    };
  });
  const share = (f: (x: CalibrationResidual) => boolean): number => residuals.filter(f).length / Math.max(1, residuals.length);
  return {
    constants,
    residuals,
    coverage: share((x) => x.covered),
    nestedCoverage: share((x) => x.coveredNested),
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
        `//   ${x.family}/${x.model} ${x.variant} (${x.character}): r=${x.r.toFixed(4)} n=${x.fanIn.toFixed(1)} measured safe p=${x.measuredSafe} predicted=${x.predictedSafe} [${x.dropRateLow}, ${x.dropRateHigh}]`,
    )
    .join('\n');
  const character = (c: CharacterConstants): string =>
    `{ intercept: ${g(c.intercept)}, widthExponent: ${g(c.widthExponent)}, residualLow: ${g(c.residualLow)}, residualHigh: ${g(c.residualHigh)}, points: ${c.points} }`;
  return `// GENERATED by \`${command}\` — do not edit by hand; rerun it when the calibration points change.
// log x* = c + a·log r + β·log(n/n_ref), c and β per delta character, fitted by least squares at tolerance ${k.tolerance}
// on ${fit.residuals.length} points (leave-one-model-out coverage ${(100 * fit.coverage).toFixed(0)}%, nested ${(100 * fit.nestedCoverage).toFixed(0)}%; RMS residual of log x* ${fit.rmsResidual.toFixed(3)}):
${rows}
import type { ErrorModelConstants } from './constants.js';

/** The error model's fitted constants (see src/predict/error-model.ts). */
export const CALIBRATION: ErrorModelConstants = {
  tolerance: ${k.tolerance},
  rExponent: ${g(k.rExponent)},
  referenceWidth: ${k.referenceWidth},
  widthRange: [${g(k.widthRange[0])}, ${g(k.widthRange[1])}],
  task: ${character(k.task)},
  corpus: ${character(k.corpus)},
};
/** How many points the fit rests on. */
export const CALIBRATION_POINTS = ${fit.residuals.length};
`;
}
