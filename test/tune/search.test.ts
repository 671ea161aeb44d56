import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { coordinateSearch, type SearchPoint } from '../../src/tune/search.js';

describe('coordinateSearch', () => {
  it('never exceeds the budget, never repeats a point, and never returns worse than the start', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.2, max: 2.5, noNaN: true }),
        fc.double({ min: 0, max: 2.5, noNaN: true }),
        async (budget, s0, w0) => {
          const seen = new Set<string>();
          let calls = 0;
          const f = async (p: SearchPoint) => {
            calls++;
            const k = JSON.stringify(p);
            expect(seen.has(k)).toBe(false);
            seen.add(k);
            return -((p.scale - 1.7) ** 2) - (p.weights.a! - 0.6) ** 2;
          };
          const start = { scale: s0, weights: { a: w0 } };
          const r = await coordinateSearch(start, f, { budget });
          expect(calls).toBeLessThanOrEqual(budget);
          expect(r.evaluations).toBe(calls);
          expect(r.bestScore!).toBeGreaterThanOrEqual(-((s0 - 1.7) ** 2) - (w0 - 0.6) ** 2);
        },
      ),
      { seed: 3, numRuns: 60 },
    );
  });
  it('approaches the optimum of a smooth objective given enough budget', async () => {
    const r = await coordinateSearch(
      { scale: 1, weights: { a: 1, b: 1 } },
      async (p) => -((p.scale - 1.6) ** 2) - (p.weights.a! - 0.5) ** 2 - (p.weights.b! - 1.25) ** 2,
      { budget: 60 },
    );
    expect(Math.abs(r.best.scale - 1.6)).toBeLessThan(0.05);
    expect(Math.abs(r.best.weights.a! - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(r.best.weights.b! - 1.25)).toBeLessThan(0.05);
  });
  it('treats failed points (null) as never best and still returns the start when everything else fails', async () => {
    const r = await coordinateSearch({ scale: 1, weights: { a: 1 } }, async (p) => (p.scale === 1 && p.weights.a === 1 ? 0 : null), {
      budget: 6,
    });
    expect(r.best).toEqual({ scale: 1, weights: { a: 1 } });
    expect(r.bestScore).toBe(0);
  });
  it('returns a null score when every point fails', async () => {
    const r = await coordinateSearch({ scale: 1, weights: { a: 1 } }, async () => null, { budget: 4 });
    expect(r.bestScore).toBeNull();
    expect(r.evaluations).toBe(4);
  });
});
