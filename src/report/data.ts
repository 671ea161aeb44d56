import type { HistogramBin } from './svg/histogram.js';
import type { ProbeRow } from '../store/probe-table.js';
import type { TrialRecord } from '../tune/trials.js';

/** One fine-tune as the report shows it: its prediction and headline delta statistics. */
export interface ReportModel {
  model: string;
  path: string;
  kind: string;
  verdict: string;
  reasons: string[];
  recommendedDropRate: number;
  recommendedDensity: number;
  /** The weights' own point prediction of the safe drop rate (also when a measurement replaced it), and the probe's measured one (null when not probed). */
  fromWeightsDropRate: number;
  measuredDropRate: number | null;
  /** Point prediction and range of the safe drop rate; basis 'predicted' or 'measured'. */
  predictedDropRate: number;
  dropRateLow: number;
  dropRateHigh: number;
  basis: string;
  reasonCodes: string[];
  reasonDetails: { code: string; text: string; numbers: Record<string, number> }[];
  /** The riskiest tensors (those tolerating the least DARE noise by their own r and fan-in, least first). */
  riskiestTensors: { tensor: string; safeDropRate: number; errorAtRecommended: number }[];
  rho: number;
  meanAbsDelta: number;
  maxAbsDelta: number;
  deltaL2: number;
  fracLe0005: number;
  droppableShare: number;
  numel: number;
}

/** Per fine-tune × layer: relative delta energy and the predicted safe drop rate (NaN when not predicted). */
export interface ReportLayer {
  model: string;
  /** null = everything outside the numbered blocks (embeddings, final norm, lm_head). */
  layer: number | null;
  rho: number;
  safeDropRate: number;
}

/** Model-scope interference between two fine-tunes. */
export interface ReportPair {
  a: string;
  b: string;
  cosine: number;
  signConflict: number;
  weightedConflict: number;
}

/** Everything a report shows, gathered by loadReportData from the analysis dir's DuckDB tables. */
export interface ReportData {
  dir: string;
  base: string;
  tolerance: number;
  set: {
    verdict: string;
    reasons: string[];
    method: string;
    mergeMethod: string;
    normalize: boolean;
    models: { model: string; weight: number; density: number }[];
    reasonCodes: string[];
  } | null;
  models: ReportModel[];
  layers: ReportLayer[];
  pairs: ReportPair[];
  histograms: { model: string; bins: HistogramBin[] }[];
  trials: TrialRecord[];
  /** What `darekit probe --out` measured: one row per fine-tune and drop rate ([] when nothing was probed). */
  probe: ProbeRow[];
  /** The tune recipe (YAML text) when one was written into the analysis dir. */
  recipe: string | null;
}

/** Units and definitions for every number the report prints (shown in all three formats). */
export const DEFINITIONS: { term: string; unit: string; definition: string }[] = [
  {
    term: 'verdict',
    unit: 'ready / caution / not-ready',
    definition: "darekit's readiness call for a DARE merge of this fine-tune (or of the whole set), with the reasons that led to it.",
  },
  {
    term: 'kind',
    unit: 'sft / cpt',
    definition:
      'sft: a small, redundant supervised-fine-tuning delta; cpt: a large, dense continued-pretraining-like delta that DARE breaks.',
  },
  {
    term: 'safe drop rate p',
    unit: 'fraction of delta entries, 0–1',
    definition:
      "largest DARE drop rate predicted to keep at least the tolerance share of the fine-tune's gain: the conservative end of the predicted range (or the probe's measured rate).",
  },
  {
    term: 'range',
    unit: 'drop rates, 0–1',
    definition: "the predicted safe drop rate's interval, from the calibration's leave-one-model-out residuals.",
  },
  {
    term: 'riskiest tensors',
    unit: 'tensor names',
    definition:
      "the (up to 3) tensors that tolerate the least DARE noise by their own relative delta norm and fan-in, and less than the model's blocks as a whole; least tolerant first.",
  },
  { term: 'density d', unit: 'fraction kept, 0–1', definition: "d = 1 − p: the share of delta entries DARE keeps (mergekit's `density`)." },
  {
    term: 'tolerance',
    unit: 'share of gain kept, 0–1',
    definition: "the share of the fine-tune's gain (score over the base) a merge must keep; 0.95 by default.",
  },
  {
    term: 'ρ (relative delta energy)',
    unit: 'dimensionless ratio',
    definition: 'ρ = ‖Δ‖² / ‖W_base‖², with Δ = W_ft − W_base, summed over the scope (tensor, layer, model).',
  },
  {
    term: 'mean |Δ|, max |Δ|',
    unit: 'weight units (same as the checkpoint values)',
    definition: 'mean and maximum absolute difference between fine-tune and base weights.',
  },
  { term: '‖Δ‖', unit: 'weight units', definition: 'Euclidean (L2) norm of the whole delta.' },
  {
    term: 'share |Δ| ≤ 0.005',
    unit: 'fraction of entries',
    definition: 'share of delta entries within the DARE paper\'s "DARE works well" range.',
  },
  {
    term: 'droppable share',
    unit: 'fraction of entries',
    definition: 'share of entries, smallest |Δ| first, that together carry ≤ 1% of ‖Δ‖².',
  },
  { term: 'cosine', unit: '−1 to 1', definition: "cosine similarity of two fine-tunes' deltas over all tensors: Σ ΔaΔb / (‖Δa‖‖Δb‖)." },
  {
    term: 'sign conflict',
    unit: 'fraction of entries, 0–1',
    definition: 'among entries where both deltas are non-zero, the share with opposite signs (0.5 = unrelated).',
  },
  {
    term: 'weighted conflict',
    unit: 'fraction of magnitude, 0–1',
    definition: 'Σ over conflicting entries of min(|Δa|,|Δb|) / the same sum over all entries where both are non-zero.',
  },
  {
    term: '|Δ| histogram',
    unit: 'share of entries per log-spaced bin',
    definition: "distribution of absolute delta values, from the analyzer's log-binned histogram.",
  },
  {
    term: 'measured / predicted',
    unit: 'basis of the safe drop rate',
    definition:
      "measured: the largest drop rate of the probe's grid whose retained share ≥ tolerance (darekit probe, forward passes on the fine-tune's examples); predicted: from weight statistics. A measured rate always wins.",
  },
  {
    term: 'retained (probe)',
    unit: 'share of the gain, 0–1',
    definition:
      '(score_p − score_base)/(score_ft − score_base): score is exact match (prompt/completion examples) or minus the mean loss (text), score_p averaged over mask seeds; interval: bootstrap over examples.',
  },
  {
    term: 'trial score',
    unit: "the eval command's units (higher is better)",
    definition: 'the last number the --eval command printed on stdout (or its --eval-json key) for that candidate merge.',
  },
];
