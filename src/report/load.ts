import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AnalysisResult } from '../schema/analysis.js';
import { predictWithProbe } from '../predict/measured.js';
import { setToJson } from '../predict/predict.js';
import { readProbeTable, type ProbeRow } from '../store/probe-table.js';
import { codes } from '../predict/reasons.js';
import { readAnalysis } from '../store/analysis-store.js';
import { readTrials } from '../tune/trials-table.js';
import type { ReportData } from './data.js';

/** Merge adjacent histogram bins so each model's chart has at most `maxBins` steps (counts are summed, exact). */
export function coarsenBins(
  bins: { lo: number; hi: number; count: number }[],
  maxBins: number,
): { lo: number; hi: number; count: number }[] {
  const sorted = [...bins].sort((a, b) => a.lo - b.lo);
  if (sorted.length <= maxBins) return sorted;
  const group = Math.ceil(sorted.length / maxBins);
  const out: { lo: number; hi: number; count: number }[] = [];
  for (let i = 0; i < sorted.length; i += group) {
    const g = sorted.slice(i, i + group);
    out.push({ lo: g[0]!.lo, hi: g[g.length - 1]!.hi, count: g.reduce((s, b) => s + b.count, 0) });
  }
  return out;
}

/** Assemble the report's data from an analysis result (+ predictions at `tolerance`, trials, recipe text). */
export function reportDataFrom(
  result: AnalysisResult,
  dir: string,
  tolerance: number,
  trials: ReportData['trials'],
  recipe: string | null,
  probe: ProbeRow[] = [],
): ReportData {
  // a safe drop rate measured by `darekit probe --out` wins; the weights' own prediction is shown beside it
  const { predictions: pred, fromWeights, measured } = predictWithProbe(result, probe, tolerance);
  return {
    dir,
    base: result.base,
    tolerance,
    set: setToJson(pred.set),
    models: result.models.map((m) => {
      const p = pred.models.find((x) => x.model === m.model)!;
      return {
        model: m.model,
        path: m.path,
        kind: p.kind,
        verdict: p.verdict,
        reasons: p.reasons,
        recommendedDropRate: p.recommendedDropRate,
        recommendedDensity: p.recommendedDensity,
        fromWeightsDropRate: fromWeights.models.find((x) => x.model === m.model)!.predictedDropRate,
        measuredDropRate: measured[m.model] ?? null,
        predictedDropRate: p.predictedDropRate,
        dropRateLow: p.dropRateLow,
        dropRateHigh: p.dropRateHigh,
        basis: p.basis,
        reasonCodes: codes(p.reasonDetails),
        reasonDetails: p.reasonDetails,
        riskiestTensors: p.tensors
          .filter((t) => t.risky)
          .sort((a, b) => a.toleratedNoise - b.toleratedNoise)
          .map((t) => ({ tensor: t.tensor, safeDropRate: t.safeDropRate, errorAtRecommended: t.errorAtRecommended })),
        rho: m.rho,
        meanAbsDelta: m.meanAbsDelta,
        maxAbsDelta: m.maxAbsDelta,
        deltaL2: m.deltaL2,
        fracLe0005: m.fracLe0005,
        droppableShare: m.droppableShare,
        numel: m.numel,
      };
    }),
    layers: pred.models.flatMap((p) => p.layers.map((l) => ({ model: p.model, layer: l.layer, rho: l.rho, safeDropRate: l.safeDropRate }))),
    pairs: pred.pairs.map((p) => ({
      a: p.a,
      b: p.b,
      cosine: p.cosine,
      signConflict: p.signConflict,
      weightedConflict: p.weightedConflict,
    })),
    histograms: result.models.map((m) => ({
      model: m.model,
      bins: coarsenBins(
        result.histograms.filter((h) => h.model === m.model && h.scope === 'model'),
        40,
      ),
    })),
    trials,
    probe,
    recipe,
  };
}

/** Read everything a report shows from an analysis dir: tables via DuckDB, predictions, trials, recipe.yml. */
export async function loadReportData(dir: string, opts: { tolerance?: number } = {}): Promise<ReportData> {
  const abs = resolve(dir);
  const result = await readAnalysis(abs, { histograms: 'model' });
  const trials = await readTrials(abs);
  const recipeFile = join(abs, 'recipe.yml');
  const recipe = existsSync(recipeFile) ? readFileSync(recipeFile, 'utf8') : null;
  return reportDataFrom(result, abs, opts.tolerance ?? 0.95, trials, recipe, await readProbeTable(abs));
}
