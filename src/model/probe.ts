import { defaultThreads } from '../limits.js';
import { basename, resolve } from 'node:path';
import { usageError } from '../errors.js';
import { mulberry32 } from '../fixtures/prng.js';
import type { LlamaConfig } from './config.js';
import { dareWeightSource } from './dare-source.js';
import type { ExampleSequence, ProbeExamples, ProbeMetric } from './examples.js';
import { createKernelPool, scoreSequences, type ForwardOptions, type ScoreRequest, type SequenceScores } from './forward.js';
import { modelWeightSource, type WeightSource } from './weights.js';

/** The forward pass the probe scores with (the model's own by default; tests substitute a reference). */
export type Scorer = (source: WeightSource, requests: ScoreRequest[], opts?: ForwardOptions) => Promise<SequenceScores[]>;

/** The drop rates of the shared ground truth (truth.json's `drop_rates`): the default grid. */
export const DEFAULT_DROP_RATES: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99];
/** Mask seeds per drop rate by default. */
export const DEFAULT_SEEDS = 3;
/** Share of the fine-tune's gain a drop rate must keep to be safe, by default. */
export const DEFAULT_TOLERANCE = 0.95;
/** Bootstrap resamples of the examples, and the seed of their generator (fixed: results are reproducible). */
export const BOOTSTRAP_RESAMPLES = 1000;
export const BOOTSTRAP_SEED = 0x5eed;
/** The bootstrap interval: these quantiles of the resampled retained shares. */
export const BOOTSTRAP_QUANTILES: readonly [number, number] = [0.025, 0.975];

/** A fine-tune to probe, with its examples. */
export interface ProbeFinetune {
  /** The model dir its weights are read from. */
  path: string;
  /** The name tables and progress use (default: the dir's name; a Hub repo id's snapshot dir is named by its commit). */
  name?: string;
  examples: ProbeExamples;
}

/** Per-example scores of one model: mean NLL of the scored tokens, and whether every scored token was the argmax. */
export interface ExampleScores {
  loss: Float64Array;
  exact: Uint8Array;
}

/** One drop rate of a sweep. */
export interface SweepPoint {
  dropRate: number;
  /** Mean loss over examples and seeds. */
  loss: number;
  /** Mean exact match over examples and seeds (JSONL examples only). */
  exactMatch?: number;
  /** (score_p − score_base)/(score_ft − score_base), score_p averaged over seeds. */
  retained: number;
  /** Bootstrap interval of `retained` over examples. */
  retainedLow: number;
  retainedHigh: number;
  /** Spread over mask seeds: the retained share of each seed (one value at p = 0, where no mask drops anything). */
  seedRetained: number[];
  /** The score (exact match, or minus the loss) of each seed. */
  seedScores: number[];
}

/** The probe's result for one fine-tune. */
export interface ProbeModelResult {
  path: string;
  /** The fine-tune's name in tables (its dir name, or what the caller named it). */
  name: string;
  examplesFile: string;
  examples: number;
  metric: ProbeMetric;
  /** Score of the base and the fine-tune: exact match (JSONL) or minus the mean loss (text). */
  baseScore: number;
  ftScore: number;
  baseLoss: number;
  ftLoss: number;
  sweep: SweepPoint[];
  /** Largest p of the grid whose retained ≥ tolerance; null when the fine-tune gains nothing over the base. */
  safeDropRate: number | null;
  tolerance: number;
}

/** What the probe reports as it goes. */
export interface ProbeProgress {
  /** Forward passes done and planned. */
  done: number;
  total: number;
  /** What was just scored, e.g. "sft-up p=0.3 seed 1". */
  label: string;
}

/** Options of probe(). */
export interface ProbeOptions {
  base: string;
  /** The model config (loadLlamaConfig of the base). */
  config: LlamaConfig;
  finetunes: ProbeFinetune[];
  dropRates?: readonly number[];
  seeds?: number;
  tolerance?: number;
  threads?: number;
  onProgress?: (p: ProbeProgress) => void;
  score?: Scorer;
}

/** The probe's result. */
export interface ProbeResult {
  base: string;
  dropRates: number[];
  seeds: number[];
  tolerance: number;
  bootstrap: { resamples: number; seed: number; quantiles: readonly [number, number] };
  /** Forward passes run: one base pass over every fine-tune's examples, then per fine-tune 1 + 1 (p = 0) + (grid − 1) × seeds. */
  forwardPasses: number;
  models: ProbeModelResult[];
}

/** Check a drop-rate grid: sorted, distinct, each in [0, 1). */
export function checkDropRates(rates: readonly number[]): number[] {
  if (rates.length === 0) throw usageError('--drop-rates: give at least one drop rate');
  for (const p of rates) if (!Number.isFinite(p) || p < 0 || p >= 1) throw usageError(`--drop-rates: ${p} is not a drop rate in [0, 1)`);
  const sorted = [...new Set(rates)].sort((a, b) => a - b);
  return sorted;
}

function toScores(raw: SequenceScores[]): ExampleScores {
  const loss = new Float64Array(raw.length);
  const exact = new Uint8Array(raw.length);
  raw.forEach((r, i) => {
    let nll = 0;
    let all = 1;
    for (let k = 0; k < r.logprobs.length; k++) {
      nll -= r.logprobs[k]!;
      if (r.argmaxHit[k] !== 1) all = 0;
    }
    loss[i] = nll / r.logprobs.length;
    exact[i] = all;
  });
  return { loss, exact };
}

/** Per-example score: exact match (0/1) for prompt/completion examples, minus the loss for text. */
function perExample(metric: ProbeMetric, s: ExampleScores): Float64Array {
  return metric === 'exact_match' ? Float64Array.from(s.exact) : s.loss.map((x) => -x);
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** The q-quantile of sorted values, linear between order statistics (numpy's default, R type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The bootstrap resamples of n examples: B index lists drawn with replacement from one fixed-seed generator. */
export function bootstrapIndices(n: number, resamples = BOOTSTRAP_RESAMPLES, seed = BOOTSTRAP_SEED): Uint32Array[] {
  const next = mulberry32(seed);
  return Array.from({ length: resamples }, () => {
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = Math.floor(next() * n);
    return idx;
  });
}

/**
 * The bootstrap interval of the retained share at one p: for each resample of the examples, retained =
 * (mean_p − mean_base)/(mean_ft − mean_base) over the resampled examples (mean_p over seeds too); the interval
 * is the BOOTSTRAP_QUANTILES of those values (resamples where the fine-tune gains nothing are left out).
 */
export function bootstrapRetained(base: Float64Array, ft: Float64Array, seeds: Float64Array[], resamples: Uint32Array[]): [number, number] {
  const values: number[] = [];
  for (const idx of resamples) {
    let b = 0;
    let f = 0;
    let p = 0;
    for (let i = 0; i < idx.length; i++) {
      const e = idx[i]!;
      b += base[e]!;
      f += ft[e]!;
      for (const s of seeds) p += s[e]!;
    }
    const n = idx.length;
    const gain = f / n - b / n;
    if (gain !== 0) values.push((p / (n * seeds.length) - b / n) / gain);
  }
  values.sort((a, b) => a - b);
  return [quantile(values, BOOTSTRAP_QUANTILES[0]), quantile(values, BOOTSTRAP_QUANTILES[1])];
}

/** The largest p of the sweep whose retained share is ≥ tolerance (truth.json's definition); null without a gain. */
export function safeDropRate(sweep: readonly SweepPoint[], tolerance: number, gain: number): number | null {
  if (!(gain > 0)) return null;
  let safe: number | null = null;
  for (const s of sweep) if (s.retained >= tolerance && (safe === null || s.dropRate > safe)) safe = s.dropRate;
  return safe;
}

const requestsOf = (seqs: ExampleSequence[]): ScoreRequest[] => seqs.map((s) => ({ tokens: s.tokens, scoreFrom: s.scoreFrom }));

/**
 * Measure how much of each fine-tune's gain survives DARE: score the base, the fine-tune and DARE(ft, p, seed)
 * for every p of the grid and every seed on the fine-tune's examples (teacher forcing: exact match = every
 * completion token is the argmax), with the retained share per p, its spread over seeds and a bootstrap
 * interval over examples, and the safe drop rate at the tolerance.
 */
export async function probe(o: ProbeOptions): Promise<ProbeResult> {
  checkDropRates(o.dropRates ?? DEFAULT_DROP_RATES);
  const nSeeds = o.seeds ?? DEFAULT_SEEDS;
  if (!Number.isInteger(nSeeds) || nSeeds < 1 || nSeeds > 1000) throw usageError(`--seeds: ${nSeeds} is not a seed count (1–1000)`);
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE;
  if (!(tolerance > 0 && tolerance <= 1)) throw usageError(`--tolerance: ${tolerance} is not a share of the gain in (0, 1]`);
  if (o.finetunes.length === 0) throw usageError('give at least one fine-tune with --examples FT=FILE');
  const score = o.score ?? scoreSequences;
  // one kernel pool (workers and memory) for every pass of the sweep
  const pool = o.score === undefined ? createKernelPool(o.threads ?? defaultThreads()) : undefined;
  try {
    return await sweep(o, score, pool ? { pool } : o.threads === undefined ? {} : { threads: o.threads });
  } finally {
    await pool?.close();
  }
}

async function sweep(o: ProbeOptions, score: Scorer, fwd: ForwardOptions): Promise<ProbeResult> {
  const dropRates = checkDropRates(o.dropRates ?? DEFAULT_DROP_RATES);
  const nSeeds = o.seeds ?? DEFAULT_SEEDS;
  const seeds = Array.from({ length: nSeeds }, (_, i) => i);
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE;
  const base = resolve(o.base);
  const perFt = 2 + dropRates.filter((p) => p > 0).length * nSeeds + (dropRates.includes(0) ? 0 : -1);
  const total = 1 + o.finetunes.length * perFt;
  let done = 0;
  const run = async (source: WeightSource, seqs: ExampleSequence[], label: string): Promise<ExampleScores> => {
    try {
      const s = toScores(await score(source, requestsOf(seqs), fwd));
      done++;
      o.onProgress?.({ done, total, label });
      return s;
    } finally {
      source.close();
    }
  };

  // one base pass over every fine-tune's examples, split back per fine-tune
  const all = o.finetunes.flatMap((f) => f.examples.sequences);
  const baseAll = await run(modelWeightSource(base, o.config), all, 'base');
  let at = 0;
  const models: ProbeModelResult[] = [];
  for (const ft of o.finetunes) {
    const seqs = ft.examples.sequences;
    const metric = ft.examples.metric;
    const n = seqs.length;
    const baseScores: ExampleScores = { loss: baseAll.loss.slice(at, at + n), exact: baseAll.exact.slice(at, at + n) };
    at += n;
    const name = ft.name ?? basename(ft.path);
    const ftScores = await run(modelWeightSource(resolve(ft.path), o.config), seqs, `${name} fine-tune`);
    const baseVec = perExample(metric, baseScores);
    const ftVec = perExample(metric, ftScores);
    const baseScore = mean(baseVec);
    const ftScore = mean(ftVec);
    const gain = ftScore - baseScore;
    const resamples = bootstrapIndices(n);
    const sweep: SweepPoint[] = [];
    for (const p of dropRates) {
      // at p = 0 no mask drops anything, so one seed is the whole answer
      const ps = p === 0 ? [seeds[0]!] : seeds;
      const runs: ExampleScores[] = [];
      for (const s of ps) runs.push(await run(dareWeightSource(base, resolve(ft.path), p, s, o.config), seqs, `${name} p=${p} seed ${s}`));
      const vecs = runs.map((r) => perExample(metric, r));
      const seedScores = vecs.map(mean);
      const scoreP = mean(seedScores);
      const [lo, hi] = bootstrapRetained(baseVec, ftVec, vecs, resamples);
      const point: SweepPoint = {
        dropRate: p,
        loss: mean(runs.map((r) => mean(r.loss))),
        retained: (scoreP - baseScore) / gain,
        retainedLow: lo,
        retainedHigh: hi,
        seedRetained: seedScores.map((x) => (x - baseScore) / gain),
        seedScores,
      };
      if (metric === 'exact_match') point.exactMatch = mean(runs.map((r) => mean(r.exact)));
      sweep.push(point);
    }
    models.push({
      path: resolve(ft.path),
      name,
      examplesFile: resolve(ft.examples.file),
      examples: n,
      metric,
      baseScore,
      ftScore,
      baseLoss: mean(baseScores.loss),
      ftLoss: mean(ftScores.loss),
      sweep,
      safeDropRate: safeDropRate(sweep, tolerance, gain),
      tolerance,
    });
  }
  return {
    base,
    dropRates,
    seeds,
    tolerance,
    bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED, quantiles: BOOTSTRAP_QUANTILES },
    forwardPasses: done,
    models,
  };
}
