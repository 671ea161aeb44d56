import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import type { CommandOutput } from '../command.js';

/** Declare `darekit demo`'s arguments and options. */
export function configure(cmd: Command): void {
  cmd
    .option('--out <dir>', 'where the demo writes its analysis, merged model, recipe and report', 'reports/demo')
    .option('--family <dir>', 'model family dir with base/ and fine-tune dirs (default: the bundled fixtures/families/S)')
    .option('--force', 'replace --out when it is another darekit output (a dir darekit did not write is never replaced)')
    .option('--json', 'print one JSON object');
}

const MARKER = '.darekit-demo';
const PKG_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The bundled family S (fixtures/families/S), or the family given with --family. */
function findFamily(given: string | undefined): string {
  if (given) {
    const dir = resolve(given);
    if (!existsSync(join(dir, 'base'))) throw usageError(`--family ${given}: no base/ model dir there`);
    return dir;
  }
  const bundled = join(PKG_ROOT, 'fixtures/families/S');
  if (existsSync(join(bundled, 'base', 'model.safetensors'))) return bundled;
  throw inputError(`the bundled model family is missing (looked in ${join(PKG_ROOT, 'fixtures/families/S')}); restore it with git checkout, or pass --family DIR`);
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
    if (!hasOutputMarker(out)) throw usageError(`${out} exists and is not an earlier demo output (it holds ${describeEntries(out)}); pick another --out (--force replaces only an empty dir or one darekit wrote)`);
    if (!force) throw usageError(`${out} is another darekit output, not an earlier demo's; pass --force to replace it or pick another --out`);
  }
  return OutputDir.create(out, { force: force || demoOutput, inputs: [family] });
}

function measuredSafeRates(family: string): Record<string, number> {
  try {
    const truth = JSON.parse(readRegularFileText(join(family, 'truth.json'), 'truth.json')) as { models?: Record<string, { safe_drop_rate?: Record<string, number> }> };
    return Object.fromEntries(Object.entries(truth.models ?? {}).flatMap(([k, v]) => (v.safe_drop_rate?.['0.95'] !== undefined ? [[k, v.safe_drop_rate['0.95']]] : [])));
  } catch {
    return {};
  }
}

/** The best accuracies any recipe in truth.json's `merges` reached on these models' tasks, in words. */
function bestMeasuredMerge(family: string, models: string[]): string | null {
  try {
    const truth = JSON.parse(readRegularFileText(join(family, 'truth.json'), 'truth.json')) as { merges?: { method: string; accuracy: Record<string, number> }[]; models?: Record<string, { ft_score?: number }> };
    const merges = (truth.merges ?? []).filter((m) => models.every((x) => x in m.accuracy));
    if (merges.length === 0) return null;
    const best = models.map((x) => `${x} ${Math.max(...merges.map((m) => m.accuracy[x]!)).toFixed(3)} (alone ${truth.models?.[x]?.ft_score?.toFixed(2) ?? '?'})`);
    return `best accuracy over ${merges.length} merge recipes: ${best.join(', ')}`;
  } catch {
    return null;
  }
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

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
  const show = (p: string) => relative(process.cwd(), final(p)) || '.';
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
  lines.push(`   ${pad('fine-tune', 16)}${pad('kind', 6)}${pad('verdict', 11)}${pad('safe drop rate', 16)}${pad('density', 9)}measured (truth.json)`);
  for (const m of pred.models) {
    const meas = measured[m.model];
    lines.push(`   ${pad(m.model, 16)}${pad(m.kind, 6)}${pad(m.verdict, 11)}${pad(String(m.recommendedDropRate), 16)}${pad(m.recommendedDensity.toFixed(2), 9)}${meas === undefined ? '–' : String(meas)}`);
  }
  lines.push(`   set of all ${pred.models.length}: ${pred.set.verdict} (method ${pred.set.method}) — ${verdictReason(pred.set)}`);

  const sft = pred.models.filter((m) => m.kind === 'sft' && m.model.startsWith('sft')).map((m) => m.path);
  const tuneInputs = sft.length >= 2 ? sft : pred.models.filter((m) => m.kind === 'sft').map((m) => m.path);
  t = performance.now();
  const merged = join(work, 'merged-sft');
  const tuned = await tune({ analysisDir, finetunes: tuneInputs, out: merged, recipePath: join(work, 'recipe.yml') });
  lines.push(`3. tune     ${secs(t)}  ${tuned.recipe.models.map((m) => m.model).join(' + ')} → ${show(merged)}/ (${tuned.recipe.method}, seed ${tuned.recipe.seed})`);
  for (const m of tuned.recipe.models) {
    lines.push(`   ${pad(m.model, 16)}weight ${m.weight}, density ${m.density.value}${m.density.rules.length ? ` (per layer: ${m.density.rules.map((r) => `${r.filter}: ${r.value}`).join(', ')})` : ''}`);
  }
  lines.push(`   recipe: ${show(tuned.recipePath)} — reproduce with: darekit merge ${show(tuned.recipePath)} --out DIR`);
  lines.push(`   verdict on this pair: ${tuned.predictions.set.verdict} — ${verdictReason(tuned.predictions.set)}`);
  const measuredMerge = bestMeasuredMerge(family, tuned.recipe.models.map((m) => m.model));
  if (measuredMerge) lines.push(`   measured (truth.json): ${measuredMerge}`);

  t = performance.now();
  const rep = await writeReport(analysisDir, { tolerance: pred.tolerance });
  lines.push(`4. report   ${secs(t)}  → ${rep.files.map(show).join(', ')}`);
  lines.push('', `done in ${secs(t0)}. Next: open ${show(rep.files[1]!)} in a browser; darekit dash ${show(analysisDir)}; darekit query ${show(analysisDir)} "SELECT model, layer, rho FROM layers"`);
  return {
    json: {
      family,
      outDir: out,
      analysisDir: final(analysisDir),
      models: pred.models.map((m) => ({ model: m.model, kind: m.kind, verdict: m.verdict, recommendedDropRate: m.recommendedDropRate, recommendedDensity: m.recommendedDensity, measuredSafeDropRate: measured[m.model] ?? null, reasons: m.reasons })),
      set: pred.set,
      tune: { outDir: final(merged), recipePath: final(tuned.recipePath), method: tuned.recipe.method, models: tuned.recipe.models.map((m) => ({ model: m.model, weight: m.weight, density: m.density.value })), pairVerdict: tuned.predictions.set.verdict },
      report: rep.files.map(final),
      seconds: (performance.now() - t0) / 1000,
    },
    text: lines.join('\n'),
  };
}
