import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { writeFamily } from './fixtures.js';

let fam: ReturnType<typeof writeFamily>;
beforeAll(() => { fam = writeFamily(2); });
afterAll(() => fam.cleanup());

describe('model card', () => {
  it('every merge writes README.md: front matter (base_model, tags, library_name), models, seed, verdict, and the exact recipe of mergekit_config.yml', async () => {
    const doc = { merge_method: 'dare_ties', base_model: 'base', models: [{ model: 'ft1', parameters: { weight: 0.5, density: 0.3 } }, { model: 'ft2', parameters: { weight: 0.5, density: 0.7 } }], parameters: { seed: 9 } };
    const out = join(fam.root, 'carded');
    await merge(parseMergeConfig(doc, { configDir: fam.root }), { out, threads: 1, verdict: { verdict: 'caution', reasons: ['ft2 is close to its safe drop rate'] } });
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    const recipe = readFileSync(join(out, 'mergekit_config.yml'), 'utf8');
    const [, front, body] = card.split(/^---$/m);
    expect(parseYaml(front!)).toEqual({ base_model: 'base', tags: ['merge', 'darekit', 'dare_ties'], library_name: 'transformers' });
    expect(body).toContain('seed 9');
    expect(body).toContain('`ft2` (weight=0.5, density=0.7)');
    expect(body).toContain('**caution**');
    expect(body).toContain('- ft2 is close to its safe drop rate');
    const block = /```yaml\n([\s\S]*?)```/.exec(body!)![1]!;
    expect(block).toBe(recipe);
    expect(parseYaml(block)).toMatchObject({ merge_method: 'dare_ties', base_model: 'base', parameters: { seed: 9 } });
  });

  it('without a verdict the card says nothing about readiness; slerp without base lists both models as base_model', async () => {
    const out = join(fam.root, 'carded-slerp');
    await merge(parseMergeConfig({ merge_method: 'slerp', models: [{ model: 'ft1' }, { model: 'ft2' }], parameters: { t: 0.5 } }, { configDir: fam.root }), { out, threads: 1 });
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(card).not.toContain('readiness');
    expect(parseYaml(card.split(/^---$/m)[1]!)).toMatchObject({ base_model: ['ft1', 'ft2'], tags: ['merge', 'darekit', 'slerp'] });
  });
});
