// A forward-pass worker: one kernel instance over the shared memory; runs the list of calls it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import type { ModelKernelExports } from '../kernel/exports.js';
import { instantiateKernel } from '../kernel/wasm.js';
import { runCalls, type KernelCall } from './kernel-calls.js';

/** What the pool gives each worker. */
export interface KernelWorkerInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
}

/** A reply: ok, or the error's message. */
export type KernelWorkerReply = { ok: true } | { ok: false; message: string };

const init = workerData as KernelWorkerInit;
const kernel = instantiateKernel<ModelKernelExports>(init.memory, init.module);
parentPort!.on('message', (calls: KernelCall[]) => {
  try {
    runCalls(kernel.exports, calls);
    parentPort!.postMessage({ ok: true } satisfies KernelWorkerReply);
  } catch (err) {
    parentPort!.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) } satisfies KernelWorkerReply);
  }
});
