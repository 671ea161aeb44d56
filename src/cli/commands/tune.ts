import type { Command } from 'commander';
import { describeVocabAdjustment } from '../../io/homology.js';
import { usageError } from '../../errors.js';
import { tuneProbe } from '../../app/probe.js';
import { tune, type TuneResult } from '../../tune/tune.js';
import { writeReport } from '../../report/write.js';
import { safeLines } from '../../text/safe-text.js';
import type { CommandOutput } from '../command.js';
import { addDownloadOption, prepareInputs } from '../hub.js';
import { intOption, numberOption, seedOption, threadsOption, toleranceOption } from '../options.js';
import { ProgressBar } from '../progress.js';
import { textWidth, wrapText } from '../text.js';
import { modelsPredictedToLoseSkill, recipeTable } from '../verdict-text.js';

/** Declare `darekit tune`'s arguments and options. */
export function configure(cmd: Command): void {
  cmd
    .argument('[finetunes...]', 'fine-tuned model dirs to merge (default with --analysis: all of its models)')
    .option('--base <model>', 'base model the fine-tunes were trained from')
    .requiredOption('--out <dir>', 'output model dir (written atomically)')
    .option('--analysis <dir>', 'analysis dir: reused when it holds analysis.duckdb, else written there (default OUT-analysis)')
    .option('--recipe <file>', 'where to write the recipe YAML (default OUT/recipe.yml; a copy goes to the analysis dir)')
    .option('--tolerance <share>', "share of each fine-tune's gain to keep (default 0.95)")
    .option('--seed <n>', 'DARE mask seed (default 0)')
    .option('--eval <cmd>', 'score candidates with this shell command; {model} is replaced by the candidate dir')
    .option('--budget <n>', 'number of --eval trials, the data-free recipe included (default 8)')
    .option('--eval-json <key>', 'read the score from this key of a JSON object on stdout (default: the last number printed)')
    .option('--eval-timeout <seconds>', 'kill an eval run after this many seconds (default: no limit)')
    .option(
      '--examples <FT=FILE...>',
      "built-in eval: score each candidate merge in memory by every fine-tune's retained share on its own examples (JSONL prompt/completion or text), maximizing the worst",
    )
    .option('--window <n>', 'tokens per window of a text examples file (default 128)')
    .option('--threads <n>', 'worker threads for analysis and merges')
    .option(
      '--truncate-vocab',
      "accept fine-tunes whose embed_tokens/lm_head have another vocabulary size: analyze and merge with the base's rows",
    )
    .option('--report', 'also write report.md/.html/.json into the analysis dir')
    .option('--force', 'replace existing output and analysis dirs')
    .option('--json', 'print one JSON object');
  addDownloadOption(cmd);
}

/** The tune result for --json: recipe, per-model choices, trials and where everything went. */
export function tuneJson(r: TuneResult): Record<string, unknown> {
  return {
    outDir: r.outDir,
    analysisDir: r.analysisDir,
    recipePath: r.recipePath,
    method: r.recipe.method,
    seed: r.recipe.seed,
    notes: r.recipe.notes,
    models: r.recipe.models.map((m) => ({
      model: m.model,
      path: m.path,
      weight: m.weight,
      density: m.density.value,
      layerDensities: m.density.rules.map((q) => ({ filter: q.filter, value: q.value })),
    })),
    set: { verdict: r.predictions.set.verdict, reasons: r.predictions.set.reasons, method: r.predictions.set.method },
    trials: r.trials,
    ...(r.measured ? { measured: r.measured } : {}),
    mergeSeconds: r.merge.seconds,
  };
}

/** Human summary of a tune run: the merge, a table of per-model choices, each note once, who loses their skill. */
export function tuneText(r: TuneResult, width = textWidth()): string {
  const lines = [
    `merged ${r.recipe.models.map((m) => m.model).join(' + ')} → ${r.outDir} (${r.recipe.method}, seed ${r.recipe.seed}, ${r.merge.seconds.toFixed(1)} s)`,
    ...recipeTable(r.recipe, '  '),
    `recipe:   ${r.recipePath}`,
    `analysis: ${r.analysisDir}${r.analysisReused ? ' (reused)' : ''}`,
  ];
  const losing = modelsPredictedToLoseSkill(
    r.predictions.set.reasons,
    r.recipe.models.map((m) => m.model),
  );
  if (losing.length > 0)
    lines.push(`predicted to lose their skill in this merge: ${losing.join(', ')} (${losing.length} of ${r.recipe.models.length})`);
  if (r.recipe.notes.length > 0)
    lines.push('notes:', ...r.recipe.notes.flatMap((n) => wrapText(n, width - 4, '    ').map((l, i) => (i === 0 ? `  - ${l}` : l))));
  if (r.measured && !r.measured.keepsTolerance)
    lines.push(
      `verdict: do not merge — no candidate of ${r.measured.candidates} keeps the tolerance for every specialist (measured on their examples); the best recipe was still written`,
    );
  for (const v of r.merge.vocab) lines.push(`vocab: ${describeVocabAdjustment(v)}`);
  if (r.trials.length) {
    const ok = r.trials.filter((t) => t.status === 'ok').length;
    const best = r.trials.find((t) => t.best);
    lines.push(
      `trials: ${r.trials.length} (${ok} ok); best: trial ${best?.trial ?? '–'} score ${best?.score ?? '–'}; data-free trial 0 score ${r.trials[0]?.score ?? 'failed'}`,
    );
  }
  return lines.join('\n');
}

/** Run `darekit tune` and return its JSON and text output. */
export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  if (opts.base !== undefined) await prepareInputs({ base: String(opts.base), models: args }, opts);
  const tolerance = toleranceOption(opts.tolerance);
  const seed = seedOption(opts.seed);
  const threads = threadsOption(opts.threads);
  const examples = (opts.examples as string[] | undefined) ?? [];
  const budget = intOption(opts.budget, '--budget', 1) ?? (examples.length ? 12 : 8);
  const window = intOption(opts.window, '--window', 2);
  const timeout = numberOption(opts.evalTimeout, '--eval-timeout', (n) => n > 0, 'a positive number of seconds');
  if (examples.length && opts.eval !== undefined) throw usageError('--eval and --examples both score candidates; give one of them');
  if (examples.length && opts.base === undefined) throw usageError('--examples needs --base (the base the fine-tunes were trained from)');
  if (
    opts.eval === undefined &&
    !examples.length &&
    (opts.budget !== undefined || opts.evalJson !== undefined || opts.evalTimeout !== undefined)
  )
    throw usageError('--budget, --eval-json and --eval-timeout need --eval "CMD {model}"');
  let bar: ProgressBar | undefined;
  const log = (s: string) => {
    bar?.done();
    bar = undefined;
    process.stderr.write(`tune: ${safeLines(s)}\n`);
  };
  const probe = examples.length
    ? await tuneProbe({
        base: String(opts.base),
        finetunes: args,
        examples,
        budget,
        ...(window !== undefined ? { window } : {}),
        ...(threads !== undefined ? { threads } : {}),
        log,
      })
    : undefined;
  const r = await tune({
    base: opts.base as string | undefined,
    finetunes: args,
    out: String(opts.out),
    analysisDir: opts.analysis as string | undefined,
    recipePath: opts.recipe as string | undefined,
    tolerance,
    seed,
    threads,
    force: Boolean(opts.force),
    truncateVocab: opts.truncateVocab === true,
    eval:
      opts.eval === undefined
        ? undefined
        : {
            command: String(opts.eval),
            budget,
            jsonKey: opts.evalJson as string | undefined,
            timeoutMs: timeout === undefined ? 0 : timeout * 1000,
          },
    ...(probe ? { probe } : {}),
    log,
    onAnalyzeProgress: (done, total) => (bar ??= new ProgressBar('analyze', total)).update(done),
  });
  bar?.done();
  let reportFiles: string[] = [];
  if (opts.report) reportFiles = (await writeReport(r.analysisDir, { tolerance })).files;
  const text = tuneText(r) + (reportFiles.length ? `\nreport: ${reportFiles.join(', ')}` : '');
  return { json: { ...tuneJson(r), report: reportFiles }, text };
}
