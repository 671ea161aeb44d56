import { median } from 'simple-statistics';
import type { AnalysisResult, ModelStats } from '../analysis/types.js';
import { usageError } from '../errors.js';
import { KAPPA } from './calibration.js';
import { classifyDelta } from './cpt.js';
import { predictedRetained, relativeOutputError, safeDropRate } from './error-model.js';
import { blockLayersOf, modelFeatures, tensorsOf } from './features.js';
import { HOT_LAYER_RATIO } from './thresholds.js';
import type { LayerPrediction, ModelPrediction, PairPrediction, Predictions, PredictionsJson, TensorPrediction } from './types.js';
import { homologyProblems, modelVerdict, setVerdict } from './verdict.js';

/** Options of `predict`. */
export interface PredictOptions {
  /** Share of the fine-tune's gain that must survive (default 0.95). */
  tolerance?: number;
  /** Override the calibrated κ (for calibration and what-if checks). */
  kappa?: number;
}

function layerPredictions(result: AnalysisResult, m: ModelStats, p: number, tolerance: number, kappa: number): LayerPrediction[] {
  const blocks = blockLayersOf(result, m.model);
  const blockR = new Map(blocks.map((l) => [l.layer, Math.sqrt(l.rho)]));
  const rows = result.layers.filter((l) => l.model === m.model);
  return rows
    .map((l) => {
      const r = Math.sqrt(l.rho);
      // compare a numbered layer with the others (median, robust to a second hot layer); the null row with all
      const others = [...blockR].filter(([layer]) => layer !== l.layer).map(([, x]) => x);
      const med = others.length > 0 ? median(others) : 0;
      const ratio = med > 0 ? r / med : 1;
      return {
        layer: l.layer,
        rho: l.rho,
        relativeNorm: r,
        safeDropRate: safeDropRate(r, tolerance, kappa),
        errorAtRecommended: relativeOutputError(l.rho, p),
        ratioToMedian: ratio,
        // only numbered blocks compete with each other; embeddings and the head are judged by the CPT flag
        hot: l.layer !== null && blocks.length >= 2 && ratio >= HOT_LAYER_RATIO,
      };
    })
    .sort((a, b) => (a.layer ?? -1) - (b.layer ?? -1));
}

function tensorPredictions(result: AnalysisResult, m: ModelStats, p: number, tolerance: number, kappa: number): TensorPrediction[] {
  return tensorsOf(result, m.model).map((t) => ({
    tensor: t.tensor, layer: t.layer, module: t.module, rho: t.rho, relativeNorm: Math.sqrt(t.rho),
    safeDropRate: safeDropRate(Math.sqrt(t.rho), tolerance, kappa), errorAtRecommended: relativeOutputError(t.rho, p),
  }));
}

/** Predict safe drop rates, delta kinds and verdicts from an analysis (pure). */
export function predict(result: AnalysisResult, opts: PredictOptions = {}): Predictions {
  const tolerance = opts.tolerance ?? 0.95;
  if (!(tolerance > 0 && tolerance < 1)) throw usageError(`--tolerance must be a share of the gain in (0, 1), e.g. 0.95; got ${tolerance}`);
  const kappa = opts.kappa ?? KAPPA;
  const homology = homologyProblems(result);
  const models: ModelPrediction[] = result.models.map((m) => {
    const ft = modelFeatures(result, m);
    const cpt = classifyDelta(ft);
    const p = safeDropRate(ft.blockRelativeNorm, tolerance, kappa);
    const base = {
      model: m.model,
      path: m.path,
      kind: cpt.kind,
      recommendedDropRate: p,
      recommendedDensity: Number((1 - p).toFixed(6)),
      relativeEnergy: ft.relativeEnergy,
      meanAbsDelta: ft.meanAbsDelta,
      droppableShare: ft.droppableShare,
      blockRelativeNorm: ft.blockRelativeNorm,
      predictedRetained: predictedRetained(ft.blockRelativeNorm, p, kappa),
      predictedError: relativeOutputError(ft.blockRelativeNorm ** 2, p),
      cptScore: cpt.score,
      cptSignals: cpt.signals,
      embeddingShare: ft.embeddingShare,
      embeddingKurtosis: ft.embeddingKurtosis,
      lmHeadEnergyShare: ft.lmHeadEnergyShare,
      layers: layerPredictions(result, m, p, tolerance, kappa),
      tensors: tensorPredictions(result, m, p, tolerance, kappa),
    };
    const v = modelVerdict(base, cpt.signals.filter((s) => s.fired).map((s) => s.detail), { count: ft.nonFinite, tensor: ft.worstNonFiniteTensor }, homology.get(m.model));
    return { ...base, verdict: v.verdict, reasons: v.reasons };
  });
  const pairs: PairPrediction[] = result.pairs
    .filter((p) => p.scope === 'model')
    .map((p) => ({ a: p.a, b: p.b, cosine: p.cosine, signConflict: p.signConflict, weightedConflict: p.weightedConflict }));
  return { base: result.base, tolerance, kappa, models, pairs, set: setVerdict(models, pairs, tolerance) };
}

/** DESIGN's machine-readable contract object for these predictions. */
export function predictionsToJson(pred: Predictions, outDir: string): PredictionsJson {
  return {
    models: pred.models.map((m) => ({
      path: m.path, kind: m.kind, recommendedDropRate: m.recommendedDropRate, recommendedDensity: m.recommendedDensity,
      verdict: m.verdict, reasons: m.reasons, relativeEnergy: m.relativeEnergy, meanAbsDelta: m.meanAbsDelta,
    })),
    pairs: pred.pairs.map((p) => ({ a: p.a, b: p.b, cosine: p.cosine, signConflict: p.signConflict })),
    set: { verdict: pred.set.verdict, reasons: pred.set.reasons, method: pred.set.method },
    outDir,
  };
}
