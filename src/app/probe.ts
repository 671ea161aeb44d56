// Composition of a probe run: resolve the fine-tunes and their examples, tokenize, run the probe engine, and
// (with an analysis dir) store its `probe` table. The CLI calls this; the engine knows nothing of the store.
import { defaultThreads } from '../limits.js';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { usageError } from '../errors.js';
import { openModel } from '../io/model.js';
import { loadLlamaConfig } from '../model/config.js';
import { loadExamples } from '../model/examples.js';
import { createKernelPool, scoreSequences, type SequenceScores } from '../model/forward.js';
import { mergeWeightSource } from '../model/merge-source.js';
import { probe, type ProbeFinetune, type ProbeModelResult, type ProbeProgress, type ProbeResult, type Scorer } from '../model/probe.js';
import { modelWeightSource, type WeightSource } from '../model/weights.js';
import type { MergeConfig } from '../merge/config.js';
import type { SpecialistScore, TuneProbe } from '../tune/tune.js';
import { loadTokenizer } from '../model/tokenizer.js';
import { writeProbeTable, type ProbeRow } from '../store/probe-table.js';

/** Options of runProbe (the CLI's flags). */
export interface ProbeRunOptions {
  base: string;
  finetunes: string[];
  /** `FT=FILE` pairs: FT is a fine-tune's path or its dir name. */
  examples: string[];
  dropRates?: number[];
  seeds?: number;
  tolerance?: number;
  window?: number;
  threads?: number;
  /** Analysis dir to store the `probe` table in (created when missing). */
  out?: string;
  onProgress?: (p: ProbeProgress) => void;
  /** Called once per fine-tune left out for lack of examples. */
  onNote?: (line: string) => void;
  score?: Scorer;
}

/** The model name darekit's tables use for a model path: its dir name (a file's parent dir). */
export function modelName(path: string): string {
  const abs = resolve(path);
  return existsSync(abs) && statSync(abs).isFile() ? basename(resolve(abs, '..')) : basename(abs);
}

/** Pair each `FT=FILE` with one of the fine-tunes (by path, else by dir name). */
export function matchExamples(finetunes: string[], specs: string[]): Map<string, string> {
  const byFt = new Map<string, string>();
  for (const spec of specs) {
    // FT itself may contain '=': take the first split whose left side names a fine-tune
    let matched: string | undefined;
    let file = '';
    for (let i = spec.indexOf('='); i > 0 && matched === undefined; i = spec.indexOf('=', i + 1)) {
      const key = spec.slice(0, i);
      matched = finetunes.find((f) => resolve(f) === resolve(key)) ?? finetunes.find((f) => modelName(f) === key);
      file = spec.slice(i + 1);
    }
    if (!spec.includes('=')) throw usageError(`--examples ${spec}: expected FT=FILE (FT a fine-tune's path or dir name)`);
    if (matched === undefined)
      throw usageError(
        `--examples ${spec}: ${spec.slice(0, spec.indexOf('='))} is not one of the fine-tunes (${finetunes.map(modelName).join(', ')})`,
      );
    if (file === '') throw usageError(`--examples ${spec}: no file after '='`);
    if (byFt.has(matched)) throw usageError(`--examples: ${modelName(matched)} has two examples files; give one`);
    byFt.set(matched, file);
  }
  return byFt;
}

/** The probe's rows for the store: one per fine-tune and drop rate. */
export function probeRows(result: ProbeResult): ProbeRow[] {
  return result.models.flatMap((m: ProbeModelResult) =>
    m.sweep.map((s) => ({
      model: m.name,
      path: m.path,
      metric: m.metric,
      examplesFile: m.examplesFile,
      examples: m.examples,
      baseScore: m.baseScore,
      ftScore: m.ftScore,
      dropRate: s.dropRate,
      loss: s.loss,
      exactMatch: s.exactMatch ?? null,
      retained: s.retained,
      retainedLow: s.retainedLow,
      retainedHigh: s.retainedHigh,
      retainedMin: Math.min(...s.seedRetained),
      retainedMax: Math.max(...s.seedRetained),
      seeds: s.seedScores.length,
      safeDropRate: m.safeDropRate,
      tolerance: m.tolerance,
    })),
  );
}

/** Run `darekit probe`: measure each fine-tune's DARE tolerance on its examples; store the table when `out` is given. */
export async function runProbe(o: ProbeRunOptions): Promise<{ result: ProbeResult; outDir?: string }> {
  if (o.finetunes.length === 0) throw usageError('give at least one fine-tune to probe');
  if (o.examples.length === 0)
    throw usageError('give examples for at least one fine-tune: --examples FT=FILE (JSONL of {"prompt","completion"}, or text)');
  const files = matchExamples(o.finetunes, o.examples);
  const baseDir = openModel(o.base).dir;
  const config = loadLlamaConfig(baseDir);
  const finetunes: ProbeFinetune[] = [];
  for (const ft of o.finetunes) {
    const file = files.get(ft);
    if (file === undefined) {
      o.onNote?.(`${modelName(ft)}: no --examples, not probed`);
      continue;
    }
    const dir = openModel(ft).dir;
    loadLlamaConfig(dir); // a fine-tune of another architecture is refused here, by name
    const examples = loadExamples(file, loadTokenizer(dir), {
      maxPositions: config.maxPositionEmbeddings,
      ...(o.window !== undefined ? { window: o.window } : {}),
    });
    finetunes.push({ path: resolve(dir), name: modelName(ft), examples });
  }
  const result = await probe({
    base: baseDir,
    config,
    finetunes,
    ...(o.dropRates ? { dropRates: o.dropRates } : {}),
    ...(o.seeds !== undefined ? { seeds: o.seeds } : {}),
    ...(o.tolerance !== undefined ? { tolerance: o.tolerance } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.score ? { score: o.score } : {}),
  });
  if (o.out === undefined) return { result };
  const outDir = resolve(o.out);
  mkdirSync(outDir, { recursive: true });
  await writeProbeTable(outDir, probeRows(result));
  return { result, outDir };
}

/** Options of tuneProbe. */
export interface TuneProbeOptions {
  base: string;
  finetunes: string[];
  /** `FT=FILE` pairs, one for every fine-tune. */
  examples: string[];
  budget: number;
  window?: number;
  threads?: number;
  /** One line per step (scoring the base and the fine-tunes alone). */
  log?: (line: string) => void;
  score?: Scorer;
}

/** Mean of per-sequence scores: exact match (every scored token the argmax) or minus the mean loss. */
function meanScore(metric: 'exact_match' | 'loss', scores: SequenceScores[]): number {
  let sum = 0;
  for (const s of scores) {
    if (metric === 'exact_match') sum += s.argmaxHit.every((h) => h === 1) ? 1 : 0;
    else sum += s.logprobs.reduce((a, b) => a + b, 0) / s.logprobs.length;
  }
  return sum / scores.length;
}

/**
 * The built-in eval of `tune --examples`: scores the base and each fine-tune alone on the fine-tune's examples
 * once, then scores each candidate merge (computed in memory by the merge engine, rounded to the output dtype as
 * a written merge is) with one forward pass over every specialist's examples.
 */
export async function tuneProbe(o: TuneProbeOptions): Promise<TuneProbe> {
  const files = matchExamples(o.finetunes, o.examples);
  const missing = o.finetunes.filter((f) => !files.has(f));
  if (missing.length > 0)
    throw usageError(`--examples: give examples for every fine-tune to merge; missing: ${missing.map(modelName).join(', ')}`);
  const baseDir = openModel(o.base).dir;
  const config = loadLlamaConfig(baseDir);
  const score = o.score ?? scoreSequences;
  const specs = o.finetunes.map((ft) => {
    const dir = openModel(ft).dir;
    loadLlamaConfig(dir);
    const ex = loadExamples(files.get(ft)!, loadTokenizer(dir), {
      maxPositions: config.maxPositionEmbeddings,
      ...(o.window !== undefined ? { window: o.window } : {}),
    });
    return {
      path: ft,
      dir,
      model: modelName(ft),
      examples: ex,
      requests: ex.sequences.map((s) => ({ tokens: s.tokens, scoreFrom: s.scoreFrom })),
    };
  });
  const all = specs.flatMap((s) => s.requests);
  // one kernel pool (workers and memory) for every candidate
  const pool = o.score === undefined ? createKernelPool(o.threads ?? defaultThreads()) : undefined;
  const fwd = pool ? { pool } : o.threads === undefined ? {} : { threads: o.threads };
  const split = <T>(xs: T[]): T[][] => {
    let at = 0;
    return specs.map((s) => xs.slice(at, (at += s.requests.length)));
  };
  const scoreAll = async (source: WeightSource): Promise<SequenceScores[][]> => {
    try {
      return split(await score(source, all, fwd));
    } finally {
      source.close();
    }
  };
  const base: number[] = [];
  const alone: number[] = [];
  try {
    o.log?.("scoring the base on every specialist's examples");
    base.push(...(await scoreAll(modelWeightSource(baseDir, config))).map((s, i) => meanScore(specs[i]!.examples.metric, s)));
    for (const s of specs) {
      o.log?.(`scoring ${s.model} alone on its ${s.requests.length} examples`);
      const src = modelWeightSource(s.dir, config);
      try {
        alone.push(meanScore(s.examples.metric, await score(src, s.requests, fwd)));
      } finally {
        src.close();
      }
    }
  } catch (err) {
    await pool?.close();
    throw err;
  }
  return {
    budget: o.budget,
    close: async () => {
      await pool?.close();
    },
    async evaluate(merge: MergeConfig): Promise<SpecialistScore[]> {
      const per = await scoreAll(mergeWeightSource(merge, config));
      return specs.map((s, i) => {
        const sc = meanScore(s.examples.metric, per[i]!);
        return {
          path: s.path,
          model: s.model,
          metric: s.examples.metric,
          retained: (sc - base[i]!) / (alone[i]! - base[i]!),
          score: sc,
          ftScore: alone[i]!,
          baseScore: base[i]!,
          examples: s.requests.length,
        };
      });
    },
  };
}
