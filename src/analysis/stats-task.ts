// The stats pass as a task kind of the executor: one ChunkProcessor per thread (its kernel instance and descriptors).
import type { DecodeKernel } from '../exec/dtype.js';
import { taskKind } from '../exec/task.js';
import type { StatsKernelExports } from '../kernel/exports.js';
import { ChunkProcessor, type ChunkResult, type ChunkTask } from './chunk.js';

/** What each thread's processor is laid out for. */
export interface StatsInit {
  k: number;
  maxCount: number;
}

/** Chunks of the stats pass: read every model's elements of one tensor range, run stats_chunk, return the partial sums. */
export const statsTask = taskKind<StatsInit, ChunkTask, ChunkResult>(
  import.meta.url,
  'statsTask',
  (init, env) => {
    const p = new ChunkProcessor(init.k, init.maxCount, env.kernel<StatsKernelExports & DecodeKernel>());
    return {
      run: (task) => p.run(task),
      // every array of a result shares one buffer (ChunkProcessor.run): one transfer
      transfer: (r) => [r.delta.buffer as ArrayBuffer],
      close: () => p.close(),
    };
  },
  (task) => `tensor "${task.inputs[0]?.name ?? task.tensor}", elements [${task.start}, ${task.start + task.count})`,
);
