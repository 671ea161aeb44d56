import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze } from '../../app/analyze.js';
import { inputError, usageError } from '../../errors.js';
import { readRegularFileText } from '../../io/regular-file.js';
import { OutputDir, recoverLeftovers } from '../../io/output-dir.js';
import { assertOutputApartFromInputs, describeEntries, hasOutputMarker } from '../../io/output-guard.js';
import { predict } from '../../predict/predict.js';
import { writeReport } from '../../report/write.js';
import { tune } from '../../tune/tune.js';
import { verdictReason } from '../../tune/recipe.js';
import { ProgressBar } from '../progress.js';
import { formatTable, textWidth } from '../text.js';
import { setVerdictLines } from '../verdict-text.js';
import { cliCommand, displayPath, shellWord } from '../../invocation.js';
import type { CommandOutput } from '../command.js';
import { PACKAGE_ROOT } from '../../package-root.js';

/** Declare `darekit demo`'s arguments and options. */
export function configure(cmd: Command): void {
  cmd
    .option('--out <dir>', 'where the demo writes its analysis, merged model, recipe and report', 'reports/demo')
    .option('--family <dir>', 'model family dir with base/ and fine-tune dirs (default: the bundled fixtures/families/S)')
    .option('--force', 'replace --out when it is another darekit output (a dir darekit did not write is never replaced)')
    .option('--json', 'print one JSON object');
}

const MARKER = '.darekit-demo';
const PKG_ROOT = PACKAGE_ROOT;

/** The bundled family S (fixtures/families/S), or the family given with --family. */
function findFamily(given: string | undefined): string {
  if (given) {
    const dir = resolve(given);
    if (!existsSync(join(dir, 'base'))) throw usageError(`--family ${given}: no base/ model dir there`);
    return dir;
  }
  const bundled = join(PKG_ROOT, 'fixtures/families/S');
  if (existsSync(join(bundled, 'base', 'model.safetensors'))) return bundled;
  throw inputError(
    `the bundled model family is missing (looked in ${join(PKG_ROOT, 'fixtures/families/S')}); restore it with git checkout, or pass --family DIR`,
  );
}

/**
 * Open the demo's output atomically (the earlier one stays until the new one is complete): an empty or missing
 * dir, or an earlier demo output, is replaced as is; another darekit output needs --force; anything else, or a
 * path over the family it reads, is refused before any work.
 */
function openOut(out: string, family: string, force: boolean): OutputDir {
  assertOutputApartFromInputs(out, [family]);
  recoverLeftovers(out);
  const demoOutput = existsSync(join(out, MARKER));
  if (!demoOutput && existsSync(out) && statSync(out).isDirectory() && readdirSync(out).length > 0) {
    if (!hasOutputMarker(out))
      throw usageError(
        `${out} exists and is not an earlier demo output (it holds ${describeEntries(out)}); pick another --out (--force replaces only an empty dir or one darekit wrote)`,
      );
    if (!force)
      throw usageError(`${out} is another darekit output, not an earlier demo's; pass --force to replace it or pick another --out`);
  }
  return OutputDir.create(out, { force: force || demoOutput, inputs: [family] });
}

function measuredSafeRates(family: string): Record<string, number> {
  try {
    const truth = JSON.parse(readRegularFileText(join(family, 'truth.json'), 'truth.json')) as {
      models?: Record<string, { safe_drop_rate?: Record<string, number> }>;
    };
    return Object.fromEntries(
      Object.entries(truth.models ?? {}).flatMap(([k, v]) =>
        v.safe_drop_rate?.['0.95'] !== undefined ? [[k, v.safe_drop_rate['0.95']]] : [],
      ),
    );
  } catch {
    return {};
  }
}

/** The best accuracies any recipe in truth.json's `merges` reached on these models' tasks, in words. */
function bestMeasuredMerge(family: string, models: string[]): string | null {
  try {
    const truth = JSON.parse(readRegularFileText(join(family, 'truth.json'), 'truth.json')) as {
      merges?: { method: string; accuracy: Record<string, number> }[];
      models?: Record<string, { ft_score?: number }>;
    };
    const merges = (truth.merges ?? []).filter((m) => models.every((x) => x in m.accuracy));
    if (merges.length === 0) return null;
    const best = models.map(
      (x) => `${x} ${Math.max(...merges.map((m) => m.accuracy[x]!)).toFixed(3)} (alone ${truth.models?.[x]?.ft_score?.toFixed(2) ?? '?'})`,
    );
    return `best accuracy over ${merges.length} merge recipes: ${best.join(', ')}`;
  } catch {
    return null;
  }
}

/** Run `darekit demo` and return its JSON and text output. */
export async function run(_args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  const t0 = performance.now();
  const family = findFamily(opts.family as string | undefined);
  const out = resolve(String(opts.out));
  const dir = openOut(out, family, Boolean(opts.force));
  try {
    const result = await runDemo(family, out, dir.tempDir, t0);
    dir.writeFile(MARKER, 'written by darekit demo; the next demo run replaces this dir\n');
    dir.commit();
    return result;
  } finally {
    dir.abort();
  }
}

/** The demo's steps, written under work (the output's temp dir); every path shown or returned is under out. */
async function runDemo(family: string, out: string, work: string, t0: number): Promise<CommandOutput> {
  const secs = (t: number) => `${((performance.now() - t) / 1000).toFixed(1)} s`;
  const final = (p: string) => (p === work || p.startsWith(work + '/') ? out + p.slice(work.length) : p);
  const show = (p: string) => shellWord(displayPath(final(p)));
  const cli = cliCommand();
  const finetunes = readdirSync(family, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'base' && existsSync(join(family, d.name, 'config.json')))
    .map((d) => d.name)
    .sort();
  const lines: string[] = [`darekit demo on ${show(family)}: base + ${finetunes.length} fine-tunes (${finetunes.join(', ')})`, ''];

  const analysisDir = join(work, 'analysis');
  let t = performance.now();
  let bar: ProgressBar | undefined;
  const result = await analyze({
    base: join(family, 'base'),
    finetunes: finetunes.map((f) => join(family, f)),
    outDir: analysisDir,
    onProgress: (d, total) => (bar ??= new ProgressBar('analyze', total)).update(d),
  });
  bar?.done();
  lines.push(`1. analyze  ${secs(t)}  → ${show(analysisDir)}/ (analysis.duckdb, *.arrow, *.parquet)`);

  const pred = predict(result);
  const measured = measuredSafeRates(family);
  lines.push(`2. predict  tolerance ${pred.tolerance} (a merge keeps ≥ ${Math.round(pred.tolerance * 100)}% of each fine-tune's gain)`);
  lines.push(
    ...formatTable(
      [
        'fine-tune',
        'kind',
        'verdict',
        { head: 'predicted safe p (range)', align: 'right' },
        { head: 'recommended p', align: 'right' },
        { head: 'density', align: 'right' },
        { head: 'measured p (truth.json)', align: 'right' },
      ],
      pred.models.map((m) => [
        m.model,
        m.kind,
        m.verdict,
        `${m.predictedDropRate} (${m.dropRateLow}–${m.dropRateHigh})`,
        String(m.recommendedDropRate),
        m.recommendedDensity.toFixed(2),
        measured[m.model] === undefined ? '–' : String(measured[m.model]),
      ]),
      '   ',
    ),
  );
  const width = textWidth();
  lines.push(
    ...setVerdictLines(
      `set of all ${pred.models.length}`,
      { verdict: pred.set.verdict, method: pred.set.method, reasonCount: pred.set.reasons.length, headline: verdictReason(pred.set) },
      width,
      '   ',
    ),
  );

  const sft = pred.models.filter((m) => m.kind === 'sft' && m.model.startsWith('sft')).map((m) => m.path);
  const tuneInputs = sft.length >= 2 ? sft : pred.models.filter((m) => m.kind === 'sft').map((m) => m.path);
  t = performance.now();
  const merged = join(work, 'merged-sft');
  const tuned = await tune({ analysisDir, finetunes: tuneInputs, out: merged, recipePath: join(work, 'recipe.yml') });
  lines.push(
    `3. tune     ${secs(t)}  ${tuned.recipe.models.map((m) => m.model).join(' + ')} → ${show(merged)}/ (${tuned.recipe.method}, seed ${tuned.recipe.seed})`,
  );
  lines.push(
    ...formatTable(
      ['fine-tune', { head: 'weight', align: 'right' }, { head: 'density', align: 'right' }, 'per layer'],
      tuned.recipe.models.map((m) => [
        m.model,
        String(m.weight),
        String(m.density.value),
        m.density.rules.map((r) => `${r.filter} ${r.value}`).join(', ') || '–',
      ]),
      '   ',
    ),
  );
  const remerged = join(out, 'merged-again');
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
  const measuredMerge = bestMeasuredMerge(
    family,
    tuned.recipe.models.map((m) => m.model),
  );
  if (measuredMerge) lines.push(`   measured (truth.json): ${measuredMerge}`);

  t = performance.now();
  const rep = await writeReport(analysisDir, { tolerance: pred.tolerance });
  lines.push(`4. report   ${secs(t)}  → ${rep.files.map(show).join(', ')}`);
  // Each next step is a command that runs as written from the current dir (a test runs them all).
  const next: { command: string; note: string }[] = [
    { command: `${cli} dash ${show(analysisDir)}`, note: 'the dashboard (a static summary when not a terminal)' },
    { command: `${cli} query ${show(analysisDir)} "SELECT model, layer, rho FROM layers"`, note: 'SQL on the analysis tables' },
    { command: `${cli} merge ${show(tuned.recipePath)} --out ${show(remerged)}`, note: 'the same merge again, byte for byte' },
  ];
  const commandWidth = Math.max(...next.map((n) => n.command.length));
  lines.push(
    '',
    `done in ${secs(t0)}. Open ${show(rep.files[1]!)} in a browser. Next:`,
    ...next.map((n) => `  ${n.command.padEnd(commandWidth)}  # ${n.note}`),
  );
  return {
    json: {
      family,
      outDir: out,
      analysisDir: final(analysisDir),
      models: pred.models.map((m) => ({
        model: m.model,
        kind: m.kind,
        verdict: m.verdict,
        recommendedDropRate: m.recommendedDropRate,
        recommendedDensity: m.recommendedDensity,
        measuredSafeDropRate: measured[m.model] ?? null,
        reasons: m.reasons,
      })),
      set: pred.set,
      tune: {
        outDir: final(merged),
        recipePath: final(tuned.recipePath),
        method: tuned.recipe.method,
        models: tuned.recipe.models.map((m) => ({ model: m.model, weight: m.weight, density: m.density.value })),
        pairVerdict: tuned.predictions.set.verdict,
      },
      report: rep.files.map(final),
      next: next.map((n) => n.command),
      seconds: (performance.now() - t0) / 1000,
    },
    text: lines.join('\n'),
  };
}
