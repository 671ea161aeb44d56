// The committed constants must be what the calibration re-derives from the measured points (regenerate them with
// `npm run build && npm run calibrate -- --write`), and the leave-one-model-out validation is what the README states.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { calibrate, characterOf, measuredCrossing, measuredSafe, type CalibrationPoint } from '../../src/predict/calibrate.js';
import { CALIBRATION } from '../../src/predict/calibration.js';
import { DROP_RATE_GRID, predictTolerance } from '../../src/predict/error-model.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { loadFamilies } from './families.js';
import { pointFeatures } from '../../tools/calibrate/calibration-data.js';

const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'calibration', 'points.json'), 'utf8')) as {
  tolerance: number;
  points: CalibrationPoint[];
};
const families = await loadFamilies();

describe('calibration', () => {
  test('measured crossing interpolates linearly between grid points; measured safe rate is the last grid p before the first fall', () => {
    const sweep = [
      { p: 0, retained: 1 },
      { p: 0.5, retained: 0.99 },
      { p: 0.6, retained: 0.89 },
    ];
    expect(measuredCrossing(sweep, 0.95)).toBeCloseTo(0.54, 12);
    expect(
      measuredCrossing(
        [
          { p: 0, retained: 1 },
          { p: 0.99, retained: 0.99 },
        ],
        0.95,
      ),
    ).toBe(0.99);
    expect(
      measuredSafe(
        [
          { p: 0, retained: 1 },
          { p: 0.1, retained: 0.9 },
          { p: 0.2, retained: 0.97 },
        ],
        0.95,
      ),
    ).toBe(0);
  });

  const fit = calibrate(committed.points, committed.tolerance);

  test('the committed constants equal a fresh fit on the committed points', () => {
    expect(CALIBRATION.rExponent).toBeCloseTo(fit.constants.rExponent, 4);
    for (const c of ['task', 'corpus'] as const)
      for (const k of ['intercept', 'widthExponent', 'residualLow', 'residualHigh', 'points'] as const)
        expect(CALIBRATION[c][k], `${c}.${k}`).toBeCloseTo(fit.constants[c][k], 4);
  });

  test("leave-one-model-out on the committed points (issue 14's Done-when): ≥ 90% of measured safe rates inside their interval; task (SFT-like) intervals span ≤ 3 grid steps", () => {
    const inside = fit.residuals.filter((x) => x.covered).length;
    expect(inside / fit.residuals.length).toBeGreaterThanOrEqual(0.9);
    const task = fit.residuals.filter((x) => x.character === 'task');
    // SFT-like points exist: both families' SFT models and their variants
    expect(new Set(task.map((x) => `${x.family}/${x.model}`)).size).toBeGreaterThanOrEqual(4);
    for (const x of task) {
      const steps = DROP_RATE_GRID.indexOf(x.dropRateHigh) - DROP_RATE_GRID.indexOf(x.dropRateLow);
      expect(steps, `${x.family}/${x.model} ${x.variant}: ${x.dropRateLow}–${x.dropRateHigh}`).toBeLessThanOrEqual(3);
      expect(steps).toBe(x.intervalSteps);
    }
  });

  test('every SFT fine-tune of S and N is a task delta, every CPT fine-tune a corpus delta (their embedding updates)', () => {
    for (const q of committed.points.filter((p) => p.variant === 'as-is'))
      expect(characterOf(q), `${q.family}/${q.model}`).toBe(q.model.startsWith('sft') ? 'task' : 'corpus');
  });

  test.runIf(families.length > 0)('the committed points carry the weight features of the shared families as analysed now', () => {
    for (const f of families) {
      const feats = pointFeatures(f.analysis);
      for (const [model, x] of feats) {
        const p = committed.points.find((q) => q.family === f.name && q.model === model && q.variant === 'as-is');
        expect(p, `${f.name}/${model}`).toBeDefined();
        expect(p!.r).toBeCloseTo(x.r, 9);
        expect(p!.fanIn).toBeCloseTo(x.fanIn, 6);
        expect(p!.embeddingShare).toBeCloseTo(x.embeddingShare!, 9);
        expect(p!.embeddingKurtosis).toBeCloseTo(x.embeddingKurtosis!, 6);
        expect(p!.sweep.map((s) => s.retained)).toEqual(f.truth.models[model]!.sweep.map((s) => s.retained));
      }
    }
  });

  test.each(['task', 'corpus'] as const)(
    'width (%s): at equal r, a wider fan-in tolerates more noise (fitted exponent > 0; the theory says 1)',
    (c) => {
      expect(CALIBRATION[c].widthExponent).toBeGreaterThan(0);
      const narrow = predictTolerance(0.16, 64, 0.95, c);
      const wide = predictTolerance(0.16, 4096, 0.95, c);
      expect(wide.noise).toBeGreaterThan(narrow.noise);
      expect(wide.extrapolated).toBe(true);
      // beyond the calibrated widths the interval spans the fitted and the theory exponent
      expect(Math.log(wide.noiseHigh / wide.noiseLow)).toBeGreaterThanOrEqual(CALIBRATION[c].residualHigh - CALIBRATION[c].residualLow - 1e-12);
    },
  );
});
