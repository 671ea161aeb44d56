import type { Command } from 'commander';
import { runProbe } from '../../app/probe.js';
import type { ProbeResult } from '../../model/probe.js';
import type { CommandOutput } from '../command.js';
import { addDownloadOption, prepareInputs } from '../hub.js';
import { intOption, numberOption, threadsOption } from '../options.js';
import { ProgressBar } from '../progress.js';

/** Declare `darekit probe`'s arguments and options. */
export function configure(cmd: Command): void {
  cmd
    .argument('<finetunes...>', 'fine-tuned model dirs (or Hugging Face repo ids) to probe')
    .requiredOption('--base <model>', 'base model the fine-tunes were trained from (a dir or a repo id)')
    .option(
      '--examples <FT=FILE...>',
      'examples of a fine-tune (its path or dir name): JSONL of {"prompt","completion"} (exact match) or text (loss)',
    )
    .option('--drop-rates <list>', 'comma-separated drop rates (default 0,0.1,…,0.9,0.95,0.97,0.99: the grid of the shared truth.json)')
    .option('--seeds <n>', 'DARE mask seeds per drop rate (default 3)')
    .option('--tolerance <share>', "share of the fine-tune's gain a safe drop rate keeps (default 0.95)")
    .option('--window <n>', 'tokens per window of a text examples file (default 128)')
    .option('--out <dir>', 'analysis dir to store the table `probe` in (predict, report and dash use it)')
    .option('--threads <n>', 'worker threads for the forward pass (default: one per core; results do not depend on it)')
    .option('--json', 'print one JSON object');
  addDownloadOption(cmd);
}

function dropRates(v: unknown): number[] | undefined {
  if (v === undefined) return undefined;
  return String(v)
    .split(',')
    .map((s) => numberOption(s.trim(), '--drop-rates', (x) => x >= 0 && x < 1, 'a drop rate in [0, 1)')!);
}

/** The probe result as `--json` prints it (the contract, plus the grid and settings). */
export function probeJson(r: ProbeResult, outDir?: string): Record<string, unknown> {
  return {
    base: r.base,
    dropRates: r.dropRates,
    seeds: r.seeds.length,
    tolerance: r.tolerance,
    bootstrap: r.bootstrap,
    forwardPasses: r.forwardPasses,
    models: r.models.map((m) => ({
      model: m.name,
      path: m.path,
      metric: m.metric,
      examples: m.examples,
      baseScore: m.baseScore,
      ftScore: m.ftScore,
      sweep: m.sweep.map((s) => ({
        dropRate: s.dropRate,
        loss: s.loss,
        ...(s.exactMatch !== undefined ? { exactMatch: s.exactMatch } : {}),
        retained: s.retained,
        retainedLow: s.retainedLow,
        retainedHigh: s.retainedHigh,
        seedRetained: s.seedRetained,
      })),
      safeDropRate: m.safeDropRate,
    })),
    ...(outDir ? { outDir } : {}),
  };
}

const f3 = (x: number): string => x.toFixed(3);

/** The probe result as a table per fine-tune. */
export function probeText(r: ProbeResult, outDir?: string): string {
  const lines: string[] = [];
  for (const m of r.models) {
    const what = m.metric === 'exact_match' ? 'exact match' : 'loss';
    lines.push(`${m.name} — ${what} on ${m.examples} examples: base ${f3(m.baseScore)}, fine-tune ${f3(m.ftScore)}`);
    lines.push(
      `  ${'p'.padEnd(5)} ${'loss'.padStart(7)} ${m.metric === 'exact_match' ? 'exact'.padStart(6) : ''} ${'retained'.padStart(8)}  ${'bootstrap 95%'.padEnd(16)} seeds`,
    );
    for (const s of m.sweep) {
      const em = s.exactMatch !== undefined ? f3(s.exactMatch).padStart(6) : '';
      lines.push(
        `  ${String(s.dropRate).padEnd(5)} ${f3(s.loss).padStart(7)} ${em} ${f3(s.retained).padStart(8)}  [${f3(s.retainedLow)}, ${f3(s.retainedHigh)}]`.padEnd(
          m.metric === 'exact_match' ? 54 : 47,
        ) + ` ${s.seedRetained.map(f3).join(' ')}`,
      );
    }
    lines.push(
      m.safeDropRate === null
        ? `  safe drop rate: none (the fine-tune scores no better than the base on these examples)`
        : `  safe drop rate at ${r.tolerance}: ${m.safeDropRate} (measured; largest p with retained ≥ ${r.tolerance})`,
    );
  }
  lines.push(`${r.forwardPasses} forward passes (${r.seeds.length} seeds × ${r.dropRates.length} drop rates)`);
  if (outDir) lines.push(`stored: table probe in ${outDir}/analysis.duckdb and ${outDir}/probe.parquet`);
  return lines.join('\n');
}

/** Run `darekit probe`. */
export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  await prepareInputs({ base: String(opts.base), models: args }, opts);
  let bar: ProgressBar | undefined; // made at the first report, when the number of passes is known
  const tty = process.stderr.isTTY === true;
  let lastFt = '';
  const { result, outDir } = await runProbe({
    base: String(opts.base),
    finetunes: args,
    examples: (opts.examples as string[] | undefined) ?? [],
    dropRates: dropRates(opts.dropRates),
    seeds: intOption(opts.seeds, '--seeds', 1, 1000),
    tolerance: numberOption(opts.tolerance, '--tolerance', (n) => n > 0 && n <= 1, 'a share of the gain in (0, 1]'),
    window: intOption(opts.window, '--window', 2),
    threads: threadsOption(opts.threads),
    ...(opts.out !== undefined ? { out: String(opts.out) } : {}),
    onNote: (line) => process.stderr.write(`${line}\n`),
    onProgress: (p) => {
      if (tty) {
        bar ??= new ProgressBar('probe', p.total, 'items');
        bar.update(p.done, p.label);
        return;
      }
      const ft = p.label.split(' ')[0]!;
      if (ft !== lastFt) {
        process.stderr.write(`probe: ${p.done}/${p.total} forward passes (${p.label})\n`);
        lastFt = ft;
      }
    },
  });
  bar?.done();
  return { json: probeJson(result, outDir), text: probeText(result, outDir) };
}
