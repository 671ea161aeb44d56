import type { Command } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cliCommand, displayPath, shellWord } from '../../invocation.js';
import { analyze } from '../../app/analyze.js';
import { assertOutputApartFromInputs, specPaths } from '../../io/output-guard.js';
import { usageError } from '../../errors.js';
import { loadDashboardData } from '../../app/dashboard.js';
import { dashboardSummary } from '../../dash/summary.js';
import { threadsOption, toleranceOption } from '../options.js';
import { ProgressBar } from '../progress.js';
import { escapeStrings, safeName } from '../../text/safe-text.js';
import type { CommandOutput } from '../command.js';

export function configure(cmd: Command): void {
  cmd
    .argument('[inputs...]', 'an analysis dir (from darekit analyze), or with --base the fine-tunes to analyze first')
    .option('--base <model>', 'analyze these fine-tunes against this base first (live progress), then open the dashboard')
    .option('--out <dir>', 'with --base: where to write the analysis (default: a new temp dir, kept so the recipe can be written there)')
    .option('--tolerance <share>', "share of each fine-tune's gain a merge must keep (default 0.95)")
    .option('--threads <n>', 'with --base: analysis worker threads', '2')
    .option('--force', 'with --base: replace an existing non-empty --out dir')
    .option('--json', 'print the dashboard data as JSON instead of opening it');
}

/** Run the analysis into --out (or a fresh temp dir) with a progress bar on stderr; returns the analysis dir. */
async function analyzeFirst(base: string, finetunes: string[], opts: Record<string, unknown>): Promise<string> {
  if (finetunes.length === 0) throw usageError('with --base, give the fine-tunes to analyze: darekit dash --base B FT…');
  if (opts.out !== undefined) assertOutputApartFromInputs(String(opts.out), [...specPaths(base), ...finetunes.flatMap(specPaths)]);
  const outDir = opts.out !== undefined ? resolve(String(opts.out)) : join(mkdtempSync(join(tmpdir(), 'darekit-dash-')), 'analysis');
  let bar: ProgressBar | undefined;
  await analyze({
    base,
    finetunes,
    outDir,
    threads: threadsOption(opts.threads) ?? 2,
    force: opts.force === true,
    onProgress: (done, total) => {
      bar ??= new ProgressBar('analyze', total, 'bytes');
      bar.update(done);
    },
  });
  bar?.done();
  if (opts.out === undefined) process.stderr.write(`dash: analysis written to ${safeName(outDir)}\n`);
  return outDir;
}

/**
 * Open the dashboard (stdin and stdout both terminals), else return its data: --json prints DashboardData, and a
 * non-terminal stdout (`darekit dash DIR | cat`) gets the static text summary.
 */
export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput | void> {
  let dir: string;
  let keptNote: string | null = null;
  if (opts.base !== undefined) {
    dir = await analyzeFirst(String(opts.base), args, opts);
    // The dashboard takes the screen, so say again on the way out where the analysis stays (a temp dir is not removed).
    const cli = cliCommand();
    keptNote =
      opts.out === undefined
        ? `dash: the analysis stays in ${dir} (reopen it: ${cli} dash ${shellWord(dir)}; remove it: rm -r ${shellWord(dirname(dir))})`
        : `dash: the analysis stays in ${displayPath(dir)} (reopen it: ${cli} dash ${shellWord(displayPath(dir))})`;
    process.once('exit', () => process.stderr.write(`${keptNote}\n`));
  } else {
    if (args.length !== 1) throw usageError('give one analysis dir (darekit dash DIR), or --base B FT… to analyze first');
    if (opts.out !== undefined) throw usageError('--out is for --base (where to write the analysis); darekit dash DIR reads DIR');
    dir = args[0]!;
  }
  const data = await loadDashboardData(dir, { tolerance: toleranceOption(opts.tolerance) });
  // Names from the analysis dir (model dirs, tensors) are escaped for every view that prints them.
  const shown = escapeStrings(data);
  if (opts.json === true || !process.stdout.isTTY || !process.stdin.isTTY) return { json: data, text: dashboardSummary(shown) };
  const { importRunDashboard } = await import('../../dash/launch.js');
  await (
    await importRunDashboard()
  )(shown);
}
