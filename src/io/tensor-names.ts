import { inputError } from '../errors.js';

/** What part of a transformer a tensor belongs to, parsed from its Hugging Face name. */
export type ModuleKind =
  'attn_q' | 'attn_k' | 'attn_v' | 'attn_o' | 'mlp_gate' | 'mlp_up' | 'mlp_down' | 'embedding' | 'norm' | 'lm_head' | 'other';

/** Layer index (null outside the numbered blocks) and module kind of a tensor name. */
export interface TensorRole {
  layer: number | null;
  module: ModuleKind;
}

const LAYER_RE = /(?:^|\.)(?:layers|h|blocks|layer|decoder\.layers|encoder\.layers)\.(\d+)\./;

/** Parse the layer index and module kind from a tensor name such as `model.layers.3.mlp.up_proj.weight`. */
export function parseTensorName(name: string): TensorRole {
  const m = LAYER_RE.exec(name);
  const layer = m ? Number(m[1]) : null;
  // Layer indices are stored as BIGINT; beyond 2^53 a JS number would silently round to another index.
  if (layer !== null && !Number.isSafeInteger(layer))
    throw inputError(`tensor "${name}": layer index ${m![1]} is beyond 2^53, which darekit cannot represent exactly`);
  return { layer, module: moduleKind(name) };
}

/** The same tensor name with its layer index replaced (`model.layers.3.x` → `model.layers.7.x`); unchanged outside the layers. */
export function withLayerIndex(name: string, layer: number): string {
  const m = LAYER_RE.exec(name);
  if (!m) return name;
  const digitsAt = m.index + m[0].length - 1 - m[1]!.length;
  return name.slice(0, digitsAt) + String(layer) + name.slice(digitsAt + m[1]!.length);
}

function moduleKind(name: string): ModuleKind {
  const n = name.toLowerCase();
  if (/(^|\.)(q_proj|query|wq)(\.|$)/.test(n)) return 'attn_q';
  if (/(^|\.)(k_proj|key|wk)(\.|$)/.test(n)) return 'attn_k';
  if (/(^|\.)(v_proj|value|wv)(\.|$)/.test(n)) return 'attn_v';
  if (/(^|\.)(o_proj|out_proj|dense|wo)(\.|$)/.test(n) && n.includes('attn')) return 'attn_o';
  if (/(^|\.)o_proj(\.|$)/.test(n)) return 'attn_o';
  if (/(^|\.)(gate_proj|w1)(\.|$)/.test(n)) return 'mlp_gate';
  if (/(^|\.)(up_proj|w3|fc1|c_fc)(\.|$)/.test(n)) return 'mlp_up';
  if (/(^|\.)(down_proj|w2|fc2)(\.|$)/.test(n)) return 'mlp_down';
  if (/(embed_tokens|wte|word_embeddings|tok_embeddings)/.test(n)) return 'embedding';
  if (/(lm_head|output\.weight$)/.test(n)) return 'lm_head';
  if (/(norm|ln_\d|ln_f)/.test(n)) return 'norm';
  return 'other';
}
