// The forward pass's kernel work on lanes: lane 0 is the calling thread's kernel instance, lanes 1 … n−1 are
// workers of the executor's pool whose kernels share that instance's memory, so a call list is just numbers.
import { runtimeError } from '../errors.js';
import { TaskPool } from '../exec/pool.js';
import { taskKind } from '../exec/task.js';
import type { ModelKernelExports } from '../kernel/exports.js';
import { instantiateKernel, type KernelInstance } from '../kernel/wasm.js';
import { MAX_THREADS } from '../limits.js';

/** One model-kernel call as plain data (so it can be posted to a worker): the export's name and its arguments. */
export interface KernelCall {
  fn: keyof ModelKernelExports;
  args: number[];
}

/** Run calls in order on a kernel instance. */
function runCalls(kernel: ModelKernelExports, calls: KernelCall[]): void {
  for (const c of calls) (kernel[c.fn] as (...a: number[]) => void)(...c.args);
}

/** Lists of kernel calls run by a worker on the shared memory (the result is in that memory). */
export const forwardOps = taskKind<undefined, KernelCall[], null>(
  import.meta.url,
  'forwardOps',
  (_init, env) => {
    const kernel = env.kernel<ModelKernelExports>();
    return {
      run(calls) {
        try {
          runCalls(kernel.exports, calls);
        } catch (err) {
          throw runtimeError(`forward-pass kernel failed: ${err instanceof Error ? err.message : String(err)}`, err);
        }
        return null;
      },
    };
  },
  (calls) => `${calls.length} forward-pass kernel calls from ${calls[0]?.fn ?? 'none'}`,
);

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
  private readonly workers: TaskPool<undefined, KernelCall[], null> | undefined;

  constructor(threads: number) {
    this.kernel = instantiateKernel<ModelKernelExports>();
    this.lanes = laneCount(threads);
    if (this.lanes > 1)
      this.workers = new TaskPool(forwardOps, undefined, { workers: this.lanes - 1, memory: this.kernel.memory, name: 'forward-pass' });
  }

  /** Run list i on lane i (lists may be empty), all lanes at once; resolves when every lane is done. */
  async run(lists: KernelCall[][]): Promise<void> {
    if (lists.length > this.lanes) throw runtimeError(`internal: ${lists.length} call lists for ${this.lanes} lanes`);
    // the workers start first, then this thread runs lane 0 while they work
    const pending = lists.slice(1).flatMap((calls) => (calls.length === 0 || !this.workers ? [] : [this.workers.run(calls)]));
    let failure: { reason: unknown } | undefined;
    try {
      if (lists[0]) runCalls(this.kernel.exports, lists[0]);
    } catch (err) {
      failure = { reason: err };
    }
    // every lane settles before run() returns or throws, so no worker still writes the memory afterwards
    for (const r of await Promise.allSettled(pending)) if (r.status === 'rejected') failure ??= { reason: r.reason };
    if (failure) throw failure.reason;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    await this.workers?.close();
  }
}
