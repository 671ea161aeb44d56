import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATS_KERNEL_EXPORTS, type StatsKernelExports } from '../../src/kernel/exports.js';
import { decodeToF32, encodeFromF32 } from '../../src/io/codec.js';
import { HIST_BINS, STATS_BLOCK, statsChunkRef } from '../../src/kernel/reference/stats.js';
import { instantiateKernel, kernelModule } from '../../src/kernel/wasm.js';
import { NO_SAMPLING, runChunk, type Dtype, type KernelOut, type Sampling } from './stats-harness.js';

/** A float32 value drawn to hit the kernel's edge cases: zeros of both signs, subnormals, NaN, ±Inf, huge, typical deltas. */
const special = fc.oneof(
  { weight: 12, arbitrary: fc.float({ min: Math.fround(-0.1), max: Math.fround(0.1), noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0, 0.002, -0.005, 1e-40, -3e-39) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, 3e38, -3e38) },
  { weight: 2, arbitrary: fc.float({ noNaN: true }) },
);
/** Finite values of weight-like size only: blocks of these take the kernel's fast (float32-group) path. */
const typical = fc.oneof(
  { weight: 12, arbitrary: fc.float({ min: Math.fround(-0.1), max: Math.fround(0.1), noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 0.002, -0.005, 1e-40) },
);
function bitsF64(a: Float64Array): string[] {
  return [...new BigUint64Array(a.buffer, a.byteOffset, a.length)].map((b) => b.toString(16));
}

/** The scalar reference over the decoded values: every fine-tune, every pair; histograms dense. */
function reference(decoded: Float32Array[], n: number, smp: Sampling = NO_SAMPLING) {
  return statsChunkRef(decoded, n, smp.key, smp.group0, smp.sampled);
}

/** The kernel's sparse histogram of fine-tune i, as dense arrays. */
function denseHist(o: KernelOut, i: number): { counts: Uint32Array; energy: Float64Array } {
  const counts = new Uint32Array(HIST_BINS),
    energy = new Float64Array(HIST_BINS);
  for (let e = o.histStart[i]!; e < o.histStart[i + 1]!; e++) {
    expect(o.histCount[e]).toBeGreaterThan(0);
    counts[o.histBin[e]!] = o.histCount[e]!;
    energy[o.histBin[e]!] = o.histEnergy[e]!;
  }
  return { counts, energy };
}

function encode(values: Float32Array, dtype: Dtype): { raw: Uint8Array; decoded: Float32Array } {
  if (dtype === 'F32') return { raw: new Uint8Array(values.buffer.slice(0)), decoded: values };
  const raw = new Uint8Array(2 * values.length);
  encodeFromF32(dtype, values, raw, values.length);
  const decoded = new Float32Array(values.length);
  decodeToF32(dtype, raw, decoded, values.length);
  return { raw, decoded };
}

describe('stats kernel (wasm) vs scalar reference', () => {
  it("the built module's stats_* exports are exactly the declared list", () => {
    const names = WebAssembly.Module.exports(kernelModule())
      .map((e) => e.name)
      .filter((n) => n.startsWith('stats_'));
    expect(names.sort()).toEqual([...STATS_KERNEL_EXPORTS].sort());
  });

  it('stats_chunk equals the reference bit for bit: any length, 1–4 fine-tunes, F32/BF16/F16 inputs, NaN/Inf/±0/subnormals, fast and exact blocks, sampled or not', () => {
    const kern = instantiateKernel<StatsKernelExports>();
    const dtype = fc.constantFrom<Dtype>('F32', 'BF16', 'F16');
    const sampling = fc.record({
      key: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      group0: fc.integer({ min: 0, max: 2 ** 26 }),
      sampled: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 * STATS_BLOCK + 7 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(dtype, { minLength: 5, maxLength: 5 }),
        fc.integer(),
        fc.boolean(),
        sampling,
        (n, k, dts, seed, clean, smp) => {
          const rng = fc.sample(fc.array(clean ? typical : special, { minLength: (k + 1) * n, maxLength: (k + 1) * n }), {
            numRuns: 1,
            seed,
          })[0]!;
          const base = Float32Array.from(rng.slice(0, n));
          // fine-tunes: some entries free, most base + small change, so pairs see agreement and conflicts
          const values = [
            base,
            ...Array.from({ length: k }, (_, j) =>
              Float32Array.from(rng.slice((j + 1) * n, (j + 2) * n), (v, i) => (i % (j + 2) === 0 ? v : base[i]! + v * 0.01)),
            ),
          ];
          const enc = values.map((v, m) => encode(v, dts[m]!));
          const got = runChunk(
            kern,
            enc.map((e) => e.raw),
            dts.slice(0, k + 1),
            n,
            smp,
          );
          const ref = reference(
            enc.map((e) => e.decoded),
            n,
            smp,
          );
          expect(bitsF64(got.delta)).toEqual(bitsF64(ref.delta));
          expect(bitsF64(got.pair)).toEqual(bitsF64(ref.pair));
          for (let i = 0; i < k; i++) {
            const h = denseHist(got, i);
            expect([...h.counts]).toEqual([...ref.hists[i]!.counts]);
            expect([...h.energy]).toEqual([...ref.hists[i]!.energy]);
          }
          // histogram workspace is left zeroed for the next chunk
          expect(got.workZero).toBe(true);
        },
      ),
      { seed: 4242, numRuns: 60 },
    );
  });

  it('stats_chunk histogram counts and energies stay exact past the packed-word flush interval (one bin, > 2²² entries: > 2²⁰ per packed copy)', () => {
    const kern = instantiateKernel<StatsKernelExports>();
    const n = (1 << 22) + 3 * STATS_BLOCK + 5;
    const base = new Float32Array(n).fill(0.5);
    // every Δ is 2⁻⁹ · 1.96875 (largest significand of its bin): the biggest per-entry energy a bin can take
    const step = Math.fround(2 ** -9 * (1 + 31 / 32 + 1 / 64));
    const ft = base.map((b) => Math.fround(b + step));
    const got = runChunk(
      kern,
      [base, ft].map((v) => new Uint8Array(v.buffer)),
      ['F32', 'F32'],
      n,
    );
    const ref = reference([base, ft], n);
    const h = denseHist(got, 0);
    expect(got.histStart[1]).toBe(1);
    expect([...h.counts]).toEqual([...ref.hists[0]!.counts]);
    expect([...h.energy]).toEqual([...ref.hists[0]!.energy]);
    expect(got.histCount[0]).toBe(n);
  });
});
