// Where the analyzer's CPU goes, per element position: the stats pass timed (CPU time) on one thread over real
// chunks of the family with 1, 2 and 3 fine-tunes, and the reads of the same bytes timed alone. CPU time per position bounds what
// any schedule of this kernel can reach on this machine: positions × ns / cores.
import { DEFAULT_CHUNK_ELEMENTS } from '../../src/analysis/analyze.js';
import { ChunkProcessor, chunkTasks, type ChunkTask } from '../../src/analysis/chunk.js';
import { openModel } from '../../src/io/model.js';
import { ReadContext } from '../../src/io/read-context.js';
import { readTensorBytes } from '../../src/io/tensor-bytes.js';

/** Nanoseconds per element position (one element of the base and of each model in the pass). */
export interface StatsCost {
  /** elements per model timed */
  elements: number;
  /** reading one model's element (page cache → wasm memory) */
  readNs: number;
  /** the stats kernel alone (reads excluded) with the first 1, 2 and 3 fine-tunes: decode, Δ, sums, histogram, pairs */
  kernelNs: [number, number, number];
}

const CHUNK = DEFAULT_CHUNK_ELEMENTS;

/** Every `stride`-th chunk task over the whole model, for the base and the first k fine-tunes. */
function sampleTasks(base: string, fts: string[], k: number, stride: number): ChunkTask[] {
  const models = [openModel(base), ...fts.slice(0, k).map((f) => openModel(f))];
  return chunkTasks(models, CHUNK)
    .filter((_, i) => i % stride === 0)
    .map((t, seq) => ({ ...t, seq }));
}

/** CPU seconds (user + system) of fn on this thread: unlike wall time, robust to other processes sharing the cores. */
function seconds(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

/** Best of `reps` timings of the stats pass with k fine-tunes, and of reading the same bytes alone. */
function timeK(base: string, fts: string[], k: number, stride: number, reps: number): { elements: number; run: number; read: number } {
  const tasks = sampleTasks(base, fts, k, stride);
  const elements = tasks.reduce((s, t) => s + t.count, 0);
  const proc = new ChunkProcessor(k, CHUNK);
  const files = new ReadContext();
  const buf = new Uint8Array(8 * CHUNK);
  try {
    proc.run(tasks[0]!); // warm the code and the memory
    let run = Infinity,
      read = Infinity;
    for (let r = 0; r < reps; r++) {
      run = Math.min(
        run,
        seconds(() => {
          for (const t of tasks) proc.run(t);
        }),
      );
      read = Math.min(
        read,
        seconds(() => {
          for (const t of tasks) for (const i of t.inputs) readTensorBytes(i, t.start, t.count, buf, files);
        }),
      );
    }
    return { elements, run, read };
  } finally {
    proc.close();
    files.close();
  }
}

/** Measure the per-position costs on the family's real chunks (needs ≥ 3 fine-tunes; one thread). */
export function measureStatsCost(base: string, fts: string[], opts: { stride?: number; reps?: number } = {}): StatsCost {
  if (fts.length < 3) throw new Error('measureStatsCost needs 3 fine-tunes');
  const stride = opts.stride ?? 8;
  const reps = opts.reps ?? 2;
  const t = [1, 2, 3].map((k) => timeK(base, fts, k, stride, reps));
  const elements = t[0]!.elements;
  const readNs = (t[2]!.read / (4 * elements)) * 1e9;
  const kernelNs = t.map((x) => ((x.run - x.read) / elements) * 1e9) as [number, number, number];
  return { elements, readNs, kernelNs };
}
