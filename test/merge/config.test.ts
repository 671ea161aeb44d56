import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMergeConfig } from '../../src/merge/config.js';
import { planMerge } from '../../src/merge/plan.js';
import { interpolateGradient, resolveParam, parseParamValue } from '../../src/merge/params.js';
import { writeFamily } from './fixtures.js';
import { sharedPath } from '../helpers/shared.js';

let fam: ReturnType<typeof writeFamily>;
beforeAll(() => {
  fam = writeFamily(2);
});
afterAll(() => fam.cleanup());

const ok = (): Record<string, unknown> => ({
  merge_method: 'dare_ties',
  base_model: 'base',
  models: [
    { model: 'ft1', parameters: { weight: 1, density: 0.5 } },
    { model: 'ft2', parameters: { weight: 1, density: 0.5 } },
  ],
});

function errorOf(doc: Record<string, unknown> | string): string {
  try {
    const cfg = parseMergeConfig(doc, { configDir: fam.root });
    planMerge(cfg);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe('merge config validation: one-line errors naming the key, before any tensor is read', () => {
  it('suggests the closest method for a typo', () => {
    expect(errorOf({ ...ok(), merge_method: 'dare-ties' })).toMatch(
      /^merge_method: unknown method "dare-ties" \(did you mean dare_ties\?\)/,
    );
  });
  it('rejects unknown keys at every level', () => {
    expect(errorOf({ ...ok(), slicez: [] })).toMatch(/^slicez: unknown key/);
    expect(errorOf({ ...ok(), models: [{ model: 'ft1', paramters: {} }] })).toMatch(/^models\[0\]\.paramters: unknown key/);
  });
  it('ignores a parameter the method does not use, with a note (as mergekit ignores it)', () => {
    const typo = parseMergeConfig({ ...ok(), parameters: { densty: 0.5 } }, { configDir: fam.root });
    expect(typo.notes.join('\n')).toMatch(
      /^parameters\.densty: dare_ties does not use "densty"; ignored, as mergekit does \(did you mean density\?\)$/m,
    );
    expect(typo.parameters).toEqual({});
    const ta = parseMergeConfig({ ...ok(), merge_method: 'task_arithmetic' }, { configDir: fam.root });
    expect(ta.notes.filter((n) => /does not use "density"/.test(n))).toHaveLength(2);
    expect(ta.models[0]!.parameters).toEqual({ weight: { kind: 'scalar', value: 1 } });
  });
  it('rejects densities outside (0, 1], naming the model', () => {
    const d = ok();
    (d.models as { parameters: Record<string, unknown> }[])[1]!.parameters.density = 1.5;
    expect(errorOf(d)).toBe('models[1].parameters.density: 1.5 is outside (0, 1]');
    (d.models as { parameters: Record<string, unknown> }[])[1]!.parameters.density = [0.5, 0];
    expect(errorOf(d)).toBe('models[1].parameters.density[1]: 0 is outside (0, 1]');
  });
  it('rejects missing weights and non-numeric values', () => {
    const d = ok();
    delete (d.models as { parameters: Record<string, unknown> }[])[0]!.parameters.weight;
    expect(errorOf(d)).toMatch(/^models\[0\]\.parameters\.weight: missing/);
    const e = ok();
    (e.models as { parameters: Record<string, unknown> }[])[0]!.parameters.weight = 'heavy';
    expect(errorOf(e)).toMatch(/^models\[0\]\.parameters\.weight: "heavy" is not a finite number/);
  });
  it('rejects missing base models', () => {
    expect(errorOf({ ...ok(), base_model: undefined })).toMatch(/^base_model: dare_ties merges deltas/);
    expect(errorOf({ ...ok(), base_model: 'nope' })).toMatch(/^base_model: nope not found/);
  });
  it('rejects models that fail the homology check', () => {
    expect(
      errorOf({
        ...ok(),
        base_model: `${fam.root}/ft1/model.safetensors`,
        models: [{ model: sharedPath('families', 'S', 'sft-up'), parameters: { weight: 1 } }],
      }),
    ).toMatch(/not homologous/);
  });
  it('reports invalid YAML and bad seeds', () => {
    expect(errorOf('merge_method: [')).toMatch(/^config: not valid YAML/);
    expect(errorOf({ ...ok(), seed: -1 })).toMatch(/^seed: -1 is not a seed/);
  });
  it('accepts a valid config, resolving paths relative to the config dir and noting ignored keys', () => {
    const cfg = parseMergeConfig({ ...ok(), parameters: { int8_mask: true, seed: 5 } }, { configDir: fam.root });
    expect(cfg.models[0]!.path).toBe(`${fam.root}/ft1`);
    expect(cfg.seed).toBe(5);
    expect(cfg.notes.join(' ')).toMatch(/int8_mask: ignored/);
  });
});

describe('parameter resolution (mergekit semantics)', () => {
  it('interpolates gradients across layers and matches filters by substring, first match wins', () => {
    expect(interpolateGradient([0, 1], 0.5)).toBe(0.5);
    expect(interpolateGradient([0.2, 0.4, 1], 0.75)).toBeCloseTo(0.7, 12);
    const g = parseParamValue([0, 1], 'p');
    expect(resolveParam(g, 'model.layers.0.mlp.up_proj.weight', 3)).toBe(0);
    expect(resolveParam(g, 'model.layers.1.mlp.up_proj.weight', 3)).toBe(0.5);
    expect(resolveParam(g, 'model.embed_tokens.weight', 3)).toBe(0);
    // current mergekit (plan.py): every tensor outside the layer stack, lm_head and the final norm too, at t = 0
    expect(resolveParam(g, 'lm_head.weight', 3)).toBe(0);
    expect(resolveParam(g, 'model.norm.weight', 3)).toBe(0);
    // filter "*" is mergekit's match-all, not a literal substring
    const star = parseParamValue([{ filter: '*', value: 0.7 }, { value: 0.2 }], 'p');
    expect(resolveParam(star, 'model.layers.1.mlp.up_proj.weight', 3)).toBe(0.7);
    const f = parseParamValue([{ filter: 'mlp', value: 0.3 }, { filter: 'up_proj', value: 0.9 }, { value: [0.1, 0.5] }], 'p');
    expect(resolveParam(f, 'model.layers.2.mlp.up_proj.weight', 3)).toBe(0.3);
    expect(resolveParam(f, 'model.layers.2.self_attn.q_proj.weight', 3)).toBe(0.5);
  });
});
