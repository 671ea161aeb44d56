import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DarekitError, runtimeError, type ErrorKind } from '../errors.js';
import { kernelModule } from '../kernel/wasm.js';
import { ChunkProcessor, type ChunkResult, type ChunkTask } from './chunk.js';

/** Runs chunk tasks somewhere (this thread or worker threads) and resolves with their results. */
export interface ChunkRunner {
  run(task: ChunkTask): Promise<ChunkResult>;
  close(): Promise<void>;
}

/** A runner on the calling thread (threads = 1). */
export function inProcessRunner(k: number, maxCount: number): ChunkRunner {
  const p = new ChunkProcessor(k, maxCount);
  return {
    run: async (task) => p.run(task),
    close: async () => p.close(),
  };
}

/** The compiled worker script: beside this module in dist/, or dist/analysis when running from src/ (tests). */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'stats-worker.js');
  if (existsSync(beside)) return beside;
  const dist = join(here, '..', '..', 'dist', 'analysis', 'stats-worker.js');
  if (existsSync(dist)) return dist;
  throw runtimeError(`analysis worker not built: ${dist} is missing; run \`npm run build\``);
}

type WorkerReply = { ok: true; result: ChunkResult } | { ok: false; seq: number; message: string; kind: ErrorKind };

/** A pool of `threads` workers, each with its own kernel; tasks go to the least busy worker. */
export function workerRunner(threads: number, k: number, maxCount: number): ChunkRunner {
  const module = kernelModule();
  const script = workerScript();
  const waiting = new Map<number, { resolve: (r: ChunkResult) => void; reject: (e: Error) => void }>();
  const load: number[] = [];
  const exited: boolean[] = [];
  let failed: Error | undefined;
  const workers = Array.from({ length: threads }, (_, i) => {
    const w = new Worker(script, { workerData: { k, maxCount, module } });
    load.push(0);
    exited.push(false);
    w.on('exit', () => {
      exited[i] = true;
    });
    w.on('message', (msg: WorkerReply) => {
      load[i]!--;
      const seq = msg.ok ? msg.result.seq : msg.seq;
      const entry = waiting.get(seq);
      waiting.delete(seq);
      if (!entry) return;
      if (msg.ok) entry.resolve(msg.result);
      else entry.reject(new DarekitError(msg.kind, msg.message));
    });
    w.on('error', (err) => {
      failed = runtimeError(`analysis worker crashed: ${err.message}`, err);
      for (const e of waiting.values()) e.reject(failed);
      waiting.clear();
    });
    return w;
  });
  return {
    run(task) {
      if (failed) return Promise.reject(failed);
      let best = 0;
      for (let i = 1; i < threads; i++) if (load[i]! < load[best]!) best = i;
      load[best]!++;
      return new Promise<ChunkResult>((resolve, reject) => {
        waiting.set(task.seq, { resolve, reject });
        workers[best]!.postMessage(task);
      });
    },
    async close() {
      // ask each worker to close its descriptors and exit; a crashed one has exited already
      await Promise.all(
        workers.map((w, i) =>
          exited[i]
            ? Promise.resolve()
            : new Promise<void>((res) => {
                w.once('exit', () => res());
                w.postMessage(null);
              }),
        ),
      );
    },
  };
}
