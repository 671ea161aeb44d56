// The `probe` table: what `darekit probe --out DIR` measured, one row per fine-tune and drop rate, beside the
// analysis tables in DIR/analysis.duckdb (and DIR/probe.parquet). Plain data: predict, report and dash read it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYSIS_DB } from './analysis-store.js';
import { query, withDb } from './db.js';
import { exportParquet, writeTable, type Column } from './table.js';

/** One measured drop rate of one fine-tune. */
export interface ProbeRow {
  /** The fine-tune's dir name (the `model` key of the analysis tables) and absolute path. */
  model: string;
  path: string;
  /** 'exact_match' (prompt/completion examples) or 'loss' (text). */
  metric: string;
  examplesFile: string;
  examples: number;
  baseScore: number;
  ftScore: number;
  dropRate: number;
  loss: number;
  exactMatch: number | null;
  retained: number;
  retainedLow: number;
  retainedHigh: number;
  /** Lowest and highest retained share over the mask seeds. */
  retainedMin: number;
  retainedMax: number;
  seeds: number;
  /** The model's measured safe drop rate at `tolerance` (the same on every row of a model); null without a gain. */
  safeDropRate: number | null;
  tolerance: number;
}

/** Columns of table `probe`. */
export const PROBE_COLUMNS: Column[] = [
  { name: 'model', type: 'VARCHAR', doc: "the fine-tune's dir name" },
  { name: 'path', type: 'VARCHAR' },
  { name: 'metric', type: 'VARCHAR', doc: "'exact_match' (prompt/completion JSONL) or 'loss' (text windows)" },
  { name: 'examples_file', type: 'VARCHAR' },
  { name: 'examples', type: 'INTEGER', doc: 'examples (JSONL lines or text windows) scored' },
  { name: 'base_score', type: 'DOUBLE', doc: 'score of the base: exact match, or minus the mean loss' },
  { name: 'ft_score', type: 'DOUBLE', doc: 'score of the fine-tune' },
  { name: 'drop_rate', type: 'DOUBLE', unit: 'p', doc: 'DARE drop rate' },
  { name: 'loss', type: 'DOUBLE', unit: 'nats/token', doc: 'mean loss over examples and seeds' },
  { name: 'exact_match', type: 'DOUBLE', doc: 'mean exact match over examples and seeds; NULL for text' },
  { name: 'retained', type: 'DOUBLE', doc: '(score_p − base_score)/(ft_score − base_score), score_p averaged over seeds' },
  { name: 'retained_low', type: 'DOUBLE', doc: 'bootstrap 2.5% quantile over examples' },
  { name: 'retained_high', type: 'DOUBLE', doc: 'bootstrap 97.5% quantile over examples' },
  { name: 'retained_min', type: 'DOUBLE', doc: 'lowest retained share of one mask seed' },
  { name: 'retained_max', type: 'DOUBLE', doc: 'highest retained share of one mask seed' },
  { name: 'seeds', type: 'INTEGER', doc: 'mask seeds averaged at this drop rate' },
  {
    name: 'safe_drop_rate',
    type: 'DOUBLE',
    doc: 'largest drop rate of the grid with retained ≥ tolerance; NULL when the fine-tune gains nothing',
  },
  { name: 'tolerance', type: 'DOUBLE' },
];

/** Write (replace) table `probe` in DIR/analysis.duckdb and DIR/probe.parquet. */
export async function writeProbeTable(dir: string, rows: ProbeRow[]): Promise<void> {
  await withDb(
    join(dir, ANALYSIS_DB),
    async (db) => {
      await writeTable(
        db,
        'probe',
        rows.map((r) => ({
          model: r.model,
          path: r.path,
          metric: r.metric,
          examples_file: r.examplesFile,
          examples: r.examples,
          base_score: r.baseScore,
          ft_score: r.ftScore,
          drop_rate: r.dropRate,
          loss: r.loss,
          exact_match: r.exactMatch,
          retained: r.retained,
          retained_low: r.retainedLow,
          retained_high: r.retainedHigh,
          retained_min: r.retainedMin,
          retained_max: r.retainedMax,
          seeds: r.seeds,
          safe_drop_rate: r.safeDropRate,
          tolerance: r.tolerance,
        })),
        PROBE_COLUMNS,
      );
      await exportParquet(db, 'probe', join(dir, 'probe.parquet'));
      // our own SQL only (a fresh table and its COPY), so the analysis dir is the one place it may write a file
    },
    { allowedDirs: [dir] },
  );
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The `probe` table of an analysis dir ordered by model and drop rate, or [] when there is none. */
export async function readProbeTable(dir: string): Promise<ProbeRow[]> {
  const file = join(dir, ANALYSIS_DB);
  if (!existsSync(file)) return [];
  return withDb(
    file,
    async (db) => {
      const has = await query(db, `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'probe'`);
      if (Number(has.rows[0]?.n ?? 0) === 0) return [];
      const { rows } = await query(db, 'SELECT * FROM probe ORDER BY model, drop_rate');
      return rows.map((r) => ({
        model: String(r.model),
        path: String(r.path),
        metric: String(r.metric),
        examplesFile: String(r.examples_file),
        examples: num(r.examples),
        baseScore: num(r.base_score),
        ftScore: num(r.ft_score),
        dropRate: num(r.drop_rate),
        loss: num(r.loss),
        exactMatch: numOrNull(r.exact_match),
        retained: num(r.retained),
        retainedLow: num(r.retained_low),
        retainedHigh: num(r.retained_high),
        retainedMin: num(r.retained_min),
        retainedMax: num(r.retained_max),
        seeds: num(r.seeds),
        safeDropRate: numOrNull(r.safe_drop_rate),
        tolerance: num(r.tolerance),
      }));
    },
    { readOnly: true },
  );
}
