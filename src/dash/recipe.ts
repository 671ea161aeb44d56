// The recommended merge recipe: chosen from the predictions, rendered as mergekit YAML, written on `m`.
import { writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runtimeError } from '../errors.js';
import type { DashModel, DashRecipe, DashboardData } from './model.js';

/** File name of the recipe inside the analysis dir. */
export const RECIPE_FILE = 'recipe.yml';

/** Method written when the predictor's set method is 'none' (do not merge): the recipe darekit would use anyway. */
export const FALLBACK_METHOD = 'dare_ties';

/**
 * The recipe for the set: every fine-tune not judged not-ready, weight 1 each (DARE's task-arithmetic sum), at its
 * recommended density. When every fine-tune is not-ready all are kept, so the YAML is still a valid starting point.
 */
export function buildRecipe(dir: string, base: string, setMethod: string, models: readonly DashModel[]): DashRecipe {
  const notes: string[] = [];
  let method = setMethod;
  if (setMethod === 'none') {
    method = FALLBACK_METHOD;
    notes.push(`the predictor advises not to merge this set; this ${method} recipe is what darekit would use anyway`);
  }
  const usable = models.filter((m) => m.verdict !== 'not-ready');
  const chosen = usable.length > 0 ? usable : models;
  const excluded = models
    .filter((m) => !chosen.includes(m))
    .map((m) => ({ name: m.name, why: `verdict not-ready (${m.kind})` }));
  const recipePath = join(dir, RECIPE_FILE);
  return {
    method,
    baseModel: base,
    models: chosen.map((m) => ({ name: m.name, path: m.path, weight: 1, density: roundDensity(m.recommendedDensity) })),
    excluded,
    notes,
    recipePath,
    command: `darekit merge ${shellQuote(recipePath)} --out ${shellQuote(join(dir, 'merged'))}`,
  };
}

/** Densities are shown and written with 2 decimals, clamped to (0, 1]. */
function roundDensity(d: number): number {
  if (!Number.isFinite(d)) return 1;
  return Math.min(1, Math.max(0.01, Math.round(d * 100) / 100));
}

/** Quote a path for a POSIX shell only when it needs it. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The recipe as mergekit-compatible YAML (merge_method, base_model, models with weight/density), with a comment header. */
export function recipeYaml(data: DashboardData): string {
  const r = data.recipe;
  const doc = {
    merge_method: r.method,
    base_model: r.baseModel,
    models: r.models.map((m) => ({ model: m.path, parameters: { weight: m.weight, density: m.density } })),
  };
  const header = [
    `# darekit recipe from ${data.dir} (tolerance ${data.tolerance}); set verdict: ${data.set.verdict}`,
    ...r.notes.map((n) => `# ${n}`),
    ...r.excluded.map((e) => `# left out: ${e.name} — ${e.why}`),
    `# run: ${r.command}`,
  ];
  return header.join('\n') + '\n' + stringify(doc);
}

/** Write the recipe YAML atomically to data.recipe.recipePath and return the path. */
export async function writeRecipe(data: DashboardData): Promise<string> {
  const path = data.recipe.recipePath;
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, recipeYaml(data), 'utf8');
    await rename(tmp, path);
  } catch (err) {
    throw runtimeError(`${path}: cannot write the recipe (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  return path;
}
