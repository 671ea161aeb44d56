import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { writeFamily } from './fixtures.js';

let fam: ReturnType<typeof writeFamily>;
beforeAll(() => {
  fam = writeFamily(2);
});
afterAll(() => fam.cleanup());

describe('model card', () => {
  it('every merge writes README.md: front matter (base_model, tags, library_name), models, seed, verdict, and the exact recipe of mergekit_config.yml', async () => {
    const doc = {
      merge_method: 'dare_ties',
      base_model: 'base',
      models: [
        { model: 'ft1', parameters: { weight: 0.5, density: 0.3 } },
        { model: 'ft2', parameters: { weight: 0.5, density: 0.7 } },
      ],
      parameters: { seed: 9 },
    };
    const out = join(fam.root, 'carded');
    await merge(parseMergeConfig(doc, { configDir: fam.root }), {
      out,
      threads: 1,
      verdict: { verdict: 'caution', reasons: ['ft2 is close to its safe drop rate'] },
    });
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    const recipe = readFileSync(join(out, 'mergekit_config.yml'), 'utf8');
    const [, front, body] = card.split(/^---$/m);
    expect(parseYaml(front!)).toEqual({ base_model: 'base', tags: ['merge', 'darekit', 'dare_ties'], library_name: 'transformers' });
    expect(body).toContain('seed 9');
    expect(body).toContain('`ft2` (weight=0.5; density=0.7)');
    expect(body).toContain('**caution**');
    expect(body).toContain('- ft2 is close to its safe drop rate');
    const block = /```yaml\n([\s\S]*?)```/.exec(body!)![1]!;
    expect(block).toBe(recipe);
    expect(parseYaml(block)).toMatchObject({ merge_method: 'dare_ties', base_model: 'base', parameters: { seed: 9 } });
  });

  it('without a verdict the card says nothing about readiness; slerp without base lists both models as base_model', async () => {
    const out = join(fam.root, 'carded-slerp');
    await merge(
      parseMergeConfig(
        { merge_method: 'slerp', models: [{ model: 'ft1' }, { model: 'ft2' }], parameters: { t: 0.5 } },
        { configDir: fam.root },
      ),
      { out, threads: 1 },
    );
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(card).not.toContain('readiness');
    expect(parseYaml(card.split(/^---$/m)[1]!)).toMatchObject({ base_model: ['ft1', 'ft2'], tags: ['merge', 'darekit', 'slerp'] });
  });

  it('base_model holds a Hub repo id or a dir name, never a local path (the path stays in the body); per-layer densities keep their filters', async () => {
    // An absolute base path whose config.json names no repo id: the dir name.
    const doc = (base: string) => ({
      merge_method: 'dare_linear',
      base_model: base,
      models: [
        {
          model: 'ft1',
          parameters: { weight: 1, density: [{ filter: 'layers.0.', value: 0.6 }, { filter: 'layers.1.', value: 0.7 }, { value: 0.5 }] },
        },
      ],
    });
    const abs = join(fam.root, 'base');
    await merge(parseMergeConfig(doc(abs), { configDir: fam.root }), { out: join(fam.root, 'card-abs'), threads: 1 });
    const card = readFileSync(join(fam.root, 'card-abs', 'README.md'), 'utf8');
    const [, front, body] = card.split(/^---$/m);
    expect(parseYaml(front!).base_model).toBe('base');
    expect(body).toContain(abs);
    expect(body).toContain('density: "layers.0." → 0.6, "layers.1." → 0.7, other tensors → 0.5');
    expect(body).not.toMatch(/density\[\d\]/);

    // A copy of the base whose config.json says where it came from on the Hub: the repo id.
    const named = join(fam.root, 'named-base');
    cpSync(abs, named, { recursive: true });
    writeFileSync(
      join(named, 'config.json'),
      JSON.stringify({ model_type: 'llama', torch_dtype: 'bfloat16', _name_or_path: 'meta-llama/Llama-3.2-1B' }),
    );
    await merge(parseMergeConfig(doc(named), { configDir: fam.root }), { out: join(fam.root, 'card-named'), threads: 1 });
    expect(parseYaml(readFileSync(join(fam.root, 'card-named', 'README.md'), 'utf8').split(/^---$/m)[1]!).base_model).toBe(
      'meta-llama/Llama-3.2-1B',
    );

    // A Hugging Face cache snapshot: the repo id from the models--org--name dir.
    const snapshot = join(fam.root, 'hub', 'models--acme--tiny-base', 'snapshots', '0123abcd');
    mkdirSync(snapshot, { recursive: true });
    cpSync(abs, snapshot, { recursive: true });
    await merge(parseMergeConfig(doc(snapshot), { configDir: fam.root }), { out: join(fam.root, 'card-cache'), threads: 1 });
    expect(parseYaml(readFileSync(join(fam.root, 'card-cache', 'README.md'), 'utf8').split(/^---$/m)[1]!).base_model).toBe(
      'acme/tiny-base',
    );
  });
});
