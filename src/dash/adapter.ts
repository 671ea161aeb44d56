// Builds the dashboard's view model from the analyzer's result and the predictor's output.
import type { AnalysisResult, LayerStats, TensorStats } from '../schema/analysis.js';
import type { ModelPrediction, Predictions } from '../predict/types.js';
import type { DashModel, DashPair, DashRow, DashboardData } from './model.js';
import type { Recipe } from '../schema/recipe.js';
import { dashRecipe } from './recipe.js';
import { runtimeError } from '../errors.js';

/** First-order DARE output error √(p/(1−p)·ρ) (DESIGN "Analysis vocabulary"), for rows the predictor does not cover. */
export function firstOrderError(rho: number, p: number): number {
  if (p >= 1) return Infinity;
  return Math.sqrt((p / (1 - p)) * rho);
}

function layerLabel(layer: number | null): string {
  return layer === null ? 'other' : `L${layer}`;
}

/**
 * Layer rows in depth order ("other" last). A layer is risky when the predictor calls it hot (its r = √ρ well above
 * the median layer's), its own safe drop rate is below the rate recommended for the whole model, or it holds one of
 * the model's riskiest tensors. The "other" row's safe rate is its least tolerant tensor's (lm_head, embeddings).
 */
function layerRows(layers: LayerStats[], pred: ModelPrediction): DashRow[] {
  const byLayer = new Map(pred.layers.map((l) => [l.layer, l]));
  const ordered = layers.slice().sort((a, b) => (a.layer ?? Infinity) - (b.layer ?? Infinity));
  return ordered.map((l) => {
    const lp = byLayer.get(l.layer);
    return {
      label: layerLabel(l.layer),
      layer: l.layer,
      rho: l.rho,
      meanAbsDelta: l.meanAbsDelta,
      safeDropRate: lp?.safeDropRate ?? NaN,
      predictedError: lp?.errorAtRecommended ?? firstOrderError(l.rho, pred.recommendedDropRate),
      // risky: a hot layer, a layer whose own safe rate is below the model's, or the layer of a riskiest tensor
      risky:
        lp !== undefined &&
        (lp.hot || lp.safeDropRate < pred.recommendedDropRate || pred.tensors.some((t) => t.risky && t.layer === l.layer)),
    };
  });
}

/** Tensor rows carry the predictor's own per-tensor safe rate, error and risk flag (lm_head and embeddings included). */
function tensorRows(tensors: TensorStats[], pred: ModelPrediction): DashRow[] {
  const byName = new Map(pred.tensors.map((t) => [t.tensor, t]));
  return tensors.map((t) => {
    const tp = byName.get(t.tensor);
    return {
      label: t.tensor,
      layer: t.layer,
      rho: t.rho,
      meanAbsDelta: t.meanAbsDelta,
      safeDropRate: tp?.safeDropRate ?? NaN,
      predictedError: tp?.errorAtRecommended ?? firstOrderError(t.rho, pred.recommendedDropRate),
      risky: tp?.risky ?? false,
    };
  });
}

/** Rows grouped by their model name. */
function groupBy<T extends { model: string }>(rows: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const list = m.get(r.model);
    if (list) list.push(r);
    else m.set(r.model, [r]);
  }
  return m;
}

/** Where a model's drop rate came from, and the weights' own prediction of it (from predictions without measurements). */
function sourceOf(
  pred: ModelPrediction,
  fromWeights: Predictions | undefined,
): Pick<DashModel, 'safeDropRateSource' | 'predictedDropRate'> {
  const own = fromWeights?.models.find((p) => p.model === pred.model);
  return { safeDropRateSource: pred.basis, predictedDropRate: own?.predictedDropRate ?? pred.predictedDropRate };
}

/** The dashboard's view of an analysis dir: the analysis (never recomputed) joined with the predictions, and the recipe app/ decided. */
export function toDashboardData(
  result: AnalysisResult,
  predictions: Predictions,
  dir: string,
  recipe: Recipe,
  fromWeights?: Predictions,
): DashboardData {
  const layersByModel = groupBy(result.layers);
  const tensorsByModel = groupBy(result.tensors);
  const models: DashModel[] = result.models.map((m) => {
    const pred = predictions.models.find((p) => p.model === m.model);
    if (!pred) throw runtimeError(`${dir}: no prediction for fine-tune ${m.model}; rerun \`darekit predict ${dir}\``);
    const layers = layerRows(layersByModel.get(m.model) ?? [], pred);
    return {
      name: m.model,
      path: m.path,
      kind: pred.kind,
      verdict: pred.verdict,
      reasons: pred.reasons,
      recommendedDropRate: pred.recommendedDropRate,
      recommendedDensity: pred.recommendedDensity,
      ...(fromWeights ? sourceOf(pred, fromWeights) : {}),
      rho: m.rho,
      meanAbsDelta: m.meanAbsDelta,
      layers,
      tensors: tensorRows(tensorsByModel.get(m.model) ?? [], pred),
    };
  });
  const pairs: DashPair[] = result.pairs
    .filter((p) => p.scope === 'model')
    .map((p) => ({ a: p.a, b: p.b, cosine: p.cosine, signConflict: p.signConflict }));
  const set = { verdict: predictions.set.verdict, reasons: predictions.set.reasons, method: predictions.set.method };
  return { dir, base: result.base, tolerance: predictions.tolerance, set, models, pairs, recipe: dashRecipe(dir, recipe) };
}
