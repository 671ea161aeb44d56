import { inputError } from '../errors.js';
import type { MergeConfig } from '../merge/config.js';
import type { ChunkEngine } from '../merge/engine.js';
import { needsPrep, type TensorJob } from '../merge/job.js';
import { createEngine } from '../merge/kernel-factory.js';
import { planMerge, type MergePlan } from '../merge/plan.js';
import { decodingSink } from '../merge/sink.js';
import type { LlamaConfig } from './config.js';
import type { WeightSource } from './weights.js';

// The merge engine's chunk size; a merged tensor does not depend on it (masks are per element index).
const CHUNK_ELEMENTS = 1 << 20;

// One chunk engine (and its wasm memory) serves every merge source of the same shape: a probe sweep builds dozens of
// sources one after another, and a fresh engine each time would keep dozens of kernel memories alive until the GC
// gets to them. Sources are used one at a time and tensor() is synchronous, so sharing is safe.
let cached: { key: string; engine: ChunkEngine } | undefined;

function sharedEngine(chunkElements: number, maxTerms: number, maxRow: number): ChunkEngine {
  const key = `${chunkElements}/${maxTerms}/${maxRow}`;
  if (cached?.key !== key) cached = { key, engine: createEngine('wasm', chunkElements, maxTerms, undefined, maxRow) };
  return cached.engine;
}

/**
 * The tensors of a merge computed in memory, one at a time, by the merge engine's own per-tensor code (plan,
 * chunk engine, wasm kernel): each value is what `darekit merge` with the same config would write, decoded
 * back to float32 from the output dtype. Nothing is written to disk.
 */
export class MergedTensors {
  private readonly plan: MergePlan;
  private readonly jobs = new Map<string, TensorJob>();
  private readonly engine: ChunkEngine;

  constructor(config: MergeConfig) {
    this.plan = planMerge(config);
    for (const j of this.plan.jobs) this.jobs.set(j.name, j);
    const maxTerms = Math.max(1, ...this.plan.jobs.map((j) => j.terms.length));
    const maxRow = Math.max(0, ...this.plan.jobs.map((j) => j.rowLen ?? 0));
    this.engine = sharedEngine(Math.max(CHUNK_ELEMENTS, maxRow), maxTerms, maxRow);
  }

  /** Whether the merge has a tensor of that name. */
  has(name: string): boolean {
    return this.jobs.has(name);
  }

  /** The merged values of tensor `name` as float32 (rounded through the output dtype, as a written merge is). */
  tensor(name: string): Float32Array {
    const job = this.jobs.get(name);
    if (!job) throw inputError(`${this.plan.layoutModel.path}: no tensor "${name}" in the merge`);
    const out = new Float32Array(job.numel);
    const prep = needsPrep(job) ? this.engine.prep(job) : undefined;
    const cs = Math.max(CHUNK_ELEMENTS, job.rowLen ?? 0);
    const chunkLen = job.rowLen ? job.rowLen * Math.max(1, Math.floor(cs / job.rowLen)) : cs;
    const sink = decodingSink(job.out.dtype, out);
    for (let c = 0; c * chunkLen < job.numel; c++) {
      const r = this.engine.mergeChunk(job, prep, c, sink);
      if (r.nonfinite > 0) {
        const who =
          r.nonfiniteAt === undefined || r.nonfiniteAt.input < 0
            ? (job.baseModel ?? 'the base')
            : (job.terms[r.nonfiniteAt.input]?.model ?? 'an input model');
        throw inputError(`${who}: tensor "${name}" holds NaN or Inf values; the probe cannot score it`);
      }
    }
    return out;
  }

  /** Close the input files (the shared engine reopens files on demand). */
  close(): void {
    this.engine.close();
  }
}

/** A WeightSource over a merge computed in memory (tune's candidate merges, the probe's DARE models). */
export function mergeWeightSource(config: MergeConfig, llama: LlamaConfig): WeightSource {
  const merged = new MergedTensors(config);
  return {
    config: llama,
    tensor: async (name) => merged.tensor(name),
    has: (name) => merged.has(name),
    close: () => merged.close(),
  };
}
