// Synthetic DashboardData for UI tests and the dash benchmark: deterministic, any number of layers, a hot layer and a CPT-like model.
import { join } from 'node:path';
import type { DashboardData, DashModel, DashRow } from './model.js';
import { dashRecipe } from './recipe.js';
import type { Recipe } from '../schema/recipe.js';
import { mulberry32 } from '../fixtures/prng.js';

// nine tensors per layer, as in a Llama-style block (the norms are 1-D but get rows like any other tensor)
const MODULES = [
  'input_layernorm',
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.o_proj',
  'mlp.gate_proj',
  'mlp.up_proj',
  'mlp.down_proj',
  'post_attention_layernorm',
];

const rng = mulberry32;

function row(label: string, layer: number | null, rho: number, p: number): DashRow {
  return {
    label,
    layer,
    rho,
    meanAbsDelta: Math.sqrt(rho) * 0.016,
    safeDropRate: 0,
    predictedError: Math.sqrt((p / (1 - p)) * rho),
    risky: false,
  };
}

function model(
  root: string,
  name: string,
  kind: 'sft' | 'cpt',
  baseRho: number,
  layers: number,
  hot: number,
  rand: () => number,
): DashModel {
  const p = kind === 'cpt' ? 0.1 : 0.5;
  const layerRows: DashRow[] = [];
  const tensorRows: DashRow[] = [];
  for (let l = 0; l < layers; l++) {
    const rho = baseRho * (0.5 + rand()) * (l === hot ? 12 : 1);
    const r = row(`L${l}`, l, rho, p);
    r.safeDropRate = Math.max(0.05, Math.min(0.95, 0.9 - Math.sqrt(rho) * 8));
    layerRows.push(r);
    for (const m of MODULES) {
      const t = row(`model.layers.${l}.${m}.weight`, l, rho * (0.6 + 0.8 * rand()), p);
      t.safeDropRate = r.safeDropRate;
      tensorRows.push(t);
    }
  }
  const other = row('other', null, baseRho * 0.3, p);
  other.safeDropRate = 0.9;
  layerRows.push(other);
  tensorRows.unshift({ ...other, label: 'model.embed_tokens.weight' });
  tensorRows.push({ ...other, label: 'model.norm.weight' }, { ...other, label: 'lm_head.weight' });
  const byErr = layerRows.slice().sort((a, b) => b.predictedError - a.predictedError);
  for (const r of byErr.slice(0, Math.max(1, Math.round(layers * 0.05)))) r.risky = true;
  const verdict = kind === 'cpt' ? 'not-ready' : baseRho > 3e-4 ? 'caution' : 'ready';
  return {
    name,
    path: join(root, name),
    kind,
    verdict,
    reasons:
      kind === 'cpt' ? ['dense large delta (ρ 2e-2) across every layer: continued pre-training'] : [`ρ ${baseRho} small and concentrated`],
    recommendedDropRate: p,
    recommendedDensity: 1 - p,
    rho: baseRho,
    meanAbsDelta: Math.sqrt(baseRho) * 0.016,
    layers: layerRows,
    tensors: tensorRows,
  };
}

/**
 * Synthetic dashboard data: `layers` layers, models sft-a (ready), sft-hot (caution, hot last-but-one layer), cpt
 * (not ready); model paths are root/<name> and root/base.
 */
export function syntheticDashboard(layers: number, dir = '/tmp/darekit-dash-synthetic', root = '/models', seed = 7): DashboardData {
  const rand = rng(seed);
  const base = join(root, 'base');
  const models = [
    model(root, 'sft-a', 'sft', 3e-4, layers, Math.floor(layers / 3), rand),
    model(root, 'sft-hot', 'sft', 4e-4, layers, Math.max(0, layers - 2), rand),
    model(root, 'cpt', 'cpt', 2e-2, layers, 0, rand),
  ];
  const pairs = [
    { a: 'sft-a', b: 'sft-hot', cosine: 0.012, signConflict: 0.49 },
    { a: 'sft-a', b: 'cpt', cosine: -0.003, signConflict: 0.5 },
    { a: 'sft-hot', b: 'cpt', cosine: 0.021, signConflict: 0.48 },
  ];
  const method = 'ties';
  // what tune's buildRecipe makes of such a set: ties (a CPT-like model is present), every model at weight 1
  const recipe: Recipe = {
    method,
    base,
    seed: 0,
    tolerance: 0.95,
    notes: ['method ties (magnitude-based trim), not DARE: cpt is CPT-like'],
    models: models.map((m) => ({
      model: m.name,
      path: m.path,
      weight: 1,
      density: { value: m.kind === 'cpt' ? 0.9 : m.recommendedDensity, rules: [], note: `density for ${m.name}` },
      notes: [`${m.name}: kind ${m.kind}`],
    })),
  };
  return {
    dir,
    base,
    tolerance: 0.95,
    set: { verdict: 'caution', reasons: ['cpt is not ready for DARE; merge the SFT models only'], method },
    models,
    pairs,
    recipe: dashRecipe(dir, recipe),
  };
}
