import { runtimeError } from '../errors.js';
import { decodeToF32 } from '../io/codec.js';
import { bytesPerElement } from '../io/dtypes.js';
import { OpenFiles } from '../io/open-files.js';
import { readTensorBytes, type TensorLocation } from '../io/tensor-bytes.js';
import { DELTA_FIELDS, HIST_BINS, PAIR_FIELDS, STATS_BLOCK } from '../kernel/reference/stats.js';
import { instantiateKernel, type KernelInstance } from '../kernel/wasm.js';

/** The wasm exports the stats pass uses (pointer + length convention; see src/kernel/assembly/stats.ts). */
export interface StatsKernelExports {
  /** decode_bf16(src: usize, dst: usize, n: i32): void */
  decode_bf16(src: number, dst: number, n: number): void;
  /** decode_f16(src: usize, dst: usize, n: i32): void */
  decode_f16(src: number, dst: number, n: number): void;
  /** stats_base_sq(base: usize, n: i32, out: usize): void */
  stats_base_sq(base: number, n: number, out: number): void;
  /** stats_delta(base: usize, ft: usize, delta: usize, n: i32, baseSq: usize, out: usize, hist: usize, energy: usize): void */
  stats_delta(base: number, ft: number, delta: number, n: number, baseSq: number, out: number, hist: number, energy: number): void;
  /** stats_pair(da: usize, db: usize, n: i32, out: usize): void */
  stats_pair(da: number, db: number, n: number, out: number): void;
  /** stats_u64_to_f64(src: usize, dst: usize, n: i32): void */
  stats_u64_to_f64(src: number, dst: number, n: number): void;
}

/** The analyzer's own kernel entry points (every `stats_*` export of build/kernel.wasm). */
export const STATS_KERNEL_EXPORTS = ['stats_base_sq', 'stats_delta', 'stats_pair', 'stats_u64_to_f64'] as const satisfies readonly (keyof StatsKernelExports)[];

/** Where one tensor's bytes are in one model (inputs[0] is the base); LoRA adapters give virtual F32 tensors. */
export type TensorSource = TensorLocation;

/** One unit of work: elements [start, start+count) of one tensor in the base and every fine-tune. */
export interface ChunkTask {
  seq: number;
  tensor: number;
  start: number;
  count: number;
  inputs: TensorSource[];
}

/** Partial results of one chunk, laid out per fine-tune (k) and per pair (p, in pairIndex order). */
export interface ChunkResult {
  seq: number;
  tensor: number;
  /** K × blocks × DELTA_FIELDS block records. */
  delta: Float64Array;
  /** P × blocks × PAIR_FIELDS block records. */
  pair: Float64Array;
  /**
   * Non-empty histogram bins, packed: fine-tune k's entries are [histStart[k], histStart[k+1]) of histBin (bin
   * index), histCount (count of |Δ|) and histEnergy (Σ ⌊m²/2²⁴⌋, exact integers in float64). Sparse, because
   * deltas fill a few hundred of the 8192 bins and results cross threads for every chunk.
   */
  histStart: Uint32Array;
  histBin: Uint32Array;
  histCount: Uint32Array;
  histEnergy: Float64Array;
  /** Input bytes read for this chunk (all models). */
  bytes: number;
}

/** Number of pairs among k fine-tunes. */
export function pairCount(k: number): number {
  return (k * (k - 1)) / 2;
}

/** Runs chunks of the stats pass on its own kernel instance; owns the descriptors it opens. */
export class ChunkProcessor {
  private readonly kernel: KernelInstance<StatsKernelExports>;
  private readonly files = new OpenFiles();
  private scratch = new Uint8Array(0);
  private readonly layout: ReturnType<typeof planLayout>;

  /** Lay out linear memory for chunks of up to maxCount elements and k fine-tunes. */
  constructor(private readonly k: number, maxCount: number, module?: WebAssembly.Module) {
    this.kernel = instantiateKernel<StatsKernelExports>(undefined, module);
    this.layout = planLayout(k, maxCount);
    this.kernel.ensure(this.layout.end);
  }

  private readInto(src: TensorSource, start: number, count: number, dst: Uint8Array): void {
    readTensorBytes(src, start, count, dst, this.files);
  }

  /** Read the chunk of one model and decode it to f32 at ptr (in place: raw bytes go to the upper half). */
  private load(src: TensorSource, start: number, n: number, ptr: number): number {
    const mem = this.kernel.memory.buffer;
    const bpe = bytesPerElement(src.dtype);
    switch (src.dtype) {
      case 'F32':
        this.readInto(src, start, n, new Uint8Array(mem, ptr, 4 * n));
        break;
      case 'BF16':
        this.readInto(src, start, n, new Uint8Array(mem, ptr + 2 * n, 2 * n));
        this.kernel.exports.decode_bf16(ptr + 2 * n, ptr, n);
        break;
      case 'F16':
        this.readInto(src, start, n, new Uint8Array(mem, ptr + 2 * n, 2 * n));
        this.kernel.exports.decode_f16(ptr + 2 * n, ptr, n);
        break;
      case 'F64':
        if (this.scratch.length < 8 * n) this.scratch = new Uint8Array(8 * n);
        this.readInto(src, start, n, this.scratch);
        decodeToF32('F64', this.scratch, new Float32Array(mem, ptr, n), n);
        break;
    }
    return n * bpe;
  }

  /** Read, decode and run the stats pass over one chunk. */
  run(task: ChunkTask): ChunkResult {
    const { k, layout: L } = this;
    const n = task.count;
    if (n > L.maxCount || task.inputs.length !== k + 1) throw runtimeError(`internal: chunk of ${n} elements / ${task.inputs.length} inputs exceeds the processor layout`);
    if (task.start % STATS_BLOCK !== 0) throw runtimeError(`internal: chunk start ${task.start} is not a multiple of ${STATS_BLOCK}`);
    let bytes = 0;
    for (let m = 0; m <= k; m++) bytes += this.load(task.inputs[m]!, task.start, n, L.models + m * L.bufBytes);
    const ex = this.kernel.exports;
    const blocks = Math.ceil(n / STATS_BLOCK);
    ex.stats_base_sq(L.models, n, L.baseSq);
    for (let i = 0; i < k; i++) {
      ex.stats_delta(L.models, L.models + (i + 1) * L.bufBytes, L.deltas + i * L.bufBytes, n, L.baseSq, L.deltaOut + i * L.deltaOutBytes, L.hist + 4 * i * HIST_BINS * 4, L.energyU64 + 4 * i * HIST_BINS * 8);
    }
    let p = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++, p++) ex.stats_pair(L.deltas + a * L.bufBytes, L.deltas + b * L.bufBytes, n, L.pairOut + p * L.pairOutBytes);
    }
    for (let i = 0; i < k; i++) ex.stats_u64_to_f64(L.energyU64 + 4 * i * HIST_BINS * 8, L.energyF64 + i * HIST_BINS * 8, HIST_BINS);
    const mem = this.kernel.memory.buffer;
    const delta = new Float64Array(k * blocks * DELTA_FIELDS);
    for (let i = 0; i < k; i++) delta.set(new Float64Array(mem, L.deltaOut + i * L.deltaOutBytes, blocks * DELTA_FIELDS), i * blocks * DELTA_FIELDS);
    const pair = new Float64Array(p * blocks * PAIR_FIELDS);
    for (let j = 0; j < p; j++) pair.set(new Float64Array(mem, L.pairOut + j * L.pairOutBytes, blocks * PAIR_FIELDS), j * blocks * PAIR_FIELDS);
    const histStart = new Uint32Array(k + 1);
    const bins: number[] = [];
    for (let i = 0; i < k; i++) {
      const view = new Uint32Array(mem, L.hist + 4 * i * HIST_BINS * 4, HIST_BINS);
      for (let j = 0; j < HIST_BINS; j++) if (view[j] !== 0) bins.push(i * HIST_BINS + j);
      histStart[i + 1] = bins.length;
    }
    const histBin = new Uint32Array(bins.length), histCount = new Uint32Array(bins.length), histEnergy = new Float64Array(bins.length);
    const energyAll = new Float64Array(mem, L.energyF64, k * HIST_BINS);
    bins.forEach((b, e) => {
      const i = Math.floor(b / HIST_BINS), j = b % HIST_BINS;
      const view = new Uint32Array(mem, L.hist + 4 * i * HIST_BINS * 4, HIST_BINS);
      histBin[e] = j;
      histCount[e] = view[j]!;
      histEnergy[e] = energyAll[b]!;
    });
    for (let i = 0; i < k; i++) new Uint32Array(mem, L.hist + 4 * i * HIST_BINS * 4, HIST_BINS).fill(0);
    return { seq: task.seq, tensor: task.tensor, delta, pair, histStart, histBin, histCount, histEnergy, bytes };
  }

  /** Close every descriptor this processor opened. */
  close(): void {
    this.files.close();
  }
}

/** Byte offsets of every buffer in linear memory for k fine-tunes and chunks of up to maxCount elements. */
function planLayout(k: number, maxCount: number) {
  const align = (x: number): number => Math.ceil(x / 64) * 64;
  const bufBytes = align(4 * maxCount);
  const blocks = Math.ceil(maxCount / STATS_BLOCK);
  const deltaOutBytes = align(blocks * DELTA_FIELDS * 8);
  const pairOutBytes = align(blocks * PAIR_FIELDS * 8);
  const models = 1024;
  const deltas = models + (k + 1) * bufBytes;
  const baseSq = deltas + k * bufBytes;
  const deltaOut = baseSq + align(blocks * 8);
  const pairOut = deltaOut + k * deltaOutBytes;
  const hist = pairOut + Math.max(1, pairCount(k)) * pairOutBytes;
  // the kernel uses 4 copies of each histogram (the result lands in copy 0); fine-tune i's copies start at i·4·BINS
  const energyU64 = hist + align(4 * k * HIST_BINS * 4);
  const energyF64 = energyU64 + 4 * k * HIST_BINS * 8;
  const end = energyF64 + k * HIST_BINS * 8;
  return { maxCount, bufBytes, deltaOutBytes, pairOutBytes, models, deltas, baseSq, deltaOut, pairOut, hist, energyU64, energyF64, end };
}
