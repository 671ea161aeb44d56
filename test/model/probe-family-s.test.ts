// The probe on family S with its examples, against the shared ground truth (truth.json, measured with torch
// and greedy decoding on other problems) and against the float64 reference measurement of test/model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/app/probe.js';
import { openModel } from '../../src/io/model.js';
import type { ProbeResult } from '../../src/model/probe.js';
import { familyS } from '../helpers/shared.js';
import { refConfig, refExamples, refMeasure, refSweep, refWeights } from './probe-reference.js';

const S = familyS();
const BASE = join(S, 'base');
const MODELS = ['sft-up', 'sft-shift', 'cpt-code', 'cpt-code-brief'] as const;
const examplesOf = (m: string): string => join(S, 'examples', m + (m.startsWith('sft') ? '.jsonl' : '.txt'));
type Truth = { drop_rates: number[]; models: Record<string, { safe_drop_rate: Record<string, number> }> };
const truth = JSON.parse(readFileSync(join(S, 'truth.json'), 'utf8')) as Truth;
const GRID = truth.drop_rates;
const steps = (a: number, b: number): number => Math.abs(GRID.indexOf(a) - GRID.indexOf(b));

let result: ProbeResult;
beforeAll(async () => {
  ({ result } = await runProbe({
    base: BASE,
    finetunes: MODELS.map((m) => join(S, m)),
    examples: MODELS.map((m) => `${m}=${examplesOf(m)}`),
    threads: 1,
  }));
}, 1_800_000);

const model = (m: string) => result.models.find((x) => x.path.endsWith(`/${m}`))!;

describe('darekit probe on family S', () => {
  it("uses truth.json's grid and 3 seeds by default: 1 base pass + (1 + 1 + 12 × 3) per fine-tune", () => {
    expect(result.dropRates).toEqual(GRID);
    expect(result.seeds).toEqual([0, 1, 2]);
    expect(result.forwardPasses).toBe(1 + 4 * 38);
  });

  it('safe drop rates at 0.95 are within two grid steps of truth.json for all four, one step for at least three', () => {
    const d = MODELS.map((m) => steps(model(m).safeDropRate!, truth.models[m]!.safe_drop_rate['0.95']!));
    expect(Math.max(...d), JSON.stringify(d)).toBeLessThanOrEqual(2);
    expect(d.filter((x) => x <= 1).length, JSON.stringify(d)).toBeGreaterThanOrEqual(3);
  });

  it('p = 0 reproduces each fine-tune score exactly', () => {
    for (const m of MODELS) {
      expect(model(m).sweep[0]!.dropRate).toBe(0);
      expect(model(m).sweep[0]!.seedScores).toEqual([model(m).ftScore]);
      expect(model(m).sweep[0]!.retained).toBe(1);
    }
  });

  it("the fine-tunes' scores equal the float64 reference's (exact match exactly, loss to float32 precision)", () => {
    const names = openModel(BASE).names;
    const cfg = refConfig(BASE);
    for (const m of MODELS) {
      const ex = refExamples(examplesOf(m));
      const ref = refMeasure(cfg, refWeights(join(S, m), names), ex.examples);
      if (ex.metric === 'exact_match') expect(model(m).ftScore, m).toBe(ref.exactMatch);
      else expect(Math.abs(model(m).ftScore + ref.loss) / ref.loss, m).toBeLessThan(1e-6);
      expect(Math.abs(model(m).ftLoss - ref.loss) / ref.loss, m).toBeLessThan(1e-5);
    }
  }, 1_800_000);

  it('gives identical results with --threads 2', async () => {
    const two = await runProbe({
      base: BASE,
      finetunes: [join(S, 'sft-shift')],
      examples: [`sft-shift=${examplesOf('sft-shift')}`],
      threads: 2,
    });
    expect(two.result.models[0]).toEqual(model('sft-shift'));
  }, 1_800_000);

  // The whole reference sweep (float64 forward pass for 4 × 38 models) is scalar JS: 65 min on the shared 2-core
  // machine of the first run (load ≈ 15), where all four safe drop rates equalled the probe's and the retained shares
  // agreed to 5.3e-6. Run it with DAREKIT_FULL_REFERENCE=1.
  it.skipIf(!process.env.DAREKIT_FULL_REFERENCE)(
    'safe drop rates are within one grid step of the float64 reference measurement',
    () => {
      const names = openModel(BASE).names;
      const cfg = refConfig(BASE);
      const base = refWeights(BASE, names);
      for (const m of MODELS) {
        const ex = refExamples(examplesOf(m));
        const ref = refSweep(cfg, base, refWeights(join(S, m), names), ex.metric, ex.examples, GRID, [0, 1, 2], 0.95);
        expect(steps(model(m).safeDropRate!, ref.safeDropRate), m).toBeLessThanOrEqual(1);
      }
    },
    7_200_000,
  );
});
