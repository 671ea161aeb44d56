// A measured safe drop rate (darekit probe's `probe` table) always wins over the predicted one. predict() takes
// measured rates through its `measured` option; this is the one place that reads them from a probe's rows, at the
// tolerance the predictions use.
import type { AnalysisResult } from '../schema/analysis.js';
import { readProbeTable, type ProbeRow } from '../store/probe-table.js';
import { predict } from './predict.js';
import type { Predictions } from './types.js';

/** The measured safe drop rate of one model's probe rows at `tolerance`: the largest p with retained ≥ tolerance; null without a gain. */
export function measuredSafeDropRate(rows: readonly ProbeRow[], tolerance: number): number | null {
  if (rows.length === 0 || !(rows[0]!.ftScore > rows[0]!.baseScore)) return null;
  let safe: number | null = null;
  for (const r of rows) if (r.retained >= tolerance && (safe === null || r.dropRate > safe)) safe = r.dropRate;
  return safe;
}

/**
 * The measured safe drop rates that override the predicted ones, keyed by the analysis' model names (predict's
 * `measured` option): each model's probe rows matched by path, else by name, re-read at `tolerance` from the sweep.
 */
export function measuredSafeRates(
  rows: readonly ProbeRow[],
  models: readonly { model: string; path: string }[],
  tolerance: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of models) {
    const byPath = rows.filter((r) => r.path === m.path);
    const rate = measuredSafeDropRate(byPath.length > 0 ? byPath : rows.filter((r) => r.model === m.model), tolerance);
    if (rate !== null) out[m.model] = rate;
  }
  return out;
}

/** measuredSafeRates from the `probe` table of an analysis dir ({} when nothing was probed). */
export async function readMeasuredSafeRates(
  dir: string,
  models: readonly { model: string; path: string }[],
  tolerance: number,
): Promise<Record<string, number>> {
  return measuredSafeRates(await readProbeTable(dir), models, tolerance);
}

/** Predictions with the probe's measurements applied, and the weights' own prediction kept beside them. */
export interface MeasuredPredictions {
  /** What every consumer shows and uses: a probed model's safe drop rate is the measured one. */
  predictions: Predictions;
  /** The same from the weights alone (equal to predictions when nothing was probed). */
  fromWeights: Predictions;
  /** The measured safe drop rates at the predictions' tolerance, by model name. */
  measured: Record<string, number>;
}

/** The one rule for measured beats predicted: predict at `tolerance` (default 0.95), then apply the probe rows. */
export function predictWithProbe(result: AnalysisResult, rows: readonly ProbeRow[], tolerance?: number): MeasuredPredictions {
  const fromWeights = predict(result, tolerance !== undefined ? { tolerance } : {});
  const measured = measuredSafeRates(rows, result.models, fromWeights.tolerance);
  const predictions = Object.keys(measured).length === 0 ? fromWeights : predict(result, { tolerance: fromWeights.tolerance, measured });
  return { predictions, fromWeights, measured };
}

/** predictWithProbe with the `probe` table of an analysis dir (none: the predictions from the weights). */
export async function predictAnalysisDir(dir: string, result: AnalysisResult, tolerance?: number): Promise<MeasuredPredictions> {
  return predictWithProbe(result, await readProbeTable(dir), tolerance);
}
