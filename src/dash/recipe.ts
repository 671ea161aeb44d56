// The recommended merge recipe: tune's recipe from the predictions, shown in the dashboard and written on `m`.
import { writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { runtimeError } from '../errors.js';
import type { Recipe } from '../tune/recipe.js';
import { recipeToYaml } from '../tune/recipe-yaml.js';
import type { DashRecipe, DashboardData } from './model.js';

/** File name of the recipe inside the analysis dir. */
export const RECIPE_FILE = 'recipe.yml';

/** Quote a path for a POSIX shell only when it needs it. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The dashboard's view of a tune recipe: method, per-model weight and density, and the command that runs it. */
export function dashRecipe(dir: string, recipe: Recipe): DashRecipe {
  const recipePath = join(dir, RECIPE_FILE);
  return {
    method: recipe.method,
    baseModel: recipe.base,
    models: recipe.models.map((m) => ({ name: m.model, path: m.path, weight: m.weight, density: m.density.value, layerRules: m.density.rules.length })),
    notes: recipe.notes,
    recipePath,
    command: `darekit merge ${shellQuote(recipePath)} --out ${shellQuote(join(dir, 'merged'))}`,
    source: recipe,
  };
}

/** The recipe as commented mergekit-compatible YAML (merge_method, base_model, models with weight/density, seed). */
export function recipeYaml(data: DashboardData): string {
  return recipeToYaml(data.recipe.source, [
    `written by darekit dash from ${data.dir} · tolerance ${data.tolerance} · set verdict ${data.set.verdict}`,
    `run: ${data.recipe.command}`,
  ]);
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
