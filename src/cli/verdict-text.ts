import type { Recipe } from '../schema/recipe.js';
import { formatTable, wrapText } from './text.js';

/** What the set-verdict lines need: the verdict, its method, how many reasons there are, and the one to show. */
export interface SetVerdictView {
  verdict: string;
  method: string;
  reasonCount: number;
  /** The reason that decides the verdict, shown in full (wrapped). */
  headline: string;
}

/**
 * The set's verdict for a terminal: one short line, the deciding reason wrapped to `width`, and how many more
 * reasons there are and where to read them (--json prints every reason in full).
 */
export function setVerdictLines(label: string, v: SetVerdictView, width: number, indent = ''): string[] {
  const lines = [`${indent}${label}: ${v.verdict} (method ${v.method})`];
  if (v.headline)
    lines.push(...wrapText(v.headline, width - indent.length - 2, `${indent}    `).map((l, i) => (i === 0 ? `${indent}  ${l}` : l)));
  const more = v.reasonCount - (v.headline ? 1 : 0);
  if (more > 0) lines.push(`${indent}  + ${more} more reason${more === 1 ? '' : 's'} (all of them in full: --json, or the report)`);
  return lines;
}

/**
 * The fine-tunes a set verdict says will lose their skill in the merge: those a reason names first with the
 * predictor's per-model loss wording ("sft-up keeps 95% of its gain only while …", or "sft-up is predicted to lose
 * its skill: …"). Listed in `models` order. (Once set reasons carry codes, this is the models of the loss reasons.)
 */
export function modelsPredictedToLoseSkill(reasons: readonly string[], models: readonly string[]): string[] {
  return models.filter((m) => reasons.some((r) => r.startsWith(`${m} keeps `) || r.startsWith(`${m} is predicted to lose`)));
}

/** A recipe's models as a table: weight, density and the per-layer density rules of each fine-tune. */
export function recipeTable(recipe: Recipe, indent: string): string[] {
  return formatTable(
    ['fine-tune', { head: 'weight', align: 'right' }, { head: 'density', align: 'right' }, 'per layer'],
    recipe.models.map((m) => [
      m.model,
      String(m.weight),
      String(m.density.value),
      m.density.rules.map((q) => `${q.filter} ${q.value}`).join(', ') || '–',
    ]),
    indent,
  );
}
