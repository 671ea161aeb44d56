import { existsSync } from 'node:fs';
import { resolveModelLocation } from '../hub/cache.js';
import { basename, resolve } from 'node:path';
import { inputError, usageError } from '../errors.js';
import { openFinetune } from '../io/lora.js';
import { openModel, type Model } from '../io/model.js';
import { parseTensorName } from '../io/tensor-names.js';
import { DELTA_FIELDS, HIST_BINS, PAIR_FIELDS, STATS_BLOCK } from '../kernel/abi.js';
import { DEFAULT_SAMPLE_ABOVE, chunkTasks, pairCount, type ChunkResult } from './chunk.js';
import { alignFinetunes, type VocabAdjustment } from '../io/homology.js';
import { addHistogram, binHi, binLo, emptyHistogram, energyScale, type AbsHistogram } from './histogram.js';
import { TaskPool } from '../exec/pool.js';
import { runOrdered } from '../exec/window.js';
import { statsTask } from './stats-task.js';
import {
  addDeltaSums,
  addPairSums,
  deriveStats,
  derivePair,
  emptyDeltaSums,
  emptyPairSums,
  foldDeltaRecords,
  foldPairRecords,
  type PairSums,
} from './sums.js';
import type { AnalysisResult, DeltaSums, HistogramBin, LayerStats, ModelStats, PairStats, TensorStats } from '../schema/analysis.js';
import { MAX_THREADS } from '../limits.js';

/** Options of the streaming analysis. */
export interface AnalyzeModelsOptions {
  base: string;
  finetunes: string[];
  /** Worker threads (default 2; 1 runs on the calling thread). Results do not depend on it. */
  threads?: number;
  /** Elements per chunk (rounded up to a multiple of 4096; default 2¹⁸). Results do not depend on it. */
  chunkElements?: number;
  /** Model labels (default: the fine-tunes' dir or file names, made unique). */
  labels?: string[];
  /**
   * Tensors with more elements than this get their |Δ| histogram (quantiles, droppable share, histograms table) and
   * pair counts (sign and weighted conflict, overlaps) from the deterministic sample (default 2²⁰; 0 samples every
   * tensor, Infinity none). Results do not depend on chunk size or threads either way.
   */
  sampleAbove?: number;
  /** DARE densities for PairStats.overlapExpected (default 0.1, 0.3, 0.5, 0.7, 0.9). */
  densities?: number[];
  /** Called after each folded chunk with input bytes done and total. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Accept embedding/lm_head vocabulary-row mismatches: fine-tunes are read with the base's rows (cut, or padded with a zero delta). */
  truncateVocab?: boolean;
  /** Told which fine-tune tensors were cut or padded (truncateVocab), before any data is read. */
  onVocabAdjusted?: (adjustments: VocabAdjustment[]) => void;
}

/** Default DARE densities for the expected-overlap columns. */
export const DEFAULT_DENSITIES = [0.1, 0.3, 0.5, 0.7, 0.9];
/** Default chunk size in elements. */
// 2¹⁸: a chunk of 4 BF16 models (2 MiB) is still in cache when the kernel decodes it; 2²⁰ cost ~10% more CPU here
export const DEFAULT_CHUNK_ELEMENTS = 1 << 18;

/** Labels for the fine-tunes: given ones, or their base names with a numeric suffix on collisions. */
function modelLabels(paths: string[], given?: string[]): string[] {
  if (given) {
    if (given.length !== paths.length)
      throw usageError(`${given.length} labels for ${paths.length} fine-tunes; give one label per fine-tune`);
    if (new Set(given).size !== given.length) throw usageError('labels must be unique');
    return given;
  }
  const seen = new Map<string, number>();
  return paths.map((p) => {
    const b = basename(resolve(p)).replace(/\.safetensors$/, '');
    const n = (seen.get(b) ?? 0) + 1;
    seen.set(b, n);
    return n === 1 ? b : `${b}-${n}`;
  });
}

/** Per-(model, layer) and per-model rollup accumulators. */
interface Rollup {
  sums: DeltaSums;
  hist: AbsHistogram;
  tensors: number;
}

function newRollup(): Rollup {
  return { sums: emptyDeltaSums(), hist: emptyHistogram(), tensors: 0 };
}

function histogramRows(
  h: AbsHistogram,
  model: string,
  scope: HistogramBin['scope'],
  layer: number | null,
  tensor: string | null,
  out: HistogramBin[],
): void {
  for (let j = 0; j < HIST_BINS; j++) {
    const count = h.counts[j]!;
    if (count > 0) out.push({ model, scope, layer, tensor, bin: j, lo: binLo(j), hi: binHi(j), count, energy: h.energy[j]! });
  }
}

/** Stream the base and every fine-tune once, chunk by chunk, and compute every statistic of AnalysisResult. */
export async function analyzeModels(opts: AnalyzeModelsOptions): Promise<AnalysisResult> {
  if (opts.finetunes.length === 0) throw usageError('give at least one fine-tune to analyze against the base');
  const threads = opts.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw usageError(`threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
  const chunkReq = opts.chunkElements ?? DEFAULT_CHUNK_ELEMENTS;
  if (!Number.isInteger(chunkReq) || chunkReq < 1) throw usageError(`chunk size must be a positive integer, got ${chunkReq}`);
  const densities = opts.densities ?? DEFAULT_DENSITIES;
  for (const d of densities) if (!(d > 0 && d <= 1)) throw usageError(`DARE density ${d} is outside (0, 1]`);
  const chunk = Math.ceil(chunkReq / STATS_BLOCK) * STATS_BLOCK;

  // Every missing path at once, so a typo in two arguments costs one run, not two.
  // (A Hub repo id counts as present when it resolves from the cache; one that does not gets openModel's own error.)
  const missing = [opts.base, ...opts.finetunes].filter((p) => {
    try {
      return !existsSync(resolve(resolveModelLocation(p)));
    } catch {
      return false;
    }
  });
  if (missing.length > 1) throw inputError(`${missing.length} model paths do not exist: ${missing.join(', ')}; check them and run again`);
  const base = openModel(opts.base);
  const aligned = alignFinetunes(
    base,
    opts.finetunes.map((p) => openFinetune(p, base)),
    { truncateVocab: opts.truncateVocab ?? false },
  );
  const fts = aligned.models;
  if (aligned.vocab.length > 0) opts.onVocabAdjusted?.(aligned.vocab);
  const labels = modelLabels(opts.finetunes, opts.labels);
  const K = fts.length;
  const P = pairCount(K);
  const models: Model[] = [base, ...fts];

  const names = base.names;
  const tasks = chunkTasks(models, chunk, opts.sampleAbove ?? DEFAULT_SAMPLE_ABOVE);
  const maxCount = tasks.reduce((m, t) => Math.max(m, t.count), STATS_BLOCK);
  const totalBytes = names.reduce((s, name) => s + models.reduce((b, m) => b + m.tensors.get(name)!.byteLength, 0), 0);

  // per-tensor accumulators of the tensor being folded
  let accT = -1;
  let accSums: DeltaSums[] = [];
  let accHist: AbsHistogram[] = [];
  let accPairs: PairSums[] = [];
  const startTensor = (t: number): void => {
    const numel = base.tensors.get(names[t]!)!.numel;
    accT = t;
    accSums = labels.map(() => emptyDeltaSums(numel));
    accHist = labels.map(() => emptyHistogram());
    accPairs = Array.from({ length: P }, () => emptyPairSums(numel));
  };

  const tensorRows: TensorStats[] = [];
  const histRows: HistogramBin[] = [];
  const pairRows: PairStats[] = [];
  const layerRoll = labels.map(() => new Map<number | null, Rollup>());
  const modelRoll = labels.map(() => newRollup());
  const layerPairs = Array.from({ length: P }, () => new Map<number | null, PairSums>());
  const modelPairs = Array.from({ length: P }, () => emptyPairSums());
  const pairNames: [number, number][] = [];
  for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) pairNames.push([a, b]);
  /** The row of pair p over one scope, from its sums and the two fine-tunes' Σ Δ² there. */
  const pairRow = (p: number, where: Pick<PairStats, 'scope' | 'layer' | 'tensor'>, ps: PairSums, sqA: number, sqB: number): PairStats => {
    const [a, b] = pairNames[p]!;
    return { a: labels[a]!, b: labels[b]!, ...where, ...derivePair(ps, sqA, sqB, densities) };
  };

  const finalize = (): void => {
    const name = names[accT]!;
    const info = base.tensors.get(name)!;
    const { layer, module } = parseTensorName(name);
    for (let k = 0; k < K; k++) {
      const raw = accHist[k]!;
      const hist = emptyHistogram();
      for (let j = 0; j < HIST_BINS; j++) {
        hist.counts[j] = raw.counts[j]!;
        hist.energy[j] = raw.energy[j]! * energyScale(j);
      }
      const sums = accSums[k]!;
      tensorRows.push({ model: labels[k]!, tensor: name, layer, module, dtype: info.dtype, shape: info.shape, ...deriveStats(sums, hist) });
      histogramRows(hist, labels[k]!, 'tensor', layer, name, histRows);
      let lr = layerRoll[k]!.get(layer);
      if (!lr) layerRoll[k]!.set(layer, (lr = newRollup()));
      for (const r of [lr, modelRoll[k]!]) {
        addDeltaSums(r.sums, sums);
        addHistogram(r.hist, hist);
        r.tensors++;
      }
    }
    pairNames.forEach(([a, b], p) => {
      const ps = accPairs[p]!;
      pairRows.push(pairRow(p, { scope: 'tensor', layer, tensor: name }, ps, accSums[a]!.sumSqDelta, accSums[b]!.sumSqDelta));
      let lp = layerPairs[p]!.get(layer);
      if (!lp) layerPairs[p]!.set(layer, (lp = emptyPairSums()));
      addPairSums(lp, ps);
      addPairSums(modelPairs[p]!, ps);
    });
  };

  const fold = (r: ChunkResult): void => {
    while (accT < r.tensor) {
      if (accT >= 0) finalize();
      startTensor(accT + 1);
    }
    const blocks = Math.ceil(tasks[r.seq]!.count / STATS_BLOCK);
    for (let k = 0; k < K; k++) {
      foldDeltaRecords(accSums[k]!, r.delta, k * blocks * DELTA_FIELDS, blocks);
      const h = accHist[k]!;
      for (let e = r.histStart[k]!; e < r.histStart[k + 1]!; e++) {
        const j = r.histBin[e]!;
        h.counts[j]! += r.histCount[e]!;
        h.energy[j]! += r.histEnergy[e]!;
      }
    }
    for (let p = 0; p < P; p++) foldPairRecords(accPairs[p]!, r.pair, p * blocks * PAIR_FIELDS, blocks, PAIR_FIELDS);
  };

  if (names.length === 0) throw inputError(`${opts.base}: the base model has no tensors`);
  let doneBytes = 0;
  // results fold strictly in task order (the window), so every float64 sum is added in the same order whatever
  // the thread count; each worker is handed the window's tasks at once, so it never waits for the next
  const window = 2 * threads + 1;
  const pool = new TaskPool(statsTask, { k: K, maxCount }, { workers: threads === 1 ? 0 : threads, depth: window, name: 'analysis' });
  try {
    await runOrdered(
      tasks.length,
      (i) => tasks[i]!,
      (t) => pool.run(t),
      window,
      (r) => {
        fold(r);
        opts.onProgress?.((doneBytes += r.bytes), totalBytes);
      },
    );
  } finally {
    await pool.close();
  }
  while (accT < names.length - 1) {
    if (accT >= 0) finalize();
    startTensor(accT + 1);
  }
  if (accT >= 0) finalize();

  // rollups: layers ascending (the non-block group last), then the model
  const layerRows: LayerStats[] = [];
  const modelRows: ModelStats[] = [];
  labels.forEach((model, k) => {
    const keys = [...layerRoll[k]!.keys()].sort((x, y) => (x === null ? 1 : y === null ? -1 : x - y));
    for (const layer of keys) {
      const r = layerRoll[k]!.get(layer)!;
      layerRows.push({ model, layer, tensors: r.tensors, ...deriveStats(r.sums, r.hist) });
      histogramRows(r.hist, model, 'layer', layer, null, histRows);
    }
    const m = modelRoll[k]!;
    modelRows.push({
      model,
      path: resolve(fts[k]!.path),
      tensors: m.tensors,
      loraRank: fts[k]!.adapter?.rank ?? null,
      ...deriveStats(m.sums, m.hist),
    });
    histogramRows(m.hist, model, 'model', null, null, histRows);
  });
  const sqOf = (k: number, layer: number | null | undefined): number =>
    layer === undefined ? modelRoll[k]!.sums.sumSqDelta : layerRoll[k]!.get(layer)!.sums.sumSqDelta;
  const rollPairs: PairStats[] = [];
  pairNames.forEach(([a, b], p) => {
    rollPairs.push(pairRow(p, { scope: 'model', layer: null, tensor: null }, modelPairs[p]!, sqOf(a, undefined), sqOf(b, undefined)));
    const keys = [...layerPairs[p]!.keys()].sort((x, y) => (x === null ? 1 : y === null ? -1 : x - y));
    for (const layer of keys) {
      rollPairs.push(pairRow(p, { scope: 'layer', layer, tensor: null }, layerPairs[p]!.get(layer)!, sqOf(a, layer), sqOf(b, layer)));
    }
  });
  // absolute paths, so a stored analysis can be reused (tune --analysis, dash) from any working dir
  return {
    base: resolve(base.path),
    models: modelRows,
    tensors: tensorRows,
    layers: layerRows,
    pairs: [...rollPairs, ...pairRows],
    histograms: histRows,
    densities,
  };
}
