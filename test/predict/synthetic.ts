// Synthetic model families with a known construction, analysed by the float64 reference: a base, SFT-like
// deltas (small, sparse in the embedding), CPT-like deltas (large, dense everywhere), and a hot layer.
import type { AnalysisResult } from '../../src/schema/analysis.js';
import { referenceAnalysisOfArrays, type ArrayModel, type ArrayTensor } from './reference-analysis.js';

import { rng } from '../helpers/rng.js';

export { rng };

/** A seeded standard normal generator (Box–Muller). */
export function gauss(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const H = 32;
const FF = 64;
const VOCAB = 128;
export const LAYERS = 3;

/** Tensor names and shapes of the synthetic Llama-style model. */
export function synthNames(): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [{ name: 'model.embed_tokens.weight', shape: [VOCAB, H] }];
  for (let l = 0; l < LAYERS; l++) {
    for (const m of ['q', 'k', 'v', 'o']) out.push({ name: `model.layers.${l}.self_attn.${m}_proj.weight`, shape: [H, H] });
    out.push({ name: `model.layers.${l}.mlp.gate_proj.weight`, shape: [FF, H] });
    out.push({ name: `model.layers.${l}.mlp.up_proj.weight`, shape: [FF, H] });
    out.push({ name: `model.layers.${l}.mlp.down_proj.weight`, shape: [H, FF] });
    out.push({ name: `model.layers.${l}.input_layernorm.weight`, shape: [H] });
  }
  out.push({ name: 'model.norm.weight', shape: [H] }, { name: 'lm_head.weight', shape: [VOCAB, H] });
  return out;
}

/** The base: Gaussian weights (std 0.05 in the blocks, 0.5 in the embedding), norms at 0.3. */
export function synthBase(seed = 1): ArrayTensor[] {
  const g = gauss(seed);
  return synthNames().map(({ name, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float64Array(n);
    const std = name.includes('embed') ? 0.5 : 0.05;
    for (let i = 0; i < n; i++) data[i] = name.includes('norm') ? 0.3 : std * g();
    return { name, shape, dtype: 'F32', data };
  });
}

/** How to build a fine-tune's delta. */
export interface DeltaSpec {
  /** Relative delta norm of each block tensor (Δ std = r · W std). */
  blockR: number;
  /** Embedding rows touched (SFT: a few; CPT: all) and their relative delta norm. */
  embeddingRows: number;
  embeddingR: number;
  /** Multiply the deltas of this layer by hotFactor. */
  hotLayer?: number;
  hotFactor?: number;
  seed: number;
}

/** A fine-tune = base + a Gaussian delta built from spec (scaled by `scale` together with the base). */
export function synthFinetune(model: string, base: ArrayTensor[], spec: DeltaSpec): ArrayModel {
  const g = gauss(spec.seed);
  const tensors = new Map<string, Float64Array>();
  for (const t of base) {
    const d = new Float64Array(t.data.length);
    if (t.name.includes('embed')) {
      const cols = t.shape[1]!;
      for (let row = 0; row < spec.embeddingRows; row++) for (let c = 0; c < cols; c++) d[row * cols + c] = spec.embeddingR * 0.5 * g();
    } else if (!t.name.includes('norm')) {
      const layer = /layers\.(\d+)\./.exec(t.name);
      const hot = layer !== null && Number(layer[1]) === spec.hotLayer ? (spec.hotFactor ?? 1) : 1;
      for (let i = 0; i < d.length; i++) d[i] = spec.blockR * hot * 0.05 * g();
    }
    tensors.set(
      t.name,
      t.data.map((w, i) => w + d[i]!),
    );
  }
  return { model, path: `/synthetic/${model}`, tensors };
}

/** SFT-like: r = 0.1 in the blocks, 4 of 128 embedding rows touched. */
export const SFT_SPEC: DeltaSpec = { blockR: 0.1, embeddingRows: 4, embeddingR: 0.05, seed: 11 };
/** CPT-like: r = 0.4 everywhere, every embedding row moved. */
export const CPT_SPEC: DeltaSpec = { blockR: 0.4, embeddingRows: VOCAB, embeddingR: 0.12, seed: 12 };

/** Analyse a base and fine-tunes built from specs (optionally with base and deltas scaled by c). */
export function synthAnalysis(specs: Record<string, DeltaSpec>, scale = 1, baseSeed = 1): AnalysisResult {
  const base = synthBase(baseSeed);
  const fts = Object.entries(specs).map(([m, s]) => synthFinetune(m, base, s));
  if (scale !== 1) {
    for (const t of base) t.data = t.data.map((x) => x * scale);
    for (const f of fts)
      for (const [k, v] of f.tensors)
        f.tensors.set(
          k,
          v.map((x) => x * scale),
        );
  }
  return referenceAnalysisOfArrays('/synthetic/base', base, fts);
}
