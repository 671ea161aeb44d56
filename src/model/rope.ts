import type { LlamaConfig } from './config.js';

const f = Math.fround;

/**
 * RoPE inverse frequencies as Hugging Face computes them, in float32 step by step: 1 / theta^(2i/d), then
 * `linear` (÷ factor) or `llama3` scaling (long wavelengths ÷ factor, short kept, a smooth blend between).
 */
export function ropeInvFreq(cfg: LlamaConfig): Float32Array {
  const dim = cfg.headDim,
    half = dim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = f(1 / f(Math.pow(cfg.ropeTheta, f(f(2 * i) / dim))));
  const s = cfg.ropeScaling;
  if (s.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = f(inv[i]! / s.factor);
  } else if (s.type === 'llama3') {
    const lowWavelen = f(s.originalMaxPositionEmbeddings / s.lowFreqFactor);
    const highWavelen = f(s.originalMaxPositionEmbeddings / s.highFreqFactor);
    for (let i = 0; i < half; i++) {
      const x = inv[i]!;
      const wavelen = f((2 * Math.PI) / x);
      let y = wavelen > lowWavelen ? f(x / s.factor) : x;
      if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
        const smooth = f(f(f(s.originalMaxPositionEmbeddings / wavelen) - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor));
        y = f(f(f(f(1 - smooth) * y) / s.factor) + f(smooth * y));
      }
      inv[i] = y;
    }
  }
  return inv;
}

/** cos and sin tables [positions, headDim/2] (float32 angle = f32(position · invFreq), as HF's float32 matmul). */
export function ropeTables(cfg: LlamaConfig, positions: number): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInvFreq(cfg),
    half = inv.length;
  const cos = new Float32Array(positions * half),
    sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const a = f(p * inv[i]!);
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return { cos, sin };
}
