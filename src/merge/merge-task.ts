// The merge as a task kind of the executor: one chunk engine per thread (its kernel and input descriptors).
import { taskKind } from '../exec/task.js';
import type { MergeKernelExports } from '../kernel/exports.js';
import type { ChunkResult } from './engine.js';
import type { TensorJob, TermPrep } from './job.js';
import { createEngine, type KernelKind } from './kernel-factory.js';
import { fileSink } from './sink.js';

/** What each thread's engine is laid out for. */
export interface MergeInit {
  kernel: KernelKind;
  chunkElements: number;
  maxTerms: number;
  /** Longest row of a per-row method (DELLA), 0 when none. */
  maxRow: number;
}

/** A tensor's selection pre-pass, or one chunk of it merged and written at its planned offset (through a file sink). */
export type MergeTask = { type: 'prep'; job: TensorJob } | { type: 'chunk'; job: TensorJob; prep: TermPrep[] | undefined; chunk: number };

/** The pre-pass's cuts, or the chunk's counts. */
export type MergeResult = { preps: TermPrep[] } | { chunk: ChunkResult };

/** Merge tasks: run by the engine of the thread they land on; the output does not depend on which. */
export const mergeTask = taskKind<MergeInit, MergeTask, MergeResult>(
  import.meta.url,
  'mergeTask',
  (init, env) => {
    const wasm = init.kernel === 'wasm' ? env.kernel<MergeKernelExports>() : undefined;
    const engine = createEngine(init.kernel, init.chunkElements, init.maxTerms, wasm, init.maxRow);
    return {
      run: (task) =>
        task.type === 'prep'
          ? { preps: engine.prep(task.job) }
          : { chunk: engine.mergeChunk(task.job, task.prep, task.chunk, fileSink(task.job.out.fd, task.job.out.byteOffset)) },
      close: () => engine.close(),
    };
  },
  (task) => `tensor "${task.job.name}" ${task.type === 'prep' ? 'pre-pass' : `chunk ${task.chunk}`}`,
);
