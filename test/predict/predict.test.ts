import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { AnalysisResult } from '../../src/schema/analysis.js';
import { isDarekitError } from '../../src/errors.js';
import { DROP_RATE_GRID, predictTolerance } from '../../src/predict/error-model.js';
import { codes } from '../../src/predict/reasons.js';
import { modelFeatures } from '../../src/predict/features.js';
import { predict, predictionsToJson } from '../../src/predict/predict.js';
import { loadFamilies, loadFamiliesReference, type Family } from './families.js';
import { CPT_SPEC, SFT_SPEC, synthAnalysis } from './synthetic.js';
import { subsetAnalysis } from '../../src/analysis/subset.js';

const families = await loadFamilies();
const gridIndex = (p: number): number => DROP_RATE_GRID.findIndex((g) => Math.abs(g - p) < 1e-9);

describe.runIf(families.length > 0)('shared families (measured ground truth)', () => {
  test.runIf(families.length > 0)(
    "every fine-tune of S and N (issue 14's Done-when): the point prediction is within one grid step of truth.json and the predicted range holds it",
    () => {
      for (const f of families) {
        for (const m of predict(f.analysis, { tolerance: 0.95 }).models) {
          const truth = f.truth.models[m.model]!.safe_drop_rate['0.95']!;
          const steps = Math.abs(gridIndex(m.predictedDropRate) - gridIndex(truth));
          expect(steps, `${f.name}/${m.model}: predicted ${m.predictedDropRate}, measured ${truth}`).toBeLessThanOrEqual(1);
          expect(truth, `${f.name}/${m.model}`).toBeGreaterThanOrEqual(m.dropRateLow);
          expect(truth, `${f.name}/${m.model}`).toBeLessThanOrEqual(m.dropRateHigh);
        }
      }
    },
  );

  test.each(families.map((f) => [f.name, f] as [string, Family]))(
    'family %s: recommended = the conservative end of the range, density = 1 − it; the sentence says "predicted" and gives the range',
    (_n, f) => {
      for (const m of predict(f.analysis).models) {
        expect(m.dropRateLow).toBeLessThanOrEqual(m.predictedDropRate);
        expect(m.predictedDropRate).toBeLessThanOrEqual(m.dropRateHigh);
        expect(m.recommendedDropRate).toBeLessThanOrEqual(m.dropRateLow);
        expect(m.recommendedDensity).toBeCloseTo(1 - m.recommendedDropRate, 9);
        const rate = m.reasonDetails.find((r) => r.code === 'predicted-safe-rate')!;
        expect(rate.text).toContain(`predicted safe drop rate ${m.predictedDropRate}, range ${m.dropRateLow}–${m.dropRateHigh}`);
        expect(rate.numbers.dropRateLow).toBe(m.dropRateLow);
      }
    },
  );

  test.each(families.map((f) => [f.name, f] as [string, Family]))(
    'family %s: no SFT fine-tune flagged cpt; every CPT fine-tune DARE breaks (safe p ≤ 0.2) flagged cpt',
    (_n, f) => {
      const pred = predict(f.analysis);
      for (const m of pred.models) {
        const truth = f.truth.models[m.model]!;
        if (m.model.startsWith('sft')) expect(m.kind, m.model).toBe('sft');
        if (m.model.startsWith('cpt') && truth.safe_drop_rate['0.95']! <= 0.2) {
          expect(m.kind, m.model).toBe('cpt');
          expect(m.verdict).toBe('not-ready');
          expect(m.reasons.join(' ')).toMatch(/magnitude-based trim|do not merge/);
        }
        // whatever the label, the reasons carry the numbers that were seen
        expect(m.reasons.join(' ')).toMatch(/r = \d\.\d{4}/);
      }
    },
  );

  test.each(families.map((f) => [f.name, f] as [string, Family]))(
    'family %s: merging the specialists that no measured recipe could merge is predicted not-ready, with numbers',
    (_n, f) => {
      const merged = [...new Set(f.truth.merges.flatMap((m) => Object.keys(m.accuracy)))];
      const best = Math.max(...f.truth.merges.flatMap((m) => Object.values(m.accuracy)));
      if (merged.length < 2 || best > 0.1) return;
      const pred = predict(subsetAnalysis(f.analysis, merged));
      expect(pred.set.verdict).toBe('not-ready');
      expect(pred.set.method).toBe('none');
      // each specialist: its partner's unrelated delta is more noise than it tolerates
      const lost = pred.set.reasonDetails.filter((r) => r.code === 'interference');
      expect(lost.length).toBe(merged.length);
      for (const r of lost) expect(r.numbers.interference!).toBeGreaterThan(r.numbers.toleratedNoise!);
      expect(codes(pred.set.reasonDetails)).toContain('if-merged-anyway');
    },
  );

  test('the streaming analyzer and the float64 reference give the predictor the same features', () => {
    const ref = loadFamiliesReference();
    for (const f of families) {
      const rf = ref.find((x) => x.name === f.name)!;
      for (const m of f.analysis.models) {
        const a = modelFeatures(f.analysis, m);
        const b = modelFeatures(
          rf.analysis,
          rf.analysis.models.find((x) => x.model === m.model)!,
        );
        expect(a.blockRelativeNorm).toBeCloseTo(b.blockRelativeNorm, 6);
        expect(a.relativeEnergy).toBeCloseTo(b.relativeEnergy, 8);
        expect(a.embeddingShare!).toBeCloseTo(b.embeddingShare!, 6);
        expect(a.embeddingKurtosis!).toBeCloseTo(b.embeddingKurtosis!, 4);
      }
      const pa = predict(f.analysis);
      const pb = predict(rf.analysis);
      expect(pa.models.map((m) => [m.model, m.kind, m.recommendedDropRate, m.verdict])).toEqual(
        pb.models.map((m) => [m.model, m.kind, m.recommendedDropRate, m.verdict]),
      );
    }
  });
});

describe('synthetic fixtures with a known construction', () => {
  const r = synthAnalysis({ sft: SFT_SPEC, cpt: CPT_SPEC, hot: { ...SFT_SPEC, seed: 13, hotLayer: 1, hotFactor: 4 } });
  // hidden size 32, far narrower than the calibrated widths (64–96): at 0.95 every rate sits on the floor, so these
  // constructions are judged at a loose tolerance where the rates differ
  const loose = { tolerance: 0.5 };
  const pred = predict(r, loose);
  const by = (m: string) => pred.models.find((x) => x.model === m)!;

  test('a small delta with a sparse embedding update is sft, ready, with a moderate drop rate', () => {
    expect(by('sft').kind).toBe('sft');
    expect(codes(by('sft').reasonDetails)).not.toContain('cpt-like');
    expect(by('sft').predictedDropRate).toBeGreaterThan(by('cpt').predictedDropRate);
    expect(by('sft').layers.some((l) => l.hot)).toBe(false);
  });

  test('a dense, large delta moving every embedding row is cpt, not-ready, with a low drop rate and a recommendation', () => {
    const c = by('cpt');
    expect(c.kind).toBe('cpt');
    expect(c.cptScore).toBe(1);
    expect(c.recommendedDropRate).toBeLessThanOrEqual(0.3);
    expect(c.verdict).toBe('not-ready');
    expect(c.reasons.join(' ')).toMatch(/magnitude-based trim \(ties/);
  });

  test('one layer with 4× the delta gets a layer warning and a caution verdict', () => {
    const h = by('hot');
    expect(h.layers.filter((l) => l.hot).map((l) => l.layer)).toEqual([1]);
    expect(h.verdict).toBe('caution');
    expect(h.reasons.join(' ')).toMatch(/layer 1 is far less tolerant/);
    // at a loose tolerance the rates are off the floor: the hot layer's own rate is lower
    const hot = h.layers.find((l) => l.layer === 1)!;
    const cold = h.layers.find((l) => l.layer === 0)!;
    expect(hot.safeDropRate).toBeLessThanOrEqual(cold.safeDropRate);
    expect(hot.relativeNorm).toBeGreaterThan(3 * cold.relativeNorm);
  });

  test("two unrelated SFT deltas that tolerate their partner's delta as noise are mergeable with dare_linear; a CPT delta forces ties or none", () => {
    const two = predict(synthAnalysis({ a: { ...SFT_SPEC, blockR: 0.01, seed: 21 }, b: { ...SFT_SPEC, blockR: 0.01, seed: 22 } }), loose);
    expect(two.models.every((m) => m.toleratedNoise > 1)).toBe(true);
    expect(two.set.verdict).not.toBe('not-ready');
    expect(codes(two.set.reasonDetails)).not.toContain('interference');
    // independent Gaussian deltas disagree in sign on about half the shared entries: what unrelated deltas give, no election
    expect(two.pairs[0]!.signConflict).toBeGreaterThan(0.45);
    expect(two.set.method).toBe('dare_linear');
    expect(two.set.reasonDetails.find((x) => x.code === 'method-dare-linear')!.text).toMatch(/unrelated deltas give sign conflict ≈ 0\.5/);
    expect(two.set.models.map((d) => d.density)).toEqual(two.models.map((m) => m.recommendedDensity));
    // the same pair ten times larger: each partner's delta is more noise than the other tolerates
    const big = predict(synthAnalysis({ a: { ...SFT_SPEC, blockR: 0.3, seed: 21 }, b: { ...SFT_SPEC, blockR: 0.3, seed: 22 } }), loose);
    expect(big.set.verdict).toBe('not-ready');
    expect(codes(big.set.reasonDetails)).toContain('interference');
    expect(['ties', 'none']).toContain(pred.set.method);
  });

  test('non-finite values and a homology failure make a fine-tune not-ready', () => {
    const bad: AnalysisResult = structuredClone(r);
    bad.models[0]!.nonFinite = 5;
    bad.tensors.find((t) => t.model === bad.models[0]!.model)!.nonFinite = 5;
    bad.tensors = bad.tensors.filter((t) => !(t.model === 'hot' && t.tensor === 'lm_head.weight'));
    const p = predict(bad);
    expect(p.models[0]!.verdict).toBe('not-ready');
    expect(p.models[0]!.reasons.join(' ')).toMatch(/5 non-finite values/);
    const hot = p.models.find((m) => m.model === 'hot')!;
    expect(hot.verdict).toBe('not-ready');
    expect(hot.reasons.join(' ')).toMatch(/homology failure: tensor lm_head.weight is missing/);
    expect(p.set.verdict).toBe('not-ready');
  });
});

describe('properties', () => {
  test('more delta energy never raises the safe drop rate (whole delta or one tensor scaled up)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        fc.double({ min: 1, max: 8, noNaN: true }),
        fc.integer({ min: 0, max: 1000 }),
        (blockR, c, seed) => {
          const a = predict(synthAnalysis({ m: { ...SFT_SPEC, blockR, seed } })).models[0]!;
          const b = predict(synthAnalysis({ m: { ...SFT_SPEC, blockR: blockR * c, seed } })).models[0]!;
          expect(b.recommendedDropRate).toBeLessThanOrEqual(a.recommendedDropRate);
          expect(b.predictedDropRate).toBeLessThanOrEqual(a.predictedDropRate);
          const h = predict(synthAnalysis({ m: { ...SFT_SPEC, blockR, seed, hotLayer: seed % 3, hotFactor: c } })).models[0]!;
          expect(h.recommendedDropRate).toBeLessThanOrEqual(a.recommendedDropRate);
        },
      ),
      { seed: 8, numRuns: 25 },
    );
  });

  test('safe drop rate and its range are non-increasing in r and in the tolerance, non-decreasing in width', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 2, noNaN: true }),
        fc.double({ min: 1e-3, max: 2, noNaN: true }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        fc.integer({ min: 16, max: 8192 }),
        (r1, r2, t1, t2, n) => {
          const [lo, hi] = r1 <= r2 ? [r1, r2] : [r2, r1];
          const [tl, th] = t1 <= t2 ? [t1, t2] : [t2, t1];
          const view = (t: ReturnType<typeof predictTolerance>) => [t.dropRateLow, t.dropRate, t.dropRateHigh];
          const le = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeLessThanOrEqual(b[i]!));
          le(view(predictTolerance(hi, n, tl)), view(predictTolerance(lo, n, tl)));
          le(view(predictTolerance(lo, n, th)), view(predictTolerance(lo, n, tl)));
          le(view(predictTolerance(lo, n, tl)), view(predictTolerance(lo, 2 * n, tl)));
        },
      ),
      { seed: 9, numRuns: 200 },
    );
  });

  test('scaling base and delta together by c changes neither verdicts, kinds nor safe drop rates', () => {
    fc.assert(
      fc.property(fc.constantFrom(0.01, 0.25, 3, 40), fc.integer({ min: 0, max: 100 }), (c, seed) => {
        const specs = { s: { ...SFT_SPEC, seed }, k: { ...CPT_SPEC, seed: seed + 1 } };
        const a = predict(synthAnalysis(specs, 1, seed));
        const b = predict(synthAnalysis(specs, c, seed));
        const view = (p: typeof a) => ({
          m: p.models.map((m) => [
            m.kind,
            m.recommendedDropRate,
            m.predictedDropRate,
            m.dropRateLow,
            m.dropRateHigh,
            m.verdict,
            codes(m.reasonDetails),
            m.layers.map((l) => l.safeDropRate),
            m.tensors.map((t) => [t.safeDropRate, t.risky]),
          ]),
          s: [p.set.verdict, p.set.method, p.set.models.map((d) => d.density)],
        });
        expect(view(b)).toEqual(view(a));
      }),
      { seed: 10, numRuns: 8 },
    );
  });

  test('a tolerance outside (0, 1) is a usage error naming --tolerance', () => {
    for (const t of [0, 1, 1.5, -0.1, Number.NaN]) {
      let err: unknown;
      try {
        predict(synthAnalysis({ s: SFT_SPEC }), { tolerance: t });
      } catch (e) {
        err = e;
      }
      expect(isDarekitError(err) && err.kind === 'usage' && /--tolerance/.test(err.message)).toBe(true);
    }
  });
});

describe('machine-readable contract', () => {
  test("predictionsToJson keeps every key of DESIGN's contract, adds ranges and reason codes, and the texts are the structured reasons' texts", () => {
    const j = predictionsToJson(predict(synthAnalysis({ a: SFT_SPEC, b: CPT_SPEC })), '/out');
    expect(Object.keys(j).sort()).toEqual(['models', 'outDir', 'pairs', 'set']);
    const has = (o: object, keys: string[]) => expect(Object.keys(o)).toEqual(expect.arrayContaining(keys));
    has(j.models[0]!, [
      'kind',
      'meanAbsDelta',
      'path',
      'reasons',
      'recommendedDensity',
      'recommendedDropRate',
      'relativeEnergy',
      'verdict',
      'dropRateLow',
      'dropRateHigh',
      'predictedDropRate',
      'reasonCodes',
      'reasonDetails',
    ]);
    expect(Object.keys(j.pairs[0]!).sort()).toEqual(['a', 'b', 'cosine', 'signConflict']);
    has(j.set, ['method', 'reasons', 'verdict', 'reasonCodes', 'models']);
    for (const m of j.models) expect(m.reasons).toEqual(m.reasonDetails.map((r) => r.text));
    expect(j.set.reasons).toEqual(j.set.reasonDetails.map((r) => r.text));
    expect(j.outDir).toBe('/out');
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});
