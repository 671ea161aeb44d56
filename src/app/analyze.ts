// Composition: the analyzer's results written as tables (and predictions) into one atomic analysis dir.
import { analyzeModels, type AnalyzeModelsOptions } from '../analysis/analyze.js';
import type { AnalysisResult } from '../schema/analysis.js';
import { OutputDir } from '../io/output-dir.js';
import { specPaths } from '../io/output-guard.js';
import { predict, type PredictOptions } from '../predict/predict.js';
import type { Predictions } from '../predict/types.js';
import { writePredictions } from '../predict/store.js';
import { writeAnalysisFiles } from '../store/analysis-store.js';

/** Options of analyze: the streaming analysis plus where to write its tables. */
export interface AnalyzeOptions extends AnalyzeModelsOptions {
  outDir: string;
  /** Replace an existing non-empty outDir. */
  force?: boolean;
  /** Runs after the tables are written into the (still temporary) output dir, before it is renamed into place. */
  beforeCommit?: (result: AnalysisResult, dir: string) => Promise<void>;
}

/**
 * Analyze base + fine-tunes and write outDir/{models,tensors,layers,pairs,histograms}.{arrow,parquet} and
 * outDir/analysis.duckdb atomically (a temp sibling renamed into place; a failure leaves no outDir).
 */
export async function analyze(opts: AnalyzeOptions): Promise<AnalysisResult> {
  const out = OutputDir.create(opts.outDir, {
    force: opts.force ?? false,
    inputs: [...specPaths(opts.base), ...opts.finetunes.flatMap(specPaths)],
  });
  try {
    const result = await analyzeModels(opts);
    await writeAnalysisFiles(result, out.tempDir);
    await opts.beforeCommit?.(result, out.tempDir);
    out.commit();
    return result;
  } finally {
    out.abort();
  }
}

/** Analyze, predict, and write the analysis tables and the predictions tables into one atomic analysis dir. */
export async function analyzeAndPredict(
  opts: AnalyzeOptions,
  predictOpts?: PredictOptions,
): Promise<{ result: AnalysisResult; predictions: Predictions }> {
  let predictions: Predictions | undefined;
  const result = await analyze({
    ...opts,
    beforeCommit: async (r, dir) => {
      await opts.beforeCommit?.(r, dir);
      predictions = predict(r, predictOpts);
      await writePredictions(dir, predictions);
    },
  });
  return { result, predictions: predictions! };
}
