// The committed κ must be what the calibration re-derives from the shared ground truth (regenerate it with
// `npm run build:ts && npm run calibrate -- --write`).
import { describe, expect, test } from 'vitest';
import { calibrate, measuredCrossing } from '../../src/predict/calibrate.js';
import { KAPPA } from '../../src/predict/calibration.js';
import { calibrationPoints, loadFamilies } from './families.js';

const points = calibrationPoints(await loadFamilies());

describe('calibration', () => {
  test('measured crossing interpolates linearly between grid points', () => {
    const sweep = [{ p: 0, retained: 1 }, { p: 0.5, retained: 0.99 }, { p: 0.6, retained: 0.89 }];
    expect(measuredCrossing(sweep, 0.95)).toBeCloseTo(0.54, 12);
    expect(measuredCrossing([{ p: 0, retained: 1 }, { p: 0.99, retained: 0.99 }], 0.95)).toBe(0.99);
  });

  test.runIf(points.length > 0)('committed κ equals a fresh fit on every shared family', () => {
    const fit = calibrate(points, 0.95);
    expect(KAPPA).toBeCloseTo(fit.kappa, 4);
    for (const r of fit.residuals) expect(r.gridSteps, `${r.family}/${r.model}`).toBeLessThanOrEqual(1);
  });

  test.runIf(points.length >= 3)('leave-one-out: κ refitted without any one fine-tune stays within 1.5× and predicts the held-out one within two grid steps', () => {
    const fit = calibrate(points, 0.95);
    for (const l of fit.leaveOneOut) {
      expect(l.kappa / fit.kappa, l.model).toBeGreaterThan(1 / 1.5);
      expect(l.kappa / fit.kappa, l.model).toBeLessThan(1.5);
      expect(l.gridSteps, l.model).toBeLessThanOrEqual(2);
    }
  });
});
