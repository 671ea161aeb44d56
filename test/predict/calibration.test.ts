// The committed constants must be what the calibration re-derives from the measured points (regenerate them with
// `npm run build && npm run calibrate -- --write`), and the leave-one-model-out validation is what the README states.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { calibrate, measuredCrossing, measuredSafe, type CalibrationPoint } from '../../src/predict/calibrate.js';
import { CALIBRATION } from '../../src/predict/calibration.js';
import { predictTolerance } from '../../src/predict/error-model.js';
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

  test('the committed constants equal a fresh fit on the committed points', () => {
    const fit = calibrate(committed.points, committed.tolerance);
    for (const k of ['intercept', 'rExponent', 'widthExponent', 'residualLow', 'residualHigh'] as const)
      expect(CALIBRATION[k], k).toBeCloseTo(fit.constants[k], 4);
  });

  test.runIf(families.length > 0)('the committed points carry the weight features of the shared families as analysed now', () => {
    for (const f of families) {
      const feats = pointFeatures(f.analysis);
      for (const [model, x] of feats) {
        const p = committed.points.find((q) => q.family === f.name && q.model === model && q.variant === 'as-is');
        expect(p, `${f.name}/${model}`).toBeDefined();
        expect(p!.r).toBeCloseTo(x.r, 9);
        expect(p!.fanIn).toBeCloseTo(x.fanIn, 6);
        expect(p!.sweep.map((s) => s.retained)).toEqual(f.truth.models[model]!.sweep.map((s) => s.retained));
      }
    }
  });

  test('width: at equal r, a wider fan-in tolerates more noise (fitted exponent > 0; the theory says 1)', () => {
    expect(CALIBRATION.widthExponent).toBeGreaterThan(0);
    const narrow = predictTolerance(0.16, 64, 0.95);
    const wide = predictTolerance(0.16, 4096, 0.95);
    expect(wide.noise).toBeGreaterThan(narrow.noise);
    expect(wide.extrapolated).toBe(true);
    // beyond the calibrated widths the interval spans the fitted and the theory exponent
    expect(Math.log(wide.noiseHigh / wide.noiseLow)).toBeGreaterThan(CALIBRATION.residualHigh - CALIBRATION.residualLow);
  });
});
