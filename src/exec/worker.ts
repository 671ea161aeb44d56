// The one worker entry of every pool: loads the task kind its pool names (a module path and an export), makes the
// handler with this thread's kernel environment, and runs the tasks it is sent, in the order sent. `null` closes the
// handler (its descriptors) and lets the thread end.
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { isDarekitError, type ErrorKind } from '../errors.js';
import { taskEnv, type TaskKind } from './task.js';

/** What a pool starts each worker with. */
export interface WorkerStart {
  /** Compiled path of the module that declares the task kind. */
  modulePath: string;
  exportName: string;
  init: unknown;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory | undefined;
}

/** A task sent to a worker (its pool-wide id), or null: close. */
export type WorkerMessage = { id: number; task: unknown } | null;

/** A worker's answer to one task. */
export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; kind: ErrorKind; message: string };

if (parentPort) {
  const port = parentPort;
  const start = workerData as WorkerStart;
  const loaded = (await import(pathToFileURL(start.modulePath).href)) as Record<string, TaskKind<unknown, unknown, unknown> | undefined>;
  const kind = loaded[start.exportName];
  if (!kind || typeof kind.create !== 'function') throw new Error(`${start.modulePath} exports no task kind "${start.exportName}"`);
  const handler = kind.create(start.init, taskEnv(start.module, start.memory));
  port.on('message', (msg: WorkerMessage) => {
    if (msg === null) {
      handler.close?.();
      port.close();
      return;
    }
    try {
      const result = handler.run(msg.task);
      port.postMessage({ id: msg.id, ok: true, result } satisfies WorkerReply, handler.transfer?.(result) ?? []);
    } catch (err) {
      const kind = isDarekitError(err) ? err.kind : 'runtime';
      port.postMessage({ id: msg.id, ok: false, kind, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
    }
  });
}
