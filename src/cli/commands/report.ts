import type { Command } from 'commander';
import { assertOutputApartFromInputs, realPathOf } from '../../io/output-guard.js';
import { writeReport } from '../../report/write.js';
import { safeName } from '../../text/safe-text.js';
import type { CommandOutput } from '../command.js';
import { toleranceOption } from '../options.js';

/** Declare `darekit report`'s arguments and options. */
export function configure(cmd: Command): void {
  cmd
    .argument('<dir>', 'analysis dir (from darekit analyze or tune)')
    .option('--out <dir>', 'write the report files here (default: the analysis dir)')
    .option('--tolerance <share>', "share of each fine-tune's gain to keep, for the predictions shown (default 0.95)")
    .option('--json', 'print one JSON object');
}

/** Run `darekit report` and return its JSON and text output. */
export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  const tolerance = toleranceOption(opts.tolerance);
  // --out beside the analysis is the default; elsewhere it may not overlap the analysis dir it reads
  if (opts.out !== undefined && realPathOf(String(opts.out)) !== realPathOf(args[0]!))
    assertOutputApartFromInputs(String(opts.out), [args[0]]);
  const { data, files } = await writeReport(args[0]!, { outDir: opts.out as string | undefined, tolerance });
  const lines = [`set: ${data.set?.verdict ?? '–'} (method ${data.set?.method ?? '–'})`];
  for (const m of data.models)
    lines.push(`  ${safeName(m.model)}: ${m.verdict}, ${m.kind}, drop rate ${m.recommendedDropRate} (density ${m.recommendedDensity})`);
  lines.push(...files.map((f) => `wrote ${safeName(f)}`));
  return {
    json: {
      files,
      set: data.set,
      models: data.models.map((m) => ({ model: m.model, verdict: m.verdict, kind: m.kind, recommendedDropRate: m.recommendedDropRate })),
      trials: data.trials.length,
    },
    text: lines.join('\n'),
  };
}
