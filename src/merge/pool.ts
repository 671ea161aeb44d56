import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DarekitError, runtimeError } from '../errors.js';
import type { WorkerInit, WorkerReply, WorkerTask } from './worker.js';

type TaskBody = WorkerTask extends infer T ? (T extends WorkerTask ? Omit<T, 'id'> : never) : never;

/** The compiled worker script: beside this file in dist/, or dist/merge/worker.js when running from sources (tests). */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const p = here.endsWith('.ts') ? join(dirname(here), '..', '..', 'dist', 'merge', 'worker.js') : join(dirname(here), 'worker.js');
  if (!existsSync(p)) throw runtimeError(`merge worker not built: ${p} is missing; run \`npm run build:ts\``);
  return p;
}

/** A fixed set of worker threads, each with its own kernel; tasks go to whichever worker is idle. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: { body: TaskBody; resolve: (r: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  private readonly inflight = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failed: Error | undefined;

  constructor(size: number, init: WorkerInit) {
    const path = workerPath();
    for (let i = 0; i < size; i++) {
      const w = new Worker(path, { workerData: init });
      w.on('message', (r: WorkerReply) => {
        const p = this.inflight.get(r.id);
        this.inflight.delete(r.id);
        this.idle.push(w);
        this.pump();
        p?.resolve(r);
      });
      w.on('error', (err) => this.fail(runtimeError(`a merge worker crashed: ${err.message}`, err)));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(runtimeError(`a merge worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Stop handing out tasks: queued and in-flight tasks reject with err (in-flight work finishes but is ignored). */
  cancel(err: Error): void {
    this.fail(err);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.inflight.values()) p.reject(err);
    this.inflight.clear();
    for (const q of this.waiting.splice(0)) q.reject(err);
  }

  private pump(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const w = this.idle.pop()!;
      const q = this.waiting.shift()!;
      const id = this.nextId++;
      this.inflight.set(id, q);
      w.postMessage({ ...q.body, id });
    }
  }

  /** Run one task on the next idle worker; rejects with the worker's DarekitError when the task fails. */
  run(body: TaskBody, urgent = false): Promise<WorkerReply> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<WorkerReply>((resolve, reject) => {
      const entry = {
        body,
        resolve: (r: WorkerReply) => (r.ok ? resolve(r) : reject(new DarekitError(r.kind, r.message))),
        reject,
      };
      if (urgent) this.waiting.unshift(entry);
      else this.waiting.push(entry);
      this.pump();
    });
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
