// The shape of the error model's fitted constants (src/predict/calibration.ts holds the values).

/**
 * What kind of gain a delta carries, read from how it moved the input embeddings: a task (few token rows touched,
 * a heavy-tailed embedding Δ — SFT on a skill, scored by exact match, which falls off a cliff) or a corpus (every
 * row moved, a Gaussian-like embedding Δ — continued pre-training, scored by a loss that degrades smoothly).
 */
export type DeltaCharacter = 'task' | 'corpus';

/** The constants of one delta character: log x* = c + a·log r + β·log(n/n_ref), and its residual interval. */
export interface CharacterConstants {
  /** c and β of this character (a is shared: rExponent). */
  intercept: number;
  widthExponent: number;
  /** Leave-one-model-out residuals of the crossing drop rate (measured − predicted p*) of this character's points:
   * added to the point's p*, they give the interval. */
  residualLow: number;
  residualHigh: number;
  /** Calibration points of this character. */
  points: number;
}

/** The constants of the error model (what calibration fits). */
export interface ErrorModelConstants {
  /** Tolerance the constants were fitted at. */
  tolerance: number;
  /** a of log x* = c + a·log r + β·log(n/n_ref), shared by both characters. */
  rExponent: number;
  referenceWidth: number;
  /** Fan-in range of the calibration points (the width the fit has seen). */
  widthRange: [number, number];
  task: CharacterConstants;
  corpus: CharacterConstants;
}
