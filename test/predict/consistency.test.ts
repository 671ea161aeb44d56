// One decision, stated once: on family S (all four fine-tunes: two SFT, a CPT-like one, a brief CPT), every consumer
// shows each fine-tune at the same density — analyze --json, predict --json, report.json, the dashboard's data and the
// recipe tune writes — and the recipe's notes say what the method does with weights and normalization.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { run as analyzeCmd } from '../../src/cli/commands/analyze.js';
import { run as predictCmd } from '../../src/cli/commands/predict.js';
import { loadDashboardData } from '../../src/app/dashboard.js';
import type { PredictionsJson } from '../../src/predict/types.js';
import { writeReport } from '../../src/report/write.js';
import { tune } from '../../src/tune/tune.js';
import { predict } from '../../src/predict/predict.js';
import { readAnalysis } from '../../src/store/analysis-store.js';
import { subsetAnalysis } from '../../src/analysis/subset.js';
import { familyS } from '../helpers/shared.js';

const tmp = mkdtempSync(join(tmpdir(), 'darekit-consistency-'));
const dir = join(tmp, 'analysis');
const S = familyS();
const FTS = ['sft-up', 'sft-shift', 'cpt-code', 'cpt-code-brief'];
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Densities = Record<string, number>;
const byName = (entries: [string, number][]): Densities => Object.fromEntries(entries.sort((a, b) => a[0].localeCompare(b[0])));
const name = (path: string): string => path.split('/').pop()!;
const views: Record<string, Densities> = {};
let analyzed: PredictionsJson;
let yaml = '';

beforeAll(async () => {
  analyzed = (
    await analyzeCmd(
      FTS.map((f) => join(S, f)),
      { base: join(S, 'base'), out: dir, threads: '1', json: true },
    )
  ).json as PredictionsJson;
  views['analyze --json models'] = byName(analyzed.models.map((m) => [name(m.path), m.recommendedDensity]));
  views['analyze --json set'] = byName(analyzed.set.models.map((d) => [d.model, d.density]));
  const predicted = (await predictCmd([dir], { tolerance: '0.95', json: true })).json as PredictionsJson;
  views['predict --json'] = byName(predicted.models.map((m) => [name(m.path), m.recommendedDensity]));
  await writeReport(dir);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as {
    models: { model: string; recommendedDensity: number }[];
    set: { models: { model: string; density: number }[] };
  };
  views['report.json models'] = byName(report.models.map((m) => [m.model, m.recommendedDensity]));
  views['report.json set'] = byName(report.set.models.map((d) => [d.model, d.density]));
  const dash = await loadDashboardData(dir);
  views['dash models'] = byName(dash.models.map((m) => [m.name, m.recommendedDensity]));
  views['dash recipe'] = byName(dash.recipe.models.map((m) => [m.name, m.density]));
  const t = await tune({ finetunes: [], analysisDir: dir, out: join(tmp, 'merged'), threads: 1 });
  yaml = t.yaml;
  const doc = parseYaml(yaml) as { models: { model: string; parameters: { density: number | { filter?: string; value: number }[] } }[] };
  // the model-level density: a scalar, or the default (last, filter-less) entry of per-layer rules
  views['tune recipe.yml'] = byName(
    doc.models.map((m) => {
      const d = m.parameters.density;
      return [name(m.model), typeof d === 'number' ? d : d[d.length - 1]!.value];
    }),
  );
}, 240_000);

describe('one decision, stated once (family S)', () => {
  test('every consumer shows each fine-tune at the same density', () => {
    const reference = views['analyze --json models']!;
    expect(Object.keys(reference).sort()).toEqual([...FTS].sort());
    for (const [view, d] of Object.entries(views)) expect(d, view).toEqual(reference);
  });

  test("the recipe says what its method does with weights (normalization per mergekit's defaults)", () => {
    const doc = parseYaml(yaml) as { merge_method: string; models: { parameters: { weight: number } }[] };
    expect(doc.merge_method).toBe(analyzed.set.mergeMethod);
    for (const m of doc.models) expect(m.parameters.weight).toBe(1);
    const normalizes = analyzed.set.normalize;
    expect(normalizes).toBe(doc.merge_method === 'ties');
    if (normalizes) {
      expect(yaml).toMatch(/ties normalizes by default/);
      expect(yaml).not.toMatch(/no normalization|does not normalize/);
    } else {
      expect(yaml).toMatch(/does not normalize by default/);
    }
  });

  test('pair thresholds are stated against unrelated deltas, and a chance-level sign conflict is not "material"', () => {
    const text = analyzed.set.reasons.join('\n');
    expect(text).not.toMatch(/material/);
    const method = analyzed.set.reasonDetails.find((r) => r.code.startsWith('method-'))!;
    if (method.code !== 'method-ties-cpt') expect(method.text).toMatch(/unrelated deltas give sign conflict ≈ 0\.5 and cosine ≈ 0/);
  });

  test("S's SFT pair (sign conflict 0.466, cosine 0.08) conflicts no more than chance: without the CPT it goes dare_linear", async () => {
    const pair = predict(subsetAnalysis(await readAnalysis(dir, { histograms: 'none' }), ['sft-up', 'sft-shift']));
    expect(pair.pairs[0]!.signConflict).toBeGreaterThan(0.44);
    expect(pair.pairs[0]!.signConflict).toBeLessThan(0.5);
    expect(pair.set.mergeMethod).toBe('dare_linear');
  });

  test('lm_head gets a safe rate from its own error and is flagged among the riskiest tensors in dash and report (sft-up: 59% of ‖Δ‖² in lm_head)', async () => {
    const dash = await loadDashboardData(dir);
    const up = dash.models.find((m) => m.name === 'sft-up')!;
    const head = up.tensors.find((t) => t.label === 'lm_head.weight')!;
    const blocks = up.layers.filter((l) => l.layer !== null);
    // its own rate is no higher than any block's, and the "other" row (embeddings, norm, lm_head) is no higher than it
    for (const l of blocks) expect(head.safeDropRate).toBeLessThanOrEqual(l.safeDropRate);
    expect(up.layers.find((l) => l.layer === null)!.safeDropRate).toBeLessThanOrEqual(head.safeDropRate);
    expect(head.risky).toBe(true);
    expect(up.layers.find((l) => l.layer === null)!.risky).toBe(true);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as {
      models: { model: string; riskiestTensors: { tensor: string }[] }[];
    };
    expect(report.models.find((m) => m.model === 'sft-up')!.riskiestTensors[0]!.tensor).toBe('lm_head.weight');
    const pred = predict(await readAnalysis(dir, { histograms: 'none' })).models.find((m) => m.model === 'sft-up')!;
    expect(pred.tensors.find((t) => t.tensor === 'lm_head.weight')!.toleratedNoise).toBeLessThan(pred.toleratedNoise);
    expect(pred.reasonDetails.find((r) => r.code === 'riskiest-tensor')!.text).toMatch(/^riskiest tensor: lm_head\.weight/);
  });

  test("analyze --json keeps DESIGN's keys and adds ranges and reason codes", () => {
    for (const m of analyzed.models) {
      expect(m.recommendedDropRate).toBeLessThanOrEqual(m.predictedDropRate);
      expect(m.dropRateLow).toBeLessThanOrEqual(m.dropRateHigh);
      expect(m.reasonCodes.length).toBeGreaterThan(0);
      expect(m.reasons).toEqual(m.reasonDetails.map((r) => r.text));
    }
    expect(resolve(analyzed.outDir)).toBe(resolve(dir));
  });
});
