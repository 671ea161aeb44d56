import type { ModelPrediction, Predictions } from '../predict/types.js';
import { MATERIAL_SIGN_CONFLICT } from '../predict/thresholds.js';

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

/** Options of buildRecipe. */
export interface RecipeOptions {
  seed: number;
  /** Per-layer densities are written as filter rules when the layers' densities span at least this much. */
  layerSpread?: number;
  /** Tensor names of the analysis, to check that each layer filter matches exactly that layer's tensors. */
  tensorNames?: { name: string; layer: number | null }[];
}

/** Density a CPT-like delta gets under magnitude-based trimming (TIES keeps its largest entries, not a random share). */
export const CPT_TIES_DENSITY = 0.9;

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Choose the method for a set of predictions: ties for CPT-like deltas, dare_ties on material sign conflict, else dare_linear. */
export function chooseMethod(pred: Predictions): { method: TuneMethod; why: string } {
  const cpt = pred.models.filter((m) => m.kind === 'cpt');
  if (cpt.length > 0) {
    return {
      method: 'ties',
      why: `method ties (magnitude-based trim), not DARE: ${cpt.map((m) => m.model).join(', ')} ${cpt.length > 1 ? 'are' : 'is'} CPT-like, and DARE's random drop breaks such deltas`,
    };
  }
  const worst = pred.pairs.reduce<Predictions['pairs'][number] | null>((a, p) => (a === null || p.signConflict > a.signConflict ? p : a), null);
  if (worst && worst.signConflict >= MATERIAL_SIGN_CONFLICT) {
    return {
      method: 'dare_ties',
      why: `method dare_ties: sign conflict ${worst.signConflict.toFixed(3)} between ${worst.a} and ${worst.b} (share of entries, both non-zero, with opposite signs) is material (≥ ${MATERIAL_SIGN_CONFLICT}), so signs are elected per entry`,
    };
  }
  return {
    method: 'dare_linear',
    why: worst
      ? `method dare_linear: max sign conflict ${worst.signConflict.toFixed(3)} is below ${MATERIAL_SIGN_CONFLICT}, so no sign election is needed`
      : 'method dare_linear: a single fine-tune has no sign conflicts to resolve',
  };
}

/** The filter that selects layer L's tensors by substring, as mergekit matches filters. */
export function layerFilter(layer: number): string {
  return `layers.${layer}.`;
}

function filterMatchesExactly(filter: string, layer: number, names: { name: string; layer: number | null }[] | undefined): boolean {
  if (!names) return true;
  return names.every((t) => t.name.includes(filter) === (t.layer === layer));
}

function densityFor(m: ModelPrediction, method: TuneMethod, tolerance: number, opts: RecipeOptions): DensitySpec {
  if (method === 'ties' && m.kind === 'cpt') {
    const d = Math.max(CPT_TIES_DENSITY, round2(m.recommendedDensity));
    return { value: d, rules: [], note: `density ${d}: CPT-like delta, magnitude trim keeping its largest ${Math.round(d * 100)}% of entries (predicted safe random drop rate was ${m.recommendedDropRate})` };
  }
  const value = round2(m.recommendedDensity);
  const note = `density ${value} = 1 − safe drop rate ${m.recommendedDropRate} predicted at tolerance ${tolerance} (keeps ≥ ${Math.round(tolerance * 100)}% of the gain; block r = √ρ = ${m.blockRelativeNorm.toFixed(3)})`;
  const blocks = m.layers.filter((l): l is typeof l & { layer: number } => l.layer !== null);
  const dens = blocks.map((l) => round2(1 - l.safeDropRate));
  const spread = dens.length ? Math.max(...dens) - Math.min(...dens) : 0;
  if (blocks.length < 2 || spread < (opts.layerSpread ?? 0.1) - 1e-9) return { value, rules: [], note };
  if (!blocks.every((l) => filterMatchesExactly(layerFilter(l.layer), l.layer, opts.tensorNames))) return { value, rules: [], note: `${note}; per-layer values not written: layer filters would not match tensor names exactly` };
  return {
    value,
    rules: blocks.map((l, i) => ({
      filter: layerFilter(l.layer),
      value: dens[i]!,
      note: `layer ${l.layer}: 1 − safe drop rate ${l.safeDropRate} for this layer (ρ = ${l.rho.toExponential(2)}${l.hot ? ', hot layer' : ''})`,
    })),
    note: `${note}; layers differ by ${spread.toFixed(2)} in density, so each block gets its own value and other tensors (embeddings, norms, lm_head) this one`,
  };
}

/** The reason behind a set verdict (low redundancy first), not the method choice that usually comes first. */
export function verdictReason(set: Predictions['set']): string {
  return (
    set.reasons.find((r) => r.startsWith('low redundancy')) ??
    set.reasons.find((r) => !/^(sign conflict|merge at|if merged anyway|CPT-like delta in the set)/.test(r)) ??
    set.reasons[0] ??
    ''
  );
}

/** Build the data-free recipe from predictions (pure): method, per-model (per-layer) density, weights. */
export function buildRecipe(pred: Predictions, opts: RecipeOptions): Recipe {
  const { method, why } = chooseMethod(pred);
  const notes = [why];
  if (pred.set.verdict !== 'ready') {
    const because = verdictReason(pred.set);
    notes.push(`the predictor's verdict on merging this set is ${pred.set.verdict}: ${because}`);
  }
  if (pred.set.method === 'none') notes.push('the predictor advises not to merge this set (see the reasons in the report); the recipe is what darekit would use if merged anyway');
  const models = pred.models.map((m) => {
    const density = densityFor(m, method, pred.tolerance, opts);
    return {
      model: m.model,
      path: m.path,
      weight: 1,
      density,
      notes: [`${m.model}: kind ${m.kind}, verdict ${m.verdict}`, density.note, 'weight 1: its delta is added in full (no normalization), as in the DARE paper'],
    };
  });
  return { method, base: pred.base, models, seed: opts.seed, tolerance: pred.tolerance, notes };
}

/** A copy of the recipe with every density multiplied by `scale` (clamped to [0.05, 1]) and the given weights. */
export function scaledRecipe(r: Recipe, scale: number, weights: Record<string, number>): Recipe {
  const clamp = (d: number) => Math.min(1, Math.max(0.05, Math.round(d * scale * 1e4) / 1e4));
  return {
    ...r,
    models: r.models.map((m) => ({
      ...m,
      weight: weights[m.model] ?? m.weight,
      density: { ...m.density, value: clamp(m.density.value), rules: m.density.rules.map((q) => ({ ...q, value: clamp(q.value) })) },
    })),
  };
}
