import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYSIS_DB } from '../store/analysis-store.js';
import { inputError } from '../errors.js';
import { query, withDb, type CellValue } from '../store/db.js';
import { writeTable, type Column } from '../store/table.js';
import type { TrialRecord, TrialStatus } from './trials.js';

/** Columns of the DuckDB table `trials` (one row per `tune --eval` candidate). */
export const TRIAL_COLUMNS: Column[] = [
  { name: 'trial', type: 'INTEGER', doc: 'trial number; 0 is the data-free recipe' },
  { name: 'density_scale', type: 'DOUBLE', unit: 'multiplier', doc: 'factor applied to every recipe density (clamped to [0.05, 1])' },
  { name: 'weights', type: 'VARCHAR', doc: 'JSON {model: weight}' },
  { name: 'densities', type: 'VARCHAR', doc: 'JSON {model: model-level density after scaling}' },
  {
    name: 'score',
    type: 'DOUBLE',
    unit: "the eval command's",
    doc: 'score printed by the eval command (higher is better); NULL when it failed',
  },
  { name: 'seconds', type: 'DOUBLE', unit: 's', doc: 'wall time of merge + eval' },
  { name: 'status', type: 'VARCHAR', doc: 'ok | failed | timeout | no-score | merge-failed' },
  { name: 'stderr_tail', type: 'VARCHAR', doc: "last ≤ 2000 characters of the command's stderr" },
  { name: 'best', type: 'BOOLEAN', doc: 'the trial merged into the output dir' },
];

/** Write (replace) the `trials` table in an analysis dir's database. */
export async function writeTrials(analysisDir: string, trials: TrialRecord[]): Promise<void> {
  await withDb(join(analysisDir, ANALYSIS_DB), (db) =>
    writeTable(
      db,
      'trials',
      trials.map((t) => ({
        trial: t.trial,
        density_scale: t.densityScale,
        weights: JSON.stringify(t.weights),
        densities: JSON.stringify(t.densities),
        score: t.score,
        seconds: t.seconds,
        status: t.status,
        stderr_tail: t.stderrTail,
        best: t.best,
      })),
      TRIAL_COLUMNS,
    ),
  );
}

const STATUSES: ReadonlySet<string> = new Set(['ok', 'failed', 'timeout', 'no-score', 'merge-failed']);

// A JSON object of finite numbers keyed by model, or undefined.
function numberMap(text: unknown): Record<string, number> | undefined {
  if (typeof text !== 'string') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v as Record<string, number>) : undefined;
}

const finiteOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 1e150);

/** One stored row as a TrialRecord, or what is wrong with it. */
function trialOf(r: Record<string, CellValue>): TrialRecord | string {
  const weights = numberMap(r.weights);
  const densities = numberMap(r.densities);
  if (typeof r.trial !== 'number' || !Number.isInteger(r.trial) || r.trial < 0) return 'column "trial" is not a trial number';
  if (weights === undefined) return 'column "weights" is not a JSON object of numbers';
  if (densities === undefined) return 'column "densities" is not a JSON object of numbers';
  if (!finiteOrNull(r.score) || !finiteOrNull(r.density_scale) || !finiteOrNull(r.seconds))
    return 'a number column holds a non-number or a value beyond ±1e150';
  if (typeof r.status !== 'string' || !STATUSES.has(r.status)) return `column "status" is not one of ${[...STATUSES].join(', ')}`;
  return {
    trial: r.trial,
    densityScale: Number(r.density_scale),
    weights,
    densities,
    score: r.score === null ? null : Number(r.score),
    seconds: Number(r.seconds),
    status: r.status as TrialStatus,
    stderrTail: String(r.stderr_tail ?? ''),
    best: r.best === true,
  };
}

/** The `trials` table of an analysis dir, or [] when there is none; a damaged one is an input error naming the row. */
export async function readTrials(analysisDir: string): Promise<TrialRecord[]> {
  const file = join(analysisDir, ANALYSIS_DB);
  if (!existsSync(file)) return [];
  const bad = (what: string): never => {
    throw inputError(`${analysisDir}: table "trials" ${what}; not a table darekit wrote (rerun \`darekit tune\`)`);
  };
  return withDb(
    file,
    async (db) => {
      let rows: Record<string, CellValue>[];
      try {
        const has = await query(
          db,
          `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'trials'`,
        );
        if (Number(has.rows[0]?.n ?? 0) === 0) return [];
        rows = (await query(db, `SELECT ${TRIAL_COLUMNS.map((c) => `"${c.name}"`).join(', ')} FROM trials ORDER BY trial`)).rows;
      } catch (err) {
        return bad(`cannot be read (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
      }
      return rows.map((r, i) => {
        const t = trialOf(r);
        return typeof t === 'string' ? bad(`row ${i + 1}: ${t}`) : t;
      });
    },
    { readOnly: true },
  );
}
