// Loads an analysis dir for the dashboard: the stored analysis (never recomputed) plus predictions.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AnalysisResult } from '../analysis/types.js';
import { inputError } from '../errors.js';
import { ANALYSIS_DB } from '../store/analysis-store.js';
import { LAYER_COLUMNS, MODEL_COLUMNS, TENSOR_COLUMNS, fromRows, pairColumns } from '../store/analysis-tables.js';
import { query, withDb } from '../store/db.js';
import { predict } from '../predict/predict.js';
import type { DashboardData } from './model.js';
import { toDashboardData } from './adapter.js';

/** Options of loadDashboardData. */
export interface LoadDashboardOptions {
  /** Share of each fine-tune's gain to keep (default: the stored predictions' tolerance, else the predictor's default). */
  tolerance?: number;
}

/**
 * readAnalysis without the histogram table: neither the dashboard nor the predictor uses histograms, and they are
 * by far the largest table (~100 rows per tensor: 6.7 s of an 80-layer load here, minutes at 1,000 layers).
 * Same decoding as readAnalysis (the store's column lists), histograms left empty.
 */
export async function readAnalysisForDashboard(dir: string): Promise<AnalysisResult> {
  const file = join(dir, ANALYSIS_DB);
  if (!existsSync(file)) throw inputError(`${dir}: no ${ANALYSIS_DB} here; run \`darekit analyze --base B FT… --out ${dir}\` first`);
  return withDb(file, async (db) => {
    const meta = new Map((await query(db, 'SELECT key, value FROM meta')).rows.map((r) => [String(r.key), String(r.value)]));
    const densities = JSON.parse(meta.get('densities') ?? '[]') as number[];
    const all = async (sql: string) => (await query(db, sql)).rows;
    return {
      base: meta.get('base') ?? '',
      models: fromRows(await all('SELECT * FROM models'), MODEL_COLUMNS),
      tensors: fromRows(await all('SELECT * FROM tensors'), TENSOR_COLUMNS),
      layers: fromRows(await all('SELECT * FROM layers'), LAYER_COLUMNS),
      pairs: fromRows(await all('SELECT * FROM pairs'), pairColumns(densities)).map((p) => ({ ...p, overlapExpected: p.overlapExpected ?? [] })),
      histograms: [],
      densities,
    };
  }, { readOnly: true });
}

/** The tolerance and κ of the predictions stored by `darekit predict` / `analyze` (table `predictions`), if any. */
export async function storedPredictionParams(dir: string): Promise<{ tolerance: number; kappa: number } | null> {
  return withDb(join(dir, ANALYSIS_DB), async (db) => {
    const t = await query(db, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'predictions'");
    if (Number(t.rows[0]?.n ?? 0) === 0) return null;
    const r = (await query(db, 'SELECT tolerance, kappa FROM predictions LIMIT 1')).rows[0];
    if (!r || typeof r.tolerance !== 'number' || typeof r.kappa !== 'number') return null;
    return { tolerance: r.tolerance, kappa: r.kappa };
  }, { readOnly: true });
}

/**
 * Read DIR/analysis.duckdb and build the dashboard's view model. Predictions are recomputed from the stored
 * analysis with predict() — pure and instant, it works on the stored sums and never re-reads weights — using the
 * tolerance and κ of the stored `predictions` table when there is one, so the dashboard shows what was stored.
 */
export async function loadDashboardData(dir: string, opts: LoadDashboardOptions = {}): Promise<DashboardData> {
  const abs = resolve(dir);
  const result = await readAnalysisForDashboard(abs);
  const stored = await storedPredictionParams(abs);
  const tolerance = opts.tolerance ?? stored?.tolerance;
  const kappa = stored && (opts.tolerance === undefined || opts.tolerance === stored.tolerance) ? stored.kappa : undefined;
  const predictions = predict(result, { ...(tolerance !== undefined ? { tolerance } : {}), ...(kappa !== undefined ? { kappa } : {}) });
  return toDashboardData(result, predictions, abs);
}
