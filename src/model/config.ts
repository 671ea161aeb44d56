import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputError } from '../errors.js';

/** RoPE frequency scaling from `rope_scaling` (Hugging Face semantics); `none` when absent or `default`. */
export type RopeScaling =
  | { type: 'none' }
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };

/** The architecture of a Llama-family causal LM, from its config.json. */
export interface LlamaConfig {
  /** The config.json it came from (for messages). */
  file: string;
  modelType: 'llama' | 'mistral' | 'qwen2';
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias (qwen2 always; llama with attention_bias). */
  attentionBias: boolean;
  /** o_proj carries a bias (llama with attention_bias). */
  outputBias: boolean;
  /** gate/up/down projections carry a bias (llama with mlp_bias). */
  mlpBias: boolean;
  maxPositionEmbeddings: number;
  /** Attention window (mistral's sliding_window, qwen2's when use_sliding_window): longer sequences are refused. */
  slidingWindow?: number;
}

const SUPPORTED_TYPES = ['llama', 'mistral', 'qwen2'] as const;
const SUPPORTED_ROPE = ['default', 'linear', 'llama3'];

type Json = Record<string, unknown>;

/** Parse a model dir's config.json (or the config.json path itself) with Hugging Face's defaults per model type. */
export function loadLlamaConfig(modelDir: string): LlamaConfig {
  const file = modelDir.endsWith('.json') ? modelDir : join(modelDir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw inputError(
      `${file}: cannot read the model's config.json (${(err as NodeJS.ErrnoException).code ?? String(err)}); the forward pass needs it`,
      err,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw inputError(`${file}: not valid JSON (${(err as Error).message})`, err);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(`${file}: not a JSON object`);
  return parseLlamaConfig(raw as Json, file);
}

/** Parse an already-read config object (`file` names it in messages). */
export function parseLlamaConfig(c: Json, file: string): LlamaConfig {
  const type = c.model_type;
  if (typeof type !== 'string' || !(SUPPORTED_TYPES as readonly string[]).includes(type)) {
    throw inputError(
      `${file}: model_type ${JSON.stringify(type ?? null)} is not supported by the forward pass (supported: ${SUPPORTED_TYPES.join(', ')})`,
    );
  }
  const modelType = type as LlamaConfig['modelType'];
  const int = (key: string, dflt?: number): number => {
    const v = c[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
      throw inputError(`${file}: "${key}" must be a positive integer, got ${JSON.stringify(c[key] ?? null)}`);
    return v;
  };
  const num = (key: string, dflt: number): number => {
    const v = c[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw inputError(`${file}: "${key}" must be a positive number, got ${JSON.stringify(c[key])}`);
    return v;
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = c[key] ?? dflt;
    if (typeof v !== 'boolean') throw inputError(`${file}: "${key}" must be true or false, got ${JSON.stringify(c[key])}`);
    return v;
  };
  const act = c.hidden_act ?? 'silu';
  if (act !== 'silu')
    throw inputError(`${file}: hidden_act ${JSON.stringify(act)} is not supported (the forward pass implements silu / SwiGLU)`);
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0)
    throw inputError(`${file}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  const headDim = c.head_dim === null || c.head_dim === undefined ? hiddenSize / numHeads : int('head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    throw inputError(`${file}: head size ${headDim} (hidden_size / num_attention_heads, or head_dim) must be an even integer`);
  // transformers v5 moves rope_theta and the scaling into rope_parameters
  const ropeParams = (typeof c.rope_parameters === 'object' && c.rope_parameters !== null ? c.rope_parameters : undefined) as
    Json | undefined;
  const ropeTheta = ropeParams && typeof ropeParams.rope_theta === 'number' ? ropeParams.rope_theta : num('rope_theta', 10000);
  const ropeScaling = parseRopeScaling(ropeParams ?? c.rope_scaling, file, int('max_position_embeddings', 2048));
  const attentionBias = modelType === 'qwen2' ? true : modelType === 'llama' ? bool('attention_bias', false) : false;
  let slidingWindow: number | undefined;
  const sw = c.sliding_window;
  const useSw = modelType === 'mistral' || (modelType === 'qwen2' && c.use_sliding_window === true);
  if (useSw && sw !== null && sw !== undefined) slidingWindow = int('sliding_window');
  const cfg: LlamaConfig = {
    file,
    modelType,
    hiddenSize,
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: int('intermediate_size'),
    vocabSize: int('vocab_size'),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta,
    ropeScaling,
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    attentionBias,
    outputBias: modelType === 'llama' && attentionBias,
    mlpBias: modelType === 'llama' ? bool('mlp_bias', false) : false,
    maxPositionEmbeddings: int('max_position_embeddings', 2048),
  };
  if (slidingWindow !== undefined) cfg.slidingWindow = slidingWindow;
  return cfg;
}

function parseRopeScaling(rs: unknown, file: string, maxPos: number): RopeScaling {
  if (rs === null || rs === undefined) return { type: 'none' };
  if (typeof rs !== 'object' || Array.isArray(rs)) throw inputError(`${file}: rope_scaling must be an object or null`);
  const o = rs as Json;
  const type = o.rope_type ?? o.type ?? 'default';
  if (typeof type !== 'string' || !SUPPORTED_ROPE.includes(type)) {
    throw inputError(
      `${file}: rope_scaling type ${JSON.stringify(type)} is not supported by the forward pass (supported: ${SUPPORTED_ROPE.join(', ')})`,
    );
  }
  if (type === 'default') return { type: 'none' };
  const pos = (key: string, dflt?: number): number => {
    const v = o[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw inputError(`${file}: rope_scaling.${key} must be a positive number, got ${JSON.stringify(o[key] ?? null)}`);
    return v;
  };
  if (type === 'linear') return { type: 'linear', factor: pos('factor') };
  const s: RopeScaling = {
    type: 'llama3',
    factor: pos('factor'),
    lowFreqFactor: pos('low_freq_factor'),
    highFreqFactor: pos('high_freq_factor'),
    originalMaxPositionEmbeddings: pos('original_max_position_embeddings', maxPos),
  };
  if (s.highFreqFactor <= s.lowFreqFactor) throw inputError(`${file}: rope_scaling.high_freq_factor must exceed low_freq_factor`);
  return s;
}
