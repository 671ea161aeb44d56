// Worker thread of the stats pass: one kernel instance and its own file descriptors; runs chunk tasks in order.
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkProcessor, type ChunkTask } from './chunk.js';

interface WorkerInit {
  k: number;
  maxCount: number;
  module: WebAssembly.Module;
}

const init = workerData as WorkerInit;
const processor = new ChunkProcessor(init.k, init.maxCount, init.module);
const port = parentPort!;

port.on('message', (task: ChunkTask | null) => {
  if (task === null) {
    processor.close();
    port.close();
    return;
  }
  try {
    const r = processor.run(task);
    // every array of the result shares one buffer (ChunkProcessor.run): one transfer
    port.postMessage({ ok: true, result: r }, [r.delta.buffer as ArrayBuffer]);
  } catch (err) {
    const e = err as Error & { kind?: string };
    port.postMessage({ ok: false, seq: task.seq, message: e.message, kind: e.kind ?? 'runtime' });
  }
});
