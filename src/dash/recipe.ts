// The recommended merge recipe: tune's recipe from the predictions, shown in the dashboard and written on `m`.
import { writeFile, rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { cliCommand, displayPath, shellWord } from '../invocation.js';
import { runtimeError } from '../errors.js';
import type { Recipe } from '../schema/recipe.js';
import { recipeToYaml } from '../schema/recipe-yaml.js';
import type { DashRecipe, DashboardData } from './model.js';

/** File name of the recipe inside the analysis dir. */
export const RECIPE_FILE = 'recipe.yml';
/** tune's default tolerance: the tune command names --tolerance only when the dashboard uses another. */
const DEFAULT_TOLERANCE = 0.95;

/** Quote a path for a POSIX shell only when it needs it. */
export const shellQuote = shellWord;

/**
 * Where the suggested merge goes: beside the analysis dir, never inside it — `analysis` → `merged`, `X-analysis` →
 * `X` (tune's own naming), else `X-merged`.
 */
export function mergedPathFor(dir: string): string {
  const abs = resolve(dir);
  const name = basename(abs);
  const stem =
    name === 'analysis'
      ? 'merged'
      : name.endsWith('-analysis') && name.length > '-analysis'.length
        ? name.slice(0, -'-analysis'.length)
        : `${name}-merged`;
  return join(dirname(abs), stem);
}

/** The dashboard's view of a tune recipe: method, per-model weight and density, and the commands that run it. */
export function dashRecipe(dir: string, recipe: Recipe, cwd: string = process.cwd()): DashRecipe {
  const recipePath = join(dir, RECIPE_FILE);
  const mergedPath = mergedPathFor(dir);
  const cli = cliCommand(cwd);
  const shown = (p: string) => shellWord(displayPath(p, cwd));
  const tolerance = recipe.tolerance === DEFAULT_TOLERANCE ? '' : ` --tolerance ${recipe.tolerance}`;
  return {
    method: recipe.method,
    baseModel: recipe.base,
    models: recipe.models.map((m) => ({
      name: m.model,
      path: m.path,
      weight: m.weight,
      density: m.density.value,
      layerRules: m.density.rules.length,
    })),
    notes: recipe.notes,
    recipePath,
    mergedPath,
    command: `${cli} merge ${shown(recipePath)} --out ${shown(mergedPath)}`,
    tuneCommand: `${cli} tune --analysis ${shown(dir)} --out ${shown(mergedPath)}${tolerance}`,
    source: recipe,
  };
}

/** The recipe as commented mergekit-compatible YAML (merge_method, base_model, models with weight/density, seed). */
export function recipeYaml(data: DashboardData): string {
  return recipeToYaml(data.recipe.source, [
    `written by darekit dash from ${data.dir} · tolerance ${data.tolerance} · set verdict ${data.set.verdict}`,
    `run: darekit merge ${shellWord(resolve(data.recipe.recipePath))} --out ${shellWord(data.recipe.mergedPath)}`,
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
