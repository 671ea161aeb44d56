import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STATS_KERNEL_EXPORTS, type StatsKernelExports } from '../../src/analysis/chunk.js';
import { DELTA_FIELDS, HIST_BINS, PAIR_FIELDS, STATS_BLOCK, statsBaseSqRef, statsDeltaRef, statsPairRef } from '../../src/kernel/reference/stats.js';
import { instantiateKernel, kernelModule } from '../../src/kernel/wasm.js';

/** A float32 value drawn to hit the kernel's edge cases: zeros of both signs, subnormals, NaN, ±Inf, huge, typical deltas. */
const special = fc.oneof(
  { weight: 12, arbitrary: fc.float({ min: Math.fround(-0.1), max: Math.fround(0.1), noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -0, 0.002, -0.005, 1e-40, -3e-39) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, 3e38, -3e38) },
  { weight: 2, arbitrary: fc.float({ noNaN: true }) },
);

function bitsF64(a: Float64Array): string[] {
  return [...new BigUint64Array(a.buffer, a.byteOffset, a.length)].map((b) => b.toString(16));
}

describe('stats kernel (wasm) vs scalar reference', () => {
  it("the built module's stats_* exports are exactly the declared list", () => {
    const names = WebAssembly.Module.exports(kernelModule()).map((e) => e.name).filter((n) => n.startsWith('stats_'));
    expect(names.sort()).toEqual([...STATS_KERNEL_EXPORTS].sort());
  });

  it('stats_delta and stats_pair equal the reference bit for bit, for any length and NaN/Inf/±0/subnormal inputs', () => {
    const k = instantiateKernel<StatsKernelExports>();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * STATS_BLOCK + 7 }), fc.integer(), (n, seed) => {
        const rng = fc.sample(fc.array(special, { minLength: 3 * n, maxLength: 3 * n }), { numRuns: 1, seed })[0]!;
        const base = Float32Array.from(rng.slice(0, n));
        const ft = Float32Array.from(rng.slice(n, 2 * n));
        // second fine-tune: mostly base + small change, so pairs see agreement and conflicts
        const ft2 = Float32Array.from(rng.slice(2 * n, 3 * n), (v, i) => (i % 3 === 0 ? v : base[i]! + v * 0.01));
        const blocks = Math.ceil(n / STATS_BLOCK);
        const P = { base: 1024, ft: 1024 + 4 * n, ft2: 1024 + 8 * n, d1: 1024 + 12 * n, d2: 1024 + 16 * n };
        const outA = Math.ceil((1024 + 20 * n) / 64) * 64 + 64, outB = outA + blocks * DELTA_FIELDS * 8, outP = outB + blocks * DELTA_FIELDS * 8;
        const bsq = outP + blocks * PAIR_FIELDS * 8;
        const hist = bsq + blocks * 8, eU = hist + 4 * HIST_BINS * 4, eF = eU + 4 * HIST_BINS * 8;
        k.ensure(eF + HIST_BINS * 8 + 64);
        const mem = k.memory.buffer;
        new Uint8Array(mem).fill(0, hist, eF + HIST_BINS * 8);
        new Float32Array(mem, P.base, n).set(base);
        new Float32Array(mem, P.ft, n).set(ft);
        new Float32Array(mem, P.ft2, n).set(ft2);
        k.exports.stats_base_sq(P.base, n, bsq);
        k.exports.stats_delta(P.base, P.ft, P.d1, n, bsq, outA, hist, eU);
        const histGot = new Uint32Array(mem, hist, HIST_BINS).slice();
        k.exports.stats_u64_to_f64(eU, eF, HIST_BINS);
        const energyGot = new Float64Array(mem, eF, HIST_BINS).slice();
        new Uint32Array(mem, hist, HIST_BINS).fill(0);
        k.exports.stats_delta(P.base, P.ft2, P.d2, n, bsq, outB, hist, eU);
        k.exports.stats_pair(P.d1, P.d2, n, outP);

        const d1 = new Float32Array(n), d2 = new Float32Array(n);
        const refA = new Float64Array(blocks * DELTA_FIELDS), refB = new Float64Array(blocks * DELTA_FIELDS), refP = new Float64Array(blocks * PAIR_FIELDS);
        const refHist = new Uint32Array(HIST_BINS), refEnergy = new Float64Array(HIST_BINS);
        const refBsq = new Float64Array(blocks);
        statsBaseSqRef(base, n, refBsq);
        expect(bitsF64(new Float64Array(mem, bsq, blocks))).toEqual(bitsF64(refBsq));
        statsDeltaRef(base, ft, d1, n, refBsq, refA, refHist, refEnergy);
        statsDeltaRef(base, ft2, d2, n, refBsq, refB, new Uint32Array(HIST_BINS), new Float64Array(HIST_BINS));
        statsPairRef(d1, d2, n, refP);

        expect(bitsF64(new Float64Array(mem, outA, blocks * DELTA_FIELDS))).toEqual(bitsF64(refA));
        expect(bitsF64(new Float64Array(mem, outB, blocks * DELTA_FIELDS))).toEqual(bitsF64(refB));
        expect(bitsF64(new Float64Array(mem, outP, blocks * PAIR_FIELDS))).toEqual(bitsF64(refP));
        expect([...new Uint32Array(mem, P.d1, n)]).toEqual([...new Uint32Array(d1.buffer)]);
        expect([...histGot]).toEqual([...refHist]);
        expect([...energyGot]).toEqual([...refEnergy]);
        // the kernel leaves its scratch histogram copies 1–3 zeroed for the next call
        expect(new Uint32Array(mem, hist + HIST_BINS * 4, 3 * HIST_BINS).every((v) => v === 0)).toBe(true);
        expect(new BigUint64Array(mem, eU + HIST_BINS * 8, 3 * HIST_BINS).every((v) => v === 0n)).toBe(true);
      }),
      { seed: 4242, numRuns: 40 },
    );
  });
});
