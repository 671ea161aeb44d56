// Builds the dashboard's view model from the analyzer's result and the predictor's output.
import type { AnalysisResult, LayerStats, TensorStats } from '../analysis/types.js';
import type { DashModel, DashPair, DashRow, DashboardData, DeltaKind, Verdict } from './model.js';
import { buildRecipe } from './recipe.js';
import { runtimeError } from '../errors.js';

/** The predictor's per-layer output the dashboard shows. */
export interface LayerPredictionInput {
  layer: number | null;
  safeDropRate: number;
  predictedError: number;
}

/** The predictor's per-model output the dashboard shows. */
export interface ModelPredictionInput {
  model: string;
  kind: DeltaKind;
  recommendedDropRate: number;
  recommendedDensity: number;
  verdict: Verdict;
  reasons: string[];
  layers?: LayerPredictionInput[];
}

/** The predictor's output the dashboard shows (a structural subset of src/predict's result). */
export interface PredictionsInput {
  tolerance: number;
  models: ModelPredictionInput[];
  set: { verdict: Verdict; reasons: string[]; method: string };
}

/** Share of layers flagged risky by predicted error (at least one), besides those whose safe rate is below the model's. */
export const RISKY_SHARE = 0.05;

/** First-order DARE output error √(p/(1−p)·ρ) (DESIGN "Analysis vocabulary"), used when the predictor gives no per-row error. */
export function firstOrderError(rho: number, p: number): number {
  if (p >= 1) return Infinity;
  return Math.sqrt((p / (1 - p)) * rho);
}

/**
 * Flag the rows at risk from the recommended drop rate p: those predicted unsafe at p, and the RISKY_SHARE of rows
 * with the largest predicted error (so the riskiest layers stand out even when every layer is safe).
 */
export function markRisky(rows: DashRow[], p: number): void {
  const k = Math.max(1, Math.ceil(rows.length * RISKY_SHARE));
  const byError = rows.filter((r) => Number.isFinite(r.predictedError)).sort((a, b) => b.predictedError - a.predictedError);
  const top = new Set(byError.slice(0, k));
  for (const r of rows) r.risky = top.has(r) || (Number.isFinite(r.safeDropRate) && r.safeDropRate < p);
}

function layerLabel(layer: number | null): string {
  return layer === null ? 'other' : `L${layer}`;
}

function layerRows(layers: LayerStats[], pred: ModelPredictionInput): DashRow[] {
  const byLayer = new Map((pred.layers ?? []).map((l) => [l.layer, l]));
  const ordered = layers.slice().sort((a, b) => (a.layer ?? Infinity) - (b.layer ?? Infinity));
  return ordered.map((l) => {
    const lp = byLayer.get(l.layer);
    return {
      label: layerLabel(l.layer),
      layer: l.layer,
      rho: l.rho,
      meanAbsDelta: l.meanAbsDelta,
      safeDropRate: lp?.safeDropRate ?? NaN,
      predictedError: lp?.predictedError ?? firstOrderError(l.rho, pred.recommendedDropRate),
      risky: false,
    };
  });
}

/** Tensor rows take their layer's safe rate (the predictor works per layer) and their own first-order error. */
function tensorRows(tensors: TensorStats[], layers: DashRow[], p: number): DashRow[] {
  const safeByLayer = new Map(layers.map((l) => [l.layer, l.safeDropRate]));
  return tensors.map((t) => ({
    label: t.tensor,
    layer: t.layer,
    rho: t.rho,
    meanAbsDelta: t.meanAbsDelta,
    safeDropRate: safeByLayer.get(t.layer) ?? NaN,
    predictedError: firstOrderError(t.rho, p),
    risky: false,
  }));
}

/** Group rows of a list by their model name. */
function groupBy<T extends { model: string }>(rows: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const list = m.get(r.model);
    if (list) list.push(r);
    else m.set(r.model, [r]);
  }
  return m;
}

/** The dashboard's view of an analysis dir: the analysis (never recomputed) joined with the predictions. */
export function toDashboardData(result: AnalysisResult, predictions: PredictionsInput, dir: string): DashboardData {
  const layersByModel = groupBy(result.layers);
  const tensorsByModel = groupBy(result.tensors);
  const models: DashModel[] = result.models.map((m) => {
    const pred = predictions.models.find((p) => p.model === m.model);
    if (!pred) throw runtimeError(`no prediction for fine-tune ${m.model}; rerun \`darekit predict\` on the analysis dir`);
    const layers = layerRows(layersByModel.get(m.model) ?? [], pred);
    const tensors = tensorRows(tensorsByModel.get(m.model) ?? [], layers, pred.recommendedDropRate);
    markRisky(layers, pred.recommendedDropRate);
    markRisky(tensors, pred.recommendedDropRate);
    return {
      name: m.model,
      path: m.path,
      kind: pred.kind,
      verdict: pred.verdict,
      reasons: pred.reasons,
      recommendedDropRate: pred.recommendedDropRate,
      recommendedDensity: pred.recommendedDensity,
      rho: m.rho,
      meanAbsDelta: m.meanAbsDelta,
      layers,
      tensors,
    };
  });
  const pairs: DashPair[] = result.pairs
    .filter((p) => p.scope === 'model')
    .map((p) => ({ a: p.a, b: p.b, cosine: p.cosine, signConflict: p.signConflict }));
  return {
    dir,
    base: result.base,
    tolerance: predictions.tolerance,
    set: predictions.set,
    models,
    pairs,
    recipe: buildRecipe(dir, result.base, predictions.set.method, models),
  };
}
