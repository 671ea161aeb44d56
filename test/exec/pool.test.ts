// The one worker pool: the same results on the calling thread and on 1–3 workers sharing a memory, a failing task
// rejects alone with its message, a worker that cannot start fails every task with the task's name, and close()
// ends the workers. Integer matrices, so every summation order gives exactly the scalar product computed here.
import { describe, expect, it } from 'vitest';
import { DarekitError, runtimeError } from '../../src/errors.js';
import { TaskPool } from '../../src/exec/pool.js';
import { taskKind } from '../../src/exec/task.js';
import { KERNEL_DATA_BYTES, type ModelKernelExports } from '../../src/kernel/exports.js';
import { instantiateKernel } from '../../src/kernel/wasm.js';
import { forwardOps, type KernelCall } from '../../src/model/lanes.js';

const M = 3,
  K = 37,
  N = 64;

/** A [M, K] times the transpose of W [N, K], in plain numbers. */
function product(a: Float32Array, w: Float32Array): Float32Array {
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) c[i * N + j]! += a[i * K + k]! * w[j * K + k]!;
  return c;
}

describe('TaskPool', () => {
  it('runs tasks on workers that share the caller’s memory, with the same result for 0 to 3 workers', async () => {
    const a = Float32Array.from({ length: M * K }, (_, i) => ((i * 7) % 11) - 5);
    const w = Float32Array.from({ length: N * K }, (_, i) => ((i * 5) % 13) - 6);
    const want = product(a, w);
    for (const workers of [0, 1, 2, 3]) {
      const kernel = instantiateKernel<ModelKernelExports>();
      const A = KERNEL_DATA_BYTES,
        W = A + 4 * M * K,
        C = W + 4 * N * K;
      kernel.ensure(C + 4 * M * N);
      kernel.f32().set(a, A / 4);
      kernel.f32().set(w, W / 4);
      const pool = new TaskPool(forwardOps, undefined, { workers, memory: kernel.memory, name: 'test' });
      try {
        // eight column blocks, more tasks than workers: queued, then handed out as workers free up
        const tasks: KernelCall[][] = Array.from({ length: 8 }, (_, b) => [{ fn: 'gemm_f32', args: [A, W, C, M, N, K, b * 8, b * 8 + 8] }]);
        expect(await Promise.all(tasks.map((t) => pool.run(t)))).toEqual(tasks.map(() => null));
      } finally {
        await pool.close();
      }
      expect(new Float32Array(kernel.memory.buffer, C, M * N)).toEqual(want);
    }
  });

  it('rejects a failing task alone, with its error kind and message, and keeps running the others', async () => {
    const kernel = instantiateKernel<ModelKernelExports>();
    kernel.ensure(KERNEL_DATA_BYTES + 64);
    const pool = new TaskPool(forwardOps, undefined, { workers: 2, memory: kernel.memory, name: 'test' });
    try {
      const beyond = kernel.memory.buffer.byteLength + 65536; // a pointer past the memory: the kernel traps
      const bad = pool.run([{ fn: 'silu_mul_f32', args: [beyond, beyond, beyond, 64] }]);
      const good = pool.run([{ fn: 'silu_mul_f32', args: [KERNEL_DATA_BYTES, KERNEL_DATA_BYTES, KERNEL_DATA_BYTES, 4] }]);
      const err = await bad.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DarekitError);
      expect((err as DarekitError).kind).toBe('runtime');
      expect((err as DarekitError).message).toMatch(/^forward-pass kernel failed: .*out of bounds/);
      expect(await good).toBeNull();
      expect(await pool.run([])).toBeNull();
    } finally {
      await pool.close();
    }
  });

  it('fails every task of a worker that cannot start, naming the task it was running', async () => {
    // the module exists, but not this export: each worker throws while it starts
    const missing = taskKind<undefined, string, string>(
      new URL('../../src/model/lanes.ts', import.meta.url).href,
      'noSuchTask',
      () => ({ run: (t) => t }),
      (t) => `task "${t}"`,
    );
    const pool = new TaskPool(missing, undefined, { workers: 2, name: 'test' });
    const results = await Promise.allSettled([pool.run('one'), pool.run('two'), pool.run('three')]);
    await pool.close();
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as DarekitError;
      expect(e.kind).toBe('runtime');
      expect(e.message).toMatch(/^a test worker failed while running task "(one|two)": .*exports no task kind "noSuchTask"/);
    }
    // after the failure nothing more runs
    await expect(pool.run('four')).rejects.toThrow(/a test worker failed/);
  });

  it('on the calling thread: results and errors come back as the handler gives them, and close() closes it', async () => {
    let closed = false;
    const square = taskKind<number, number, number>(
      import.meta.url,
      'square',
      (offset) => ({
        run: (x) => {
          if (x < 0) throw runtimeError(`negative ${x}`);
          return x * x + offset;
        },
        close: () => {
          closed = true;
        },
      }),
      (x) => `x = ${x}`,
    );
    const pool = new TaskPool(square, 1, { workers: 0, name: 'test' });
    expect(await Promise.all([3, 4].map((x) => pool.run(x)))).toEqual([10, 17]);
    await expect(pool.run(-2)).rejects.toThrow('negative -2');
    expect(await pool.run(5)).toBe(26);
    await pool.close();
    expect(closed).toBe(true);
  });
});
