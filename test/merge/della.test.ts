import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDarekitError } from '../../src/errors.js';
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
const D = [0.5, 0.7, 0.4];
const E = [0.1, 0.2, 0.05];

describe('della and della_linear equal a straightforward float64 reference (per-row sort, hash mask, 1/p), bit for bit', () => {
  const cases: { method: string; yaml: Record<string, unknown>; spec: Partial<RefSpec> }[] = [
    { method: 'della', yaml: {}, spec: { elect: true, normalize: true } },
    { method: 'della_linear', yaml: {}, spec: { elect: false, normalize: false } },
    { method: 'della', yaml: { lambda: 1.3, normalize: false }, spec: { elect: true, normalize: false, lambda: 1.3 } },
  ];
  for (const c of cases) {
    it(`${c.method} ${JSON.stringify(c.yaml)}, chunks of 40 and 1M elements, threads 1 and 2`, async () => {
      const doc = {
        merge_method: c.method,
        base_model: 'base',
        models: [1, 2, 3].map((i) => ({ model: `ft${i}`, parameters: { weight: W[i - 1], density: D[i - 1], epsilon: E[i - 1] } })),
        parameters: { ...c.yaml, seed: 31 },
        out_dtype: 'float32',
      };
      const outs: string[] = [];
      for (const [chunk, threads] of [
        [40, 1],
        [1 << 20, 2],
      ] as const) {
        const out = join(fam.root, `out-${c.method}-${Object.keys(c.yaml).length}-${chunk}`);
        await merge(parseMergeConfig(doc, { configDir: fam.root }), { out, threads, chunkElements: chunk });
        outs.push(out);
      }
      for (const [name, shape] of SHAPES) {
        const base = asBf16(modelValues(0).get(name)!);
        const models = [1, 2, 3].map((i) => asBf16(modelValues(i).get(name)!));
        const spec: RefSpec = {
          sparsify: 'della',
          elect: false,
          normalize: false,
          lambda: 1,
          hasBase: true,
          seed: 31,
          weights: W,
          densities: D,
          gammas: [0, 0, 0],
          scale: () => 1,
          cols: shape.length === 2 ? shape[1]! : shape[0]!,
          epsilons: E,
          ...c.spec,
        };
        const want = new Uint32Array(referenceMergeTensor(name, base, models, spec).buffer);
        for (const out of outs) expect(new Uint32Array(readF32(out, name).buffer), `${c.method} ${name}`).toEqual(want);
      }
    });
  }

  it('refuses density ± epsilon outside (0, 1], naming the values and what to change', async () => {
    const doc = (eps: number) => ({
      merge_method: 'della',
      base_model: 'base',
      models: [{ model: 'ft1', parameters: { weight: 1, density: 0.2, epsilon: eps } }],
    });
    await expect(merge(parseMergeConfig(doc(0.25), { configDir: fam.root }), { out: join(fam.root, 'bad'), threads: 1 })).rejects.toThrow(
      /epsilon 0.25/,
    );
    const err = await merge(parseMergeConfig(doc(0.2), { configDir: fam.root }), { out: join(fam.root, 'bad2'), threads: 1 }).catch(
      (e: unknown) => e,
    );
    expect(isDarekitError(err)).toBe(true);
    expect((err as Error).message).toContain('lower epsilon');
  });
});
