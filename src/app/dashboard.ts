// Composition for the dashboard: the stored analysis (never recomputed), the predictions (measured beats predicted)
// and the recipe tune would start from, decided here and handed to the dashboard.
import { join, resolve } from 'node:path';
import { inputError } from '../errors.js';
import { ANALYSIS_DB, readAnalysis } from '../store/analysis-store.js';
import { query, withDb } from '../store/db.js';
import { predictAnalysisDir } from '../predict/measured.js';
import type { DashboardData } from '../dash/model.js';
import { toDashboardData } from '../dash/adapter.js';
import { buildRecipe } from '../tune/recipe.js';

/** Options of loadDashboardData. */
export interface LoadDashboardOptions {
  /** Share of each fine-tune's gain to keep (default: the stored predictions' tolerance, else the predictor's default). */
  tolerance?: number;
}

/** The tolerance and κ of the predictions stored by `darekit predict` / `analyze` (table `predictions`), if any. */
export async function storedPredictionParams(dir: string): Promise<{ tolerance: number; kappa: number } | null> {
  return withDb(
    join(dir, ANALYSIS_DB),
    async (db) => {
      let r;
      try {
        const t = await query(
          db,
          "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'predictions'",
        );
        if (Number(t.rows[0]?.n ?? 0) === 0) return null;
        r = (await query(db, 'SELECT tolerance, kappa FROM predictions LIMIT 1')).rows[0];
      } catch (err) {
        throw inputError(
          `${dir}: table "predictions" cannot be read (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}); rerun \`darekit predict ${dir}\``,
          err,
        );
      }
      if (!r) return null;
      const { tolerance, kappa } = r;
      if (typeof tolerance !== 'number' || !(tolerance > 0 && tolerance < 1) || typeof kappa !== 'number' || !(kappa > 0 && kappa <= 1e6)) {
        throw inputError(
          `${dir}: table "predictions" holds tolerance ${String(tolerance)} and κ ${String(kappa)}, not a share in (0, 1) and a factor in (0, 1e6]; rerun \`darekit predict ${dir}\``,
        );
      }
      return { tolerance, kappa };
    },
    { readOnly: true },
  );
}

/**
 * Read DIR/analysis.duckdb and build the dashboard's view model. Predictions are recomputed from the stored
 * analysis with predict() — pure and instant, it works on the stored sums and never re-reads weights — using the
 * tolerance of the stored `predictions` table when there is one (the calibrated constants are the build's).
 */
export async function loadDashboardData(dir: string, opts: LoadDashboardOptions = {}): Promise<DashboardData> {
  const abs = resolve(dir);
  const result = await readAnalysis(abs, { histograms: 'none' });
  const stored = await storedPredictionParams(abs);
  const tolerance = opts.tolerance ?? stored?.tolerance;
  // a safe drop rate measured by `darekit probe --out DIR` wins; the weights' own prediction is kept beside it
  const { predictions, fromWeights, measured } = await predictAnalysisDir(abs, result, tolerance);
  // seed 0 and the tensor names for its per-layer filters: the same recipe `darekit tune` starts from
  const recipe = buildRecipe(predictions, { seed: 0, tensorNames: result.tensors.map((t) => ({ name: t.tensor, layer: t.layer })) });
  return Object.keys(measured).length === 0
    ? toDashboardData(result, predictions, abs, recipe)
    : toDashboardData(result, predictions, abs, recipe, fromWeights);
}
