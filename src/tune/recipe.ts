import { runtimeError } from '../errors.js';
import type { ModelPrediction, Predictions, SetModelDecision } from '../predict/types.js';
import type { DensitySpec, Recipe, TuneMethod } from '../schema/recipe.js';

export type { DensitySpec, Recipe, RecipeModel, TuneMethod } from '../schema/recipe.js';

/** Options of buildRecipe. */
export interface RecipeOptions {
  seed: number;
  /** Per-layer densities are written as filter rules when the layers' densities span at least this much. */
  layerSpread?: number;
  /** Tensor names of the analysis, to check that each layer filter matches exactly that layer's tensors. */
  tensorNames?: { name: string; layer: number | null }[];
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The method of the predictor's one merge decision (pred.set), with the reason it gives. */
export function chooseMethod(pred: Predictions): { method: TuneMethod; why: string } {
  const why = pred.set.reasonDetails.find((r) => r.code.startsWith('method-'));
  return { method: pred.set.mergeMethod, why: why?.text ?? `method ${pred.set.mergeMethod}` };
}

/** The filter that selects layer L's tensors by substring, as mergekit matches filters. */
export function layerFilter(layer: number): string {
  return `layers.${layer}.`;
}

function filterMatchesExactly(filter: string, layer: number, names: { name: string; layer: number | null }[] | undefined): boolean {
  if (!names) return true;
  return names.every((t) => t.name.includes(filter) === (t.layer === layer));
}

function densityFor(m: ModelPrediction, d: SetModelDecision, method: TuneMethod, opts: RecipeOptions): DensitySpec {
  const value = d.density;
  const note = d.notes[0]?.text ?? `density ${value}`;
  if (method === 'ties' && m.kind === 'cpt') return { value, rules: [], note };
  const blocks = m.layers.filter((l): l is typeof l & { layer: number } => l.layer !== null);
  const dens = blocks.map((l) => round2(1 - l.safeDropRate));
  const spread = dens.length ? Math.max(...dens) - Math.min(...dens) : 0;
  if (blocks.length < 2 || spread < (opts.layerSpread ?? 0.1) - 1e-9) return { value, rules: [], note };
  if (!blocks.every((l) => filterMatchesExactly(layerFilter(l.layer), l.layer, opts.tensorNames)))
    return { value, rules: [], note: `${note}; per-layer values not written: layer filters would not match tensor names exactly` };
  return {
    value,
    rules: blocks.map((l, i) => ({
      filter: layerFilter(l.layer),
      value: dens[i]!,
      note: `layer ${l.layer}: 1 − predicted safe drop rate ${l.safeDropRate} for this layer (conservative end) (ρ = ${l.rho.toExponential(2)}${l.hot ? ', hot layer' : ''})`,
    })),
    note: `${note}; layers differ by ${spread.toFixed(2)} in density, so each block gets its own value and other tensors (embeddings, norms, lm_head) this one`,
  };
}

/** The reason behind a set verdict (interference or a member's problem first), not the method choice. */
export function verdictReason(set: Predictions['set']): string {
  const pick = (codes: string[]) => set.reasonDetails.find((r) => codes.includes(r.code))?.text;
  return (
    pick(['interference']) ??
    pick(['member-not-ready']) ??
    set.reasonDetails.find((r) => !r.code.startsWith('method-') && r.code !== 'merge-densities' && r.code !== 'if-merged-anyway')?.text ??
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
  if (pred.set.method === 'none')
    notes.push(
      'the predictor advises not to merge this set (see the reasons in the report); the recipe is what darekit would use if merged anyway',
    );
  const models = pred.models.map((m) => {
    const d = pred.set.models.find((x) => x.model === m.model);
    if (!d) throw runtimeError(`internal: the merge decision has no entry for ${m.model}`);
    const density = densityFor(m, d, method, opts);
    return {
      model: m.model,
      path: m.path,
      weight: d.weight,
      density,
      notes: [`${m.model}: kind ${m.kind}, verdict ${m.verdict}`, density.note, ...d.notes.slice(1).map((r) => r.text)],
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
