import { stringify as stringifyYaml } from 'yaml';
import type { MergeConfig } from './config.js';
import { METHODS } from './methods.js';
import { paramLeaves } from './params.js';
import { DAREKIT_VERSION } from '../version.js';

/** A readiness verdict to print in the model card (from analyze/predict, e.g. passed in by tune). */
export interface CardVerdict {
  verdict: string;
  reasons?: string[];
}

/**
 * The README.md of a merged model: Hugging Face front matter (base_model, tags, library_name) and a body with
 * the models and parameters, the seed, the darekit version, the readiness verdict when known, and the recipe.
 */
export function modelCard(cfg: MergeConfig, recipe: string, verdict?: CardVerdict): string {
  const front: Record<string, unknown> = {};
  const baseModels = cfg.baseSpec !== undefined ? [cfg.baseSpec] : cfg.models.map((m) => m.spec);
  front.base_model = baseModels.length === 1 ? baseModels[0] : baseModels;
  front.tags = ['merge', 'darekit', cfg.method];
  front.library_name = 'transformers';
  const lines: string[] = ['---', stringifyYaml(front).trimEnd(), '---', '', '# Merged model', ''];
  lines.push(`Merged with darekit ${DAREKIT_VERSION} using **${cfg.method}** (${METHODS[cfg.method].summary}), seed ${cfg.seed}.`);
  lines.push('The DARE/DELLA masks are a pure function of (seed, model position, tensor name, element index): the same recipe and seed reproduce these weights byte for byte.', '');
  if (cfg.baseSpec !== undefined) lines.push(`- base model: \`${cfg.baseSpec}\``);
  cfg.models.forEach((m, i) => {
    const params = Object.entries(m.parameters).flatMap(([k, v]) => (v ? paramLeaves(v, k).map((l) => `${l.path}=${String(l.value)}`) : []));
    lines.push(`- model ${i}: \`${m.spec}\`${params.length > 0 ? ` (${params.join(', ')})` : ''}`);
  });
  const globals = Object.entries(cfg.parameters).flatMap(([k, v]) => (v ? paramLeaves(v, k).map((l) => `${l.path}=${String(l.value)}`) : []));
  if (globals.length > 0) lines.push(`- parameters: ${globals.join(', ')}`);
  lines.push('');
  if (verdict) {
    lines.push('## Merge readiness', '', `darekit's verdict before merging: **${verdict.verdict}**`);
    for (const r of verdict.reasons ?? []) lines.push(`- ${r}`);
    lines.push('');
  }
  lines.push('## Recipe', '', 'Also saved as `mergekit_config.yml`; run it again with `darekit merge mergekit_config.yml --out DIR`.', '', '```yaml', recipe.trimEnd(), '```', '');
  return lines.join('\n');
}
