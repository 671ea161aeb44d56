// The dashboard's view model: everything the ink UI and the text summary show, independent of how the analysis
// and the predictions are stored. Built by toDashboardData (adapter.ts) or synthetically in tests.
import type { Recipe } from '../schema/recipe.js';

/** darekit's classification of a fine-tune's delta. */
export type DeltaKind = 'sft' | 'cpt';

/** Readiness for a DARE merge. */
export type Verdict = 'ready' | 'caution' | 'not-ready';

/** One row of the per-layer (or, when filtering, per-tensor) table. */
export interface DashRow {
  /** What the first column shows: "L12", "other" (outside the numbered blocks) or a tensor name. */
  label: string;
  /** Block index; null for embeddings, final norm and lm_head. */
  layer: number | null;
  /** ρ = ‖Δ‖² / ‖W_base‖². */
  rho: number;
  meanAbsDelta: number;
  /** Largest DARE drop rate predicted to keep the tolerance share of the gain (NaN when not predicted). */
  safeDropRate: number;
  /** Predicted relative output error at the model's recommended drop rate (NaN when not predicted). */
  predictedError: number;
  /** Among the rows most at risk from the recommended drop rate. */
  risky: boolean;
}

/** One fine-tune with its prediction and its rows. */
export interface DashModel {
  name: string;
  path: string;
  kind: DeltaKind;
  verdict: Verdict;
  reasons: string[];
  recommendedDropRate: number;
  recommendedDensity: number;
  /** Where recommendedDropRate came from, and the predictor's own rate (set when darekit probe measured the model). */
  safeDropRateSource?: 'measured' | 'predicted';
  predictedDropRate?: number;
  rho: number;
  meanAbsDelta: number;
  /** Per-layer rows in depth order (the "other" rollup last). */
  layers: DashRow[];
  /** Per-tensor rows in file order (label = full tensor name), for the `/` filter. */
  tensors: DashRow[];
}

/** Model-scope interference between two fine-tunes. */
export interface DashPair {
  a: string;
  b: string;
  cosine: number;
  /** Share of entries (both non-zero) with opposite signs. */
  signConflict: number;
}

/** One model entry of the recommended merge recipe. */
export interface RecipeModel {
  name: string;
  path: string;
  weight: number;
  /** Model-level density (the value for tensors no per-layer rule matches). */
  density: number;
  /** Number of per-layer density rules (0: one density for the whole model). */
  layerRules: number;
}

/** The merge darekit recommends for the set (the same recipe `darekit tune` starts from), and how to run it. */
export interface DashRecipe {
  /** mergekit merge_method, e.g. dare_ties. */
  method: string;
  baseModel: string;
  models: RecipeModel[];
  /** Why this method, and caveats (e.g. the predictor advises not to merge at all). */
  notes: string[];
  /** Where `m` writes the recipe YAML. */
  recipePath: string;
  /** Where the suggested commands write the merged model: beside the analysis dir, never inside it. */
  mergedPath: string;
  /** The command that runs the recipe once `m` wrote it (paths as typed from the working dir). */
  command: string;
  /** A command that makes the same merge before any recipe file exists: tune on this analysis. */
  tuneCommand: string;
  /** The tune recipe behind this view: what `m` writes, as commented mergekit YAML. */
  source: Recipe;
}

/** Everything the dashboard shows. */
export interface DashboardData {
  /** The analysis dir (recipe.yml is written there). */
  dir: string;
  base: string;
  /** Share of each fine-tune's gain the predictions aim to keep. */
  tolerance: number;
  set: { verdict: Verdict; reasons: string[]; method: string };
  models: DashModel[];
  pairs: DashPair[];
  recipe: DashRecipe;
}
