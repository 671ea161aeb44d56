import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDarekitError } from '../../src/errors.js';
import { dropThreshold, maskHash, maskKey } from '../../src/kernel/reference/mask.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { slerpCoefficients } from '../../src/merge/slerp.js';
import { rng } from './fixtures.js';
import { readWholeTensor as readF32 } from '../helpers/read.js';

const SHAPES: [string, number[]][] = [
  ['model.embed_tokens.weight', [12, 9]],
  ['model.layers.0.self_attn.q_proj.weight', [40, 33]],
  ['model.layers.0.input_layernorm.weight', [33]],
  ['model.layers.1.mlp.up_proj.weight', [75, 40]],
  ['model.norm.weight', [1]],
];
type Vals = Map<string, Float32Array>;

let root: string;
const models = new Map<string, Vals>();

function write(name: string, make: (tensor: string, i: number, n: number) => number): void {
  const vals: Vals = new Map();
  for (const [t, shape] of SHAPES) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = make(t, i, n);
    vals.set(t, v);
  }
  const dir = join(root, name);
  mkdirSync(dir);
  writeSafetensorsFile(
    join(dir, 'model.safetensors'),
    SHAPES.map(([t, shape]) => ({ name: t, dtype: 'F32' as const, shape, data: new Uint8Array(vals.get(t)!.buffer.slice(0)) })),
  );
  writeFileSync(join(dir, 'config.json'), '{"model_type":"llama"}');
  models.set(name, vals);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'darekit-slerp-'));
  const r = rng(5);
  write('a', () => r() * 2 - 1);
  write('b', () => r() * 2 - 1);
  write('c', (t, i) => Math.fround(models.get('a')!.get(t)![i]! * 1.01 + (r() - 0.5) * 1e-3)); // nearly parallel to a
  write('base', () => (r() * 2 - 1) * 0.5);
  write('ftA', (t, i) => models.get('base')!.get(t)![i]! + (r() * 2 - 1) * 0.5);
  write('ftB', (t, i) => models.get('base')!.get(t)![i]! + (r() * 2 - 1) * 0.5);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** mergekit's slerp in float64, whole tensor, written out directly; rounded once to f32. */
function slerpRef(t: number, v0: ArrayLike<number>, v1: ArrayLike<number>): { out: Float32Array; lerp: boolean } {
  let n0 = 0,
    n1 = 0;
  for (let i = 0; i < v0.length; i++) {
    n0 += v0[i]! ** 2;
    n1 += v1[i]! ** 2;
  }
  n0 = Math.sqrt(n0);
  n1 = Math.sqrt(n1);
  let dot = 0;
  for (let i = 0; i < v0.length; i++) dot += (n0 > 1e-8 ? v0[i]! / n0 : v0[i]!) * (n1 > 1e-8 ? v1[i]! / n1 : v1[i]!);
  const out = new Float32Array(v0.length);
  if (Math.abs(dot) > 0.9995) {
    for (let i = 0; i < v0.length; i++) out[i] = (1 - t) * v0[i]! + t * v1[i]!;
    return { out, lerp: true };
  }
  const th = Math.acos(dot);
  const s0 = Math.sin(th - th * t) / Math.sin(th),
    s1 = Math.sin(th * t) / Math.sin(th);
  for (let i = 0; i < v0.length; i++) out[i] = s0 * v0[i]! + s1 * v1[i]!;
  return { out, lerp: false };
}

/** got equals want within one f32 ulp everywhere (the reference sums in another order). */
function expectWithinUlp(got: Float32Array, want: Float32Array, label: string): void {
  const g = new Int32Array(got.buffer),
    w = new Int32Array(want.buffer);
  let worst = 0;
  for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - w[i]!));
  expect(worst, label).toBeLessThanOrEqual(1);
}

async function run(doc: Record<string, unknown>, tag: string, opts: { threads?: number; chunkElements?: number } = {}): Promise<string> {
  const out = join(root, `out-${tag}`);
  await merge(parseMergeConfig({ out_dtype: 'float32', ...doc }, { configDir: root }), {
    out,
    threads: opts.threads ?? 1,
    chunkElements: opts.chunkElements ?? 64,
  });
  return out;
}

describe('slerp', () => {
  it('slerpCoefficients: orthogonal unit vectors give cos/sin of tπ/2; parallel ones fall back to lerp', () => {
    const k = slerpCoefficients(0.3, 4, 9, 0);
    expect(k.lerp).toBe(false);
    expect(k.s0).toBeCloseTo(Math.cos((0.3 * Math.PI) / 2), 14);
    expect(k.s1).toBeCloseTo(Math.sin((0.3 * Math.PI) / 2), 14);
    expect(slerpCoefficients(0.3, 4, 4, 4 * 0.9996)).toEqual({ s0: 0.7, s1: 0.3, lerp: true });
    expect(slerpCoefficients(0.3, 4, 4, -4 * 0.9996).lerp).toBe(true);
    expect(slerpCoefficients(0.3, 4, 4, 4 * 0.9994).lerp).toBe(false);
  });

  it('equals the float64 reference within 1 ulp; t from a filter list per tensor; chunked == whole and threads 1 == 2 byte for byte', async () => {
    const t = [{ filter: 'q_proj', value: 0.8 }, { value: 0.3 }];
    const doc = { merge_method: 'slerp', models: [{ model: 'a' }, { model: 'b' }], parameters: { t } };
    const small = await run(doc, 'ab-16', { chunkElements: 16 });
    const whole = await run(doc, 'ab-1M', { chunkElements: 1 << 20, threads: 2 });
    expect(readFileSync(join(small, 'model.safetensors'))).toEqual(readFileSync(join(whole, 'model.safetensors')));
    for (const [name] of SHAPES) {
      const want = slerpRef(name.includes('q_proj') ? 0.8 : 0.3, models.get('a')!.get(name)!, models.get('b')!.get(name)!);
      if (name !== 'model.norm.weight') expect(want.lerp, name).toBe(false); // one-element tensors are always parallel
      expectWithinUlp(readF32(small, name), want.out, name);
    }
  });

  it('t = 0 gives the first model and t = 1 the second, exactly; base_model among the two is the t = 0 end', async () => {
    const at0 = await run({ merge_method: 'slerp', models: [{ model: 'a' }, { model: 'b' }], parameters: { t: 0 } }, 't0');
    const at1 = await run({ merge_method: 'slerp', models: [{ model: 'a' }, { model: 'b' }], parameters: { t: 1 } }, 't1');
    const based = await run(
      { merge_method: 'slerp', base_model: 'b', models: [{ model: 'a' }, { model: 'b' }], parameters: { t: 0.25 } },
      'based',
    );
    for (const [name] of SHAPES) {
      expect(readF32(at0, name), name).toEqual(models.get('a')!.get(name)!);
      expect(readF32(at1, name), name).toEqual(models.get('b')!.get(name)!);
      expectWithinUlp(readF32(based, name), slerpRef(0.25, models.get('b')!.get(name)!, models.get('a')!.get(name)!).out, name);
    }
  });

  it('nearly parallel tensors (normalized dot > 0.9995) fall back to linear interpolation', async () => {
    const out = await run({ merge_method: 'slerp', models: [{ model: 'a' }, { model: 'c' }], parameters: { t: 0.4 } }, 'ac');
    for (const [name] of SHAPES) {
      const want = slerpRef(0.4, models.get('a')!.get(name)!, models.get('c')!.get(name)!);
      expect(want.lerp, name).toBe(true);
      expectWithinUlp(readF32(out, name), want.out, name);
    }
  });

  it('DARE-SLERP equals DARE (reference mask, 1/d rescale, added back) then SLERP, done by hand with the same seed', async () => {
    const dens = [0.6, 0.8];
    const doc = {
      merge_method: 'slerp',
      base_model: 'base',
      models: [
        { model: 'ftA', parameters: { density: dens[0] } },
        { model: 'ftB', parameters: { density: dens[1] } },
      ],
      parameters: { t: 0.4, seed: 11 },
    };
    const out = await run(doc, 'dare-slerp', { chunkElements: 32 });
    const out2 = await run(doc, 'dare-slerp-2', { chunkElements: 1 << 20, threads: 2 });
    expect(readFileSync(join(out, 'model.safetensors'))).toEqual(readFileSync(join(out2, 'model.safetensors')));
    for (const [name] of SHAPES) {
      const base = models.get('base')!.get(name)!;
      const ws = ['ftA', 'ftB'].map((m, i) => {
        const ft = models.get(m)!.get(name)!;
        const key = maskKey(11, i, name);
        const thr = dropThreshold(1 - dens[i]!);
        return Float32Array.from(ft, (v, j) => {
          const d = Math.fround(v - base[j]!);
          const kept = maskHash(key, j) >= thr ? d : 0;
          return base[j]! + (1 / dens[i]!) * kept;
        });
      });
      expectWithinUlp(readF32(out, name), slerpRef(0.4, ws[0]!, ws[1]!).out, name);
    }
  });

  it('refuses a third model, a missing t, t outside [0, 1], and densities without a separate base', () => {
    const bad = (doc: Record<string, unknown>, part: string): void => {
      try {
        parseMergeConfig(doc, { configDir: root });
      } catch (err) {
        expect(isDarekitError(err)).toBe(true);
        expect((err as Error).message).toContain(part);
        return;
      }
      throw new Error(`accepted ${JSON.stringify(doc)}`);
    };
    bad({ merge_method: 'slerp', models: [{ model: 'a' }, { model: 'b' }, { model: 'c' }], parameters: { t: 0.5 } }, 'exactly two');
    bad({ merge_method: 'slerp', models: [{ model: 'a' }, { model: 'b' }] }, 'parameters.t');
    bad({ merge_method: 'slerp', models: [{ model: 'a' }, { model: 'b' }], parameters: { t: 1.5 } }, '[0, 1]');
    bad(
      {
        merge_method: 'slerp',
        base_model: 'a',
        models: [{ model: 'a', parameters: { density: 0.5 } }, { model: 'b' }],
        parameters: { t: 0.5 },
      },
      'third model',
    );
  });
});
