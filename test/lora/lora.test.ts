import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeModels } from '../../src/analysis/analyze.js';
import { isDarekitError } from '../../src/errors.js';
import { openFinetune, openLoraAdapter, type LoraSource } from '../../src/io/lora.js';
import { openModel } from '../../src/io/model.js';
import { ReadContext } from '../../src/io/read-context.js';
import { loraDeltaRange } from '../../src/io/readers/lora.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import type { WrittenLoraModule } from '../../src/fixtures/lora-adapter.js';
import { BASE_SHAPES, deltaF64, TARGETS, writeAdapter, writeBase, writeMaterialized } from './helpers.js';
import { readWholeTensor } from '../helpers/read.js';

let fx: ReturnType<typeof writeBase>;
let mods1: WrittenLoraModule[];
let mods2: WrittenLoraModule[];
const SCALE1 = 8 / 4; // alpha / r
const SCALE2 = 6 / Math.sqrt(3); // rsLoRA: alpha / √r

beforeAll(() => {
  fx = writeBase();
  mods1 = writeAdapter(fx.base, join(fx.root, 'ad1'), { seed: 1 });
  mods2 = writeAdapter(fx.base, join(fx.root, 'ad2'), { seed: 2, rank: 3, alpha: 6, rslora: true, dtype: 'BF16', adapterName: 'default' });
  writeMaterialized(join(fx.root, 'mat1'), fx.values, mods1, SCALE1);
  writeMaterialized(join(fx.root, 'mat2'), fx.values, mods2, SCALE2);
});
afterAll(() => fx.cleanup());

function expectInputError(fn: () => unknown, ...parts: string[]): void {
  try {
    fn();
  } catch (err) {
    expect(isDarekitError(err), String(err)).toBe(true);
    const msg = (err as Error).message;
    expect(msg.includes('\n')).toBe(false);
    for (const p of parts) expect(msg).toContain(p);
    return;
  }
  throw new Error('expected an input error');
}

/** A tensor of a full model, or of an adapter read over its base. */
const readAll = (dir: string, name: string, base?: string): Float32Array =>
  readWholeTensor(base ? openFinetune(dir, openModel(base)) : openModel(dir), name);

describe('LoRA delta = (alpha/r)·B·A computed chunk by chunk', () => {
  it('equals the explicit float64 product to 1e-6 relative, for any element range (rows split anywhere)', () => {
    for (const [mods, dir, scale] of [
      [mods1, 'ad1', SCALE1],
      [mods2, 'ad2', SCALE2],
    ] as const) {
      const model = openLoraAdapter(join(fx.root, dir), openModel(fx.base));
      const files = new ReadContext();
      for (const m of mods) {
        const src = model.tensors.get(m.target)!.source as LoraSource;
        expect(src.kind).toBe('lora');
        expect(src.scale).toBeCloseTo(scale, 12);
        const want = deltaF64(m, scale);
        for (const chunk of [1, 7, 33, 100, want.length]) {
          const got = new Float32Array(want.length);
          for (let s = 0; s < want.length; s += chunk) {
            const n = Math.min(chunk, want.length - s);
            const part = new Float32Array(n);
            loraDeltaRange(src, s, n, part, files);
            got.set(part, s);
          }
          let worst = 0;
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), 1e-30));
          expect(worst, `${m.target} chunk ${chunk}`).toBeLessThan(1e-6);
        }
      }
      files.close();
    }
  });

  it('reads adapted tensors as f32(base + delta), untouched tensors as the base, chunked == whole', () => {
    const mat = join(fx.root, 'mat1');
    for (const [name] of BASE_SHAPES) {
      const want = readAll(mat, name);
      const got = readAll(join(fx.root, 'ad1'), name, fx.base);
      expect(new Uint32Array(got.buffer), name).toEqual(new Uint32Array(want.buffer));
    }
    const model = openFinetune(join(fx.root, 'ad1'), openModel(fx.base));
    expect(model.adapter?.rank).toBe(4);
    expect(model.tensors.get('model.norm.weight')!.source).toBeUndefined();
    expect(model.tensors.get(TARGETS[0]!)!.dtype).toBe('F32');
  });
});

describe('analyze and merge on an adapter equal the materialized fine-tune', () => {
  it('analyzeModels: identical tensor, layer, model and pair statistics; loraRank reported', async () => {
    const run = (fts: string[], threads: number) =>
      analyzeModels({ base: fx.base, finetunes: fts, labels: ['a', 'b'], threads, chunkElements: 4096 });
    const viaAdapter = await run([join(fx.root, 'ad1'), join(fx.root, 'ad2')], 2);
    const viaFull = await run([join(fx.root, 'mat1'), join(fx.root, 'mat2')], 1);
    expect(viaAdapter.tensors.map(({ dtype: _d, ...r }) => r)).toEqual(viaFull.tensors.map(({ dtype: _d, ...r }) => r));
    expect(viaAdapter.layers).toEqual(viaFull.layers);
    expect(viaAdapter.pairs).toEqual(viaFull.pairs);
    expect(viaAdapter.models.map(({ path: _p, loraRank: _r, ...r }) => r)).toEqual(
      viaFull.models.map(({ path: _p, loraRank: _r, ...r }) => r),
    );
    expect(viaAdapter.models.map((m) => m.loraRank)).toEqual([4, 3]);
    expect(viaFull.models.map((m) => m.loraRank)).toEqual([null, null]);
    const q = viaAdapter.tensors.find((t) => t.tensor === 'model.layers.1.self_attn.q_proj.weight' && t.model === 'a')!;
    expect(q.sumSqDelta).toBe(0); // not a target: zero delta
  });

  it('dare_ties merge: same output values with adapters (model: dir, and base+adapter) as with the materialized models, threads 1 == 2', async () => {
    const doc = (m1: string, m2: string) => ({
      merge_method: 'dare_ties',
      base_model: 'base',
      models: [
        { model: m1, parameters: { weight: 0.7, density: 0.6 } },
        { model: m2, parameters: { weight: 0.5, density: 0.8 } },
      ],
      parameters: { seed: 5 },
      out_dtype: 'float32',
    });
    const outs: string[] = [];
    const variants: [string, string, number][] = [
      ['mat1', 'mat2', 1],
      ['ad1', 'ad2', 1],
      ['ad1', 'base+ad2', 2],
    ];
    for (const [i, [a, b, threads]] of variants.entries()) {
      const out = join(fx.root, `merged-${i}`);
      await merge(parseMergeConfig(doc(a, b), { configDir: fx.root }), { out, threads, chunkElements: 100 });
      outs.push(out);
    }
    for (const [name] of BASE_SHAPES) {
      const want = new Uint32Array(readAll(outs[0]!, name).buffer);
      expect(new Uint32Array(readAll(outs[1]!, name).buffer), name).toEqual(want);
      expect(new Uint32Array(readAll(outs[2]!, name).buffer), name).toEqual(want);
    }
  });
});

describe('adapters darekit refuses, with one line naming the problem', () => {
  const adapter = (name: string, spec: Parameters<typeof writeAdapter>[2]): string => {
    const dir = join(fx.root, name);
    writeAdapter(fx.base, dir, spec);
    return dir;
  };
  it('DoRA, IA3, LoHa, fan_in_fan_out, trained biases', () => {
    const base = openModel(fx.base);
    expectInputError(() => openFinetune(adapter('dora', { extraConfig: { use_dora: true } }), base), 'DoRA');
    expectInputError(() => openFinetune(adapter('ia3', { extraConfig: { peft_type: 'IA3' } }), base), 'IA3');
    expectInputError(() => openFinetune(adapter('loha', { extraConfig: { peft_type: 'LOHA' } }), base), 'LoHa');
    expectInputError(() => openFinetune(adapter('fifo', { extraConfig: { fan_in_fan_out: true } }), base), 'fan_in_fan_out');
    expectInputError(() => openFinetune(adapter('bias', { extraConfig: { bias: 'all' } }), base), 'bias');
  });

  it('an adapter for another base: names the module and both shapes', () => {
    const other = writeBase(BASE_SHAPES.map(([n, s]) => [n, n.includes('q_proj') ? [48, 33] : s]));
    try {
      const dir = join(other.root, 'ad');
      writeAdapter(other.base, dir);
      expectInputError(() => openFinetune(dir, openModel(fx.base)), 'model.layers.0.self_attn.q_proj', '[48, 33]', '[40, 33]');
    } finally {
      other.cleanup();
    }
  });

  it('a rank that disagrees with adapter_config.json; an adapter in a merge without base_model', () => {
    const base = openModel(fx.base);
    expectInputError(() => openFinetune(adapter('rank', { extraConfig: { r: 8 } }), base), 'rank 4', 'r = 8');
    adapter('nobase', {});
    const parsed = parseMergeConfig(
      { merge_method: 'linear', models: [{ model: 'nobase', parameters: { weight: 1 } }] },
      { configDir: fx.root },
    );
    return merge(parsed, { out: join(fx.root, 'never'), threads: 1 }).then(
      () => {
        throw new Error('expected a refusal');
      },
      (err: unknown) => {
        expect(isDarekitError(err)).toBe(true);
        expect((err as Error).message).toContain('base_model');
      },
    );
  });
});
