// A merge recipe as data: decided by app/ (from the predictions, via tune), shown by the dashboard and the report,
// written as mergekit YAML. A part of its own so that its readers need not import tune.

/** The merge methods tune chooses between. */
export type TuneMethod = 'dare_ties' | 'dare_linear' | 'ties';

/** A density that may differ per layer: `{filter, value}` rules (first match wins) ending in a default. */
export interface DensitySpec {
  /** Density for tensors no rule matches (and the whole model when there are no rules). */
  value: number;
  rules: { filter: string; value: number; note: string }[];
  /** Where `value` came from, in words. */
  note: string;
}

/** One fine-tune's entry in a recipe. */
export interface RecipeModel {
  model: string;
  path: string;
  weight: number;
  density: DensitySpec;
  /** Why this model is merged this way (kind, verdict, the numbers behind its density). */
  notes: string[];
}

/** A merge recipe: everything needed to write mergekit YAML and to explain each number in it. */
export interface Recipe {
  method: TuneMethod;
  base: string;
  models: RecipeModel[];
  seed: number;
  tolerance: number;
  /** Why this method, and any warnings (CPT fallback, the predictor's set verdict). */
  notes: string[];
}
