// The committed κ must be what the calibration re-derives from the shared ground truth; set
// DAREKIT_WRITE_CALIBRATION=1 to regenerate src/predict/calibration.ts (the README gives the command).
import { writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { calibrate, measuredCrossing, renderCalibrationModule } from '../../src/predict/calibrate.js';
import { KAPPA } from '../../src/predict/calibration.js';
import { calibrationPoints, loadFamilies } from './families.js';

const COMMAND = 'DAREKIT_WRITE_CALIBRATION=1 npx vitest run test/predict/calibration.test.ts';

const points = calibrationPoints(await loadFamilies());

describe('calibration', () => {
  test('measured crossing interpolates linearly between grid points', () => {
    const sweep = [{ p: 0, retained: 1 }, { p: 0.5, retained: 0.99 }, { p: 0.6, retained: 0.89 }];
    expect(measuredCrossing(sweep, 0.95)).toBeCloseTo(0.54, 12);
    expect(measuredCrossing([{ p: 0, retained: 1 }, { p: 0.99, retained: 0.99 }], 0.95)).toBe(0.99);
  });

  test.runIf(points.length > 0)('committed κ equals a fresh fit on every shared family', () => {
    const fit = calibrate(points, 0.95);
    if (process.env.DAREKIT_WRITE_CALIBRATION === '1') {
      writeFileSync(new URL('../../src/predict/calibration.ts', import.meta.url), renderCalibrationModule(fit, COMMAND));
      console.log(JSON.stringify(fit, null, 1));
    }
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
