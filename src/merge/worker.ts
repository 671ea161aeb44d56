import { parentPort, workerData } from 'node:worker_threads';
import { isDarekitError } from '../errors.js';
import type { ChunkEngine, NonfiniteAt, OutputOverflow } from './engine.js';
import type { TensorJob, TermPrep } from './job.js';
import { createEngine, type KernelKind } from './kernel-factory.js';
import { fileSink } from './sink.js';

/** What the pool sends a worker. */
export type WorkerTask =
  { id: number; type: 'prep'; job: TensorJob } | { id: number; type: 'chunk'; job: TensorJob; prep: TermPrep[] | undefined; chunk: number };

/** What a worker answers. */
export type WorkerReply =
  | {
      id: number;
      ok: true;
      preps?: TermPrep[];
      nonfinite?: number;
      bytesRead?: number;
      nonfiniteAt?: NonfiniteAt;
      overflow?: OutputOverflow;
    }
  | { id: number; ok: false; kind: 'input' | 'usage' | 'runtime'; message: string };

/** Options a worker starts with. */
export interface WorkerInit {
  kernel: KernelKind;
  chunkElements: number;
  maxTerms: number;
  /** Longest row of a per-row method (DELLA), 0 when none. */
  maxRow: number;
  module?: WebAssembly.Module;
}

// Runs only as a worker thread: one kernel instance and chunk engine per worker.
if (parentPort) {
  const init = workerData as WorkerInit;
  const engine: ChunkEngine = createEngine(init.kernel, init.chunkElements, init.maxTerms, init.module, init.maxRow);
  const port = parentPort;
  port.on('message', (task: WorkerTask | 'close') => {
    if (task === 'close') {
      engine.close();
      port.close();
      return;
    }
    try {
      if (task.type === 'prep') port.postMessage({ id: task.id, ok: true, preps: engine.prep(task.job) } satisfies WorkerReply);
      else
        port.postMessage({
          id: task.id,
          ok: true,
          ...engine.mergeChunk(task.job, task.prep, task.chunk, fileSink(task.job.out.fd, task.job.out.byteOffset)),
        } satisfies WorkerReply);
    } catch (err) {
      const kind = isDarekitError(err) ? err.kind : 'runtime';
      port.postMessage({ id: task.id, ok: false, kind, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
    }
  });
}
