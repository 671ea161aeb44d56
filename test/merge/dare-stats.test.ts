import { describe, expect, it } from 'vitest';
import type { MergeKernelExports } from '../../src/kernel/exports.js';
import { dropThreshold, maskKey } from '../../src/kernel/reference/mask.js';
import { instantiateKernel } from '../../src/kernel/wasm.js';
import { CUT_NONE } from '../../src/merge/radix-select.js';
import { rng } from './fixtures.js';

const k = instantiateKernel<MergeKernelExports>();
k.ensure(1 << 22);
const P = 1024;

function masked(values: Float32Array, seed: number, pos: number, name: string, p: number): Float32Array {
  const view = new Float32Array(k.memory.buffer, P, values.length);
  view.set(values);
  k.exports.dare_mask_f32(P, values.length, maskKey(seed, pos, name), 0, dropThreshold(p));
  return new Float32Array(view);
}

describe('DARE mask statistics (wasm kernel)', () => {
  it('keeps a fraction within 4σ of the binomial expectation for several drop rates and tensors', () => {
    const n = 200_000;
    const ones = new Float32Array(n).fill(1);
    for (const p of [0.1, 0.5, 0.9, 0.99]) {
      for (const [seed, pos, name] of [
        [0, 0, 'a.weight'],
        [7, 2, 'model.layers.3.mlp.down_proj.weight'],
      ] as const) {
        const kept = masked(ones, seed, pos, name, p).reduce((s, v) => s + v, 0);
        const mean = n * (1 - p);
        const sigma = Math.sqrt(n * p * (1 - p));
        expect(Math.abs(kept - mean), `p=${p} ${name}`).toBeLessThan(4 * sigma);
      }
    }
  });

  it('the mean of many rescaled masks converges to the delta', () => {
    const n = 64;
    const r = rng(3);
    const delta = new Float32Array(n).map(() => r() * 2 - 1);
    const p = 0.7;
    const seeds = 4000;
    const sum = new Float64Array(n);
    for (let s = 0; s < seeds; s++) {
      const m = masked(delta, s, 0, 'w', p);
      for (let i = 0; i < n; i++) sum[i]! += m[i]! / (1 - p);
    }
    // per element: std of one sample = |δ|·sqrt(p/(1−p)); of the mean, divided by sqrt(seeds)
    for (let i = 0; i < n; i++) {
      const sd = (Math.abs(delta[i]!) * Math.sqrt(p / (1 - p))) / Math.sqrt(seeds);
      expect(Math.abs(sum[i]! / seeds - delta[i]!)).toBeLessThan(5 * sd + 1e-12);
    }
  });

  it('masks of different models, tensors and seeds are different (no key collisions in the composition)', () => {
    const ones = new Float32Array(4096).fill(1);
    const a = masked(ones, 1, 0, 'x', 0.5);
    expect(masked(ones, 1, 1, 'x', 0.5)).not.toEqual(a);
    expect(masked(ones, 2, 0, 'x', 0.5)).not.toEqual(a);
    expect(masked(ones, 1, 0, 'y', 0.5)).not.toEqual(a);
    expect(masked(ones, 1, 0, 'x', 0.5)).toEqual(a);
  });
});

describe('magnitude trim ties', () => {
  it('keeps the lower element indices among equal magnitudes, the same way in one chunk or many', () => {
    const n = 103;
    const v = new Float32Array(n).map((_, i) => (i % 3 === 0 ? 2 : i % 2 ? -1 : 1)); // |δ| ∈ {2, 1}: many ties at 1
    const keep = 50; // 35 twos, then the first 15 ones by index
    const twos = v.filter((x) => Math.abs(x) === 2).length;
    const expected = Array.from(v, (x, i) =>
      Math.abs(x) === 2 || (Math.abs(x) === 1 && [...v.slice(0, i)].filter((y) => Math.abs(y) === 1).length < keep - twos) ? x : 0,
    );
    const oneBits = 0x3f800000;
    for (const chunk of [n, 10, 7, 1]) {
      const view = new Float32Array(k.memory.buffer, P, n);
      view.set(v);
      let seen = 0;
      for (let s = 0; s < n; s += chunk) {
        const len = Math.min(chunk, n - s);
        const ties = new Float32Array(k.memory.buffer, P + 4 * s, len).filter((x) => Math.abs(x) === 1).length;
        k.exports.trim_window_f32(P + 4 * s, len, oneBits, Math.max(0, keep - twos - seen), CUT_NONE.bits, 0);
        seen += ties;
      }
      expect([...new Float32Array(k.memory.buffer, P, n)], `chunk ${chunk}`).toEqual(expected);
    }
  });
});
