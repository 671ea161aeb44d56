// The shape of the error model's fitted constants (src/predict/calibration.ts holds the values).

/** The constants of the error model (what calibration fits). */
export interface ErrorModelConstants {
  /** Tolerance the constants were fitted at. */
  tolerance: number;
  /** c, a, β of log x* = c + a·log r + β·log(n/n_ref). */
  intercept: number;
  rExponent: number;
  widthExponent: number;
  referenceWidth: number;
  /** Fan-in range of the calibration points (the width the fit has seen). */
  widthRange: [number, number];
  /** Leave-one-model-out residuals of log x* (measured − predicted): their range gives the interval. */
  residualLow: number;
  residualHigh: number;
}
