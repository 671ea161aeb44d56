// Stores predictions beside the analysis tables in DIR/analysis.duckdb: tables predictions (one row per
// fine-tune), prediction_layers, prediction_tensors and prediction_set.
import { join } from 'node:path';
import { ANALYSIS_DB } from '../store/analysis-store.js';
import { withDb } from '../store/db.js';
import { writeTable, type Column, type Row } from '../store/table.js';
import { codes } from './reasons.js';
import type { Predictions } from './types.js';

/** Columns of table `predictions`. */
export const PREDICTION_COLUMNS: Column[] = [
  { name: 'model', type: 'VARCHAR' },
  { name: 'path', type: 'VARCHAR' },
  { name: 'kind', type: 'VARCHAR', doc: "'sft' or 'cpt'" },
  { name: 'recommended_drop_rate', type: 'DOUBLE' },
  { name: 'recommended_density', type: 'DOUBLE' },
  { name: 'verdict', type: 'VARCHAR', doc: "'ready' | 'caution' | 'not-ready'" },
  { name: 'reasons', type: 'VARCHAR', doc: 'JSON array of strings' },
  { name: 'relative_energy', type: 'DOUBLE', doc: 'ρ over the whole model' },
  { name: 'mean_abs_delta', type: 'DOUBLE' },
  { name: 'block_relative_norm', type: 'DOUBLE', doc: 'r = √ρ over the numbered blocks' },
  { name: 'predicted_retained', type: 'DOUBLE', doc: 'share of the gain kept at the recommended drop rate' },
  { name: 'predicted_error', type: 'DOUBLE', doc: 'relative output error √(p/(1−p)·r²) at that rate' },
  { name: 'cpt_score', type: 'DOUBLE', doc: 'share of the available CPT signals that fired' },
  { name: 'cpt_signals', type: 'VARCHAR', doc: 'JSON array of {name, fired, detail}' },
  { name: 'embedding_share', type: 'DOUBLE' },
  { name: 'embedding_kurtosis', type: 'DOUBLE' },
  { name: 'tolerance', type: 'DOUBLE' },
  {
    name: 'kappa',
    type: 'DOUBLE',
    doc: 'exp(−c) of the error model, c the intercept of task deltas (kept from v1: a scale, not the v1 constant)',
  },
  { name: 'predicted_drop_rate', type: 'DOUBLE', doc: 'point prediction (grid); recommended_drop_rate is the conservative end' },
  { name: 'drop_rate_low', type: 'DOUBLE', doc: 'predicted range of the safe drop rate, low end' },
  { name: 'drop_rate_high', type: 'DOUBLE', doc: 'predicted range of the safe drop rate, high end' },
  { name: 'basis', type: 'VARCHAR', doc: "'predicted' or 'measured' (a probe's)" },
  { name: 'tolerated_noise', type: 'DOUBLE', doc: 'tolerated DARE noise factor p/(1−p) at the tolerance' },
  { name: 'block_fan_in', type: 'DOUBLE', doc: '‖Δ‖²-weighted fan-in of the block matrices' },
  { name: 'block_cosine', type: 'DOUBLE', doc: 'base–fine-tune cosine over the blocks' },
  { name: 'head_embedding_share', type: 'DOUBLE', doc: 'share of ‖Δ‖² in embeddings and lm_head' },
  { name: 'reason_codes', type: 'VARCHAR', doc: 'JSON array of reason codes' },
  { name: 'reason_details', type: 'VARCHAR', doc: 'JSON array of {code, text, numbers}' },
];

/** Columns of table `prediction_layers`. */
export const PREDICTION_LAYER_COLUMNS: Column[] = [
  { name: 'model', type: 'VARCHAR' },
  { name: 'layer', type: 'BIGINT', doc: 'NULL: tensors outside the numbered blocks' },
  { name: 'rho', type: 'DOUBLE' },
  { name: 'relative_norm', type: 'DOUBLE' },
  { name: 'safe_drop_rate', type: 'DOUBLE' },
  { name: 'error_at_recommended', type: 'DOUBLE' },
  { name: 'ratio_to_median', type: 'DOUBLE' },
  { name: 'hot', type: 'BOOLEAN' },
];

/** Columns of table `prediction_tensors`. */
export const PREDICTION_TENSOR_COLUMNS: Column[] = [
  { name: 'model', type: 'VARCHAR' },
  { name: 'tensor', type: 'VARCHAR' },
  { name: 'layer', type: 'BIGINT' },
  { name: 'module', type: 'VARCHAR' },
  { name: 'rho', type: 'DOUBLE' },
  { name: 'relative_norm', type: 'DOUBLE' },
  { name: 'safe_drop_rate', type: 'DOUBLE' },
  { name: 'error_at_recommended', type: 'DOUBLE' },
  { name: 'predicted_drop_rate', type: 'DOUBLE', doc: 'point prediction of its own safe rate (safe_drop_rate is the conservative end)' },
  { name: 'tolerated_noise', type: 'DOUBLE', doc: 'noise factor p/(1−p) it tolerates by its own r and fan-in' },
  { name: 'fan_in', type: 'DOUBLE' },
  { name: 'risky', type: 'BOOLEAN', doc: 'among the riskiest tensors of the model' },
];

/** Columns of table `prediction_set`. */
export const PREDICTION_SET_COLUMNS: Column[] = [
  { name: 'verdict', type: 'VARCHAR' },
  { name: 'method', type: 'VARCHAR' },
  { name: 'density', type: 'DOUBLE' },
  { name: 'reasons', type: 'VARCHAR', doc: 'JSON array of strings' },
  { name: 'tolerance', type: 'DOUBLE' },
  { name: 'merge_method', type: 'VARCHAR', doc: 'the method darekit merges with (also when method is none)' },
  { name: 'normalize', type: 'BOOLEAN' },
  { name: 'models', type: 'VARCHAR', doc: 'JSON array of {model, weight, density}' },
  { name: 'reason_codes', type: 'VARCHAR', doc: 'JSON array of reason codes' },
  { name: 'reason_details', type: 'VARCHAR', doc: 'JSON array of {code, text, numbers}' },
];

/** The three tables' rows. */
export function predictionRows(pred: Predictions): { models: Row[]; layers: Row[]; tensors: Row[]; set: Row[] } {
  return {
    models: pred.models.map((m) => ({
      model: m.model,
      path: m.path,
      kind: m.kind,
      recommended_drop_rate: m.recommendedDropRate,
      recommended_density: m.recommendedDensity,
      verdict: m.verdict,
      reasons: JSON.stringify(m.reasons),
      relative_energy: m.relativeEnergy,
      mean_abs_delta: m.meanAbsDelta,
      block_relative_norm: m.blockRelativeNorm,
      predicted_retained: m.predictedRetained,
      predicted_error: m.predictedError,
      cpt_score: m.cptScore,
      cpt_signals: JSON.stringify(m.cptSignals),
      embedding_share: m.embeddingShare,
      embedding_kurtosis: m.embeddingKurtosis,
      tolerance: pred.tolerance,
      kappa: pred.kappa,
      predicted_drop_rate: m.predictedDropRate,
      drop_rate_low: m.dropRateLow,
      drop_rate_high: m.dropRateHigh,
      basis: m.basis,
      tolerated_noise: Number.isFinite(m.toleratedNoise) ? m.toleratedNoise : null,
      block_fan_in: m.blockFanIn,
      block_cosine: m.blockCosine,
      head_embedding_share: m.headEmbeddingShare,
      reason_codes: JSON.stringify(codes(m.reasonDetails)),
      reason_details: JSON.stringify(m.reasonDetails),
    })),
    layers: pred.models.flatMap((m) =>
      m.layers.map((l) => ({
        model: m.model,
        layer: l.layer,
        rho: l.rho,
        relative_norm: l.relativeNorm,
        safe_drop_rate: l.safeDropRate,
        error_at_recommended: l.errorAtRecommended,
        ratio_to_median: l.ratioToMedian,
        hot: l.hot,
      })),
    ),
    tensors: pred.models.flatMap((m) =>
      m.tensors.map((t) => ({
        model: m.model,
        tensor: t.tensor,
        layer: t.layer,
        module: t.module,
        rho: t.rho,
        relative_norm: t.relativeNorm,
        safe_drop_rate: t.safeDropRate,
        error_at_recommended: t.errorAtRecommended,
        predicted_drop_rate: t.predictedDropRate,
        tolerated_noise: Number.isFinite(t.toleratedNoise) ? t.toleratedNoise : null,
        fan_in: t.fanIn,
        risky: t.risky,
      })),
    ),
    set: [
      {
        verdict: pred.set.verdict,
        method: pred.set.method,
        density: pred.set.density,
        reasons: JSON.stringify(pred.set.reasons),
        tolerance: pred.tolerance,
        merge_method: pred.set.mergeMethod,
        normalize: pred.set.normalize,
        models: JSON.stringify(pred.set.models.map((d) => ({ model: d.model, weight: d.weight, density: d.density }))),
        reason_codes: JSON.stringify(codes(pred.set.reasonDetails)),
        reason_details: JSON.stringify(pred.set.reasonDetails),
      },
    ],
  };
}

/** Write (replace) tables predictions, prediction_layers, prediction_tensors and prediction_set in DIR/analysis.duckdb. */
export async function writePredictions(dir: string, pred: Predictions): Promise<void> {
  const rows = predictionRows(pred);
  await withDb(join(dir, ANALYSIS_DB), async (db) => {
    await writeTable(db, 'predictions', rows.models, PREDICTION_COLUMNS);
    await writeTable(db, 'prediction_layers', rows.layers, PREDICTION_LAYER_COLUMNS);
    await writeTable(db, 'prediction_tensors', rows.tensors, PREDICTION_TENSOR_COLUMNS);
    await writeTable(db, 'prediction_set', rows.set, PREDICTION_SET_COLUMNS);
  });
}
