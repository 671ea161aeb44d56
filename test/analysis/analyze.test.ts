import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeModels } from '../../src/analysis/analyze.js';
import type { AnalysisResult, DeltaStats } from '../../src/analysis/types.js';
import { parseTensorName } from '../../src/io/tensor-names.js';
import { SPECS, writeFixtureFamily, type FamilyValues } from './fixture.js';
import { nearestRank, refPair, refStats, type RefStats } from './reference.js';

let fam: ReturnType<typeof writeFixtureFamily>;
let result: AnalysisResult;
const FTS = ['ft-a', 'ft-b', 'ft-c'];

beforeAll(async () => {
  fam = writeFixtureFamily();
  result = await analyzeModels({ base: fam.base, finetunes: fam.fts, threads: 1, chunkElements: 4096 });
});
afterAll(() => rmSync(fam.dir, { recursive: true, force: true }));

function close(got: number, want: number, scale: number, rel = 1e-9): void {
  if (Number.isNaN(want)) { expect(got).toBeNaN(); return; }
  expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.abs(scale) + 1e-300);
}

/** Check every statistic of a scope against the exact two-pass reference. */
function checkStats(s: DeltaStats, r: RefStats): void {
  expect(s.numel).toBe(r.numel);
  expect(s.nonFinite).toBe(r.nonFinite);
  for (const [k, v] of [['positive', r.positive], ['negative', r.negative], ['zero', r.zero], ['le0002', r.le0002], ['le0005', r.le0005]] as const) expect(s[k]).toBe(v);
  close(s.meanDelta, r.mean, r.meanAbs);
  close(s.stdDelta, r.std, r.meanAbs + r.std, 1e-7);
  close(s.meanAbsDelta, r.meanAbs, r.meanAbs);
  expect(s.maxAbsDelta).toBe(r.maxAbs);
  close(s.deltaL2, r.deltaL2, r.deltaL2);
  close(s.baseL2, r.baseL2, r.baseL2);
  close(s.ftL2, r.ftL2, r.ftL2);
  close(s.rho, r.rho, r.rho);
  close(s.fracLe0002, r.le0002 / r.n, 1);
  close(s.fracLe0005, r.le0005 / r.n, 1);
  close(s.signBalance, r.signBalance, 1);
  close(s.excessKurtosis, r.kurtosis, Math.abs(r.kurtosis) + 3, 1e-6);
  // quantiles: within the stated bound q/64 + 2^-131 of the nearest-rank value
  for (const [got, q] of [[s.q50Abs, 0.5], [s.q90Abs, 0.9], [s.q99Abs, 0.99], [s.q999Abs, 0.999]] as const) {
    const want = nearestRank(r.sortedAbs, q);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(want / 64 + 2 ** -131);
  }
  // droppable share: a lower bound within its stated error (one entry of slack for the 2^-22 energy truncation)
  const trueShare = r.droppableK / r.n;
  const zeroDelta = r.deltaL2 === 0;
  if (zeroDelta) expect(s.droppableShare).toBe(1);
  else {
    expect(s.droppableShare).toBeLessThanOrEqual(trueShare + 1 / r.n + 1e-12);
    expect(trueShare).toBeLessThanOrEqual(s.droppableShare + s.droppableShareErr + 1 / r.n + 1e-12);
  }
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
      checkStats(model, refStats(parts(fam.values, ft, SPECS.map((s) => s.name))));
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
      const names = p.scope === 'tensor' ? [p.tensor!] : p.scope === 'layer' ? all.filter((n) => parseTensorName(n).layer === p.layer) : all;
      const want = refPair(refStats(parts(fam.values, p.a, names)), refStats(parts(fam.values, p.b, names)));
      expect(p.bothNonzero).toBe(want.bothNonzero);
      expect(p.conflicts).toBe(want.conflicts);
      close(p.dot, want.dot, Math.sqrt(p.sqA * p.sqB));
      if (p.sqA > 0 && p.sqB > 0) close(p.cosine, want.cosine, 1);
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
