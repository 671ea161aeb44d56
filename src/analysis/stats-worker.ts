// Worker thread of the stats pass: one kernel instance and its own file descriptors; runs chunk tasks in order.
// Reads are pipelined: while the kernel computes one chunk (synchronously), the next chunk's reads run on libuv's
// pool into the other input slot, so on a cold page cache the disk works while the CPU does.
import { parentPort, workerData } from 'node:worker_threads';
import { CHUNK_SLOTS, ChunkProcessor, type ChunkTask } from './chunk.js';

interface WorkerInit {
  k: number;
  maxCount: number;
  module: WebAssembly.Module;
}

interface Loading {
  task: ChunkTask;
  slot: number;
  bytes: Promise<number>;
}

const init = workerData as WorkerInit;
const processor = new ChunkProcessor(init.k, init.maxCount, init.module);
const port = parentPort!;

const waiting: ChunkTask[] = [];
const loading: Loading[] = [];
const freeSlots = Array.from({ length: CHUNK_SLOTS }, (_, i) => i);
let busy = false;
let closing = false;

function startLoads(): void {
  while (freeSlots.length > 0 && waiting.length > 0) {
    const task = waiting.shift()!;
    const slot = freeSlots.shift()!;
    const bytes = processor.loadAsync(task, slot);
    bytes.catch(() => { /* reported when this task's turn comes */ });
    loading.push({ task, slot, bytes });
  }
}

function reply(task: ChunkTask, compute: () => ReturnType<ChunkProcessor['compute']>): void {
  try {
    const r = compute();
    port.postMessage({ ok: true, result: r }, [r.delta.buffer, r.pair.buffer, r.histStart.buffer, r.histBin.buffer, r.histCount.buffer, r.histEnergy.buffer] as ArrayBuffer[]);
  } catch (err) {
    const e = err as Error & { kind?: string };
    port.postMessage({ ok: false, seq: task.seq, message: e.message, kind: e.kind ?? 'runtime' });
  }
}

function shutdown(): void {
  processor.close();
  port.close();
}

/** Compute loaded chunks in arrival order until none is left; one pump at a time. */
async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  while (loading.length > 0) {
    const head = loading[0]!;
    let bytes: number | Error;
    try {
      bytes = await head.bytes;
    } catch (err) {
      bytes = err as Error;
    }
    const got = bytes;
    reply(head.task, () => {
      if (got instanceof Error) throw got;
      return processor.compute(head.task, head.slot, got);
    });
    loading.shift();
    freeSlots.push(head.slot);
    startLoads();
  }
  busy = false;
  if (closing) shutdown();
}

port.on('message', (task: ChunkTask | null) => {
  if (task === null) {
    closing = true;
    waiting.length = 0; // the parent has what it needs; abandon anything not started
    if (!busy && loading.length === 0) shutdown();
    return;
  }
  waiting.push(task);
  startLoads();
  void pump();
});
