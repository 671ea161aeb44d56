import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { asBf16, modelValues, SHAPES, writeFamily } from './fixtures.js';
import { referenceMergeTensor, type RefSpec } from './reference-merge.js';
import { readWholeTensor as readF32 } from '../helpers/read.js';

let fam: ReturnType<typeof writeFamily>;
beforeAll(() => {
  fam = writeFamily(3);
});
afterAll(() => fam.cleanup());

const W = [1, 0.6, -0.3];
const D = [0.3, 0.7, 0.5];
const G = [0.1, 0.05, 0.2];
const CASES: { method: string; yaml: Record<string, unknown>; spec: Partial<RefSpec> }[] = [
  { method: 'linear', yaml: {}, spec: { sparsify: 'none', elect: false, normalize: true, hasBase: false } },
  { method: 'task_arithmetic', yaml: { lambda: 0.7 }, spec: { sparsify: 'none', elect: false, normalize: false, lambda: 0.7 } },
  { method: 'ties', yaml: {}, spec: { sparsify: 'magnitude', elect: true, normalize: true } },
  { method: 'dare_linear', yaml: {}, spec: { sparsify: 'random', elect: false, normalize: false, scale: (i) => 1 / D[i]! } },
  { method: 'dare_ties', yaml: { rescale: 2.5 }, spec: { sparsify: 'random', elect: true, normalize: false, scale: () => 2.5 } },
  { method: 'dare_ties', yaml: { rescale: 'none', normalize: true }, spec: { sparsify: 'random', elect: true, normalize: true } },
  { method: 'breadcrumbs', yaml: {}, spec: { sparsify: 'breadcrumbs', elect: false, normalize: false } },
  { method: 'breadcrumbs_ties', yaml: { lambda: 1.5 }, spec: { sparsify: 'breadcrumbs', elect: true, normalize: false, lambda: 1.5 } },
];

describe('every method equals a straightforward float64 whole-tensor reference, bit for bit (F32 output)', () => {
  for (const c of CASES) {
    it(`${c.method} ${JSON.stringify(c.yaml)}`, async () => {
      const usesGamma = c.method.startsWith('breadcrumbs');
      const usesDensity = c.method !== 'linear' && c.method !== 'task_arithmetic';
      const doc = {
        merge_method: c.method,
        ...(c.method === 'linear' ? {} : { base_model: 'base' }),
        models: [1, 2, 3].map((i) => ({
          model: `ft${i}`,
          parameters: { weight: W[i - 1], ...(usesDensity ? { density: D[i - 1] } : {}), ...(usesGamma ? { gamma: G[i - 1] } : {}) },
        })),
        parameters: { ...c.yaml, seed: 77 },
        out_dtype: 'float32',
      };
      const cfg = parseMergeConfig(doc, { configDir: fam.root });
      const out = join(fam.root, `out-${c.method}-${Object.keys(c.yaml).join('-')}`);
      await merge(cfg, { out, threads: 1, chunkElements: 40 });
      const spec: RefSpec = {
        sparsify: 'none',
        elect: false,
        normalize: false,
        lambda: 1,
        hasBase: true,
        seed: 77,
        weights: W,
        densities: D,
        gammas: G,
        scale: () => 1,
        ...c.spec,
      };
      for (const [name] of SHAPES) {
        const base = asBf16(modelValues(0).get(name)!);
        const models = [1, 2, 3].map((i) => asBf16(modelValues(i).get(name)!));
        const want = referenceMergeTensor(name, base, models, spec);
        const got = readF32(out, name);
        expect(new Uint32Array(got.buffer), `${c.method} ${name}`).toEqual(new Uint32Array(want.buffer));
      }
    });
  }
});

describe('merged output', () => {
  it("passes the reader's validation, keeps every base tensor with its shape, and carries recipe and seed in __metadata__ and mergekit_config.yml", async () => {
    const cfg = parseMergeConfig(
      {
        merge_method: 'dare_ties',
        base_model: 'base',
        models: [{ model: 'ft1', parameters: { weight: 1, density: 0.5 } }],
        parameters: { seed: 1234 },
      },
      { configDir: fam.root },
    );
    const out = join(fam.root, 'out-meta');
    await merge(cfg, { out, threads: 2 });
    const m = openModel(out);
    const base = openModel(fam.dirs[0]!);
    expect(m.names.slice().sort()).toEqual(base.names.slice().sort());
    for (const n of base.names) {
      expect(m.tensors.get(n)!.shape).toEqual(base.tensors.get(n)!.shape);
      expect(m.tensors.get(n)!.dtype).toBe('BF16');
    }
    expect(m.metadata['darekit.seed']).toBe('1234');
    expect(m.metadata['darekit.recipe']).toContain('merge_method: dare_ties');
    expect(m.metadata['darekit.recipe']).toContain('seed: 1234');
    expect(readFileSync(join(out, 'mergekit_config.yml'), 'utf8')).toBe(m.metadata['darekit.recipe']);
    // the stored recipe parses back to the same merge
    const again = parseMergeConfig(m.metadata['darekit.recipe']!, { configDir: fam.root });
    expect(again.seed).toBe(1234);
    expect(again.method).toBe('dare_ties');
  });
});
