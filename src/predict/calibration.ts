import type { ErrorModelConstants } from './constants.js';
export const CALIBRATION: ErrorModelConstants = {
  tolerance: 0.95,
  rExponent: -2,
  referenceWidth: 96,
  widthRange: [76, 137],
  task: { intercept: -5, widthExponent: 1, residualLow: -1, residualHigh: 1, points: 0 },
  corpus: { intercept: -5, widthExponent: 1, residualLow: -1, residualHigh: 1, points: 0 },
};
export const CALIBRATION_POINTS = 0;
