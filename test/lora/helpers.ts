// Fixtures for the LoRA tests: a small BF16 base, PEFT adapters over it (src/fixtures/lora-adapter.ts), and the
// materialized fine-tune (base + scale·B·A computed here in float64, independently of src/io/lora.ts) as F32.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeToF32, encodeFromF32 } from '../../src/io/codec.js';
import { openModel } from '../../src/io/model.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { writeLoraAdapter, type LoraAdapterSpec, type WrittenLoraModule } from '../../src/fixtures/lora-adapter.js';
import { rng } from '../merge/fixtures.js';

export const BASE_SHAPES: [string, number[]][] = [
  ['model.embed_tokens.weight', [20, 33]],
  ['model.layers.0.input_layernorm.weight', [33]],
  ['model.layers.0.self_attn.q_proj.weight', [40, 33]],
  ['model.layers.0.mlp.up_proj.weight', [57, 33]],
  ['model.layers.0.mlp.down_proj.weight', [33, 57]],
  ['model.layers.1.self_attn.q_proj.weight', [40, 33]],
  ['model.layers.1.mlp.down_proj.weight', [33, 57]],
  ['model.norm.weight', [33]],
  ['lm_head.weight', [20, 33]],
];

export const TARGETS = [
  'model.layers.0.self_attn.q_proj.weight',
  'model.layers.0.mlp.up_proj.weight',
  'model.layers.0.mlp.down_proj.weight',
  'model.layers.1.mlp.down_proj.weight',
];

/** A temp dir with a BF16 base model (values on the bf16 grid) and a cleanup. */
export function writeBase(shapes: [string, number[]][] = BASE_SHAPES): {
  root: string;
  base: string;
  values: Map<string, Float32Array>;
  cleanup: () => void;
} {
  const root = mkdtempSync(join(tmpdir(), 'darekit-lora-'));
  const base = join(root, 'base');
  mkdirSync(base);
  const values = new Map<string, Float32Array>();
  const r = rng(99);
  const tensors = shapes.map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (r() * 2 - 1) * 0.1;
    const data = new Uint8Array(2 * n);
    encodeFromF32('BF16', v, data, n);
    decodeToF32('BF16', data, v, n);
    values.set(name, v);
    return { name, dtype: 'BF16' as const, shape, data };
  });
  writeSafetensorsFile(join(base, 'model.safetensors'), tensors);
  writeFileSync(join(base, 'config.json'), JSON.stringify({ model_type: 'llama', torch_dtype: 'bfloat16' }));
  return { root, base, values, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Write an adapter over the base dir. */
export function writeAdapter(baseDir: string, dir: string, spec: Partial<Omit<LoraAdapterSpec, 'dir' | 'base'>> = {}): WrittenLoraModule[] {
  return writeLoraAdapter({ dir, base: openModel(baseDir), targets: TARGETS, rank: 4, alpha: 8, ...spec });
}

/** The scaled delta of a module in float64: scale · Σₖ B[i,k]·A[k,j] (k ascending), unrounded. */
export function deltaF64(m: WrittenLoraModule, scale: number): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      let s = 0;
      for (let k = 0; k < m.rank; k++) s += m.b[i * m.rank + k]! * m.a[k * m.cols + j]!;
      out[i * m.cols + j] = scale * s;
    }
  }
  return out;
}

/** Write the materialized fine-tune: every tensor F32, adapted ones f32(base + f32(delta)), others the base's values. */
export function writeMaterialized(
  dir: string,
  baseValues: Map<string, Float32Array>,
  modules: WrittenLoraModule[],
  scale: number,
  shapes: [string, number[]][] = BASE_SHAPES,
): void {
  mkdirSync(dir, { recursive: true });
  const byTarget = new Map(modules.map((m) => [m.target, m]));
  const tensors = shapes.map(([name, shape]) => {
    const b = baseValues.get(name)!;
    const v = new Float32Array(b);
    const m = byTarget.get(name);
    if (m) {
      const d = deltaF64(m, scale);
      for (let i = 0; i < v.length; i++) v[i] = Math.fround(b[i]! + Math.fround(d[i]!));
    }
    return { name, dtype: 'F32' as const, shape, data: new Uint8Array(v.buffer.slice(0)) };
  });
  writeSafetensorsFile(join(dir, 'model.safetensors'), tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', torch_dtype: 'float32' }));
}
