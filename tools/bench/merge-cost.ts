// Where the merge's CPU goes, per element position, by stage: the dare_ties merge's chunks (every `stride`-th chunk
// of every tensor of the bench family) run on one thread through a ChunkEngine whose kernel calls are timed one by
// one (CPU time), and the reads of the same bytes timed alone. CPU time per position bounds what any schedule can
// reach on this machine: positions × ns / cores.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadContext } from '../../src/io/read-context.js';
import { readTensorBytes } from '../../src/io/tensor-bytes.js';
import type { MergeKernelExports } from '../../src/kernel/exports.js';
import { instantiateKernel } from '../../src/kernel/wasm.js';
import type { MergeConfig } from '../../src/merge/config.js';
import { ChunkEngine } from '../../src/merge/engine.js';
import { jobChunkElements } from '../../src/merge/job.js';
import { fileSink, type OutputSink } from '../../src/merge/sink.js';
import { planMerge } from '../../src/merge/plan.js';

/** CPU nanoseconds per element position of each merge stage (a position = one element of every input and of the output). */
export interface MergeCost {
  /** positions timed */
  positions: number;
  /** stage → ns per position */
  stages: Record<string, number>;
  /** the whole mergeChunk per position, untimed stages (the per-call timers above add their own overhead) */
  totalNs: number;
  /** the same untimed, with the stages run one kernel call at a time (the blocked path before fused_merge16) */
  unfusedTotalNs: number;
  /** positions the fused op merged, and the share of them it recomputed in float64 (f32 result not certain) */
  fused: { positions: number; fallbacks: number; fallbackRate: number };
}

/** Kernel exports by stage. */
const STAGE: Record<string, string> = {
  decode_bf16: 'decode',
  decode_f16: 'decode',
  count_nonfinite_f32: 'check',
  delta_f32: 'delta',
  dare_mask_f32: 'mask',
  ties_sum_f32: 'elect + combine',
  weighted_sum_f32: 'combine',
  encode_bf16: 'encode',
  encode_f16: 'encode',
  fused_merge16: 'fused (decode … encode)',
};

function cpu(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) * 1e3;
}

/** Time the merge's stages on the config's real chunks (one thread, wasm kernel). */
export function measureMergeCost(config: MergeConfig, opts: { stride?: number; chunkElements?: number } = {}): MergeCost {
  const stride = opts.stride ?? 8;
  const chunkElements = opts.chunkElements ?? 1 << 20;
  const plan = planMerge(config);
  const k = instantiateKernel<MergeKernelExports>();
  const spent: Record<string, number> = {};
  const timed = Object.fromEntries(
    Object.entries(k.exports as unknown as Record<string, unknown>).map(([name, fn]) => [
      name,
      typeof fn !== 'function'
        ? fn
        : (...args: unknown[]) => {
            const t0 = cpu();
            const r = (fn as (...a: unknown[]) => unknown)(...args);
            const stage = STAGE[name] ?? name;
            spent[stage] = (spent[stage] ?? 0) + cpu() - t0;
            return r;
          },
    ]),
  ) as unknown as MergeKernelExports;
  const maxTerms = Math.max(1, ...plan.jobs.map((j) => j.terms.length));
  const engine = new ChunkEngine(timed, k.memory, chunkElements, maxTerms);
  const plainKernel = instantiateKernel<MergeKernelExports>();
  const plain = new ChunkEngine(plainKernel.exports, plainKernel.memory, chunkElements, maxTerms);
  const unfused = new ChunkEngine(plainKernel.exports, plainKernel.memory, chunkElements, maxTerms);
  unfused.useFused = false;
  const work = mkdtempSync(join(tmpdir(), 'darekit-merge-cost-'));
  const fd = openSync(join(work, 'out.bin'), 'w');
  const files = new ReadContext();
  const buf = new Uint8Array(8 * chunkElements);
  const sinkOf = (job: (typeof plan.jobs)[number]): OutputSink => fileSink(fd, job.out.byteOffset);
  try {
    const picked: { job: (typeof plan.jobs)[number]; c: number; n: number }[] = [];
    let i = 0;
    for (const job of plan.jobs) {
      const cs = jobChunkElements(job, chunkElements);
      for (let c = 0; c * cs < job.numel; c++, i++)
        if (i % stride === 0)
          picked.push({ job: { ...job, out: { ...job.out, fd, byteOffset: 0 } }, c, n: Math.min(cs, job.numel - c * cs) });
    }
    const positions = picked.reduce((s, p) => s + p.n, 0);
    engine.mergeChunk(picked[0]!.job, undefined, picked[0]!.c, sinkOf(picked[0]!.job)); // warm the code and memory
    for (const key of Object.keys(spent)) delete spent[key];
    const t0 = cpu();
    for (const p of picked) engine.mergeChunk(p.job, undefined, p.c, sinkOf(p.job));
    const timedTotal = cpu() - t0;
    plain.mergeChunk(picked[0]!.job, undefined, picked[0]!.c, sinkOf(picked[0]!.job));
    const p0 = cpu();
    for (const p of picked) plain.mergeChunk(p.job, undefined, p.c, sinkOf(p.job));
    let total = cpu() - p0;
    unfused.mergeChunk(picked[0]!.job, undefined, picked[0]!.c, sinkOf(picked[0]!.job));
    // fused and unfused alternately, best of 2 each (CPU time): robust to other processes' bursts
    let unfusedTotal = Infinity;
    for (let round = 0; round < 2; round++) {
      const u0 = cpu();
      for (const p of picked) unfused.mergeChunk(p.job, undefined, p.c, sinkOf(p.job));
      unfusedTotal = Math.min(unfusedTotal, cpu() - u0);
      if (round === 1) break;
      const f0 = cpu();
      for (const p of picked) plain.mergeChunk(p.job, undefined, p.c, sinkOf(p.job));
      total = Math.min(total, cpu() - f0);
    }
    const r0 = cpu();
    for (const p of picked) {
      const cs = jobChunkElements(p.job, chunkElements);
      for (const input of [p.job.base, ...p.job.terms.map((t) => t.input)]) if (input) readTensorBytes(input, p.c * cs, p.n, buf, files);
    }
    const read = cpu() - r0;
    const kernels = Object.values(spent).reduce((s, x) => s + x, 0);
    const stages: Record<string, number> = { read: read / positions };
    for (const [name, ns] of Object.entries(spent)) stages[name] = ns / positions;
    // what is left of mergeChunk: the output write (pwrite into the page cache) and the JS around the calls
    stages['write + JS + timers'] = (timedTotal - kernels - read) / positions;
    const fs = plain.fusedStats;
    return {
      positions,
      stages,
      totalNs: total / positions,
      unfusedTotalNs: unfusedTotal / positions,
      fused: { positions: fs.positions, fallbacks: fs.fallbacks, fallbackRate: fs.positions ? fs.fallbacks / fs.positions : 0 },
    };
  } finally {
    closeSync(fd);
    files.close();
    engine.close();
    plain.close();
    unfused.close();
    rmSync(work, { recursive: true, force: true });
  }
}
