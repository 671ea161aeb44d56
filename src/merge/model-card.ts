import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import type { MergeConfig } from './config.js';
import { METHODS, methodParams } from './methods.js';
import type { ParamValue } from './params.js';
import { DAREKIT_VERSION } from '../version.js';

/** A readiness verdict to print in the model card (from analyze/predict, e.g. passed in by tune). */
export interface CardVerdict {
  verdict: string;
  reasons?: string[];
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * What the Hub's `base_model:` field can hold for a local model dir: its repo id when known — the `models--org--name`
 * dir of a Hugging Face cache snapshot, else `_name_or_path` of its config.json when that is a repo id
 * (`org/name`) — and otherwise the dir's name (never an absolute local path, which the Hub refuses).
 */
export function hubBaseModel(path: string): string {
  const cached = /(?:^|[\\/])models--([^\\/]+?)--([^\\/]+)[\\/]snapshots[\\/]/.exec(path);
  if (cached) return `${cached[1]}/${cached[2]}`;
  try {
    const dir = statSync(path).isDirectory() ? path : dirname(path);
    const configPath = join(dir, 'config.json');
    if (existsSync(configPath)) {
      const named = (JSON.parse(readFileSync(configPath, 'utf8')) as { _name_or_path?: unknown })._name_or_path;
      if (typeof named === 'string' && HUB_ID.test(named)) return named;
    }
  } catch {
    // an unreadable config says nothing about the repo id; fall back to the name
  }
  return basename(path.replace(/[\\/]+$/, '')).replace(/\.safetensors$/, '');
}

/** A parameter in words: `density=0.6`, `weight=[0.2, 0.5] (gradient over layers)`, or per filter. */
export function describeParam(key: string, p: ParamValue): string {
  switch (p.kind) {
    case 'scalar':
      return `${key}=${String(p.value)}`;
    case 'gradient':
      return `${key}=[${p.values.join(', ')}] (gradient over layers)`;
    case 'filters':
      return `${key}: ${p.rules.map((r) => `${r.filter === undefined ? 'other tensors' : `"${r.filter}"`} → ${describeParam(key, r.value).slice(key.length + 1)}`).join(', ')}`;
  }
}

/** The method's parameters that the recipe leaves at their declared defaults, as `name=value`. */
export function methodDefaults(cfg: MergeConfig): string[] {
  const given = new Set([
    ...Object.keys(cfg.parameters),
    ...cfg.models.flatMap((m) => Object.keys(m.parameters)),
    ...(cfg.slices ?? []).flatMap((sl) => [...Object.keys(sl.parameters), ...sl.sources.flatMap((s) => Object.keys(s.parameters))]),
  ]);
  return methodParams(cfg.method)
    .filter((d) => !given.has(d.name) && d.default !== undefined)
    .map((d) => `${d.name}=${String(d.default)}`);
}

/**
 * The README.md of a merged model: Hugging Face front matter (base_model, tags, library_name) and a body with
 * the models and parameters, the seed, the darekit version, the readiness verdict when known, and the recipe.
 */
export function modelCard(cfg: MergeConfig, recipe: string, verdict?: CardVerdict): string {
  const front: Record<string, unknown> = {};
  const baseModels = (cfg.baseModel !== undefined ? [cfg.baseModel] : cfg.models.map((m) => m.path)).map(hubBaseModel);
  front.base_model = baseModels.length === 1 ? baseModels[0] : baseModels;
  front.tags = ['merge', 'darekit', cfg.method];
  front.library_name = 'transformers';
  const lines: string[] = ['---', stringifyYaml(front).trimEnd(), '---', '', '# Merged model', ''];
  lines.push(`Merged with darekit ${DAREKIT_VERSION} using **${cfg.method}** (${METHODS[cfg.method].summary}), seed ${cfg.seed}.`);
  lines.push(
    'The DARE/DELLA masks are a pure function of (seed, model position, tensor name, element index): the same recipe and seed reproduce these weights byte for byte.',
    '',
  );
  const params = (ps: Partial<Record<string, ParamValue>>): string[] =>
    Object.entries(ps).flatMap(([k, v]) => (v ? [describeParam(k, v)] : []));
  if (cfg.baseModel !== undefined)
    lines.push(`- base model: \`${cfg.baseSpec ?? cfg.baseModel}\`${cfg.baseSpec === cfg.baseModel ? '' : ` (\`${cfg.baseModel}\`)`}`);
  cfg.models.forEach((m, i) => {
    const ps = params(m.parameters);
    lines.push(`- model ${i}: \`${m.spec}\`${ps.length > 0 ? ` (${ps.join('; ')})` : ''}`);
  });
  const globals = params(cfg.parameters);
  if (globals.length > 0) lines.push(`- parameters: ${globals.join('; ')}`);
  const defaults = methodDefaults(cfg);
  if (defaults.length > 0) lines.push(`- defaults: ${defaults.join('; ')}`);
  lines.push('');
  if (verdict) {
    lines.push('## Merge readiness', '', `darekit's verdict before merging: **${verdict.verdict}**`);
    for (const r of verdict.reasons ?? []) lines.push(`- ${r}`);
    lines.push('');
  }
  lines.push(
    '## Recipe',
    '',
    'Also saved as `mergekit_config.yml`; run it again with `darekit merge mergekit_config.yml --out DIR`.',
    '',
    '```yaml',
    recipe.trimEnd(),
    '```',
    '',
  );
  return lines.join('\n');
}
