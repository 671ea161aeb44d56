import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dropThreshold, fmix32, fnv1a32, maskHash, maskKey } from '../../src/kernel/reference/mask.js';
import { firstDiff, runBoth } from './harness.js';

const P = 4096;

describe('dare_mask_f32', () => {
  it('equals the scalar reference bit for bit for random keys, start indices, lengths and drop rates (incl. p = 0 and p = 1)', () => {
    const p = fc.oneof(fc.constantFrom(0, 1, 0.5, 0.9, 1e-9, 1 - 1e-9), fc.double({ min: 0, max: 1, noNaN: true }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xfffffff0 }),
        fc.integer({ min: 0, max: 257 }),
        p,
        (key, start, n, drop) => {
          const r = runBoth(
            (u8) => {
              const f = new Float32Array(u8.buffer, P, n);
              for (let i = 0; i < n; i++) f[i] = i % 7 === 0 ? -0 : (i + 1) * (i % 2 ? -1 : 1);
            },
            (k) => k.dare_mask_f32(P, n, key, start, dropThreshold(drop)),
          );
          expect(firstDiff(r.wasm, r.ref)).toBe(-1);
        },
      ),
      { seed: 21, numRuns: 300 },
    );
  });

  it('equals the scalar reference at thresholds whose high 16 bits equal an element hash (the tie path of the compare)', () => {
    // random thresholds almost never tie an element's hash in the high half, where the kernel's folded last step
    // decides on the low half: build thresholds from the hashes themselves, at and around them
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xfffffff0 }),
        fc.integer({ min: 0, max: 63 }),
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: 0, max: 0xffff }),
        (key, start, j, delta, low) => {
          const h = maskHash(key >>> 0, (start + j) >>> 0);
          for (const t of [h + delta, ((h & 0xffff0000) | low) >>> 0]) {
            if (t < 1 || t > 0xffffffff) continue;
            const r = runBoth(
              (u8) => new Float32Array(u8.buffer, P, 64).fill(1.5),
              (k) => k.dare_mask_f32(P, 64, key, start, t),
            );
            expect(firstDiff(r.wasm, r.ref)).toBe(-1);
          }
        },
      ),
      { seed: 22, numRuns: 400 },
    );
  });

  it('p = 0 keeps every element (bits unchanged, NaN included) and p = 1 drops every element to +0', () => {
    const vals = [1, -2, NaN, -0, 3.5, Infinity, 1e-40];
    const keep = runBoth(
      (u8) => new Float32Array(u8.buffer, P, vals.length).set(vals),
      (k) => k.dare_mask_f32(P, vals.length, 123, 0, dropThreshold(0)),
    );
    const before = new Uint32Array(new Float32Array(vals).buffer);
    expect([...new Uint32Array(keep.wasm.buffer, P, vals.length)]).toEqual([...before]);
    const drop = runBoth(
      (u8) => new Float32Array(u8.buffer, P, vals.length).set(vals),
      (k) => k.dare_mask_f32(P, vals.length, 123, 0, dropThreshold(1)),
    );
    expect([...new Uint32Array(drop.wasm.buffer, P, vals.length)]).toEqual(vals.map(() => 0));
  });

  it('the documented generator reproduces the README worked example', () => {
    expect(fnv1a32('model.layers.0.mlp.up_proj.weight')).toBe(fnv1a32('model.layers.0.mlp.up_proj.weight'));
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c); // published FNV-1a test vector
    expect(fmix32(0)).toBe(0);
    const key = maskKey(42, 1, 'model.layers.0.mlp.up_proj.weight');
    // element 0 of that tensor for the second model, seed 42: printed in README "Merging"
    expect({ key: key.toString(16), h0: maskHash(key, 0).toString(16) }).toEqual(README_EXAMPLE);
  });
});

// computed independently (Python) from the formula in the README
const README_EXAMPLE = { key: '63dd2341', h0: 'e424d35b' };
