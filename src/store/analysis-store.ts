// Writes an AnalysisResult as Arrow IPC, a DuckDB database with views, and Parquet; reads it back.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisResult } from '../schema/analysis.js';
import { inputError } from '../errors.js';
import { HISTOGRAM_COLUMNS, LAYER_COLUMNS, META_COLUMNS, MODEL_COLUMNS, TENSOR_COLUMNS, analysisTables, fromRows, pairColumns } from './analysis-tables.js';
import { arrowIPCOf } from './arrow-columns.js';
import { query, withDb, type Db } from './db.js';
import { parquetCopySql, writeColumnTable, writeTable } from './table.js';
import { DAREKIT_VERSION } from '../version.js';

type AnalysisTables = ReturnType<typeof analysisTables>;

/** File name of the database inside an analysis dir. */
export const ANALYSIS_DB = 'analysis.duckdb';

/** Handy views over the tables (documented in the README). */
export const ANALYSIS_VIEWS: Record<string, string> = {
  // layers riskiest first (largest relative delta energy across all models), with the first-order DARE output-error estimate √(p/(1−p)·ρ)
  v_layer_risk: `SELECT model, layer, tensors, rho, droppable_share, q99_abs, frac_le_0005,
      sqrt(rho) AS dare_err_p50, sqrt(9 * rho) AS dare_err_p90
    FROM layers ORDER BY rho DESC NULLS LAST, model, layer NULLS LAST`,
  // tensors by their share of the model's ΣΔ²
  v_top_tensors: `SELECT t.model, t.tensor, t.layer, t.module, t.numel, t.rho, t.delta_l2,
      t.sum_sq_delta / nullif(m.sum_sq_delta, 0) AS energy_share, t.droppable_share, t.q99_abs
    FROM tensors t JOIN models m USING (model) ORDER BY t.model, energy_share DESC`,
  // model-level pairwise interference
  v_pair_summary: `SELECT * FROM pairs WHERE scope = 'model' ORDER BY a, b`,
  // per-module-kind rollup (sums, so ratios are exact rollups)
  v_module_rollup: `SELECT model, module, count(*) AS tensors, sum(numel) AS numel,
      sum(sum_sq_delta) / nullif(sum(sum_sq_base), 0) AS rho, sum(sum_abs_delta) / nullif(sum(numel - non_finite), 0) AS mean_abs_delta
    FROM tensors GROUP BY model, module ORDER BY model, rho DESC`,
};

async function createViews(db: Db): Promise<void> {
  for (const [name, sql] of Object.entries(ANALYSIS_VIEWS)) await query(db, `CREATE OR REPLACE VIEW ${name} AS ${sql}`);
}

// One transaction whose commit checkpoints straight into the file: with the thresholds at 0 DuckDB skips the WAL,
// so the tables are written once, compressed, and the file is complete when COMMIT returns.
const COMMIT_CHECKPOINTS = "SET checkpoint_threshold = '0b'; SET auto_checkpoint_skip_wal_threshold = 0";

// Runs `work` while `pending` settles (on DuckDB's threads), then waits for it; the first error wins.
async function alongside<T>(pending: Promise<T>, work: () => void): Promise<T> {
  try {
    work();
  } catch (err) {
    await pending.catch(() => undefined);
    throw err;
  }
  return pending;
}

async function writeFiles(db: Db, tables: AnalysisTables, result: AnalysisResult, dir: string, version: string): Promise<void> {
  await query(db, COMMIT_CHECKPOINTS);
  await query(db, 'BEGIN TRANSACTION');
  for (const t of tables) await writeColumnTable(db, t.name, t.table);
  await writeTable(db, 'meta', [
    { key: 'base', value: result.base },
    { key: 'densities', value: JSON.stringify(result.densities) },
    { key: 'darekit_version', value: version },
  ], META_COLUMNS);
  await createViews(db);
  // Parquet exports and the commit run as one native call, so the Arrow files are built here meanwhile.
  const exportAndCommit = query(db, [...tables.map((t) => parquetCopySql(t.name, join(dir, `${t.name}.parquet`))), 'COMMIT'].join(';\n'));
  await alongside(exportAndCommit, () => {
    for (const t of tables) writeFileSync(join(dir, `${t.name}.arrow`), arrowIPCOf(t.table));
  });
}

/** Write <table>.arrow, analysis.duckdb (tables + meta + views) and <table>.parquet into dir (which must exist). */
export async function writeAnalysisFiles(result: AnalysisResult, dir: string, version = DAREKIT_VERSION): Promise<void> {
  const tables = analysisTables(result);
  await withDb(join(dir, ANALYSIS_DB), (db) => writeFiles(db, tables, result, dir, version));
}

/** Which histogram rows to load: all scopes, only the per-model rollups, or none (the largest table by far). */
export type HistogramScope = 'all' | 'model' | 'none';

const HISTOGRAM_QUERY: Record<HistogramScope, string | null> = {
  all: 'SELECT * FROM histograms',
  model: "SELECT * FROM histograms WHERE scope = 'model'",
  none: null,
};

/** Load an analysis dir's results back from its analysis.duckdb (what report, dash, predict and tune read). */
export async function readAnalysis(dir: string, opts: { histograms?: HistogramScope } = {}): Promise<AnalysisResult> {
  const file = join(dir, ANALYSIS_DB);
  if (!existsSync(file)) throw inputError(`${dir}: no ${ANALYSIS_DB} here; run \`darekit analyze --base B FT… --out ${dir}\` first`);
  return withDb(file, async (db) => {
    const meta = new Map((await query(db, 'SELECT key, value FROM meta')).rows.map((r) => [String(r.key), String(r.value)]));
    const densities = JSON.parse(meta.get('densities') ?? '[]') as number[];
    const all = async (sql: string) => (await query(db, sql)).rows;
    const histogramSql = HISTOGRAM_QUERY[opts.histograms ?? 'all'];
    return {
      base: meta.get('base') ?? '',
      models: fromRows(await all('SELECT * FROM models'), MODEL_COLUMNS),
      tensors: fromRows(await all('SELECT * FROM tensors'), TENSOR_COLUMNS),
      layers: fromRows(await all('SELECT * FROM layers'), LAYER_COLUMNS),
      pairs: fromRows(await all('SELECT * FROM pairs'), pairColumns(densities)).map((p) => ({ ...p, overlapExpected: p.overlapExpected ?? [] })),
      histograms: histogramSql === null ? [] : fromRows(await all(histogramSql), HISTOGRAM_COLUMNS),
      densities,
    };
  }, { readOnly: true });
}
