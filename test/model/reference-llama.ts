// An independent scalar float64 Llama-family forward pass for tests, written from Hugging Face's
// LlamaForCausalLM / Qwen2 / Mistral semantics and sharing no code with src/model or the kernel: plain nested
// loops over number[] rows, one sequence at a time.

/** The architecture fields the reference needs (raw config.json keys). */
export interface RefConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim?: number;
  intermediate_size: number;
  vocab_size: number;
  rms_norm_eps: number;
  rope_theta: number;
  rope_scaling?: {
    rope_type: string;
    factor: number;
    low_freq_factor?: number;
    high_freq_factor?: number;
    original_max_position_embeddings?: number;
  } | null;
  tie_word_embeddings: boolean;
  /** Which projections have biases (decided by the caller from model_type / attention_bias / mlp_bias). */
  bias: { qkv: boolean; o: boolean; mlp: boolean };
}

/** Weight lookup by HF tensor name (float64 values, row-major). */
export type RefWeights = (name: string) => Float64Array;

function matvec(w: Float64Array, rows: number, cols: number, x: number[], bias?: Float64Array): number[] {
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    let s = bias ? bias[r]! : 0;
    for (let c = 0; c < cols; c++) s += w[r * cols + c]! * x[c]!;
    y.push(s);
  }
  return y;
}

function rmsNorm(x: number[], w: Float64Array, eps: number): number[] {
  const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
  const inv = 1 / Math.sqrt(ms + eps);
  return x.map((v, i) => w[i]! * v * inv);
}

/** Inverse RoPE frequencies with the rope_scaling formulas (linear: ÷ factor; llama3: by wavelength band). */
export function refInvFreq(c: RefConfig): number[] {
  const d = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  const inv: number[] = [];
  for (let i = 0; i < d / 2; i++) inv.push(1 / Math.pow(c.rope_theta, (2 * i) / d));
  const s = c.rope_scaling;
  if (!s) return inv;
  if (s.rope_type === 'linear') return inv.map((f) => f / s.factor);
  if (s.rope_type === 'llama3') {
    const old = s.original_max_position_embeddings!,
      lo = s.low_freq_factor!,
      hi = s.high_freq_factor!;
    return inv.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < old / hi) return f; // high frequency: unchanged
      if (wavelen > old / lo) return f / s.factor; // low frequency: scaled
      const smooth = (old / wavelen - lo) / (hi - lo);
      return (1 - smooth) * (f / s.factor) + smooth * f;
    });
  }
  throw new Error(`reference: rope type ${s.rope_type}`);
}

/** Logits [T][vocab] of one sequence, in float64. */
export function refForward(c: RefConfig, w: RefWeights, tokens: ArrayLike<number>): number[][] {
  const H = c.hidden_size,
    nH = c.num_attention_heads,
    nKV = c.num_key_value_heads;
  const hd = c.head_dim ?? H / nH,
    I = c.intermediate_size,
    T = tokens.length;
  const inv = refInvFreq(c);
  const emb = w('model.embed_tokens.weight');
  let xs: number[][] = Array.from(tokens, (t) => Array.from(emb.subarray(t * H, (t + 1) * H)));
  const rope = (v: number[], pos: number, heads: number): number[] => {
    const out = v.slice();
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < hd / 2; i++) {
        const a = pos * inv[i]!,
          x1 = v[h * hd + i]!,
          x2 = v[h * hd + hd / 2 + i]!;
        out[h * hd + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
        out[h * hd + hd / 2 + i] = x2 * Math.cos(a) + x1 * Math.sin(a);
      }
    }
    return out;
  };
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = (n: string): Float64Array => w(`model.layers.${l}.${n}`);
    const xn = xs.map((x) => rmsNorm(x, p('input_layernorm.weight'), c.rms_norm_eps));
    const q = xn.map((x, t) =>
      rope(matvec(p('self_attn.q_proj.weight'), nH * hd, H, x, c.bias.qkv ? p('self_attn.q_proj.bias') : undefined), t, nH),
    );
    const k = xn.map((x, t) =>
      rope(matvec(p('self_attn.k_proj.weight'), nKV * hd, H, x, c.bias.qkv ? p('self_attn.k_proj.bias') : undefined), t, nKV),
    );
    const v = xn.map((x) => matvec(p('self_attn.v_proj.weight'), nKV * hd, H, x, c.bias.qkv ? p('self_attn.v_proj.bias') : undefined));
    const att = xs.map((_, i) => {
      const o = new Array<number>(nH * hd).fill(0);
      for (let h = 0; h < nH; h++) {
        const g = Math.floor(h / (nH / nKV)); // repeat_kv: query head h uses kv head h // n_rep
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += q[i]![h * hd + d]! * k[j]![g * hd + d]!;
          scores.push(s / Math.sqrt(hd));
        }
        const mx = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - mx));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++) for (let d = 0; d < hd; d++) o[h * hd + d]! += (e[j]! / z) * v[j]![g * hd + d]!;
      }
      return o;
    });
    xs = xs.map((x, t) => {
      const a = matvec(p('self_attn.o_proj.weight'), H, nH * hd, att[t]!, c.bias.o ? p('self_attn.o_proj.bias') : undefined);
      return x.map((val, i) => val + a[i]!);
    });
    xs = xs.map((x) => {
      const n = rmsNorm(x, p('post_attention_layernorm.weight'), c.rms_norm_eps);
      const gate = matvec(p('mlp.gate_proj.weight'), I, H, n, c.bias.mlp ? p('mlp.gate_proj.bias') : undefined);
      const up = matvec(p('mlp.up_proj.weight'), I, H, n, c.bias.mlp ? p('mlp.up_proj.bias') : undefined);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      const down = matvec(p('mlp.down_proj.weight'), H, I, act, c.bias.mlp ? p('mlp.down_proj.bias') : undefined);
      return x.map((val, i) => val + down[i]!);
    });
  }
  const head = c.tie_word_embeddings ? emb : w('lm_head.weight');
  return xs.map((x) => matvec(head, c.vocab_size, H, rmsNorm(x, w('model.norm.weight'), c.rms_norm_eps)));
}
