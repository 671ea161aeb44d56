import { Worker } from 'node:worker_threads';
import { DarekitError, runtimeError } from '../errors.js';
import { kernelModule } from '../kernel/wasm.js';
import { compiledPath, taskEnv, type TaskHandler, type TaskKind } from './task.js';
import type { WorkerMessage, WorkerReply, WorkerStart } from './worker.js';

/** How a pool runs. */
export interface PoolOptions {
  /** Worker threads; 0 runs every task on the calling thread, synchronously inside run(). */
  workers: number;
  /**
   * Tasks handed to one worker before it answers (default 1). More hides the round trip between tasks; 1 keeps
   * tasks in the pool's queue, where an urgent one can still go first and a cancelled one is never started.
   */
  depth?: number;
  /** One memory for the kernels of every worker (the forward pass's lanes); default: each worker its own. */
  memory?: WebAssembly.Memory;
  /** What the workers do, for messages ("analysis", "merge", "forward-pass"). */
  name: string;
}

interface Entry<T, R> {
  task: T;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Ids of the tasks posted to it and not yet answered, oldest first. */
  posted: number[];
  exited: boolean;
}

/**
 * N worker threads running one task kind (each worker one handler over its own kernel instance), a queue, and
 * the tasks' promises. A task that throws rejects its own promise with the same DarekitError kind and message; a
 * worker that dies fails every queued and running task with an error naming the task it was running. Nothing is
 * left unhandled: every promise run() returns is the caller's, and the pool attaches nothing else.
 */
export class TaskPool<I, T, R> {
  private readonly slots: Slot[] = [];
  private readonly queue: Entry<T, R>[] = [];
  private readonly running = new Map<number, Entry<T, R>>();
  private readonly inline: TaskHandler<T, R> | undefined;
  private readonly depth: number;
  private nextId = 1;
  private failed: Error | undefined;
  private closing = false;

  constructor(
    private readonly kind: TaskKind<I, T, R>,
    init: I,
    private readonly opts: PoolOptions,
  ) {
    this.depth = Math.max(1, opts.depth ?? 1);
    if (opts.workers <= 0) {
      this.inline = kind.create(init, taskEnv(kernelModule(), opts.memory));
      return;
    }
    const script = compiledPath(new URL('./worker.js', import.meta.url));
    const start: WorkerStart = {
      modulePath: compiledPath(kind.url),
      exportName: kind.exportName,
      init,
      module: kernelModule(),
      memory: opts.memory,
    };
    for (let i = 0; i < opts.workers; i++) {
      const slot: Slot = { worker: new Worker(script, { workerData: start }), posted: [], exited: false };
      slot.worker.unref(); // idle workers never keep the process alive; a busy one is ref'd while it works
      slot.worker.on('message', (reply: WorkerReply) => this.answer(slot, reply));
      slot.worker.on('error', (err) => this.crash(slot, err.message, err));
      slot.worker.on('exit', (code) => {
        slot.exited = true;
        if (!this.closing) this.crash(slot, `it exited with code ${code}`);
      });
      this.slots.push(slot);
    }
  }

  /** Run one task; resolves with its result, or rejects with the error the task (or its worker) failed with. */
  run(task: T, opts: { urgent?: boolean } = {}): Promise<R> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.inline) {
      try {
        return Promise.resolve(this.inline.run(task));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : runtimeError(String(err)));
      }
    }
    return new Promise<R>((resolve, reject) => {
      const entry = { task, resolve, reject };
      if (opts.urgent) this.queue.unshift(entry);
      else this.queue.push(entry);
      this.pump();
    });
  }

  /** Stop: queued and running tasks reject with err (running work finishes on its worker, its result is dropped). */
  cancel(err: Error): void {
    this.failed ??= err;
    for (const e of this.running.values()) e.reject(err);
    this.running.clear();
    for (const e of this.queue.splice(0)) e.reject(err);
  }

  /** Let every worker finish what it was sent, close its handler and end; the inline handler closes at once. */
  async close(): Promise<void> {
    this.closing = true;
    // tasks never handed out will not run: they fail rather than wait forever
    for (const e of this.queue.splice(0))
      e.reject(runtimeError(`internal: the ${this.opts.name} pool closed before ${this.kind.describe(e.task)} ran`));
    this.inline?.close?.();
    await Promise.all(
      this.slots.map((s) =>
        s.exited
          ? undefined
          : new Promise<void>((done) => {
              s.worker.ref(); // until it has ended, or the process could exit under an await of close()
              s.worker.once('exit', () => done());
              s.worker.postMessage(null satisfies WorkerMessage);
            }),
      ),
    );
  }

  /** Hand queued tasks to the least busy workers, up to depth each. */
  private pump(): void {
    while (this.queue.length > 0) {
      let best: Slot | undefined;
      for (const s of this.slots)
        if (!s.exited && s.posted.length < this.depth && (!best || s.posted.length < best.posted.length)) best = s;
      if (!best) return;
      const entry = this.queue.shift()!;
      const id = this.nextId++;
      try {
        best.worker.postMessage({ id, task: entry.task } satisfies WorkerMessage);
      } catch (err) {
        // a task that cannot be sent (not cloneable) fails alone, here, not in a message handler
        entry.reject(
          runtimeError(`internal: ${this.kind.describe(entry.task)} cannot be sent to a ${this.opts.name} worker: ${String(err)}`),
        );
        continue;
      }
      this.running.set(id, entry);
      if (best.posted.length === 0) best.worker.ref();
      best.posted.push(id);
    }
  }

  private answer(slot: Slot, reply: WorkerReply): void {
    const at = slot.posted.indexOf(reply.id);
    if (at >= 0) slot.posted.splice(at, 1);
    if (slot.posted.length === 0) slot.worker.unref();
    const entry = this.running.get(reply.id);
    this.running.delete(reply.id);
    this.pump();
    if (!entry) return; // cancelled meanwhile
    if (reply.ok) entry.resolve(reply.result as R);
    else entry.reject(new DarekitError(reply.kind, reply.message));
  }

  private crash(slot: Slot, why: string, cause?: unknown): void {
    const task = slot.posted.length > 0 ? this.running.get(slot.posted[0]!)?.task : undefined;
    const during = task === undefined ? '' : ` while running ${this.kind.describe(task)}`;
    slot.posted.length = 0;
    this.cancel(runtimeError(`a ${this.opts.name} worker failed${during}: ${why}`, cause));
  }
}
