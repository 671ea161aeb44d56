// The sweep logic of the probe engine, run with the float64 reference forward pass as its scorer (so it does
// not depend on the wasm forward pass), against the reference's own measurement: float64 DARE weights, its own
// tokenization and scoring. Small slices of family S keep it quick.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { loadLlamaConfig } from '../../src/model/config.js';
import { loadExamples } from '../../src/model/examples.js';
import { bootstrapIndices, bootstrapRetained, probe, quantile, safeDropRate, type SweepPoint } from '../../src/model/probe.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { familyS } from '../helpers/shared.js';
import { refConfig, refExamples, refSweep, refWeights } from './probe-reference.js';
import { referenceScorer } from './reference-scorer.js';

const S = familyS();
const BASE = join(S, 'base');
const NAMES = openModel(BASE).names;
const CFG = refConfig(BASE);
const work = mkdtempSync(join(tmpdir(), 'darekit-probe-sweep-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The first n lines of an examples file, as a file of its own. */
function head(file: string, n: number, ext: string): string {
  const out = join(work, `head-${n}-${file.split('/').pop()}${ext}`);
  const text = readFileSync(file, 'utf8');
  writeFileSync(out, ext === '' ? text.split('\n').slice(0, n).join('\n') + '\n' : text.slice(0, n));
  return out;
}

describe('probe sweep (float64 reference scorer)', () => {
  it.each([
    ['sft-shift', () => head(join(S, 'examples', 'sft-shift.jsonl'), 24, '')],
    ['cpt-code-brief', () => head(join(S, 'examples', 'cpt-code-brief.txt'), 400, '.txt')],
  ] as const)(
    '%s: scores, retained shares and the safe drop rate equal the reference measurement; p = 0 reproduces the fine-tune',
    async (model, file) => {
      const examplesFile = file();
      const ft = join(S, model);
      const grid = [0, 0.3, 0.6, 0.9];
      const examples = loadExamples(examplesFile, loadTokenizer(ft), { maxPositions: 512 });
      const r = await probe({
        base: BASE,
        config: loadLlamaConfig(BASE),
        finetunes: [{ path: ft, examples }],
        dropRates: grid,
        seeds: 2,
        tolerance: 0.9,
        score: referenceScorer(CFG, NAMES),
      });
      const m = r.models[0]!;
      const ref = refExamples(examplesFile);
      expect(examples.sequences.map((s) => Array.from(s.tokens))).toEqual(ref.examples.map((e) => e.tokens));
      const want = refSweep(CFG, refWeights(BASE, NAMES), refWeights(ft, NAMES), ref.metric, ref.examples, grid, [0, 1], 0.9);
      expect(m.metric).toBe(ref.metric);
      expect(m.baseScore).toBeCloseTo(want.baseScore, 12);
      expect(m.ftScore).toBeCloseTo(want.ftScore, 12);
      // p = 0: the DARE source at p = 0 gives the fine-tune's own weights, so the same score to the last bit
      expect(m.sweep[0]!.seedScores).toEqual([m.ftScore]);
      expect(m.sweep[0]!.retained).toBe(1);
      m.sweep.forEach((s, i) => {
        // float32 DARE weights (probe) vs float64 (reference): the same up to rounding
        expect(s.retained, `p = ${s.dropRate}`).toBeCloseTo(want.retained[i]!, 4);
        expect(s.retainedLow).toBeLessThanOrEqual(s.retainedHigh);
        expect(s.seedRetained.length).toBe(s.dropRate === 0 ? 1 : 2);
      });
      expect(m.safeDropRate).toBe(want.safeDropRate);
      expect(r.forwardPasses).toBe(1 + 1 + 1 + 3 * 2);
    },
    300_000,
  );
});

describe('sweep statistics', () => {
  const point = (dropRate: number, retained: number): SweepPoint => ({
    dropRate,
    retained,
    loss: 0,
    retainedLow: 0,
    retainedHigh: 0,
    seedRetained: [],
    seedScores: [],
  });

  it('safe drop rate: the largest p whose retained share reaches the tolerance (truth.json), null without a gain', () => {
    const sweep = [point(0, 1), point(0.1, 0.97), point(0.2, 0.94), point(0.3, 0.96), point(0.4, 0.5)];
    expect(safeDropRate(sweep, 0.95, 1)).toBe(0.3);
    expect(safeDropRate(sweep, 0.99, 1)).toBe(0);
    expect(safeDropRate(sweep, 0.95, 0)).toBeNull();
  });

  it('quantile interpolates between order statistics like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.025)).toBeCloseTo(0.25, 12);
    expect(quantile([5], 0.975)).toBe(5);
  });

  it('bootstrap interval: resamples drawn from a fixed seed, retained per resample; a constant effect gives a zero-width interval', () => {
    const idx = bootstrapIndices(50, 200);
    expect(idx).toEqual(bootstrapIndices(50, 200));
    const base = new Float64Array(50).fill(0);
    const ft = new Float64Array(50).fill(1);
    const half = new Float64Array(50).fill(0.5);
    expect(bootstrapRetained(base, ft, [half], idx)).toEqual([0.5, 0.5]);
    // one example of 50 carries all of the p-model's score: the interval must straddle its mean share 0.02
    const spike = new Float64Array(50);
    spike[7] = 1;
    const [lo, hi] = bootstrapRetained(base, ft, [spike], idx);
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(0.02);
  });
});
