import { median } from 'simple-statistics';
import type { AnalysisResult, ModelStats, TensorStats } from '../schema/analysis.js';
import { usageError } from '../errors.js';
import { CALIBRATION } from './calibration.js';
import { classifyDelta } from './cpt.js';
import { decideSet } from './decision.js';
import {
  deltaCharacter,
  gridFloor,
  noiseFactor,
  predictedRetained,
  predictTolerance,
  relativeOutputError,
  type DeltaCharacter,
  type ErrorModelConstants,
} from './error-model.js';
import { blockFanIn, blockLayersOf, fanIn, modelFeatures, tensorsOf } from './features.js';
import { duplicates, inputProblems } from './inputs.js';
import { codes, texts } from './reasons.js';
import { HOT_LAYER_RATIO, RISKIEST_TENSORS } from './thresholds.js';
import type { LayerPrediction, ModelPrediction, PairPrediction, Predictions, PredictionsJson, TensorPrediction } from './types.js';
import { homologyProblems, modelVerdict } from './verdict.js';

/** Options of `predict`. */
export interface PredictOptions {
  /** Share of the fine-tune's gain that must survive (default 0.95). */
  tolerance?: number;
  /** Override the calibrated constants (for calibration and what-if checks). */
  constants?: ErrorModelConstants;
  /** Measured safe drop rates (a probe's, at this tolerance) by model name: they replace the prediction. */
  measured?: Record<string, number>;
}

/** Relative norm the error model uses for a tensor: an embedding's DARE error falls on the rows a task touched,
 * so its ρ is taken over the share of entries that carry 99% of ‖Δ‖² (1 − droppableShare), not over every row. */
function tensorRelativeNorm(t: TensorStats): number {
  if (t.module !== 'embedding') return Math.sqrt(t.rho);
  const touched = Math.max(1e-6, 1 - t.droppableShare);
  return Math.sqrt(t.rho / touched);
}

function tensorPredictions(
  tensors: TensorStats[],
  modelFanIn: number,
  modelNoise: number,
  p: number,
  tolerance: number,
  character: DeltaCharacter,
  k: ErrorModelConstants,
): TensorPrediction[] {
  const rows = tensors.map((t) => {
    const r = tensorRelativeNorm(t);
    // 1-D tensors (norm scales) act on hidden-size vectors: judged at the blocks' width
    const n = t.shape.length >= 2 ? fanIn(t) : modelFanIn;
    const tol = predictTolerance(r, n, tolerance, character, k);
    return {
      tensor: t.tensor,
      layer: t.layer,
      module: t.module,
      rho: t.rho,
      relativeNorm: r,
      fanIn: n,
      safeDropRate: tol.dropRateLow,
      predictedDropRate: tol.dropRate,
      toleratedNoise: tol.noise,
      errorAtRecommended: relativeOutputError(r * r, p),
      risky: false,
    };
  });
  // riskiest: the RISKIEST_TENSORS that tolerate the least noise by their own r and fan-in, among those that
  // tolerate less than the model as a whole (independent of the grid, so it still ranks when the rates sit at 0)
  const ranked = rows
    .filter((t) => t.rho > 0 && t.toleratedNoise < modelNoise)
    .sort((a, b) => a.toleratedNoise - b.toleratedNoise)
    .slice(0, RISKIEST_TENSORS);
  for (const t of ranked) t.risky = true;
  return rows;
}

function layerPredictions(
  result: AnalysisResult,
  m: ModelStats,
  tensors: TensorPrediction[],
  p: number,
  tolerance: number,
  character: DeltaCharacter,
  k: ErrorModelConstants,
): LayerPrediction[] {
  const blocks = blockLayersOf(result, m.model);
  const blockR = new Map(blocks.map((l) => [l.layer, Math.sqrt(l.rho)]));
  const stats = tensorsOf(result, m.model);
  return result.layers
    .filter((l) => l.model === m.model)
    .map((l) => {
      const r = Math.sqrt(l.rho);
      const others = [...blockR].filter(([layer]) => layer !== l.layer).map(([, x]) => x);
      const med = others.length > 0 ? median(others) : 0;
      const ratio = med > 0 ? r / med : 1;
      const mine = tensors.filter((t) => t.layer === l.layer && t.rho > 0);
      // a numbered layer: the error model on the layer; the rest (embeddings, final norm, lm_head) are unlike each
      // other, so that row takes its least tolerant tensor's rate instead of a pooled ρ the embedding's base dilutes
      const safe =
        l.layer !== null
          ? predictTolerance(r, blockFanIn(stats.filter((t) => t.layer === l.layer)), tolerance, character, k).dropRateLow
          : mine.reduce((a, t) => Math.min(a, t.safeDropRate), gridFloor(1));
      const err = l.layer !== null ? relativeOutputError(l.rho, p) : mine.reduce((a, t) => Math.max(a, t.errorAtRecommended), 0);
      return {
        layer: l.layer,
        rho: l.rho,
        relativeNorm: r,
        safeDropRate: safe,
        errorAtRecommended: err,
        ratioToMedian: ratio,
        hot: l.layer !== null && blocks.length >= 2 && ratio >= HOT_LAYER_RATIO,
      };
    })
    .sort((a, b) => (a.layer ?? -1) - (b.layer ?? -1));
}

/** Predict safe drop rates (with ranges), delta kinds, verdicts and the merge decision from an analysis (pure). */
export function predict(result: AnalysisResult, opts: PredictOptions = {}): Predictions {
  const tolerance = opts.tolerance ?? 0.95;
  if (!(tolerance > 0 && tolerance < 1)) throw usageError(`--tolerance must be a share of the gain in (0, 1), e.g. 0.95; got ${tolerance}`);
  const k = opts.constants ?? CALIBRATION;
  const homology = homologyProblems(result);
  const pairs: PairPrediction[] = result.pairs
    .filter((p) => p.scope === 'model')
    .map((p) => ({
      a: p.a,
      b: p.b,
      cosine: p.cosine,
      signConflict: p.signConflict,
      weightedConflict: p.weightedConflict,
      sqA: p.sqA,
      sqB: p.sqB,
    }));
  const dups = duplicates(
    result.models.map((m) => m.model),
    pairs,
  );
  const models: ModelPrediction[] = result.models.map((m) => {
    const ft = modelFeatures(result, m);
    const cpt = classifyDelta(ft);
    const problems = [...inputProblems(ft), ...(dups.has(m.model) ? [dups.get(m.model)!] : [])];
    // the delta's character (task or corpus, from its embedding update) picks the calibrated constants
    const character = deltaCharacter(ft.embeddingShare, ft.embeddingKurtosis);
    const tol = predictTolerance(ft.blockRelativeNorm, ft.blockFanIn, tolerance, character, k);
    const measured = opts.measured?.[m.model];
    let point = tol.dropRate,
      low = tol.dropRateLow,
      high = tol.dropRateHigh,
      tolerated = tol.noise;
    if (measured !== undefined) {
      point = low = high = measured;
      tolerated = noiseFactor(measured);
    }
    if (problems.length > 0) {
      point = low = high = 0;
      tolerated = 0;
    }
    // a CPT-like delta is trimmed by magnitude: never deeper than the share of entries that carry 1% of ‖Δ‖²
    const p = cpt.kind === 'cpt' && problems.length === 0 ? Math.min(low, gridFloor(ft.droppableShare)) : low;
    const stats = tensorsOf(result, m.model);
    const tensors = tensorPredictions(stats, ft.blockFanIn, tolerated, p, tolerance, character, k);
    const base = {
      model: m.model,
      path: m.path,
      kind: cpt.kind,
      recommendedDropRate: p,
      recommendedDensity: Number((1 - p).toFixed(6)),
      predictedDropRate: point,
      dropRateLow: low,
      dropRateHigh: high,
      basis: measured !== undefined ? ('measured' as const) : ('predicted' as const),
      toleratedNoise: tolerated,
      blockFanIn: ft.blockFanIn,
      deltaCharacter: character,
      blockCosine: ft.blockCosine,
      headEmbeddingShare: ft.headEmbeddingShare,
      relativeEnergy: ft.relativeEnergy,
      meanAbsDelta: ft.meanAbsDelta,
      droppableShare: ft.droppableShare,
      blockRelativeNorm: ft.blockRelativeNorm,
      predictedRetained: predictedRetained(tolerated, p, tolerance),
      predictedError: relativeOutputError(ft.blockRelativeNorm ** 2, p),
      cptScore: cpt.score,
      cptSignals: cpt.signals,
      embeddingShare: ft.embeddingShare,
      embeddingKurtosis: ft.embeddingKurtosis,
      lmHeadEnergyShare: ft.lmHeadEnergyShare,
      layers: layerPredictions(result, m, tensors, p, tolerance, character, k),
      tensors,
    };
    const v = modelVerdict(base, {
      cptReasons: cpt.signals.filter((s) => s.fired).map((s) => s.detail),
      nonFinite: { count: ft.nonFinite, tensor: ft.worstNonFiniteTensor },
      homology: homology.get(m.model),
      problems,
      extrapolated: tol.extrapolated,
      tolerance,
    });
    return { ...base, verdict: v.verdict, reasons: texts(v.reasons), reasonDetails: v.reasons };
  });
  return { base: result.base, tolerance, kappa: Math.exp(-k.task.intercept), models, pairs, set: decideSet(models, pairs) };
}

/** The set decision as JSON: verdict, reasons (texts, codes and details), method and each model's weight and density. */
export function setToJson(set: Predictions['set']): PredictionsJson['set'] {
  return {
    verdict: set.verdict,
    reasons: set.reasons,
    method: set.method,
    mergeMethod: set.mergeMethod,
    normalize: set.normalize,
    models: set.models.map((d) => ({ model: d.model, weight: d.weight, density: d.density })),
    reasonCodes: codes(set.reasonDetails),
    reasonDetails: set.reasonDetails,
  };
}

/** DESIGN's machine-readable contract object for these predictions (the contract's fields, plus ranges and reason codes). */
export function predictionsToJson(pred: Predictions, outDir: string): PredictionsJson {
  return {
    models: pred.models.map((m) => ({
      path: m.path,
      kind: m.kind,
      recommendedDropRate: m.recommendedDropRate,
      recommendedDensity: m.recommendedDensity,
      verdict: m.verdict,
      reasons: m.reasons,
      relativeEnergy: m.relativeEnergy,
      meanAbsDelta: m.meanAbsDelta,
      model: m.model,
      predictedDropRate: m.predictedDropRate,
      dropRateLow: m.dropRateLow,
      dropRateHigh: m.dropRateHigh,
      basis: m.basis,
      reasonCodes: codes(m.reasonDetails),
      reasonDetails: m.reasonDetails,
    })),
    pairs: pred.pairs.map((p) => ({ a: p.a, b: p.b, cosine: p.cosine, signConflict: p.signConflict })),
    set: setToJson(pred.set),
    outDir,
  };
}
