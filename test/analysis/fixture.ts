// A small hand-built family for the analyzer tests: BF16, F16 and F32 tensors, NaN/Inf, all-zero deltas, a
// single-element tensor, tensors larger than one summation block, and a fine-tune that conflicts with another.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeToF32, encodeFromF32 } from '../../src/io/codec.js';
import type { OutDtype } from '../../src/io/dtypes.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { rng } from '../helpers/rng.js';

export { rng };

interface Spec {
  name: string;
  dtype: OutDtype;
  shape: number[];
}

export const SPECS: Spec[] = [
  { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [64, 40] },
  { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F32', shape: [50, 90] },
  { name: 'model.layers.0.mlp.down_proj.weight', dtype: 'BF16', shape: [37, 300] },
  { name: 'model.layers.1.mlp.up_proj.weight', dtype: 'F16', shape: [41, 203] },
  { name: 'model.layers.1.input_layernorm.weight', dtype: 'BF16', shape: [7] },
  { name: 'model.norm.weight', dtype: 'BF16', shape: [1] },
];

/** Round to a value the dtype stores exactly (F32: a multiple of 2⁻¹⁶), so Δ = ft − base is exact in float32. */
function quantize(x: number, dtype: OutDtype): number {
  if (dtype === 'F32') return Math.round(x * 65536) / 65536;
  const bytes = new Uint8Array(2);
  encodeFromF32(dtype, Float32Array.of(x), bytes, 1);
  const out = new Float32Array(1);
  decodeToF32(dtype, bytes, out, 1);
  return out[0]!;
}

/** The values of every tensor of every model (float64 copies of the stored values). */
export type FamilyValues = Record<string, Record<string, Float64Array>>;

function encode(dtype: OutDtype, values: Float64Array): Uint8Array {
  const bpe = dtype === 'F32' ? 4 : 2;
  const out = new Uint8Array(values.length * bpe);
  encodeFromF32(dtype, Float32Array.from(values), out, values.length);
  return out;
}

/** Write base, ft-a, ft-b, ft-c into a fresh temp dir; returns the dirs and the stored values. */
export function writeFixtureFamily(): { dir: string; base: string; fts: string[]; values: FamilyValues } {
  const dir = mkdtempSync(join(tmpdir(), 'darekit-analysis-'));
  const r = rng(7);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const values: FamilyValues = { base: {}, 'ft-a': {}, 'ft-b': {}, 'ft-c': {} };
  for (const s of SPECS) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const q = (x: number): number => quantize(x, s.dtype);
    const base = new Float64Array(n),
      a = new Float64Array(n),
      b = new Float64Array(n),
      c = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      base[i] = q(0.05 * gauss() + (s.name.includes('norm') ? 1 : 0));
      a[i] = q(base[i]! + 0.004 * gauss());
      // ft-b: no change in the embedding (all-zero delta), a sparse change elsewhere
      b[i] = s.name.includes('embed') ? base[i]! : q(base[i]! + (r() < 0.3 ? 0.01 * gauss() : 0));
      // ft-c: partly the opposite of ft-a (sign conflicts), plus its own noise
      c[i] = q(base[i]! - 0.5 * (a[i]! - base[i]!) + 0.002 * gauss());
    }
    if (s.name.includes('q_proj')) {
      base[3] = Number.NaN;
      a[10] = Infinity;
      a[11] = -Infinity;
      c[12] = Number.NaN;
      base[20] = Infinity;
      a[20] = Infinity;
    }
    values.base![s.name] = base;
    values['ft-a']![s.name] = a;
    values['ft-b']![s.name] = b;
    values['ft-c']![s.name] = c;
  }
  for (const m of Object.keys(values)) {
    mkdirSync(join(dir, m));
    writeSafetensorsFile(
      join(dir, m, 'model.safetensors'),
      SPECS.map((s) => ({ name: s.name, dtype: s.dtype, shape: s.shape, data: encode(s.dtype, values[m]![s.name]!) })),
    );
    writeFileSync(join(dir, m, 'config.json'), '{}');
  }
  return { dir, base: join(dir, 'base'), fts: ['ft-a', 'ft-b', 'ft-c'].map((m) => join(dir, m)), values };
}
