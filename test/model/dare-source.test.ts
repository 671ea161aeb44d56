// The probe's weight sources against what `darekit merge` writes (the same YAML, merged to disk) and against
// a float64 DARE of the stored weights with darekit's mask.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { loadMergeConfig, parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { loadLlamaConfig } from '../../src/model/config.js';
import { dareRecipeYaml, dareWeightSource } from '../../src/model/dare-source.js';
import { mergeWeightSource } from '../../src/model/merge-source.js';
import { readWholeTensor } from '../helpers/read.js';
import { familyS } from '../helpers/shared.js';
import { refDare, refWeights } from './probe-reference.js';

const S = familyS();
const BASE = join(S, 'base');
const FT = join(S, 'sft-up');
const NAMES = openModel(BASE).names;
const work = mkdtempSync(join(tmpdir(), 'darekit-dare-source-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('DARE weight source', () => {
  it.each([
    [0.3, 0],
    [0.9, 2],
  ])('DARE(sft-up, %s, seed %s) equals what `darekit merge` writes from the printed YAML, bit for bit', async (p, seed) => {
    const yml = join(work, `dare-${p}-${seed}.yml`);
    writeFileSync(yml, dareRecipeYaml(BASE, FT, p, seed));
    const out = join(work, `merged-${p}-${seed}`);
    await merge(loadMergeConfig(yml), { out, threads: 1 });
    const src = dareWeightSource(BASE, FT, p, seed, loadLlamaConfig(BASE));
    try {
      for (const name of NAMES) {
        const got = await src.tensor(name);
        const want = readWholeTensor(out, name);
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), name).toBe(true);
      }
    } finally {
      src.close();
    }
  });

  it('matches a float64 DARE of the stored weights (darekit mask, rescale 1/(1-p)) to float32 rounding', async () => {
    const base = refWeights(BASE, NAMES);
    const ft = refWeights(FT, NAMES);
    const want = refDare(base, ft, 0.7, 1);
    const src = dareWeightSource(BASE, FT, 0.7, 1, loadLlamaConfig(BASE));
    let dropped = 0;
    let total = 0;
    try {
      for (const name of NAMES) {
        const got = await src.tensor(name);
        const w = want.get(name)!;
        const b = base.get(name)!;
        const f = ft.get(name)!;
        for (let i = 0; i < got.length; i++) {
          // f32 delta and f32 result: two roundings of values of the size of the terms
          const scale = Math.abs(b[i]!) + Math.abs(f[i]! - b[i]!) / 0.3;
          expect(Math.abs(got[i]! - w[i]!), name).toBeLessThanOrEqual(scale * 2 ** -22);
          if (w[i] === b[i]) dropped++;
        }
        total += got.length;
      }
    } finally {
      src.close();
    }
    expect(dropped / total).toBeGreaterThan(0.68);
    expect(dropped / total).toBeLessThan(0.72);
  });

  it('at p = 0 reproduces the fine-tune exactly', async () => {
    const src = dareWeightSource(BASE, FT, 0, 0, loadLlamaConfig(BASE));
    try {
      for (const name of NAMES)
        expect(Buffer.from((await src.tensor(name)).buffer).equals(Buffer.from(readWholeTensor(FT, name).buffer)), name).toBe(true);
    } finally {
      src.close();
    }
  });
});

describe('candidate-merge weight source', () => {
  it('computes a dare_ties merge of both SFT models in memory exactly as the written BF16 merge', async () => {
    const yaml = `merge_method: dare_ties\nbase_model: ${JSON.stringify(BASE)}\nmodels:\n  - model: ${JSON.stringify(FT)}\n    parameters: {weight: 1, density: 0.6}\n  - model: ${JSON.stringify(join(S, 'sft-shift'))}\n    parameters: {weight: 0.8, density: 0.4}\nseed: 5\n`;
    const config = parseMergeConfig(yaml, { configDir: work });
    const out = join(work, 'ties');
    await merge(config, { out, threads: 1 });
    const src = mergeWeightSource(parseMergeConfig(yaml, { configDir: work }), loadLlamaConfig(BASE));
    try {
      for (const name of NAMES)
        expect(Buffer.from((await src.tensor(name)).buffer).equals(Buffer.from(readWholeTensor(out, name).buffer)), name).toBe(true);
    } finally {
      src.close();
    }
  });
});
