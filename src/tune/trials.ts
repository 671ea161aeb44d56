/** How one tuning trial ended. */
export type TrialStatus = 'ok' | 'failed' | 'timeout' | 'no-score' | 'merge-failed';

/** One candidate merge tried by `tune --eval` (trial 0 is the data-free recipe). */
export interface TrialRecord {
  trial: number;
  /** Multiplier applied to every model's recipe density (clamped to [0.05, 1]). */
  densityScale: number;
  /** Per fine-tune (by model name): weight and the resulting global density. */
  weights: Record<string, number>;
  densities: Record<string, number>;
  /** The eval command's score (higher is better); null when it failed. */
  score: number | null;
  seconds: number;
  status: TrialStatus;
  /** Last lines of the command's stderr (or the failure reason). */
  stderrTail: string;
  best: boolean;
}
