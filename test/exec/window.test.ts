// The ordered window: results delivered strictly in task order whatever order they finish in, at most `window`
// issued and undelivered, and a failure stops issuing and surfaces only after every issued task has settled.
import { describe, expect, it } from 'vitest';
import { runOrdered } from '../../src/exec/window.js';
import { rng } from '../helpers/rng.js';

const later = <T>(ms: number, f: () => T): Promise<T> =>
  new Promise((res, rej) => setTimeout(() => (ms < 0 ? rej(f()) : res(f())), Math.abs(ms)));

describe('runOrdered', () => {
  it('delivers in task order with a bounded window, for any finishing order', async () => {
    for (const window of [1, 2, 5, 64]) {
      const rand = rng(window);
      const n = 40;
      let issued = 0;
      let delivered = 0;
      let maxAhead = 0;
      const got: number[] = [];
      await runOrdered(
        n,
        (i) => i,
        (i) => {
          issued++;
          maxAhead = Math.max(maxAhead, issued - delivered);
          return later(Math.floor(rand() * 4), () => i * i);
        },
        window,
        (r, i) => {
          delivered++;
          expect(r).toBe(i * i);
          got.push(i);
        },
      );
      expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(maxAhead).toBeLessThanOrEqual(window);
    }
  });

  it('stops issuing at the first failure and throws it once every issued task has settled', async () => {
    const settled = new Set<number>();
    const issued: number[] = [];
    const run = runOrdered(
      30,
      (i) => i,
      (i) => {
        issued.push(i);
        // task 5 fails fast; the others take longer, so some are still running when it fails
        return later(i === 5 ? -1 : 5, () => {
          settled.add(i);
          return i === 5 ? new Error('task 5 failed') : i;
        });
      },
      8,
      () => undefined,
    );
    await expect(run).rejects.toThrow('task 5 failed');
    expect(issued.length).toBeLessThan(30);
    for (const i of issued) expect(settled.has(i)).toBe(true);
  });
});
