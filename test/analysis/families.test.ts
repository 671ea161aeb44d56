import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeModels } from '../../src/analysis/analyze.js';
import type { AnalysisResult } from '../../src/analysis/types.js';
import { sharedPath } from '../helpers/shared.js';

const S = sharedPath('families', 'S');
const FTS = ['sft-up', 'sft-shift', 'cpt-code', 'cpt-code-brief'];
type Truth = Record<string, Record<string, Record<string, number>>>;

let result: AnalysisResult;
let truth: Truth;
beforeAll(async () => {
  truth = JSON.parse(readFileSync(join(S, 'stats.json'), 'utf8')) as Truth;
  result = await analyzeModels({ base: join(S, 'base'), finetunes: FTS.map((f) => join(S, f)), threads: 2 });
});

describe('family S: per-tensor statistics match the independently computed stats.json', () => {
  it('‖Δ‖, ‖W_base‖, ‖W_ft‖, mean |Δ|, max |Δ|, mean Δ, std Δ and ρ agree to 1e-6 relative for every tensor', () => {
    let checked = 0;
    for (const ft of FTS) {
      for (const [tensor, want] of Object.entries(truth[ft]!)) {
        const row = result.tensors.find((t) => t.model === ft && t.tensor === tensor)!;
        expect(row, `${ft} ${tensor}`).toBeDefined();
        const pairs: [number, number, number][] = [
          [row.deltaL2, want.delta_l2!, want.delta_l2!], [row.baseL2, want.base_l2!, want.base_l2!], [row.ftL2, want.ft_l2!, want.ft_l2!],
          [row.meanAbsDelta, want.mean_abs_delta!, want.mean_abs_delta!], [row.maxAbsDelta, want.max_abs_delta!, want.max_abs_delta!],
          // mean and std can be tiny next to the deltas themselves: scale their tolerance by mean |Δ|
          [row.meanDelta, want.mean_delta!, want.mean_abs_delta!], [row.stdDelta, want.std_delta!, want.mean_abs_delta!], [row.rho, want.rho!, want.rho!],
        ];
        for (const [got, exp, scale] of pairs) expect(Math.abs(got - exp), `${ft} ${tensor}`).toBeLessThanOrEqual(1e-6 * Math.abs(scale));
        checked++;
      }
    }
    expect(checked).toBe(result.tensors.length);
  });
});
