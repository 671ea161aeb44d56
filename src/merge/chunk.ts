// What a chunk of a merge is to the engine and to the combiner units that run on it: the result types, the
// engine's kernel-memory layout and the operations a combiner may call (types only, so units and engine do not
// import each other).
import type { MergeKernelExports } from '../kernel/exports.js';
import type { RadixSelect, ChunkPass } from './radix-select.js';
import type { TensorSource } from '../io/tensor-source.js';
import type { TensorJob, TermPrep } from './job.js';

/** Result of merging one chunk. */
export interface ChunkResult {
  nonfinite: number;
  bytesRead: number;
  /** When nonfinite > 0: the first input holding NaN/Inf (-1 the base, else the term index), its count in this chunk and the first element index. */
  nonfiniteAt?: NonfiniteAt;
  /** Merged values the output dtype cannot hold (they were written as ±Inf): how many, and the first. */
  overflow?: OutputOverflow;
}

/** The first merged value of a chunk beyond the output dtype's range. */
export interface OutputOverflow {
  count: number;
  element: number;
  /** The merged value in float32 (±Infinity when it was beyond float32 itself). */
  value: number;
}

/** Where a chunk's first NaN/Inf input values are. */
export interface NonfiniteAt {
  input: number;
  count: number;
  firstElement: number;
  start: number;
  end: number;
  /** Set when the first bad element is a finite F64 value beyond float32's range (it became ±Inf on decoding). */
  f64Value?: number;
}

/** Byte offsets of the engine's areas in kernel memory. */
export interface EngineLayout {
  /** float64 per term: combine coefficients and normalize weights. */
  coef: number;
  divw: number;
  /** float64 sums of the dot-product kernels (six lanes). */
  sums: number;
  /** 8 bytes per element: raw input bytes before decoding, or the encoded output. */
  raw: number;
  /** float32 per element: the base, each term's delta (chunkElements apart), the combined output. */
  base: number;
  deltas: number;
  out: number;
  /** fused_merge16's table and scratch. */
  table: number;
  /** Radix-select histograms, SELECT_HIST_BYTES per term. */
  hist: number;
  scratch: number;
  rawIn: number;
  end: number;
}

/** What a combiner unit may use of the chunk engine that runs it. */
export interface EngineContext {
  readonly k: MergeKernelExports;
  readonly memory: WebAssembly.Memory;
  readonly at: EngineLayout;
  /** Elements per chunk the layout holds (the stride of the delta buffers is 4 × this). */
  readonly chunkElements: number;
  /** Elements [start, start + n) of chunk c of a job (whole rows for per-row methods). */
  range(job: TensorJob, c: number): { start: number; n: number };
  /** How many chunks the job's tensor has. */
  chunks(job: TensorJob): number;
  /** Where term i's float32 delta (or weights) of the current chunk is. */
  deltaPtr(i: number): number;
  /** Read elements [start, start+n) of an input and decode them to float32 at dst; returns bytes read. */
  load(input: TensorSource, start: number, n: number, dst: number): number;
  /** Load chunk c of the given terms as deltas (or weights when the job has no base); with check, NaN/Inf counted. */
  loadDeltas(job: TensorJob, c: number, which: number[], check: boolean): ChunkResult;
  /** Load chunk c of every term (and the base), NaN/Inf counted: loadDeltas of all terms. */
  loadAll(job: TensorJob, c: number): ChunkResult;
  /** Sparsify term i's delta of chunk c in place, through its sparsifier. */
  sparsify(job: TensorJob, prep: TermPrep[] | undefined, i: number, c: number): void;
  /** A float64 view of kernel memory. */
  f64(ptr: number, length: number): Float64Array;
  /** The engine's generic task-arithmetic merge of chunk c into `out` (sparsify, then the weighted or TIES sum). */
  sumChunk(job: TensorJob, prep: TermPrep[] | undefined, c: number): ChunkResult;
  /** A radix select over the job's tensor, and a pass that runs load(c) before each visit. */
  select(job: TensorJob): RadixSelect;
  pass(job: TensorJob, load: (c: number) => void): ChunkPass;
  /** Where term i's radix-select histograms are. */
  histOf(i: number): number;
}
