import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { runtimeError } from '../errors.js';
import type { ModelKernelExports } from '../kernel/exports.js';
import { MAX_THREADS } from '../limits.js';
import { instantiateKernel, kernelModule, type KernelInstance } from '../kernel/wasm.js';
import { runCalls, type KernelCall } from './kernel-calls.js';
import type { KernelWorkerInit, KernelWorkerReply } from './kernel-worker.js';

/** The compiled worker script: beside this file in dist/, or dist/model/kernel-worker.js when running from sources (tests). */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const p = here.endsWith('.ts')
    ? join(dirname(here), '..', '..', 'dist', 'model', 'kernel-worker.js')
    : join(dirname(here), 'kernel-worker.js');
  if (!existsSync(p)) throw runtimeError(`forward-pass worker not built: ${p} is missing; run \`npm run build:ts\``);
  return p;
}

/** The lanes a pool of `threads` threads has: 1 to MAX_THREADS. */
export function laneCount(threads: number): number {
  return Number.isFinite(threads) ? Math.min(MAX_THREADS, Math.max(1, Math.floor(threads))) : 1;
}

/**
 * The model kernel over one shared memory, run on `threads` lanes: lane 0 is this thread's own instance, lanes
 * 1 … threads−1 are worker threads. Work is always split by the caller into one call list per lane;
 * which lane runs a list never changes a number (every output element is computed by exactly one call).
 */
export class KernelPool {
  readonly kernel: KernelInstance<ModelKernelExports>;
  readonly lanes: number;
  private readonly workers: Worker[] = [];
  private failure: Error | undefined;

  constructor(threads: number) {
    this.kernel = instantiateKernel<ModelKernelExports>();
    this.lanes = laneCount(threads);
    if (this.lanes > 1) {
      const path = workerPath();
      const init: KernelWorkerInit = { memory: this.kernel.memory, module: kernelModule() };
      for (let i = 1; i < this.lanes; i++) {
        const w = new Worker(path, { workerData: init });
        w.on('error', (err) => {
          this.failure ??= runtimeError(`a forward-pass worker crashed: ${err.message}`, err);
        });
        w.unref();
        this.workers.push(w);
      }
    }
  }

  /** Run list i on lane i (lists may be empty), all lanes at once; resolves when every lane is done. */
  async run(lists: KernelCall[][]): Promise<void> {
    if (this.failure) throw this.failure;
    if (lists.length > this.lanes) throw runtimeError(`internal: ${lists.length} call lists for ${this.lanes} lanes`);
    // the workers start first, then this thread runs lane 0 while they work
    const pending = lists.slice(1).map((calls, i) => (calls.length === 0 ? Promise.resolve() : this.post(this.workers[i]!, calls)));
    try {
      if (lists[0]) runCalls(this.kernel.exports, lists[0]);
    } catch (err) {
      await Promise.allSettled(pending);
      throw err;
    }
    await Promise.all(pending);
  }

  private post(w: Worker, calls: KernelCall[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onExit = (code: number): void => reject(runtimeError(`a forward-pass worker exited with code ${code}`));
      w.ref();
      w.once('exit', onExit);
      w.once('message', (r: KernelWorkerReply) => {
        w.off('exit', onExit);
        w.unref();
        if (r.ok) resolve();
        else reject(runtimeError(`forward-pass kernel failed: ${r.message}`));
      });
      w.postMessage(calls);
    });
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
