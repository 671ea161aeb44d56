import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { writeFamily } from './fixtures.js';

let fam: ReturnType<typeof writeFamily>;
beforeAll(() => {
  fam = writeFamily(3, { poison: 3 });
});
afterAll(() => fam.cleanup());

function files(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f))]),
  );
}

describe('reproducibility: same config + seed ⇒ byte-identical output for any thread count and chunk size', () => {
  for (const method of ['dare_ties', 'ties', 'breadcrumbs_ties', 'dare_linear'] as const) {
    it(method, async () => {
      const doc = {
        merge_method: method,
        base_model: 'base',
        models: [1, 2].map((i) => ({
          model: `ft${i}`,
          parameters: { weight: 0.5 + i / 4, density: 0.45, ...(method.startsWith('bread') ? { gamma: 0.05 } : {}) },
        })),
        parameters: { seed: 99, ...(method === 'dare_linear' ? { rescale: 'l1' } : {}) },
      };
      const runs: Map<string, Buffer>[] = [];
      for (const [threads, chunkElements] of [
        [1, 1 << 20],
        [2, 17],
        [1, 64],
        [2, 1000],
      ] as const) {
        const out = join(fam.root, `det-${method}-${threads}-${chunkElements}`);
        await merge(parseMergeConfig(doc, { configDir: fam.root }), { out, threads, chunkElements });
        runs.push(files(out));
      }
      for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
      const other = join(fam.root, `det-${method}-seed`);
      await merge(parseMergeConfig({ ...doc, parameters: { ...doc.parameters, seed: 100 } }, { configDir: fam.root }), {
        out: other,
        threads: 1,
      });
      if (method.startsWith('dare')) expect(files(other).get('model.safetensors')).not.toEqual(runs[0]!.get('model.safetensors'));
    });
  }
});

describe('bad weights', () => {
  it('refuses NaN in an input (naming the model and the tensor) and leaves no output; --allow-nonfinite merges anyway', async () => {
    const doc = { merge_method: 'task_arithmetic', base_model: 'base', models: [{ model: 'ft3', parameters: { weight: 1 } }] };
    for (const threads of [1, 2]) {
      const out = join(fam.root, `nan-${threads}`);
      await expect(merge(parseMergeConfig(doc, { configDir: fam.root }), { out, threads })).rejects.toThrow(
        new RegExp(
          `^model ${join(fam.root, 'ft3').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: tensor "model\\.[^"]+" holds NaN or Inf values \\(\\d+ in elements \\[\\d+, \\d+\\), the first at element \\d+\\).*--allow-nonfinite`,
        ),
      );
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(fam.root).filter((f) => f.includes(`nan-${threads}`))).toEqual([]);
    }
    const out = join(fam.root, 'nan-allowed');
    await merge(parseMergeConfig(doc, { configDir: fam.root }), { out, threads: 2, allowNonfinite: true });
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  });
});
