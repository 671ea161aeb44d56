import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYSIS_DB } from '../store/analysis-store.js';
import { query, withDb } from '../store/db.js';
import { writeTable, type Column } from '../store/table.js';
import type { TrialRecord, TrialStatus } from './trials.js';

/** Columns of the DuckDB table `trials` (one row per `tune --eval` candidate). */
export const TRIAL_COLUMNS: Column[] = [
  { name: 'trial', type: 'INTEGER', doc: 'trial number; 0 is the data-free recipe' },
  { name: 'density_scale', type: 'DOUBLE', unit: 'multiplier', doc: 'factor applied to every recipe density (clamped to [0.05, 1])' },
  { name: 'weights', type: 'VARCHAR', doc: 'JSON {model: weight}' },
  { name: 'densities', type: 'VARCHAR', doc: 'JSON {model: model-level density after scaling}' },
  { name: 'score', type: 'DOUBLE', unit: "the eval command's", doc: 'score printed by the eval command (higher is better); NULL when it failed' },
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

/** The `trials` table of an analysis dir, or [] when there is none. */
export async function readTrials(analysisDir: string): Promise<TrialRecord[]> {
  const file = join(analysisDir, ANALYSIS_DB);
  if (!existsSync(file)) return [];
  return withDb(
    file,
    async (db) => {
      const has = await query(db, `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'trials'`);
      if (Number(has.rows[0]?.n ?? 0) === 0) return [];
      const { rows } = await query(db, 'SELECT * FROM trials ORDER BY trial');
      return rows.map((r) => ({
        trial: Number(r.trial),
        densityScale: Number(r.density_scale),
        weights: JSON.parse(String(r.weights)) as Record<string, number>,
        densities: JSON.parse(String(r.densities)) as Record<string, number>,
        score: r.score === null ? null : Number(r.score),
        seconds: Number(r.seconds),
        status: String(r.status) as TrialStatus,
        stderrTail: String(r.stderr_tail ?? ''),
        best: Boolean(r.best),
      }));
    },
    { readOnly: true },
  );
}
