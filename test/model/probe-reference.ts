// A float64 reference of the probe's measurement, written independently of src/model: its own scalar Llama
// forward pass (Hugging Face LlamaForCausalLM semantics), its own byte-level tokenization of the examples, and
// teacher-forced exact match / loss. Only the weights' bytes (darekit's io) and the DARE mask function
// (darekit's masks, which the measurement is defined over) come from src.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropThreshold, maskHash, maskKey } from '../../src/kernel/reference/mask.js';
import { readWholeTensor } from '../helpers/read.js';

/** The config fields the reference uses. */
export interface RefConfig {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  inter: number;
  vocab: number;
  eps: number;
  theta: number;
  tied: boolean;
  bias: boolean;
}

/** Weights by HF tensor name, in float64. */
export type RefWeights = Map<string, Float64Array>;

/** Parse the fields of config.json the reference needs (HF defaults where absent). */
export function refConfig(dir: string): RefConfig {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const n = (k: string, d?: number): number => (typeof c[k] === 'number' ? (c[k] as number) : d!);
  const hidden = n('hidden_size');
  const heads = n('num_attention_heads');
  return {
    hidden,
    heads,
    layers: n('num_hidden_layers'),
    kvHeads: n('num_key_value_heads', heads),
    headDim: n('head_dim', hidden / heads),
    inter: n('intermediate_size'),
    vocab: n('vocab_size'),
    eps: n('rms_norm_eps', 1e-6),
    theta: n('rope_theta', 10000),
    tied: c.tie_word_embeddings === true,
    bias: c.attention_bias === true || c.model_type === 'qwen2',
  };
}

/** Every tensor of a model dir as float64 (the stored values widened exactly). */
export function refWeights(dir: string, names: string[]): RefWeights {
  const w: RefWeights = new Map();
  for (const name of names) w.set(name, Float64Array.from(readWholeTensor(dir, name)));
  return w;
}

/** DARE in float64: base + mask·(ft − base)/(1 − p), darekit's mask of model position 0 under `seed`. */
export function refDare(base: RefWeights, ft: RefWeights, p: number, seed: number): RefWeights {
  const out: RefWeights = new Map();
  const threshold = dropThreshold(p);
  for (const [name, b] of base) {
    const f = ft.get(name)!;
    const key = maskKey(seed, 0, name);
    const o = new Float64Array(b.length);
    for (let i = 0; i < b.length; i++) {
      const keep = threshold < 4294967296 && maskHash(key, i) >= threshold;
      o[i] = keep ? b[i]! + (f[i]! - b[i]!) / (1 - p) : b[i]!;
    }
    out.set(name, o);
  }
  return out;
}

// y[t, o] = Σ_i x[t, i] · W[o, i] (+ b[o]) for a row-major W [out, in]
function linear(x: Float64Array, T: number, nIn: number, w: Float64Array, nOut: number, b?: Float64Array): Float64Array {
  const y = new Float64Array(T * nOut);
  for (let t = 0; t < T; t++) {
    const xo = t * nIn;
    for (let o = 0; o < nOut; o++) {
      const wo = o * nIn;
      let s = 0;
      for (let i = 0; i < nIn; i++) s += x[xo + i]! * w[wo + i]!;
      y[t * nOut + o] = s + (b ? b[o]! : 0);
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, T: number, d: number, w: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(T * d);
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[t * d + i]! ** 2;
    const r = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) y[t * d + i] = x[t * d + i]! * r * w[i]!;
  }
  return y;
}

// rotate-half RoPE in place on [T, nHeads, hd]: x·cos + rotate_half(x)·sin, rotate_half(x) = (−x2, x1)
function rope(x: Float64Array, T: number, nHeads: number, hd: number, theta: number): void {
  const half = hd / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < nHeads; h++) {
      const o = (t * nHeads + h) * hd;
      for (let i = 0; i < half; i++) {
        const a = t / theta ** ((2 * i) / hd);
        const c = Math.cos(a);
        const s = Math.sin(a);
        const x1 = x[o + i]!;
        const x2 = x[o + i + half]!;
        x[o + i] = x1 * c - x2 * s;
        x[o + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

/** Final hidden states (after the last norm) of one sequence, [T, hidden]. */
export function refHidden(cfg: RefConfig, w: RefWeights, tokens: ArrayLike<number>): Float64Array {
  const T = tokens.length;
  const d = cfg.hidden;
  const hd = cfg.headDim;
  const emb = w.get('model.embed_tokens.weight')!;
  let x = new Float64Array(T * d);
  for (let t = 0; t < T; t++) x.set(emb.subarray(tokens[t]! * d, tokens[t]! * d + d), t * d);
  const g = cfg.heads / cfg.kvHeads;
  for (let l = 0; l < cfg.layers; l++) {
    const P = `model.layers.${l}.`;
    const h = rmsNorm(x, T, d, w.get(P + 'input_layernorm.weight')!, cfg.eps);
    const bias = (n: string): Float64Array | undefined => (cfg.bias ? w.get(P + `self_attn.${n}.bias`) : undefined);
    const q = linear(h, T, d, w.get(P + 'self_attn.q_proj.weight')!, cfg.heads * hd, bias('q_proj'));
    const k = linear(h, T, d, w.get(P + 'self_attn.k_proj.weight')!, cfg.kvHeads * hd, bias('k_proj'));
    const v = linear(h, T, d, w.get(P + 'self_attn.v_proj.weight')!, cfg.kvHeads * hd, bias('v_proj'));
    rope(q, T, cfg.heads, hd, cfg.theta);
    rope(k, T, cfg.kvHeads, hd, cfg.theta);
    const att = new Float64Array(T * cfg.heads * hd);
    const scores = new Float64Array(T);
    for (let head = 0; head < cfg.heads; head++) {
      const kv = Math.floor(head / g);
      for (let t = 0; t < T; t++) {
        let max = -Infinity;
        for (let u = 0; u <= t; u++) {
          let s = 0;
          for (let i = 0; i < hd; i++) s += q[(t * cfg.heads + head) * hd + i]! * k[(u * cfg.kvHeads + kv) * hd + i]!;
          s /= Math.sqrt(hd);
          scores[u] = s;
          if (s > max) max = s;
        }
        let z = 0;
        for (let u = 0; u <= t; u++) {
          scores[u] = Math.exp(scores[u]! - max);
          z += scores[u]!;
        }
        const o = (t * cfg.heads + head) * hd;
        for (let u = 0; u <= t; u++) {
          const pr = scores[u]! / z;
          for (let i = 0; i < hd; i++) att[o + i] += pr * v[(u * cfg.kvHeads + kv) * hd + i]!;
        }
      }
    }
    const ao = linear(att, T, cfg.heads * hd, w.get(P + 'self_attn.o_proj.weight')!, d);
    for (let i = 0; i < x.length; i++) x[i] += ao[i]!;
    const h2 = rmsNorm(x, T, d, w.get(P + 'post_attention_layernorm.weight')!, cfg.eps);
    const gate = linear(h2, T, d, w.get(P + 'mlp.gate_proj.weight')!, cfg.inter);
    const up = linear(h2, T, d, w.get(P + 'mlp.up_proj.weight')!, cfg.inter);
    for (let i = 0; i < gate.length; i++) gate[i] = (gate[i]! / (1 + Math.exp(-gate[i]!))) * up[i]!;
    const down = linear(gate, T, cfg.inter, w.get(P + 'mlp.down_proj.weight')!, d);
    const nx = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) nx[i] = x[i]! + down[i]!;
    x = nx;
  }
  return rmsNorm(x, T, d, w.get('model.norm.weight')!, cfg.eps);
}

/** Full logits of one sequence, [T, vocab] (for checks against the shared reference logits). */
export function refLogits(cfg: RefConfig, w: RefWeights, tokens: ArrayLike<number>): Float64Array {
  const h = refHidden(cfg, w, tokens);
  return linear(h, tokens.length, cfg.hidden, w.get(cfg.tied ? 'model.embed_tokens.weight' : 'lm_head.weight')!, cfg.vocab);
}

/** Teacher-forced score of one sequence from `scoreFrom`: mean NLL over the scored tokens and whether each is the argmax. */
export function refScore(cfg: RefConfig, w: RefWeights, tokens: ArrayLike<number>, scoreFrom: number): { loss: number; exact: boolean } {
  const h = refHidden(cfg, w, tokens);
  const head = w.get(cfg.tied ? 'model.embed_tokens.weight' : 'lm_head.weight')!;
  let nll = 0;
  let exact = true;
  for (let k = scoreFrom; k < tokens.length; k++) {
    const logits = linear(h.subarray((k - 1) * cfg.hidden, k * cfg.hidden), 1, cfg.hidden, head, cfg.vocab);
    let arg = 0;
    for (let j = 1; j < cfg.vocab; j++) if (logits[j]! > logits[arg]!) arg = j;
    const max = logits[arg]!;
    let z = 0;
    for (let j = 0; j < cfg.vocab; j++) z += Math.exp(logits[j]! - max);
    nll -= logits[tokens[k]!]! - max - Math.log(z);
    if (arg !== tokens[k]) exact = false;
  }
  return { loss: nll / (tokens.length - scoreFrom), exact };
}

/** One reference example: tokens and the first scored position. */
export interface RefExample {
  tokens: number[];
  scoreFrom: number;
}

/** The examples of family S, tokenized independently: the tokenizer is byte-level (token id = UTF-8 byte), no BOS. */
export function refExamples(file: string, window = 128): { metric: 'exact_match' | 'loss'; examples: RefExample[] } {
  const text = readFileSync(file, 'utf8');
  const bytes = (s: string): number[] => [...Buffer.from(s, 'utf8')];
  if (file.endsWith('.jsonl')) {
    const examples = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const { prompt, completion } = JSON.parse(l) as { prompt: string; completion: string };
        return { tokens: [...bytes(prompt), ...bytes(completion)], scoreFrom: bytes(prompt).length };
      });
    return { metric: 'exact_match', examples };
  }
  const all = bytes(text);
  const examples: RefExample[] = [];
  for (let s = 0; s + 1 < all.length; s += window) examples.push({ tokens: all.slice(s, s + window), scoreFrom: 1 });
  return { metric: 'loss', examples: examples.filter((e) => e.tokens.length >= 2) };
}

/** Mean loss and exact-match rate of a model on examples (per-example mean NLL, averaged over examples). */
export function refMeasure(cfg: RefConfig, w: RefWeights, examples: RefExample[]): { loss: number; exactMatch: number } {
  let loss = 0;
  let hits = 0;
  for (const e of examples) {
    const r = refScore(cfg, w, e.tokens, e.scoreFrom);
    loss += r.loss;
    if (r.exact) hits++;
  }
  return { loss: loss / examples.length, exactMatch: hits / examples.length };
}

/** The reference sweep of one fine-tune: retained per p (mean over seeds) and the safe drop rate at `tolerance`. */
export function refSweep(
  cfg: RefConfig,
  base: RefWeights,
  ft: RefWeights,
  metric: 'exact_match' | 'loss',
  examples: RefExample[],
  dropRates: number[],
  seeds: number[],
  tolerance: number,
): { baseScore: number; ftScore: number; retained: number[]; safeDropRate: number } {
  const score = (w: RefWeights): number => {
    const m = refMeasure(cfg, w, examples);
    return metric === 'exact_match' ? m.exactMatch : -m.loss;
  };
  const baseScore = score(base);
  const ftScore = score(ft);
  const retained = dropRates.map((p) => {
    const ss = (p === 0 ? [seeds[0]!] : seeds).map((s) => score(refDare(base, ft, p, s)));
    const mean = ss.reduce((a, b) => a + b, 0) / ss.length;
    return (mean - baseScore) / (ftScore - baseScore);
  });
  let safe = 0;
  dropRates.forEach((p, i) => {
    if (retained[i]! >= tolerance && p > safe) safe = p;
  });
  return { baseScore, ftScore, retained, safeDropRate: safe };
}
