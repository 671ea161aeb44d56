// Calibration variants: real models made from a fine-tune by changing its delta — scaled (base + α·Δ), restricted
// to attention / MLP / embeddings+lm_head, truncated to low rank per matrix, or sparsified by magnitude — written
// with darekit's writer (F32) beside a copy of the fine-tune's config.json and tokenizer.json, then measured with the
// probe engine on the family's examples. The transforms are pure and deterministic. Not part of the library API.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normal, streamKey } from '../../src/fixtures/prng.js';
import { inputError } from '../../src/errors.js';
import { decodeToF32 } from '../../src/io/codec.js';
import type { MathDtype } from '../../src/io/dtypes.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';

/** A tensor as float32 values. */
export interface F32Tensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** How a variant changes a fine-tune's delta. */
export type VariantSpec =
  | { kind: 'scale'; alpha: number }
  | { kind: 'only'; part: 'attention' | 'mlp' | 'embeddings-head' }
  | { kind: 'low-rank'; rank: number }
  | { kind: 'sparsify'; keep: number };

/** The variants `npm run calibrate -- --variants` measures for every fine-tune (α = 1 is the fine-tune itself). */
export const VARIANTS: readonly VariantSpec[] = [
  { kind: 'scale', alpha: 0.25 },
  { kind: 'scale', alpha: 0.5 },
  { kind: 'scale', alpha: 2 },
  { kind: 'scale', alpha: 3 },
  { kind: 'only', part: 'attention' },
  { kind: 'only', part: 'mlp' },
  { kind: 'only', part: 'embeddings-head' },
  { kind: 'low-rank', rank: 8 },
  { kind: 'sparsify', keep: 0.1 },
];

/** A variant's label, e.g. 'scale-0.25', 'only-mlp', 'low-rank-8', 'sparsify-0.1'. */
export function variantLabel(v: VariantSpec): string {
  switch (v.kind) {
    case 'scale':
      return `scale-${v.alpha}`;
    case 'only':
      return `only-${v.part}`;
    case 'low-rank':
      return `low-rank-${v.rank}`;
    case 'sparsify':
      return `sparsify-${v.keep}`;
  }
}

/** Which part of the model a tensor belongs to (by its Hugging Face name). */
export function partOf(name: string): 'attention' | 'mlp' | 'embeddings-head' | 'other' {
  if (name.includes('.self_attn.')) return 'attention';
  if (name.includes('.mlp.')) return 'mlp';
  if (name.includes('embed_tokens') || name.startsWith('lm_head')) return 'embeddings-head';
  return 'other';
}

/** Read a single-file safetensors model as float32 tensors. */
export function readF32(dir: string): F32Tensor[] {
  const file = join(dir, 'model.safetensors');
  const bytes = readFileSync(file);
  return readSafetensorsHeader(file).tensors.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    decodeToF32(t.dtype as MathDtype, new Uint8Array(bytes.buffer, bytes.byteOffset + t.byteOffset, t.byteLength), data, n);
    return { name: t.name, shape: t.shape, data };
  });
}

/** Rank-k truncation of a rows×cols matrix by subspace iteration (deterministic start from the named stream). */
export function lowRank(delta: Float32Array, rows: number, cols: number, k: number, name: string): Float32Array {
  const r = Math.min(k, rows, cols);
  const at = (i: number, j: number): number => delta[i * cols + j]!;
  // Q: rows × r, orthonormal columns spanning Δ·Ω, refined by (ΔΔᵀ) power steps
  let q: Float64Array = new Float64Array(rows * r);
  const key = streamKey(0x10a4, name);
  const omega = new Float64Array(cols * r);
  for (let i = 0; i < omega.length; i++) omega[i] = normal(key, i);
  const mulDelta = (x: Float64Array): Float64Array => {
    // Δ (rows×cols) · x (cols×r)
    const y = new Float64Array(rows * r);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        const d = at(i, j);
        if (d !== 0) for (let c = 0; c < r; c++) y[i * r + c]! += d * x[j * r + c]!;
      }
    return y;
  };
  const mulDeltaT = (x: Float64Array): Float64Array => {
    // Δᵀ (cols×rows) · x (rows×r)
    const y = new Float64Array(cols * r);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) {
        const d = at(i, j);
        if (d !== 0) for (let c = 0; c < r; c++) y[j * r + c]! += d * x[i * r + c]!;
      }
    return y;
  };
  const orthonormalize = (m: Float64Array, n: number): Float64Array => {
    // modified Gram–Schmidt on the r columns
    for (let c = 0; c < r; c++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += m[i * r + c]! * m[i * r + p]!;
        for (let i = 0; i < n; i++) m[i * r + c]! -= dot * m[i * r + p]!;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += m[i * r + c]! ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) m[i * r + c] = norm > 0 ? m[i * r + c]! / norm : 0;
    }
    return m;
  };
  q = orthonormalize(mulDelta(omega), rows);
  for (let it = 0; it < 6; it++) q = orthonormalize(mulDelta(mulDeltaT(q)), rows);
  // Δ_k = Q (Qᵀ Δ)
  const b = mulDeltaT(q); // cols × r = Δᵀ Q
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let c = 0; c < r; c++) s += q[i * r + c]! * b[j * r + c]!;
      out[i * cols + j] = s;
    }
  return out;
}

/** Keep the `keep` share of entries with the largest |Δ| (ties at the threshold: lower index first); zero the rest. */
export function sparsify(delta: Float32Array, keep: number): Float32Array {
  const k = Math.floor(keep * delta.length);
  const order = Array.from(delta.keys()).sort((a, b) => Math.abs(delta[b]!) - Math.abs(delta[a]!) || a - b);
  const out = new Float32Array(delta.length);
  for (let i = 0; i < k; i++) out[order[i]!] = delta[order[i]!]!;
  return out;
}

/** The variant's delta of one tensor. */
export function variantDelta(v: VariantSpec, t: F32Tensor, delta: Float32Array): Float32Array {
  switch (v.kind) {
    case 'scale':
      return delta.map((d) => v.alpha * d);
    case 'only':
      return partOf(t.name) === v.part ? delta : new Float32Array(delta.length);
    case 'low-rank':
      return t.shape.length === 2 && partOf(t.name) !== 'embeddings-head'
        ? lowRank(delta, t.shape[0]!, t.shape[1]!, v.rank, t.name)
        : delta;
    case 'sparsify':
      return sparsify(delta, v.keep);
  }
}

/** The variant's weights: base + variantDelta(ft − base), per tensor, in float32. */
export function variantWeights(v: VariantSpec, base: F32Tensor[], ft: F32Tensor[]): F32Tensor[] {
  const byName = new Map(ft.map((t) => [t.name, t]));
  return base.map((b) => {
    const f = byName.get(b.name);
    if (!f) throw inputError(`variant: the fine-tune has no tensor ${b.name}`);
    const delta = new Float32Array(b.data.length);
    for (let i = 0; i < delta.length; i++) delta[i] = f.data[i]! - b.data[i]!;
    const d = variantDelta(v, b, delta);
    const data = new Float32Array(b.data.length);
    for (let i = 0; i < data.length; i++) data[i] = b.data[i]! + d[i]!;
    return { name: b.name, shape: b.shape, data };
  });
}

/** Write a variant model dir (F32 safetensors + the fine-tune's config.json and tokenizer files). */
export function writeVariant(dir: string, tensors: F32Tensor[], ftDir: string): void {
  mkdirSync(dir, { recursive: true });
  writeSafetensorsFile(
    join(dir, 'model.safetensors'),
    tensors.map((t) => ({
      name: t.name,
      dtype: 'F32' as const,
      shape: t.shape,
      data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    })),
  );
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    if (existsSync(join(ftDir, f))) copyFileSync(join(ftDir, f), join(dir, f));
}
