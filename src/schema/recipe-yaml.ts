import type { DensitySpec, Recipe } from './recipe.js';

const q = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
// Every comment line break becomes a new `#` line, so no note can end a comment early and inject YAML.
const comment = (indent: string, text: string) => text.split(/\r\n|\r|\n/).map((l) => `${indent}# ${l}`);
const n = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

function densityLines(d: DensitySpec, indent: string): string[] {
  if (d.rules.length === 0) return [`${indent}density: ${n(d.value)}`];
  const out = [`${indent}density:`];
  for (const r of d.rules)
    out.push(...comment(`${indent}  `, r.note), `${indent}  - filter: ${q(r.filter)}`, `${indent}    value: ${n(r.value)}`);
  out.push(
    ...comment(`${indent}  `, 'every other tensor (embeddings, norms, lm_head): the model-level density'),
    `${indent}  - value: ${n(d.value)}`,
  );
  return out;
}

/**
 * The recipe as mergekit-compatible YAML with a comment on each number saying where it came from. `darekit merge`
 * reads it as is (same seed → byte-identical output); mergekit reads it too (it ignores `seed` and rescales by L1).
 */
export function recipeToYaml(r: Recipe, header: string[] = []): string {
  const lines: string[] = [
    '# darekit tune recipe.',
    '# Reproduce: darekit merge THIS_FILE --out DIR   (same seed → byte-identical output)',
    '#        or: mergekit-yaml THIS_FILE DIR        (mergekit has no mask seed and rescales DARE survivors by',
    '#            matching the L1 norm; darekit rescales by 1/density, as the DARE paper and the predictor do)',
    ...header.flatMap((h) => comment('', h)),
    ...r.notes.flatMap((s) => comment('', s)),
    `merge_method: ${r.method}`,
    `base_model: ${q(r.base)}`,
    'models:',
  ];
  for (const m of r.models) {
    lines.push(
      ...comment('  ', m.notes.join('\n')),
      `  - model: ${q(m.path)}`,
      '    parameters:',
      `      weight: ${n(m.weight)}`,
      ...densityLines(m.density, '      '),
    );
  }
  lines.push('# the DARE mask seed: masks are a pure function of (seed, model position, tensor name, element index)', `seed: ${r.seed}`);
  return lines.join('\n') + '\n';
}
