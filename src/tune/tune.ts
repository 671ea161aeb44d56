import type { CardVerdict } from '../merge/model-card.js';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { AnalysisResult } from '../schema/analysis.js';
import { analyze } from '../app/analyze.js';
import { inputError, runtimeError, usageError } from '../errors.js';
import { registerCleanup } from '../io/cleanup.js';
import { preflightOutputDir } from '../io/output-dir.js';
import { assertOutputApartFromInputs, specPaths } from '../io/output-guard.js';
import { parseMergeConfig, type MergeConfig } from '../merge/config.js';
import { predictAnalysisDir } from '../predict/measured.js';
import { merge, type MergeSummary } from '../merge/executor.js';
import type { Predictions } from '../predict/types.js';
import { ANALYSIS_DB, readAnalysis } from '../store/analysis-store.js';
import { runEval } from './eval-command.js';
import { buildRecipe, scaledRecipe, type Recipe } from './recipe.js';
import { recipeToYaml } from '../schema/recipe-yaml.js';
import { coordinateSearch, type SearchPoint } from './search.js';
import type { TrialRecord } from './trials.js';
import { writeTrials } from './trials-table.js';
import { subsetAnalysis } from '../analysis/subset.js';

/** Black-box search settings (`tune --eval`). */
export interface TuneEvalOptions {
  /** Shell command; `{model}` is replaced by the quoted candidate model dir. */
  command: string;
  /** Total trials, the data-free recipe (trial 0) included. */
  budget: number;
  /** Read the score from this (dotted) key of a JSON object on stdout instead of the last number. */
  jsonKey?: string;
  /** Per-trial limit for the eval command, ms (0 = none). */
  timeoutMs?: number;
}

/** One specialist's measured share of its gain in a candidate merge (the built-in eval, `tune --examples`). */
export interface SpecialistScore {
  /** The fine-tune's path as given to tune. */
  path: string;
  model: string;
  metric: 'exact_match' | 'loss';
  /** (score_merge − score_base)/(score_ft − score_base) on its own examples. */
  retained: number;
  /** The merge's score, the fine-tune's alone and the base's: exact match, or minus the mean loss. */
  score: number;
  ftScore: number;
  baseScore: number;
  examples: number;
}

/** Scores candidate merges in memory on each specialist's own examples (built by app/, which owns the forward pass). */
export interface TuneProbe {
  /** Score one candidate merge config (nothing is written). */
  evaluate(config: MergeConfig): Promise<SpecialistScore[]>;
  /** Candidates to score, the data-free recipe included. */
  budget: number;
  /** Release what scoring holds (worker threads); tune calls it after the search. */
  close(): Promise<void>;
}

/** Options of tune(). */
export interface TuneOptions {
  /** Base model (optional when reusing an analysis: its base is used). */
  base?: string;
  /** Fine-tunes to merge (optional when reusing an analysis: all of its models). */
  finetunes: string[];
  /** Output model dir (written atomically). */
  out: string;
  /** Analysis dir: reused when it holds analysis.duckdb, else written there (default OUT-analysis). */
  analysisDir?: string;
  /** Where to write the recipe (default OUT/recipe.yml); a copy always goes to the analysis dir. */
  recipePath?: string;
  tolerance?: number;
  seed?: number;
  force?: boolean;
  threads?: number;
  /** Accept fine-tunes with another vocabulary size (embed_tokens/lm_head rows): analyze and merge with the base's rows. */
  truncateVocab?: boolean;
  eval?: TuneEvalOptions;
  /** The built-in eval: search densities and weights to maximize the worst specialist's retained share. */
  probe?: TuneProbe;
  /** Called with one line per step (progress for people; the CLI sends it to stderr). */
  log?: (line: string) => void;
  /** Analysis progress in input bytes (when tune analyzes). */
  onAnalyzeProgress?: (doneBytes: number, totalBytes: number) => void;
}

/** What tune() did. */
export interface TuneResult {
  outDir: string;
  analysisDir: string;
  analysisReused: boolean;
  recipePath: string;
  recipe: Recipe;
  yaml: string;
  predictions: Predictions;
  trials: TrialRecord[];
  merge: MergeSummary;
  /** With `probe`: the chosen recipe's measured shares and whether every specialist keeps the tolerance. */
  measured?: { specialists: SpecialistScore[]; keepsTolerance: boolean; candidates: number };
}

async function loadOrAnalyze(
  o: TuneOptions,
  analysisDir: string,
  log: (s: string) => void,
): Promise<{ result: AnalysisResult; reused: boolean }> {
  if (existsSync(join(analysisDir, ANALYSIS_DB))) {
    // analyze stores absolute paths; the models may have moved since
    const all = await readAnalysis(analysisDir, { histograms: 'none' });
    for (const abs of [all.base, ...all.models.map((m) => m.path)]) {
      if (!existsSync(abs))
        throw inputError(
          `${analysisDir}: the analysis refers to ${abs}, which no longer exists; re-run analyze with the models' current paths`,
        );
    }
    if (o.base && resolve(o.base) !== all.base)
      throw usageError(`--analysis ${analysisDir} was made with base ${all.base}, not ${resolve(o.base)}; use another --analysis dir`);
    if (o.finetunes.length === 0) return { result: all, reused: true };
    // A fine-tune is named by its path or by its label in the analysis (the name query and dash show).
    const names = o.finetunes.map((f) => {
      const m = all.models.find((x) => x.path === resolve(f)) ?? all.models.find((x) => x.model === f);
      if (!m)
        throw usageError(
          `${f}: not in the analysis at ${analysisDir} (it has ${all.models.map((x) => `${x.model} = ${x.path}`).join(', ')}); give a label or path from that list, analyze it first, or use another --analysis dir`,
        );
      return m.model;
    });
    log(`reusing the analysis in ${analysisDir} (${names.join(', ')})`);
    return { result: subsetAnalysis(all, names), reused: true };
  }
  if (!o.base) throw usageError('--base is required (or point --analysis at an existing analysis dir)');
  if (o.finetunes.length === 0) throw usageError('give at least one fine-tune to merge (or point --analysis at an existing analysis dir)');
  log(`analyzing ${o.finetunes.length} fine-tune(s) against ${o.base} → ${analysisDir}`);
  const result = await analyze({
    base: resolve(o.base),
    finetunes: o.finetunes.map((f) => resolve(f)),
    outDir: analysisDir,
    threads: o.threads,
    force: o.force ?? false,
    onProgress: o.onAnalyzeProgress,
    truncateVocab: o.truncateVocab ?? false,
  });
  return { result, reused: false };
}

async function mergeRecipe(
  yaml: string,
  recipeDir: string,
  out: string,
  threads: number | undefined,
  force: boolean,
  verdict?: CardVerdict,
): Promise<MergeSummary> {
  // Parse the exact YAML text written to disk, so `darekit merge recipe.yml` sees the same config.
  const config = parseMergeConfig(yaml, { configDir: recipeDir }, 'recipe');
  return merge(config, { out, force, threads, ...(verdict ? { verdict } : {}) });
}

/** The recipe with `truncate_vocab: true` appended (a top-level key) when tune was asked to truncate vocabularies. */
function vocabKey(yaml: string, o: TuneOptions): string {
  return o.truncateVocab ? `${yaml.endsWith('\n') ? yaml : `${yaml}\n`}truncate_vocab: true\n` : yaml;
}

const pointDensities = (r: Recipe) => Object.fromEntries(r.models.map((m) => [m.model, m.density.value]));

/** Analyze (or reuse), predict, write a commented mergekit recipe, optionally search it with an eval command, and merge. */
export async function tune(o: TuneOptions): Promise<TuneResult> {
  const log = o.log ?? (() => {});
  const outDir = resolve(o.out);
  const analysisDir = resolve(o.analysisDir ?? `${outDir}-analysis`);
  const seed = o.seed ?? 0;
  if (o.eval && o.probe) throw usageError('--eval and --examples both score candidates; give one of them');
  if (o.eval) {
    if (!o.eval.command.includes('{model}'))
      throw usageError(
        `--eval: the command must contain {model} (replaced by the candidate model dir), e.g. --eval "python eval.py {model}"`,
      );
    if (!Number.isInteger(o.eval.budget) || o.eval.budget < 1)
      throw usageError(`--budget: ${o.eval.budget} is not a trial count (an integer ≥ 1; trial 0 is the data-free recipe)`);
  }
  // before any work: no output may be, contain or lie inside an input (nor the merge its own analysis)
  const models = [...(o.base ? specPaths(o.base) : []), ...o.finetunes.flatMap(specPaths)];
  const analysisIsInput = existsSync(join(analysisDir, ANALYSIS_DB));
  assertOutputApartFromInputs(outDir, [...models, analysisDir]);
  if (!analysisIsInput) assertOutputApartFromInputs(analysisDir, models, '--analysis');
  if (o.recipePath !== undefined)
    assertOutputApartFromInputs(resolve(o.recipePath), [...models, ...(analysisIsInput ? [analysisDir] : [])], '--recipe');
  if (existsSync(outDir) && !o.force) throw usageError(`${outDir} exists; pass --force to replace it`);
  // the merge writes OUT only after the analysis (and the search): refuse a symlinked or irreplaceable OUT now
  preflightOutputDir(outDir, { force: o.force ?? false });
  if (!analysisIsInput) preflightOutputDir(analysisDir, { force: o.force ?? false });
  const { result, reused } = await loadOrAnalyze(o, analysisDir, log);
  if (result.models.length === 0) throw inputError(`${analysisDir}: the analysis has no fine-tunes to merge`);
  // a reused analysis names models the command line did not: the output may not overlap those either
  if (reused) assertOutputApartFromInputs(outDir, [result.base, ...result.models.map((m) => m.path)]);
  // a safe drop rate measured by `darekit probe --out` into this analysis dir wins over the predicted one
  const tolerance = o.tolerance ?? 0.95;
  const { predictions } = await predictAnalysisDir(analysisDir, result, tolerance);
  const recipe0 = buildRecipe(predictions, { seed, tensorNames: result.tensors.map((t) => ({ name: t.tensor, layer: t.layer })) });

  const recipePath = resolve(o.recipePath ?? join(outDir, 'recipe.yml'));
  const trials: TrialRecord[] = [];
  let chosen = recipe0;
  if (o.eval) {
    const ev = o.eval;
    const work = mkdtempSync(join(tmpdir(), 'darekit-tune-'));
    // removed on an interruption too (the CLI runs the cleanups on SIGINT/SIGTERM/SIGHUP)
    const dropWork = registerCleanup(() => rmSync(work, { recursive: true, force: true }));
    try {
      const evaluate = async (p: SearchPoint): Promise<number | null> => {
        const r = scaledRecipe(recipe0, p.scale, p.weights);
        const trial = trials.length;
        const cand = join(work, `trial-${trial}`);
        const t0 = performance.now();
        let rec: TrialRecord = {
          trial,
          densityScale: p.scale,
          weights: p.weights,
          densities: pointDensities(r),
          score: null,
          seconds: 0,
          status: 'ok',
          stderrTail: '',
          best: false,
        };
        try {
          await mergeRecipe(vocabKey(recipeToYaml(r), o), work, cand, o.threads, true);
          const e = await runEval(ev.command, cand, { jsonKey: ev.jsonKey, timeoutMs: ev.timeoutMs });
          rec = { ...rec, score: e.score, status: e.status, stderrTail: e.stderrTail };
        } catch (err) {
          rec = { ...rec, status: 'merge-failed', stderrTail: err instanceof Error ? err.message : String(err) };
        } finally {
          rmSync(cand, { recursive: true, force: true });
        }
        rec.seconds = (performance.now() - t0) / 1000;
        trials.push(rec);
        log(
          `trial ${trial}: scale ${p.scale} weights ${JSON.stringify(p.weights)} → ${rec.status === 'ok' ? `score ${rec.score}` : `${rec.status}: ${rec.stderrTail.split('\n').slice(-2).join(' | ')}`}`,
        );
        return rec.score;
      };
      const start: SearchPoint = { scale: 1, weights: Object.fromEntries(recipe0.models.map((m) => [m.model, m.weight])) };
      const { best, bestScore } = await coordinateSearch(start, evaluate, { budget: ev.budget });
      if (bestScore === null) {
        const last = trials[trials.length - 1];
        await writeTrials(analysisDir, trials);
        throw runtimeError(
          `--eval: all ${trials.length} trial(s) failed; the last said: ${last ? `${last.status}: ${last.stderrTail.split('\n').slice(-3).join(' | ')}` : 'nothing'} (trials are in the table "trials" of ${analysisDir})`,
        );
      }
      const bestTrial = trials.find(
        (t) => t.score === bestScore && t.densityScale === best.scale && JSON.stringify(t.weights) === JSON.stringify(best.weights),
      );
      if (bestTrial) bestTrial.best = true;
      chosen = scaledRecipe(recipe0, best.scale, best.weights);
      if (bestTrial && bestTrial.trial !== 0) {
        chosen = {
          ...chosen,
          notes: [
            ...chosen.notes,
            `searched with --eval: trial ${bestTrial.trial} of ${trials.length} scored ${bestScore} (trial 0, the data-free recipe, scored ${trials[0]?.score ?? 'n/a'}); densities × ${best.scale}, weights ${JSON.stringify(best.weights)}`,
          ],
          models: chosen.models.map((m) => ({
            ...m,
            notes: [
              ...m.notes,
              `tuned: weight ${m.weight}, density ${m.density.value} after the search (scale ${best.scale} on the data-free values above)`,
            ],
          })),
        };
      } else {
        chosen = {
          ...chosen,
          notes: [
            ...chosen.notes,
            `searched with --eval: no trial beat the data-free recipe (score ${bestScore}) in ${trials.length} trial(s)`,
          ],
        };
      }
    } finally {
      dropWork();
      rmSync(work, { recursive: true, force: true });
    }
  }
  let measured: TuneResult['measured'];
  if (o.probe) {
    const searched = await probeSearch(o, o.probe, recipe0, predictions.tolerance, trials, log).finally(() => o.probe!.close());
    chosen = searched.recipe;
    measured = searched.measured;
  }
  const yaml = vocabKey(
    recipeToYaml(chosen, [`analysis: ${analysisDir} · tolerance ${predictions.tolerance} (share of each fine-tune's gain to keep)`]),
    o,
  );
  log(`merging (${chosen.method}) → ${outDir}`);
  const summary = await mergeRecipe(yaml, dirname(recipePath), outDir, o.threads, o.force ?? false, {
    verdict: predictions.set.verdict,
    reasons: predictions.set.reasons,
  });
  mkdirSync(dirname(recipePath), { recursive: true });
  writeFileSync(recipePath, yaml);
  copyFileSync(recipePath, join(analysisDir, 'recipe.yml'));
  // Without --eval the table is emptied, so a report never shows trials of an earlier, different tune.
  await writeTrials(analysisDir, trials);
  return {
    outDir,
    analysisDir,
    analysisReused: reused,
    recipePath,
    recipe: chosen,
    yaml,
    predictions,
    trials,
    merge: summary,
    ...(measured ? { measured } : {}),
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/** One line per specialist: its retained share and scores. */
function describeScores(s: SpecialistScore[]): string {
  return s
    .map(
      (x) =>
        `${x.model} keeps ${pct(x.retained)} of its gain (${x.metric === 'exact_match' ? 'exact match' : 'minus loss'} ${x.score.toFixed(3)}; alone ${x.ftScore.toFixed(3)}, base ${x.baseScore.toFixed(3)}, ${x.examples} examples)`,
    )
    .join('; ');
}

/**
 * The built-in eval: coordinate search over the density scale and the weights maximizing the worst specialist's
 * retained share, each candidate merged in memory and scored on every specialist's own examples.
 */
async function probeSearch(
  o: TuneOptions,
  probe: TuneProbe,
  recipe0: Recipe,
  tolerance: number,
  trials: TrialRecord[],
  log: (s: string) => void,
): Promise<{ recipe: Recipe; measured: NonNullable<TuneResult['measured']> }> {
  if (!Number.isInteger(probe.budget) || probe.budget < 1)
    throw usageError(`--budget: ${probe.budget} is not a candidate count (an integer ≥ 1; candidate 0 is the data-free recipe)`);
  const scores = new Map<number, SpecialistScore[]>();
  const evaluate = async (p: SearchPoint): Promise<number | null> => {
    const r = scaledRecipe(recipe0, p.scale, p.weights);
    const trial = trials.length;
    const t0 = performance.now();
    const config: MergeConfig = parseMergeConfig(vocabKey(recipeToYaml(r), o), { configDir: process.cwd() }, 'candidate recipe');
    const s = await probe.evaluate(config);
    const worst = Math.min(...s.map((x) => x.retained));
    scores.set(trial, s);
    trials.push({
      trial,
      densityScale: p.scale,
      weights: p.weights,
      densities: pointDensities(r),
      score: worst,
      seconds: (performance.now() - t0) / 1000,
      status: 'ok',
      stderrTail: describeScores(s),
      best: false,
    });
    log(`candidate ${trial}: scale ${p.scale} weights ${JSON.stringify(p.weights)} → worst retained ${pct(worst)} (${describeScores(s)})`);
    return worst;
  };
  const start: SearchPoint = { scale: 1, weights: Object.fromEntries(recipe0.models.map((m) => [m.model, m.weight])) };
  const { best, bestScore } = await coordinateSearch(start, evaluate, { budget: probe.budget });
  const bestTrial = trials.find(
    (t) => t.score === bestScore && t.densityScale === best.scale && JSON.stringify(t.weights) === JSON.stringify(best.weights),
  )!;
  bestTrial.best = true;
  const specialists = scores.get(bestTrial.trial)!;
  const keeps = bestScore !== null && bestScore >= tolerance;
  const verdict = keeps
    ? `measured with darekit probe on each specialist's own examples: every specialist keeps ≥ ${pct(tolerance)} of its gain (worst ${pct(bestScore!)}); candidate ${bestTrial.trial} of ${trials.length}`
    : `measured with darekit probe on each specialist's own examples: no candidate of ${trials.length} keeps ${pct(tolerance)} of every specialist's gain (best worst-case ${pct(bestScore ?? NaN)}, candidate ${bestTrial.trial}) — do not merge these models; serve them separately. This is the best recipe found, written for reference`;
  log(
    keeps
      ? `every specialist keeps ≥ ${pct(tolerance)} of its gain in the best candidate`
      : `no candidate keeps ${pct(tolerance)} of every specialist's gain: darekit recommends not to merge (the best recipe is still written)`,
  );
  let recipe = scaledRecipe(recipe0, best.scale, best.weights);
  recipe = {
    ...recipe,
    notes: [...recipe.notes, verdict, `measured: ${describeScores(specialists)}`],
    models: recipe.models.map((m) => {
      const s = specialists.find((x) => resolve(x.path) === resolve(m.path)) ?? specialists.find((x) => x.model === m.model);
      return s
        ? {
            ...m,
            notes: [
              ...m.notes,
              `measured: keeps ${pct(s.retained)} of its gain in this merge (${s.metric === 'exact_match' ? 'exact match' : 'minus loss'} ${s.score.toFixed(3)} vs ${s.ftScore.toFixed(3)} alone, base ${s.baseScore.toFixed(3)})`,
            ],
          }
        : m;
    }),
  };
  return { recipe, measured: { specialists, keepsTolerance: keeps, candidates: trials.length } };
}
