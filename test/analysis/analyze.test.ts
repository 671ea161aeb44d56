import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeModels } from '../../src/analysis/analyze.js';
import type { AnalysisResult, DeltaStats } from '../../src/schema/analysis.js';
import { parseTensorName } from '../../src/io/tensor-names.js';
import { SPECS, writeFixtureFamily, type FamilyValues } from './fixture.js';
import { checkDroppable, checkQuantiles, checkSums, EPS1 } from './bounds.js';
import { refPair, refStats, type RefStats } from './reference.js';

let fam: ReturnType<typeof writeFixtureFamily>;
let result: AnalysisResult;
const FTS = ['ft-a', 'ft-b', 'ft-c'];

beforeAll(async () => {
  fam = writeFixtureFamily();
  result = await analyzeModels({ base: fam.base, finetunes: fam.fts, threads: 1, chunkElements: 4096 });
});
afterAll(() => rmSync(fam.dir, { recursive: true, force: true }));

function close(got: number, want: number, scale: number, rel = 1e-9): void {
  if (Number.isNaN(want)) {
    expect(got).toBeNaN();
    return;
  }
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(scale) + 1e-300);
}

/** Check every statistic of a scope against the exact two-pass reference, within the README's stated bounds. */
function checkStats(s: DeltaStats, r: RefStats): void {
  checkSums(s, r, 'scope');
  // every tensor here is below the sampling threshold: the histogram is exact, ranks too
  checkQuantiles(s, r, 0, 'scope');
  checkDroppable(s, r, 'scope');
}

const parts = (v: FamilyValues, ft: string, names: string[]) => names.map((t) => ({ base: v.base![t]!, ft: v[ft]![t]! }));

describe('analyzeModels against exact float64 two-pass statistics', () => {
  it('matches every per-tensor statistic, including NaN/Inf, all-zero deltas and a single element', () => {
    expect(result.tensors).toHaveLength(SPECS.length * FTS.length);
    for (const row of result.tensors) {
      const spec = SPECS.find((s) => s.name === row.tensor)!;
      expect(row.shape).toEqual(spec.shape);
      expect(row.dtype).toBe(spec.dtype);
      expect({ layer: row.layer, module: row.module }).toEqual(parseTensorName(row.tensor));
      checkStats(row, refStats(parts(fam.values, row.model, [row.tensor])));
    }
    const nan = result.tensors.find((t) => t.model === 'ft-a' && t.tensor.includes('q_proj'))!;
    expect(nan.nonFinite).toBe(4); // base NaN, +Inf, −Inf, base Inf vs ft Inf
    const zero = result.tensors.find((t) => t.model === 'ft-b' && t.tensor.includes('embed'))!;
    expect(zero.deltaL2).toBe(0);
    expect(zero.zero).toBe(zero.numel);
    expect(zero.excessKurtosis).toBeNaN();
  });

  it('rolls layers and models up from sums (not averages), with histogram quantiles of the rollup', () => {
    for (const ft of FTS) {
      const model = result.models.find((m) => m.model === ft)!;
      checkStats(
        model,
        refStats(
          parts(
            fam.values,
            ft,
            SPECS.map((s) => s.name),
          ),
        ),
      );
      expect(model.tensors).toBe(SPECS.length);
      for (const layer of [0, 1, null]) {
        const names = SPECS.map((s) => s.name).filter((n) => parseTensorName(n).layer === layer);
        const row = result.layers.find((l) => l.model === ft && l.layer === layer)!;
        expect(row.tensors).toBe(names.length);
        checkStats(row, refStats(parts(fam.values, ft, names)));
      }
    }
  });

  it('computes pairwise cosine, sign conflict and magnitude-weighted conflict per tensor, layer and model', () => {
    const all = SPECS.map((s) => s.name);
    for (const p of result.pairs) {
      const names =
        p.scope === 'tensor' ? [p.tensor!] : p.scope === 'layer' ? all.filter((n) => parseTensorName(n).layer === p.layer) : all;
      const want = refPair(refStats(parts(fam.values, p.a, names)), refStats(parts(fam.values, p.b, names)));
      expect(p.bothNonzero).toBe(want.bothNonzero);
      expect(p.conflicts).toBe(want.conflicts);
      // dot within ε₁·Σ|Δa·Δb| ≤ ε₁·√(‖Δa‖²‖Δb‖²); cosine within 2.01·ε₁
      close(p.dot, want.dot, Math.sqrt(want.sqA * want.sqB), EPS1);
      if (p.sqA > 0 && p.sqB > 0) close(p.cosine, want.cosine, 1, 2.01 * EPS1);
      close(p.signConflict, want.signConflict, 1);
      close(p.weightedConflict, want.weightedConflict, 1);
      expect(p.overlapExpected).toEqual(result.densities.map((d) => (d * d * want.bothNonzero) / p.numel));
    }
    const ac = result.pairs.find((p) => p.scope === 'model' && p.a === 'ft-a' && p.b === 'ft-c')!;
    expect(ac.cosine).toBeLessThan(-0.5); // ft-c undoes half of ft-a: the pair must read as conflicting
  });

  it('gives identical tables for any chunk size (chunked == whole)', async () => {
    for (const chunkElements of [1, 8192, 1 << 22]) {
      const other = await analyzeModels({ base: fam.base, finetunes: fam.fts, threads: 1, chunkElements });
      expect(other).toEqual(result);
    }
  });

  it('gives identical tables with 2 worker threads and with 1', async () => {
    const two = await analyzeModels({ base: fam.base, finetunes: fam.fts, threads: 2, chunkElements: 4096 });
    expect(two).toEqual(result);
  });
});
