import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f32ToBf16Bits } from '../../src/io/codec.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';

import { rng } from '../helpers/rng.js';

export { rng };

export const SHAPES: [string, number[]][] = [
  ['model.embed_tokens.weight', [16, 8]],
  ['model.layers.0.mlp.up_proj.weight', [24, 9]],
  ['model.layers.0.input_layernorm.weight', [9]],
  ['model.layers.1.mlp.up_proj.weight', [24, 9]],
  ['model.layers.2.self_attn.q_proj.weight', [13, 7]],
  ['model.norm.weight', [9]],
  ['lm_head.weight', [16, 8]],
];

function bf16Bytes(values: number[]): Uint8Array {
  const out = new Uint16Array(values.length);
  values.forEach((v, i) => (out[i] = f32ToBf16Bits(v)));
  return new Uint8Array(out.buffer);
}

/** Values of a model: base ~ U(-1,1) on a bf16 grid; fine-tune i = base + a sparse delta on a coarse grid (so exact zeros and |δ| ties occur). */
export function modelValues(which: number, poison = false): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const [name, shape] of SHAPES) {
    const n = shape.reduce((a, b) => a * b, 1);
    const rb = rng(7 + name.length * 31);
    const base = Array.from({ length: n }, () => Math.round((rb() * 2 - 1) * 64) / 64);
    if (which === 0) {
      m.set(name, base);
      continue;
    }
    const rd = rng(which * 1000 + name.length);
    m.set(
      name,
      base.map((b, i) => {
        if (poison && i === 3) return NaN;
        const u = rd();
        return u < 0.2 ? b : b + Math.round((rd() * 2 - 1) * 8) / 256;
      }),
    );
  }
  return m;
}

/** Write base (0) and fine-tunes 1..count as BF16 model dirs; returns the root and a cleanup. */
export function writeFamily(count: number, opts: { poison?: number } = {}): { root: string; dirs: string[]; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'darekit-merge-'));
  const dirs: string[] = [];
  for (let w = 0; w <= count; w++) {
    const dir = join(root, w === 0 ? 'base' : `ft${w}`);
    mkdirSync(dir);
    const vals = modelValues(w, opts.poison === w);
    writeSafetensorsFile(
      join(dir, 'model.safetensors'),
      SHAPES.map(([name, shape]) => ({ name, dtype: 'BF16' as const, shape, data: bf16Bytes(vals.get(name)!) })),
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', torch_dtype: 'bfloat16' }));
    dirs.push(dir);
  }
  return { root, dirs, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Decoded bf16 values as the merge sees them (the fixture values rounded to bf16). */
export function asBf16(values: number[]): number[] {
  const b = bf16Bytes(values);
  const u = new Uint16Array(b.buffer);
  return Array.from(u, (h) => new Float32Array(new Uint32Array([h << 16]).buffer)[0]!);
}
