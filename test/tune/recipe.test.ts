import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildRecipe, chooseMethod, scaledRecipe, verdictReason, type Recipe } from '../../src/tune/recipe.js';
import { recipeToYaml } from '../../src/schema/recipe-yaml.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { resolveParam } from '../../src/merge/params.js';
import type { ModelPrediction, Predictions } from '../../src/predict/types.js';
import { decideSet } from '../../src/predict/decision.js';

function model(name: string, p: number, layerP: number[], kind: 'sft' | 'cpt' = 'sft'): ModelPrediction {
  return {
    model: name,
    path: `/m/${name}`,
    kind,
    recommendedDropRate: p,
    recommendedDensity: 1 - p,
    verdict: 'ready',
    reasons: [],
    reasonDetails: [],
    relativeEnergy: 0.01,
    predictedDropRate: p,
    dropRateLow: p,
    dropRateHigh: p,
    basis: 'predicted',
    toleratedNoise: 10,
    blockFanIn: 96,
    deltaCharacter: 'task',
    blockCosine: 0.99,
    headEmbeddingShare: 0.5,
    meanAbsDelta: 0.01,
    droppableShare: 0.3,
    blockRelativeNorm: 0.1,
    predictedRetained: 0.95,
    predictedError: 0.1,
    cptScore: 0,
    cptSignals: [],
    embeddingShare: null,
    embeddingKurtosis: null,
    lmHeadEnergyShare: null,
    tensors: [],
    layers: [
      { layer: null, rho: 0.01, relativeNorm: 0.1, safeDropRate: 0.6, errorAtRecommended: 0.1, ratioToMedian: 1, hot: false },
      ...layerP.map((lp, i) => ({
        layer: i,
        rho: 0.01,
        relativeNorm: 0.1,
        safeDropRate: lp,
        errorAtRecommended: 0.1,
        ratioToMedian: 1,
        hot: false,
      })),
    ],
  };
}

/** Predictions with the predictor's own merge decision over these models (pairs of the given sign conflict and cosine). */
function preds(models: ModelPrediction[], conflict: number, cosine = 0.1): Predictions {
  const pairs = models.flatMap((a, i) =>
    models
      .slice(i + 1)
      .map((b) => ({ a: a.model, b: b.model, cosine, signConflict: conflict, weightedConflict: conflict, sqA: 1, sqB: 1 })),
  );
  return { base: '/m/base', tolerance: 0.95, kappa: 0.4, models, pairs, set: decideSet(models, pairs) };
}

describe('recipe from predictions', () => {
  it("takes the predictor's method: dare_ties only when deltas conflict more than chance (≥ 0.55) or point against each other, ties when a delta is CPT-like", () => {
    const a = model('a', 0.4, [0.4, 0.4]);
    const b = model('b', 0.3, [0.3, 0.3]);
    expect(chooseMethod(preds([a, b], 0.6)).method).toBe('dare_ties');
    expect(chooseMethod(preds([a, b], 0.48, -0.3)).method).toBe('dare_ties');
    expect(chooseMethod(preds([a, b], 0.47)).method).toBe('dare_linear');
    expect(chooseMethod(preds([a, b], 0.1)).method).toBe('dare_linear');
    expect(chooseMethod(preds([a], 0)).method).toBe('dare_linear');
    const r = buildRecipe(preds([a, model('c', 0.1, [0.1, 0.1], 'cpt')], 0.47), { seed: 0 });
    expect(r.method).toBe('ties');
    expect(r.notes[0]).toMatch(/c is CPT-like/);
    // the CPT model's density is its recommended density, the same number predict shows
    expect(r.models[1]!.density.value).toBe(0.9);
    expect(r.models[1]!.notes.join('\n')).toMatch(/ties normalizes by default/);
  });

  it('density = 1 − safe drop rate, with per-layer filter rules only when layers differ by ≥ 0.1', () => {
    const r = buildRecipe(preds([model('flat', 0.4, [0.4, 0.4, 0.45]), model('steep', 0.3, [0.5, 0.3, 0.3])], 0.47), { seed: 3 });
    expect(r.models[0]!.density).toMatchObject({ value: 0.6, rules: [] });
    expect(r.models[1]!.density.value).toBe(0.7);
    expect(r.models[1]!.density.rules.map((q) => [q.filter, q.value])).toEqual([
      ['layers.0.', 0.5],
      ['layers.1.', 0.7],
      ['layers.2.', 0.7],
    ]);
  });

  it("falls back to one density when a layer filter would also match other layers' tensors", () => {
    const names = [
      { name: 'x.layers.1.w', layer: 1 },
      { name: 'x.layers.0.w', layer: 0 },
      { name: 'y.sublayers.0.w', layer: null },
    ];
    const r = buildRecipe(preds([model('steep', 0.3, [0.5, 0.3])], 0), { seed: 0, tensorNames: names });
    expect(r.models[0]!.density.rules).toEqual([]);
    expect(r.models[0]!.density.note).toMatch(/would not match/);
  });

  it('verdictReason prefers the reason behind the verdict over the method choice', () => {
    const big = { ...model('a', 0.4, [0.4]), toleratedNoise: 0.5 };
    const set = preds([big, { ...big, model: 'b' }], 0.5, 0).set;
    expect(set.verdict).toBe('not-ready');
    expect(verdictReason(set)).toMatch(/^a is predicted to lose its skill/);
  });

  it('scaledRecipe multiplies every density (rules too), clamps to [0.05, 1] and sets weights', () => {
    const r = buildRecipe(preds([model('steep', 0.3, [0.5, 0.3])], 0), { seed: 0 });
    const s = scaledRecipe(r, 2, { steep: 0.5 });
    expect(s.models[0]!.density.value).toBe(1);
    expect(s.models[0]!.density.rules.map((q) => q.value)).toEqual([1, 1]);
    expect(s.models[0]!.weight).toBe(0.5);
    expect(scaledRecipe(r, 0.01, {}).models[0]!.density.value).toBe(0.05);
  });
});

describe('recipe YAML', () => {
  // Model dirs whose names need YAML quoting (colon-space, quotes, #), so the round trip tests the quoting.
  let dir = '';
  const basePath = () => join(dir, 'base: "odd" #path');
  const modelPath = (i: number) => join(dir, `model ${i}: 'q' #x`);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'darekit-recipe-'));
    mkdirSync(basePath());
    for (let i = 0; i < 4; i++) mkdirSync(modelPath(i));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const arbRecipe = fc.record({
    method: fc.constantFrom('dare_ties' as const, 'dare_linear' as const, 'ties' as const),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
    models: fc.array(
      fc.record({
        weight: fc.double({ min: 0, max: 3, noNaN: true }).map((w) => Math.round(w * 1000) / 1000),
        value: fc.integer({ min: 5, max: 100 }).map((d) => d / 100),
        rules: fc.array(
          fc.integer({ min: 5, max: 100 }).map((d) => d / 100),
          { maxLength: 4 },
        ),
        name: fc.string({ minLength: 1, maxLength: 12 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    note: fc.string(),
  });

  it("round-trips through the merge engine's mergekit parser to the same method, seed, weights and per-tensor densities", () => {
    fc.assert(
      fc.property(arbRecipe, (a) => {
        const recipe: Recipe = {
          method: a.method,
          base: basePath(),
          seed: a.seed,
          tolerance: 0.95,
          notes: [a.note, 'line\nbreak'],
          models: a.models.map((m, i) => ({
            model: m.name,
            path: modelPath(i),
            weight: m.weight,
            notes: [a.note, `${m.name}\n#x\rmerge_method: linear`],
            density: {
              value: m.value,
              note: a.note,
              rules: m.rules.map((v, L) => ({ filter: `layers.${L}.`, value: v, note: `layer ${L}\n${a.note}` })),
            },
          })),
        };
        const cfg = parseMergeConfig(recipeToYaml(recipe, ['header: "x" # y']), { configDir: '/' }, 'recipe');
        expect(cfg.method).toBe(a.method);
        expect(cfg.seed).toBe(a.seed);
        expect(cfg.baseModel).toBe(recipe.base);
        cfg.models.forEach((m, i) => {
          const want = recipe.models[i]!;
          expect(m.path).toBe(want.path);
          expect(resolveParam(m.parameters.weight!, 'model.norm.weight', 4)).toBe(want.weight);
          for (let L = 0; L < 4; L++) {
            const d = resolveParam(m.parameters.density!, `model.layers.${L}.mlp.up_proj.weight`, 4);
            expect(d).toBe(want.density.rules[L]?.value ?? want.density.value);
          }
          expect(resolveParam(m.parameters.density!, 'model.embed_tokens.weight', 4)).toBe(want.density.value);
        });
      }),
      { seed: 21, numRuns: 150 },
    );
  });

  it('explains each density in a comment next to it', () => {
    const r = buildRecipe(preds([model('steep', 0.3, [0.5, 0.3])], 0), { seed: 0 });
    const y = recipeToYaml(r);
    expect(y).toMatch(/# density 0\.70 = 1 − recommended drop rate 0\.3 \(the conservative end of the predicted range 0\.3–0\.3\)/);
    expect(y).toMatch(/# weight 1: dare_linear does not normalize by default/);
    expect(y).toMatch(/# layer 0: 1 − predicted safe drop rate 0\.5 for this layer[^\n]*\n\s+- filter: "layers\.0\."\n\s+value: 0\.5/);
  });
});
