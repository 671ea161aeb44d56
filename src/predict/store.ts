// Stores predictions beside the analysis tables in DIR/analysis.duckdb: tables predictions (one row per
// fine-tune), prediction_layers, prediction_tensors and prediction_set.
import { join } from 'node:path';
import { ANALYSIS_DB } from '../store/analysis-store.js';
import { withDb } from '../store/db.js';
import { writeTable, type Column, type Row } from '../store/table.js';
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
  { name: 'kappa', type: 'DOUBLE' },
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
];

/** Columns of table `prediction_set`. */
export const PREDICTION_SET_COLUMNS: Column[] = [
  { name: 'verdict', type: 'VARCHAR' },
  { name: 'method', type: 'VARCHAR' },
  { name: 'density', type: 'DOUBLE' },
  { name: 'reasons', type: 'VARCHAR', doc: 'JSON array of strings' },
  { name: 'tolerance', type: 'DOUBLE' },
];

/** The three tables' rows. */
export function predictionRows(pred: Predictions): { models: Row[]; layers: Row[]; tensors: Row[]; set: Row[] } {
  return {
    models: pred.models.map((m) => ({
      model: m.model, path: m.path, kind: m.kind, recommended_drop_rate: m.recommendedDropRate, recommended_density: m.recommendedDensity,
      verdict: m.verdict, reasons: JSON.stringify(m.reasons), relative_energy: m.relativeEnergy, mean_abs_delta: m.meanAbsDelta,
      block_relative_norm: m.blockRelativeNorm, predicted_retained: m.predictedRetained, predicted_error: m.predictedError,
      cpt_score: m.cptScore, cpt_signals: JSON.stringify(m.cptSignals), embedding_share: m.embeddingShare, embedding_kurtosis: m.embeddingKurtosis,
      tolerance: pred.tolerance, kappa: pred.kappa,
    })),
    layers: pred.models.flatMap((m) => m.layers.map((l) => ({
      model: m.model, layer: l.layer, rho: l.rho, relative_norm: l.relativeNorm, safe_drop_rate: l.safeDropRate,
      error_at_recommended: l.errorAtRecommended, ratio_to_median: l.ratioToMedian, hot: l.hot,
    }))),
    tensors: pred.models.flatMap((m) => m.tensors.map((t) => ({
      model: m.model, tensor: t.tensor, layer: t.layer, module: t.module, rho: t.rho, relative_norm: t.relativeNorm,
      safe_drop_rate: t.safeDropRate, error_at_recommended: t.errorAtRecommended,
    }))),
    set: [{ verdict: pred.set.verdict, method: pred.set.method, density: pred.set.density, reasons: JSON.stringify(pred.set.reasons), tolerance: pred.tolerance }],
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
