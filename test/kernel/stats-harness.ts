// The stats kernel run once over models laid out in kernel memory: shared by the kernel's tests.
import type { ChunkResult } from '../../src/analysis/chunk.js';
import type { StatsKernelExports } from '../../src/kernel/exports.js';
import { DELTA_FIELDS, HIST_BINS, PAIR_FIELDS, STATS_BLOCK } from '../../src/kernel/reference/stats.js';
import type { KernelInstance } from '../../src/kernel/wasm.js';

/** How the chunk is sampled: the tensor key, the chunk's first group index, and whether to sample. */
export interface Sampling {
  key: number;
  group0: number;
  sampled: boolean;
}
export const NO_SAMPLING: Sampling = { key: 0, group0: 0, sampled: false };

export type Dtype = 'F32' | 'BF16' | 'F16';
/** Bytes of histogram workspace per fine-tune in stats_chunk's workspace (see FT_WORK in the kernel). */
const HIST_WORK_PER_FT = HIST_BINS * (4 * 8 + 4 + 8);
const CODE: Record<Dtype, number> = { F32: 0, BF16: 1, F16: 2 };

/** The kernel outputs a ChunkResult carries, plus whether the kernel left its work area zeroed. */
export type KernelOut = Pick<ChunkResult, 'delta' | 'pair' | 'histStart' | 'histBin' | 'histCount' | 'histEnergy'> & { workZero: boolean };

/** Lay the models out in kernel memory in their dtypes and run stats_chunk once. */
export function runChunk(
  kern: KernelInstance<StatsKernelExports>,
  models: Uint8Array[],
  dtypes: Dtype[],
  n: number,
  smp: Sampling = NO_SAMPLING,
): KernelOut {
  const k = models.length - 1;
  const blocks = Math.ceil(n / STATS_BLOCK);
  const align = (x: number): number => Math.ceil(x / 64) * 64;
  const table = 1024;
  let at = table + align(8 * (k + 1));
  const ptrs = models.map((m) => {
    const p = at;
    at += align(m.length);
    return p;
  });
  const workBytes = kern.exports.stats_work_bytes(k);
  const work = at;
  at += align(workBytes);
  const deltaOut = at;
  at += align(k * blocks * DELTA_FIELDS * 8);
  const pairOut = at;
  at += align(Math.max(1, (k * (k - 1)) / 2) * blocks * PAIR_FIELDS * 8);
  const histStart = at;
  at += align(4 * (k + 1));
  const histBin = at;
  at += align(4 * k * HIST_BINS);
  const histCount = at;
  at += align(4 * k * HIST_BINS);
  const histEnergy = at;
  at += 8 * k * HIST_BINS;
  kern.ensure(at);
  const mem = kern.memory.buffer;
  const bytes = new Uint8Array(mem);
  bytes.fill(0, work, work + workBytes);
  models.forEach((m, i) => bytes.set(m, ptrs[i]!));
  new Uint32Array(mem, table, 2 * (k + 1)).set([...ptrs, ...dtypes.map((d) => CODE[d])]);
  kern.exports.stats_chunk(
    k,
    n,
    table,
    table + 4 * (k + 1),
    work,
    deltaOut,
    pairOut,
    histStart,
    histBin,
    histCount,
    histEnergy,
    smp.key,
    smp.group0,
    smp.sampled ? 1 : 0,
  );
  const hs = new Uint32Array(mem, histStart, k + 1).slice();
  const e = hs[k]!;
  return {
    delta: new Float64Array(mem, deltaOut, k * blocks * DELTA_FIELDS).slice(),
    pair: new Float64Array(mem, pairOut, ((k * (k - 1)) / 2) * blocks * PAIR_FIELDS).slice(),
    histStart: hs,
    histBin: new Uint32Array(mem, histBin, e).slice(),
    histCount: new Uint32Array(mem, histCount, e).slice(),
    histEnergy: new Float64Array(mem, histEnergy, e).slice(),
    // the histogram part of the workspace (its tail: k × (4 packed u64 copies + u32 counts + u64 energies))
    workZero: bytes.subarray(work + workBytes - k * HIST_WORK_PER_FT, work + workBytes).every((v) => v === 0),
  };
}
