import type { Command } from 'commander';
import { runDemo, type DemoResult } from '../../app/demo.js';
import { threadsOption } from '../options.js';
import { verdictReason } from '../../tune/recipe.js';
import { ProgressBar } from '../progress.js';
import { formatTable, textWidth } from '../text.js';
import { recipeTable, setVerdictLines } from '../verdict-text.js';
import { cliCommand, displayPath, shellWord } from '../../invocation.js';
import type { CommandOutput } from '../command.js';

/** Declare `darekit demo`'s arguments and options. */
export function configure(cmd: Command): void {
  cmd
    .option('--out <dir>', 'where the demo writes its analysis, merged model, recipe and report', 'reports/demo')
    .option('--family <dir>', 'model family dir with base/ and fine-tune dirs (default: the bundled fixtures/families/S)')
    .option('--force', 'replace --out when it is another darekit output (a dir darekit did not write is never replaced)')
    .option('--no-probe', "skip the probe (the measured tolerance on the family's examples/): predictions from the weights only")
    .option('--threads <n>', 'worker threads (analysis, probe, merge)')
    .option('--json', 'print one JSON object');
}

/** Run `darekit demo` and return its JSON and text output. */
export async function run(_args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  let analyzeBar: ProgressBar | undefined;
  let probeBar: ProgressBar | undefined;
  const threads = threadsOption(opts.threads);
  try {
    const r = await runDemo({
      ...(opts.family !== undefined ? { family: String(opts.family) } : {}),
      out: String(opts.out),
      force: opts.force === true,
      probe: opts.probe !== false,
      ...(threads !== undefined ? { threads } : {}),
      onAnalyzeProgress: (d, total) => (analyzeBar ??= new ProgressBar('analyze', total)).update(d),
      onProbeProgress: (p) => {
        analyzeBar?.done();
        (probeBar ??= new ProgressBar('probe', p.total, 'items')).update(p.done, p.label);
      },
    });
    return { json: demoJson(r), text: demoText(r) };
  } finally {
    analyzeBar?.done();
    probeBar?.done();
  }
}

const s1 = (x: number): string => `${x.toFixed(1)} s`;

/** The commands to run next; each runs as written from the current dir (a test runs them all). */
function nextCommands(r: DemoResult): { command: string; note: string }[] {
  const cli = cliCommand();
  const show = (p: string): string => shellWord(displayPath(p));
  return [
    { command: `${cli} dash ${show(r.analysisDir)}`, note: 'the dashboard (a static summary when not a terminal)' },
    { command: `${cli} query ${show(r.analysisDir)} "SELECT model, layer, rho FROM layers"`, note: 'SQL on the analysis tables' },
    {
      command: `${cli} merge ${show(r.tune.recipePath)} --out ${show(`${r.out}/merged-again`)}`,
      note: 'the same merge again, byte for byte',
    },
  ];
}

function demoText(r: DemoResult): string {
  const show = (p: string): string => shellWord(displayPath(p));
  const width = textWidth();
  const pred = r.predictions;
  const lines: string[] = [`darekit demo on ${show(r.family)}: base + ${r.finetunes.length} fine-tunes (${r.finetunes.join(', ')})`, ''];
  lines.push(`1. analyze  ${s1(r.timings.analyze)}  → ${show(r.analysisDir)}/ (analysis.duckdb, *.arrow, *.parquet)`);
  if (r.probe) {
    lines.push(
      `2. probe    ${s1(r.timings.probe ?? 0)}  ${r.probe.forwardPasses} forward passes on the family's examples/ → table probe in ${show(r.analysisDir)}/`,
    );
  } else
    lines.push(
      `2. probe    skipped (${r.probeSkipped === 'disabled' ? '--no-probe' : 'the family has no examples/'}): the safe drop rates below are predicted from the weights only`,
    );
  lines.push(`3. predict  tolerance ${pred.tolerance} (a merge keeps ≥ ${Math.round(pred.tolerance * 100)}% of each fine-tune's gain)`);
  lines.push(
    ...formatTable(
      [
        'fine-tune',
        'kind',
        'verdict',
        { head: 'predicted safe p (range)', align: 'right' },
        { head: 'measured p (probe)', align: 'right' },
        { head: 'recommended p', align: 'right' },
        { head: 'density', align: 'right' },
        { head: 'truth.json p', align: 'right' },
      ],
      demoRows(r).map((m) => [
        m.model,
        m.kind,
        m.verdict,
        `${m.predictedDropRate} (${m.dropRateLow}–${m.dropRateHigh})`,
        m.probed === undefined ? '–' : m.probed === null ? 'no gain' : String(m.probed),
        String(m.recommendedDropRate),
        m.recommendedDensity.toFixed(2),
        m.truth === undefined ? '–' : String(m.truth),
      ]),
      '   ',
    ),
  );
  if (r.probe) lines.push('   recommended p and density use the measured rate where the probe ran (measured beats predicted)');
  lines.push(
    ...setVerdictLines(
      `set of all ${pred.models.length}`,
      { verdict: pred.set.verdict, method: pred.set.method, reasonCount: pred.set.reasons.length, headline: verdictReason(pred.set) },
      width,
      '   ',
    ),
  );
  const tuned = r.tune;
  lines.push(
    `4. tune     ${s1(r.timings.tune)}  ${tuned.recipe.models.map((m) => m.model).join(' + ')} → ${show(r.mergedDir)}/ (${tuned.recipe.method}, seed ${tuned.recipe.seed})`,
  );
  lines.push(...recipeTable(tuned.recipe, '   '));
  lines.push(`   recipe: ${show(tuned.recipePath)} (reproduce the merge with the command below)`);
  const pairSet = tuned.predictions.set;
  lines.push(
    ...setVerdictLines(
      'verdict on this pair',
      { verdict: pairSet.verdict, method: pairSet.method, reasonCount: pairSet.reasons.length, headline: verdictReason(pairSet) },
      width,
      '   ',
    ),
  );
  if (r.truthBestMerge) lines.push(`   measured (truth.json): ${r.truthBestMerge}`);
  lines.push(`5. report   ${s1(r.timings.report)}  → ${r.report.map(show).join(', ')}`);
  const next = nextCommands(r);
  const commandWidth = Math.max(...next.map((n) => n.command.length));
  lines.push(
    '',
    `done in ${s1(r.timings.total)}. Open ${show(r.report[1]!)} in a browser. Next:`,
    ...next.map((n) => `  ${n.command.padEnd(commandWidth)}  # ${n.note}`),
  );
  return lines.join('\n');
}

/** One row per fine-tune: the weights' prediction and range, the probe's rate, what is recommended, truth.json's rate. */
function demoRows(r: DemoResult) {
  const probed = new Map((r.probe?.models ?? []).map((m) => [m.name, m.safeDropRate]));
  const fromWeights = new Map(r.fromWeights.models.map((m) => [m.model, m]));
  return r.predictions.models.map((m) => {
    const w = fromWeights.get(m.model) ?? m;
    return {
      model: m.model,
      kind: m.kind,
      verdict: m.verdict,
      basis: m.basis,
      predictedDropRate: w.predictedDropRate,
      dropRateLow: w.dropRateLow,
      dropRateHigh: w.dropRateHigh,
      /** undefined: not probed; null: probed, no gain over the base */
      probed: probed.get(m.model),
      recommendedDropRate: m.recommendedDropRate,
      recommendedDensity: m.recommendedDensity,
      truth: r.truthRates[m.model],
      reasons: m.reasons,
    };
  });
}

function demoJson(r: DemoResult): Record<string, unknown> {
  return {
    family: r.family,
    outDir: r.out,
    analysisDir: r.analysisDir,
    models: demoRows(r).map(({ probed, truth, ...m }) => ({
      ...m,
      probedSafeDropRate: probed ?? null,
      measuredSafeDropRate: truth ?? null,
    })),
    set: r.predictions.set,
    probe: r.probe ? { forwardPasses: r.probe.forwardPasses, seeds: r.probe.seeds.length, dropRates: r.probe.dropRates } : null,
    tune: {
      outDir: r.mergedDir,
      recipePath: r.tune.recipePath,
      method: r.tune.recipe.method,
      models: r.tune.recipe.models.map((m) => ({ model: m.model, weight: m.weight, density: m.density.value })),
      pairVerdict: r.tune.predictions.set.verdict,
    },
    report: r.report,
    next: nextCommands(r).map((n) => n.command),
    seconds: r.timings.total,
    timings: r.timings,
  };
}
