import { runtimeError } from '../errors.js';
import { bytesPerElement } from '../io/dtypes.js';
import type { Model } from '../io/model.js';
import { ReadContext } from '../io/read-context.js';
import { readTensorBytes } from '../io/tensor-bytes.js';
import { sourceOf } from '../io/tensor-reader.js';
import type { TensorSource } from '../io/tensor-source.js';
import { DELTA_FIELDS, HIST_BINS, PAIR_FIELDS, STATS_BLOCK, STATS_GROUP } from '../kernel/abi.js';
import type { StatsKernelExports } from '../kernel/exports.js';
import { fnv1a32, sampleKey } from '../kernel/mask-key.js';
import { instantiateKernel, type KernelInstance } from '../kernel/wasm.js';
import { Arena } from '../exec/arena.js';
import { decodeInArena, type DecodeKernel } from '../exec/dtype.js';

/** One unit of work: elements [start, start+count) of one tensor in the base and every fine-tune. */
export interface ChunkTask {
  seq: number;
  tensor: number;
  start: number;
  count: number;
  inputs: TensorSource[];
  /** The tensor's sampling key (sampleKey of the FNV-1a hash of its name). */
  key: number;
  /** Whether the |Δ| histogram and the pair counts come from the sample (tensors of more than sampleAbove elements). */
  sampled: boolean;
}

/** Tensors with more elements than this have their |Δ| histogram and pair counts sampled (1 in 16 per group of 64). */
export const DEFAULT_SAMPLE_ABOVE = 1 << 20;

/** Partial results of one chunk, laid out per fine-tune (k) and per pair (p, in pairIndex order); all arrays share one buffer. */
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

/**
 * The stats pass's tasks: every tensor of models[0] in its order (by file, then offset, so reads stay sequential
 * within each file), in chunks of up to `chunk` elements (a multiple of the stats block), each read from every model.
 * Tensors of more than `sampleAbove` elements are sampled (histogram and pair counts).
 */
export function chunkTasks(models: Model[], chunk: number, sampleAbove = DEFAULT_SAMPLE_ABOVE): ChunkTask[] {
  const tasks: ChunkTask[] = [];
  models[0]!.names.forEach((name, t) => {
    const infos = models.map((m) => m.tensors.get(name)!);
    const inputs = infos.map((i) => ({ ...sourceOf(i), name }));
    const numel = infos[0]!.numel;
    const key = sampleKey(fnv1a32(name));
    const sampled = numel > sampleAbove;
    for (let start = 0; start < numel; start += chunk)
      tasks.push({ seq: tasks.length, tensor: t, start, count: Math.min(chunk, numel - start), inputs, key, sampled });
  });
  return tasks;
}

/** Number of pairs among k fine-tunes. */
export function pairCount(k: number): number {
  return (k * (k - 1)) / 2;
}

/** Runs chunks of the stats pass on its own kernel instance; owns the descriptors it opens. */
export class ChunkProcessor {
  private readonly kernel: KernelInstance<StatsKernelExports & DecodeKernel>;
  private readonly files = new ReadContext();
  private readonly layout: ReturnType<typeof planLayout>;

  /** Lay out linear memory for chunks of up to maxCount elements and k fine-tunes. */
  constructor(
    private readonly k: number,
    maxCount: number,
    kernel: KernelInstance<StatsKernelExports & DecodeKernel> = instantiateKernel(),
  ) {
    this.kernel = kernel;
    this.layout = planLayout(k, maxCount, this.kernel.exports.stats_work_bytes(k));
    this.kernel.ensure(this.layout.end);
  }

  private readInto(src: TensorSource, start: number, count: number, dst: Uint8Array): void {
    readTensorBytes(src, start, count, dst, this.files);
  }

  /**
   * Read the chunk of one model to ptr: BF16/F16 raw (the kernel decodes them block by block, in cache), F32 as is,
   * F64 read past the layout's end and decoded to F32 at ptr by the dtype loader. Returns the kernel's dtype code
   * for it and the bytes read.
   */
  private load(src: TensorSource, start: number, n: number, ptr: number): { code: number; bytes: number } {
    const bytes = n * bytesPerElement(src.dtype);
    const at = src.dtype === 'F64' ? this.layout.end : ptr;
    if (src.dtype === 'F64') this.kernel.ensure(at + bytes);
    this.readInto(src, start, n, new Uint8Array(this.kernel.memory.buffer, at, bytes));
    if (src.dtype !== 'F64') return { code: DTYPE_CODE[src.dtype], bytes };
    decodeInArena(this.kernel.exports, this.kernel.memory, 'F64', at, ptr, n);
    return { code: DTYPE_CODE.F32, bytes };
  }

  /** Read and run the stats pass over one chunk. */
  run(task: ChunkTask): ChunkResult {
    const { k, layout: L } = this;
    const n = task.count;
    if (n > L.maxCount || task.inputs.length !== k + 1)
      throw runtimeError(`internal: chunk of ${n} elements / ${task.inputs.length} inputs exceeds the processor layout`);
    if (task.start % STATS_BLOCK !== 0) throw runtimeError(`internal: chunk start ${task.start} is not a multiple of ${STATS_BLOCK}`);
    let bytes = 0;
    const mem = this.kernel.memory.buffer;
    const table = new Uint32Array(mem, L.table, 2 * (k + 1));
    for (let m = 0; m <= k; m++) {
      const ptr = L.models + m * L.bufBytes;
      const r = this.load(task.inputs[m]!, task.start, n, ptr);
      table[m] = ptr;
      table[k + 1 + m] = r.code;
      bytes += r.bytes;
    }
    this.kernel.exports.stats_chunk(
      k,
      n,
      L.table,
      L.table + 4 * (k + 1),
      L.work,
      L.deltaOut,
      L.pairOut,
      L.histStart,
      L.histBin,
      L.histCount,
      L.histEnergy,
      task.key,
      task.start / STATS_GROUP,
      task.sampled ? 1 : 0,
    );
    const blocks = Math.ceil(n / STATS_BLOCK);
    const P = pairCount(k);
    const bins = new Uint32Array(mem, L.histStart + 4 * k, 1)[0]!;
    // every result array in one buffer, so a worker transfers one ArrayBuffer per chunk (float64 parts first: aligned)
    const nDelta = k * blocks * DELTA_FIELDS,
      nPair = P * blocks * PAIR_FIELDS;
    const out = new ArrayBuffer(8 * (nDelta + nPair + bins) + 4 * (k + 1 + 2 * bins));
    let at = 0;
    const take = <T extends Float64Array | Uint32Array>(make: (b: ArrayBuffer, o: number, n: number) => T, src: T, n: number): T => {
      const v = make(out, at, n);
      v.set(src);
      at += n * v.BYTES_PER_ELEMENT;
      return v;
    };
    const f64 = (b: ArrayBuffer, o: number, n: number): Float64Array => new Float64Array(b, o, n);
    const u32 = (b: ArrayBuffer, o: number, n: number): Uint32Array => new Uint32Array(b, o, n);
    const delta = take(f64, new Float64Array(mem, L.deltaOut, nDelta), nDelta);
    const pair = take(f64, new Float64Array(mem, L.pairOut, nPair), nPair);
    const histEnergy = take(f64, new Float64Array(mem, L.histEnergy, bins), bins);
    const histStart = take(u32, new Uint32Array(mem, L.histStart, k + 1), k + 1);
    const histBin = take(u32, new Uint32Array(mem, L.histBin, bins), bins);
    const histCount = take(u32, new Uint32Array(mem, L.histCount, bins), bins);
    return { seq: task.seq, tensor: task.tensor, delta, pair, histStart, histBin, histCount, histEnergy, bytes };
  }

  /** Close every descriptor this processor opened. */
  close(): void {
    this.files.close();
  }
}

/** The kernel's input dtype codes (stats_chunk's dtypes table). */
const DTYPE_CODE = { F32: 0, BF16: 1, F16: 2 } as const;

/** Byte offsets of every buffer in linear memory for k fine-tunes and chunks of up to maxCount elements. */
function planLayout(k: number, maxCount: number, workBytes: number) {
  const bufBytes = Math.ceil((4 * maxCount) / 64) * 64;
  const blocks = Math.ceil(maxCount / STATS_BLOCK);
  const arena = new Arena(1024);
  const table = arena.take(8 * (k + 1)); // k+1 input pointers, then k+1 dtype codes
  const models = arena.take((k + 1) * bufBytes);
  const work = arena.take(workBytes);
  const deltaOut = arena.take(k * blocks * DELTA_FIELDS * 8);
  const pairOut = arena.take(pairCount(k) * blocks * PAIR_FIELDS * 8);
  const histStart = arena.take(4 * (k + 1));
  const histBin = arena.take(4 * k * HIST_BINS);
  const histCount = arena.take(4 * k * HIST_BINS);
  const histEnergy = arena.take(8 * k * HIST_BINS);
  // F64 inputs are staged past the end (8-byte aligned), grown only when one comes
  return { maxCount, bufBytes, table, models, work, deltaOut, pairOut, histStart, histBin, histCount, histEnergy, end: arena.size(8) };
}
