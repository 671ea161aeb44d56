import type { Command } from 'commander';
import { predictAnalysisDir } from '../../predict/measured.js';
import { predictionsToJson } from '../../predict/predict.js';
import { renderPredictions } from '../../predict/render.js';
import { writePredictions } from '../../predict/store.js';
import { readAnalysis } from '../../store/analysis-store.js';
import type { CommandOutput } from '../command.js';
import { toleranceOption } from '../options.js';

export function configure(cmd: Command): void {
  cmd
    .argument('<dir>', 'an analysis dir written by `darekit analyze --out DIR`')
    .option('--tolerance <share>', "share of each fine-tune's gain that must survive DARE", '0.95')
    .option('--json', 'print one JSON object (DESIGN contract)');
}

export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  const dir = args[0]!;
  const tolerance = toleranceOption(opts.tolerance) ?? 0.95;
  // a safe drop rate measured by `darekit probe --out DIR` wins over the predicted one
  const result = await readAnalysis(dir, { histograms: 'none' });
  const { predictions: pred } = await predictAnalysisDir(dir, result, tolerance);
  await writePredictions(dir, pred);
  return {
    json: predictionsToJson(pred, dir),
    text: `${renderPredictions(pred)}\n\nstored: tables predictions, prediction_layers, prediction_tensors, prediction_set in ${dir}/analysis.duckdb`,
  };
}
