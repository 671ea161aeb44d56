// The analyzer's float32-block sums and sampled histogram/pair counts against the exact float64 two-pass reference,
// on inputs built to break them: large offsets, mixed signs and scales, subnormals, values whose float32 powers
// underflow or overflow, and a tensor large enough to be sampled, with column structure.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeModels } from '../../src/analysis/analyze.js';
import type { AnalysisResult } from '../../src/schema/analysis.js';
import { encodeFromF32 } from '../../src/io/codec.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { checkDroppable, checkQuantiles, checkSums, EPS1, rankError } from './bounds.js';
import { rng } from './fixture.js';
import { refPair, refStats } from './reference.js';

interface Tensor {
  name: string;
  dtype: 'F32' | 'BF16';
  shape: number[];
  base: Float64Array;
  fts: Float64Array[];
}

const r = rng(18);
const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
/** Round to a multiple of 2^-e (so values and their differences are exact in float32 at the magnitudes used). */
const grid = (x: number, e: number): number => Math.round(x * 2 ** e) / 2 ** e;
const bf16 = (x: number): number => {
  const b = new Uint8Array(2),
    f = new Float32Array(1);
  encodeFromF32('BF16', Float32Array.of(x), b, 1);
  f[0] = new Float32Array(new Uint32Array([(b[0]! | (b[1]! << 8)) << 16]).buffer)[0]!;
  return f[0];
};

/** A tensor of n elements: base(i), and per fine-tune j its value from the base. */
function tensor(
  name: string,
  dtype: 'F32' | 'BF16',
  shape: number[],
  base: (i: number) => number,
  ft: ((b: number, i: number) => number)[],
): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  // the values as stored (float32), so the reference sees exactly what the analyzer reads
  const b = Float64Array.from({ length: n }, (_, i) => Math.fround(base(i)));
  return { name, dtype, shape, base: b, fts: ft.map((f) => Float64Array.from({ length: n }, (_, i) => Math.fround(f(b[i]!, i)))) };
}

const SHAPE = [3, 4160]; // three blocks and a tail that is not a whole group
const TENSORS: Tensor[] = [
  // mean ≫ spread: std and kurtosis come from raw moments
  tensor('offset.weight', 'F32', SHAPE, () => grid(1000 + 0.01 * gauss(), 13), [
    (b) => grid(b + 3 + 0.001 * gauss(), 13),
    (b) => grid(b - 2 + 0.01 * gauss(), 13),
    (b) => b,
  ]),
  // heavy-tailed Δ of both signs spanning 8 decades in one block
  tensor('mixed.weight', 'F32', SHAPE, () => grid(0.05 * gauss(), 24), [
    (b) => grid(b + (r() < 0.5 ? -1 : 1) * Math.min(0.5, 1e-4 * Math.exp(3 * gauss())), 24),
    (b) => grid(b + 1e-3 * gauss(), 24),
    (b, i) => (i % 7 === 0 ? grid(b - 2e-3 * gauss(), 24) : b),
  ]),
  // subnormal base and Δ (float32 squares underflow to 0: those blocks take the exact path)
  tensor('subnormal.weight', 'F32', SHAPE, (i) => ((i % 97) - 48) * 2 ** -149, [
    (b, i) => b + ((i % 13) - 6) * 2 ** -149,
    (b, i) => b + (i % 3) * 2 ** -140,
    (b) => b,
  ]),
  // normal but tiny values: Δ⁴ underflows in float32 (exact path)
  tensor('tiny.weight', 'F32', SHAPE, () => grid(2 ** -60 * gauss(), 84), [
    (b) => grid(b + 2 ** -70 * gauss(), 84),
    (b) => grid(b + 2 ** -62 * gauss(), 84),
    (b) => b,
  ]),
  // most Δ ~ 1e-3, some ~ 1e-30 in the same blocks (fast path; their float32 powers underflow, negligibly)
  tensor('scales.weight', 'F32', SHAPE, () => grid(0.05 * gauss(), 24), [
    (b, i) => (i % 5 === 0 ? Math.fround(b + 1e-30) : grid(b + 1e-3 * gauss(), 24)),
    (b, i) => (i % 2 === 0 ? grid(b + 2e-3 * gauss(), 24) : b),
    (b) => grid(b + 1e-3 * gauss(), 24),
  ]),
  // huge values: float32 squares of base and fourth powers of Δ overflow (exact path)
  tensor('huge.weight', 'F32', SHAPE, () => Math.fround(1e20 * gauss()), [
    (b) => Math.fround(b + 1e12 * gauss()),
    (b) => Math.fround(b * 1.5),
    (b) => b,
  ]),
];
// a tensor above the sampling threshold (2²⁰ elements), BF16, with per-column scales (structure a fixed stride would alias)
const COLS = 2100,
  ROWS = 1024;
const colScale = Float64Array.from({ length: COLS }, () => Math.exp(gauss()));
const BIG = tensor('big.weight', 'BF16', [ROWS, COLS], () => bf16(0.05 * gauss()), [
  (b, i) => bf16(b + 1e-3 * colScale[i % COLS]! * gauss()),
  (b, i) => (r() < 0.4 ? b : bf16(b + 2e-3 * colScale[i % COLS]! * gauss())),
  (b, i) => bf16(b - 0.5 * 1e-3 * colScale[i % COLS]! * gauss()),
]);

let dir: string;
let base: string;
let fts: string[];
let result: AnalysisResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darekit-accuracy-'));
  const all = [...TENSORS, BIG];
  const models = ['base', 'ft-1', 'ft-2', 'ft-3'];
  models.forEach((m, j) => {
    mkdirSync(join(dir, m));
    writeSafetensorsFile(
      join(dir, m, 'model.safetensors'),
      all.map((t) => {
        const v = Float32Array.from(j === 0 ? t.base : t.fts[j - 1]!);
        const data = new Uint8Array(v.length * (t.dtype === 'F32' ? 4 : 2));
        encodeFromF32(t.dtype, v, data, v.length);
        return { name: t.name, dtype: t.dtype, shape: t.shape, data };
      }),
    );
    writeFileSync(join(dir, m, 'config.json'), '{}');
  });
  base = join(dir, 'base');
  fts = models.slice(1).map((m) => join(dir, m));
  result = await analyzeModels({ base, finetunes: fts, threads: 1 });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ref = (t: Tensor, j: number) => refStats([{ base: t.base, ft: t.fts[j]! }]);
const row = (t: Tensor, j: number) => result.tensors.find((x) => x.tensor === t.name && x.model === `ft-${j + 1}`)!;

describe('float32-block sums stay within the stated bounds of the exact float64 two-pass reference', () => {
  it('large offsets, mixed signs and scales, subnormals, float32 underflow and overflow', () => {
    for (const t of TENSORS)
      for (let j = 0; j < 3; j++) {
        const want = ref(t, j),
          got = row(t, j);
        checkSums(got, want, `${t.name} ft-${j + 1}`);
        checkQuantiles(got, want, 0, `${t.name} ft-${j + 1}`);
        // (the histogram gives subnormal |Δ| energy 0, as stated: no droppable share for an all-subnormal delta)
        if (want.maxAbs >= 2 ** -126) checkDroppable(got, want, `${t.name} ft-${j + 1}`);
      }
  });

  it('pair dot products and cosines within ε₁, counts exact below the sampling threshold', () => {
    for (const t of TENSORS) {
      for (const [a, b] of [
        [0, 1],
        [0, 2],
        [1, 2],
      ] as const) {
        const p = result.pairs.find((x) => x.scope === 'tensor' && x.tensor === t.name && x.a === `ft-${a + 1}` && x.b === `ft-${b + 1}`)!;
        const ra = ref(t, a),
          rb = ref(t, b),
          want = refPair(ra, rb);
        let absDot = 0;
        for (let i = 0; i < ra.numel; i++) absDot += Math.abs((ra.finite[i] ? ra.deltas[i]! : 0) * (rb.finite[i] ? rb.deltas[i]! : 0));
        expect(Math.abs(p.dot - want.dot), `${t.name} dot`).toBeLessThanOrEqual(EPS1 * absDot + ra.numel * 2 ** -150);
        if (want.sqA > 0 && want.sqB > 0)
          expect(Math.abs(p.cosine - want.cosine), `${t.name} cosine`).toBeLessThanOrEqual(2.01 * EPS1 + 1e-15);
        expect(p.bothNonzero).toBe(want.bothNonzero);
        expect(p.conflicts).toBe(want.conflicts);
      }
    }
  });
});

describe('sampled histogram and pair counts (tensors over 2²⁰ elements)', () => {
  const groups = Math.floor((ROWS * COLS) / 64);
  const eps = rankError(groups);

  it('sums stay exact-bounded; quantiles lie within half a bin of an entry within the Hoeffding rank error', () => {
    for (let j = 0; j < 3; j++) {
      const want = ref(BIG, j),
        got = row(BIG, j);
      checkSums(got, want, `big ft-${j + 1}`);
      checkQuantiles(got, want, eps, `big ft-${j + 1}`);
      // the histogram's estimated total is the weighted sample: within the rank error of N
      const total = result.histograms
        .filter((h) => h.scope === 'tensor' && h.tensor === BIG.name && h.model === `ft-${j + 1}`)
        .reduce((s, h) => s + h.count, 0);
      expect(Math.abs(total - want.n) / want.n).toBeLessThanOrEqual(eps);
    }
  });

  it('pair shares within the rank error, dot and cosine still within ε₁ (computed on every element)', () => {
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      const p = result.pairs.find((x) => x.scope === 'tensor' && x.tensor === BIG.name && x.a === `ft-${a + 1}` && x.b === `ft-${b + 1}`)!;
      const want = refPair(ref(BIG, a), ref(BIG, b));
      const n = ROWS * COLS;
      expect(Math.abs(p.bothNonzero - want.bothNonzero) / n).toBeLessThanOrEqual(eps);
      expect(Math.abs(p.conflicts - want.conflicts) / n).toBeLessThanOrEqual(eps);
      expect(Math.abs(p.cosine - want.cosine)).toBeLessThanOrEqual(2.01 * EPS1 + 1e-15);
      expect(p.bothNonzero % 1).toBe(0);
    }
  });

  it('every sampled result is identical for any chunk size and thread count (sampling every tensor)', async () => {
    const one = await analyzeModels({ base, finetunes: fts, threads: 1, chunkElements: 4096, sampleAbove: 0 });
    for (const [threads, chunkElements] of [
      [1, 1 << 22],
      [2, 8192],
      [2, 4096],
    ] as const) {
      expect(await analyzeModels({ base, finetunes: fts, threads, chunkElements, sampleAbove: 0 })).toEqual(one);
    }
    // sampling touches only the histogram and pair counts: the sums are those of the default run
    const sampledRow = one.tensors.find((x) => x.tensor === 'offset.weight' && x.model === 'ft-1')!;
    expect(sampledRow.sumSqDelta).toBe(row(TENSORS[0]!, 0).sumSqDelta);
  }, 120_000);
});
