// A measured safe drop rate (darekit probe's `probe` table) always wins over the predicted one. This is the one
// place that overrides it; callers load predictions, then pass them through applyMeasuredSafeRates.
import type { ProbeRow } from '../store/probe-table.js';
import { readProbeTable } from '../store/probe-table.js';
import type { ModelPrediction, Predictions } from './types.js';
import { setVerdict } from './verdict.js';

/** Where a model's safe drop rate came from. */
export type SafeDropRateSource = 'measured' | 'predicted';

/** A prediction with the source of its safe drop rate (and the predicted one, when a measurement replaced it). */
export type SourcedModelPrediction = ModelPrediction & {
  safeDropRateSource: SafeDropRateSource;
  predictedDropRate: number;
  measuredDropRate: number | null;
};

/** Predictions whose models say where their safe drop rate came from. */
export type SourcedPredictions = Omit<Predictions, 'models'> & { models: SourcedModelPrediction[] };

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/** The measured safe drop rate of one model's probe rows at `tolerance`: the largest p with retained ≥ tolerance; null without a gain. */
export function measuredSafeDropRate(rows: readonly ProbeRow[], tolerance: number): number | null {
  if (rows.length === 0 || !(rows[0]!.ftScore > rows[0]!.baseScore)) return null;
  let safe: number | null = null;
  for (const r of rows) if (r.retained >= tolerance && (safe === null || r.dropRate > safe)) safe = r.dropRate;
  return safe;
}

/**
 * Override each model's predicted safe drop rate with the one the probe measured (matched by path, else by
 * model name), at the predictions' tolerance; every model's reasons then start by saying which one is used.
 * With no probe rows every rate is marked 'predicted' (and the predictor's statement of it says so).
 */
export function applyMeasuredSafeRates(pred: Predictions, rows: readonly ProbeRow[]): SourcedPredictions {
  const models: SourcedModelPrediction[] = pred.models.map((m) => {
    const mine =
      rows.filter((r) => r.path === m.path).length > 0 ? rows.filter((r) => r.path === m.path) : rows.filter((r) => r.model === m.model);
    const measured = measuredSafeDropRate(mine, pred.tolerance);
    // the predictor's own statement of its rate, marked as the prediction
    const marked = m.reasons.map((r) => (r.startsWith('keeps ≥') ? `predicted from weight statistics: ${r}` : r));
    if (rows.length === 0)
      return { ...m, safeDropRateSource: 'predicted', predictedDropRate: m.recommendedDropRate, measuredDropRate: null, reasons: marked };
    if (measured === null) {
      const why =
        mine.length === 0
          ? 'no probe measurement for this model'
          : `the probe measured no gain over the base on ${mine[0]!.examples} examples`;
      return {
        ...m,
        safeDropRateSource: 'predicted',
        predictedDropRate: m.recommendedDropRate,
        measuredDropRate: null,
        reasons: [`safe drop rate ${m.recommendedDropRate} is predicted from weight statistics (${why})`, ...marked],
      };
    }
    const r0 = mine[0]!;
    const what = r0.metric === 'exact_match' ? 'exact match' : 'loss';
    const agree =
      measured === m.recommendedDropRate ? `the prediction (${measured}) agrees` : `the predicted ${m.recommendedDropRate} is not used`;
    const reason = `safe drop rate ${measured} is measured (darekit probe: keeps ≥ ${pct(pred.tolerance)} of its gain in ${what} on ${r0.examples} examples up to p = ${measured}); ${agree}`;
    return {
      ...m,
      recommendedDropRate: measured,
      recommendedDensity: Number((1 - measured).toFixed(6)),
      safeDropRateSource: 'measured',
      predictedDropRate: m.recommendedDropRate,
      measuredDropRate: measured,
      reasons: [reason, ...marked],
    };
  });
  return { ...pred, models, set: rows.length === 0 ? pred.set : setVerdict(models, pred.pairs, pred.tolerance) };
}

/** applyMeasuredSafeRates with the `probe` table of an analysis dir (none: predictions unchanged). */
export async function withMeasuredSafeRates(pred: Predictions, dir: string): Promise<SourcedPredictions> {
  return applyMeasuredSafeRates(pred, await readProbeTable(dir));
}
