import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeModels } from '../../src/analysis/analyze.js';
import type { AnalysisResult } from '../../src/schema/analysis.js';
import { sharedPath } from '../helpers/shared.js';
import { EPS0, EPS1, EPS3 } from './bounds.js';

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
  it("‖Δ‖, ‖W_base‖, ‖W_ft‖, mean |Δ|, max |Δ|, mean Δ, std Δ and ρ agree within the README's stated bounds for every tensor", () => {
    let checked = 0;
    for (const ft of FTS) {
      for (const [tensor, want] of Object.entries(truth[ft]!)) {
        const row = result.tensors.find((t) => t.model === ft && t.tensor === tensor)!;
        expect(row, `${ft} ${tensor}`).toBeDefined();
        const n = row.numel - row.nonFinite;
        // stated bounds: norms ε₁/2 relative, mean |Δ| ε₀, mean within ε₀·mean|Δ|, ρ 2.01·ε₁, and
        // |std² − std'²| ≤ 3·ε₃·ΣΔ²/N; max |Δ| is exact (1e-12 leaves room for the JSON's decimal digits)
        const m2raw = want.delta_l2! ** 2 / n;
        const checks: [string, number, number, number][] = [
          ['delta_l2', row.deltaL2, want.delta_l2!, (EPS1 / 2) * want.delta_l2!],
          ['base_l2', row.baseL2, want.base_l2!, (EPS1 / 2) * want.base_l2!],
          ['ft_l2', row.ftL2, want.ft_l2!, (EPS1 / 2) * want.ft_l2!],
          ['mean_abs_delta', row.meanAbsDelta, want.mean_abs_delta!, EPS0 * want.mean_abs_delta!],
          ['max_abs_delta', row.maxAbsDelta, want.max_abs_delta!, 1e-12 * want.max_abs_delta!],
          ['mean_delta', row.meanDelta, want.mean_delta!, EPS0 * want.mean_abs_delta!],
          ['std_delta²', row.stdDelta ** 2, want.std_delta! ** 2, 3 * EPS3 * m2raw],
          ['rho', row.rho, want.rho!, 2.01 * EPS1 * want.rho!],
        ];
        // 1e-12 relative on top: stats.json holds decimal renderings of float64 values
        for (const [what, got, exp, tol] of checks)
          expect(Math.abs(got - exp), `${ft} ${tensor} ${what}`).toBeLessThanOrEqual(tol + 1e-12 * Math.abs(exp));
        checked++;
      }
    }
    expect(checked).toBe(result.tensors.length);
  });
});
