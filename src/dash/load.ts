// Loads an analysis dir for the dashboard: the stored analysis (never recomputed) plus predictions.
import { resolve } from 'node:path';
import { readAnalysis } from '../store/analysis-store.js';
import { predict } from '../predict/predict.js';
import type { DashboardData } from './model.js';
import { toDashboardData } from './adapter.js';

/** Options of loadDashboardData. */
export interface LoadDashboardOptions {
  /** Share of each fine-tune's gain to keep (the predictor's default when omitted). */
  tolerance?: number;
}

/**
 * Read DIR/analysis.duckdb and predict from it (pure and fast: the predictor works on the stored per-layer and
 * per-model sums, it never re-reads the weights), then build the dashboard's view model.
 */
export async function loadDashboardData(dir: string, opts: LoadDashboardOptions = {}): Promise<DashboardData> {
  const abs = resolve(dir);
  const result = await readAnalysis(abs);
  const predictions = predict(result, opts.tolerance === undefined ? {} : { tolerance: opts.tolerance });
  return toDashboardData(result, predictions, abs);
}
