// The static text summary printed instead of the dashboard when stdout is not a terminal (`darekit dash DIR | cat`).
import type { DashboardData, DashModel, DashRow } from './model.js';
import { fmtNum, fmtShare, measuredNote, signed3, verdictBadge } from './format.js';
import { sortRows } from './rows.js';

/** How many riskiest layers the summary lists per fine-tune. */
export const SUMMARY_RISKY_LAYERS = 3;

/** A model's riskiest layers: highest predicted error first (lowest safe drop rate when errors are unknown). */
export function riskiestLayers(m: DashModel, n: number): DashRow[] {
  const anyError = m.layers.some((r) => Number.isFinite(r.predictedError));
  return sortRows(m.layers, anyError ? 'predictedError' : 'safeDropRate').slice(0, n);
}

function signed(x: number): string {
  return signed3(x).trim();
}

/** Plain-text summary: set verdict, models with verdicts and reasons, riskiest layers, pairs, recipe and command. */
export function dashboardSummary(data: DashboardData): string {
  const out: string[] = [];
  const nameW = Math.max(6, ...data.models.map((m) => m.name.length));
  out.push(`darekit dash — ${data.dir}`);
  out.push(`base: ${data.base} · ${data.models.length} fine-tune(s) · tolerance ${data.tolerance}`);
  out.push(`set: ${verdictBadge(data.set.verdict)} — method ${data.set.method}`);
  for (const r of data.set.reasons) out.push(`  - ${r}`);
  out.push('', 'models:');
  for (const m of data.models) {
    out.push(
      `  ${m.name.padEnd(nameW)}  ${m.kind.padEnd(3)}  ${verdictBadge(m.verdict).padEnd(9)}  drop p ${fmtShare(m.recommendedDropRate)}${measuredNote(m)}` +
        ` (density ${fmtShare(m.recommendedDensity)})  ρ ${fmtNum(m.rho, 7).trim()}  mean|Δ| ${fmtNum(m.meanAbsDelta, 7).trim()}`,
    );
    for (const r of m.reasons) out.push(`      - ${r}`);
  }
  out.push('', `riskiest layers (top ${SUMMARY_RISKY_LAYERS} by predicted error at the recommended drop rate):`);
  for (const m of data.models) {
    const top = riskiestLayers(m, SUMMARY_RISKY_LAYERS)
      .map(
        (r) =>
          `${r.label} (ρ ${fmtNum(r.rho, 7).trim()}, safe p ${fmtShare(r.safeDropRate).trim()}, err ${fmtNum(r.predictedError, 6).trim()})`,
      )
      .join(', ');
    out.push(`  ${m.name.padEnd(nameW)}  ${top || '(no layers)'}`);
  }
  out.push('', 'pairs:');
  if (data.pairs.length === 0) out.push('  (one fine-tune: no pairs)');
  for (const p of data.pairs) out.push(`  ${p.a} ↔ ${p.b}  cosine ${signed(p.cosine)}  sign conflict ${fmtShare(p.signConflict).trim()}`);
  const r = data.recipe;
  out.push('', `recipe: ${r.method}, base ${r.baseModel}`);
  for (const m of r.models) {
    const rules = m.layerRules ? ` (per-layer: ${m.layerRules} filter rules, this value for other tensors)` : '';
    out.push(`  ${m.name.padEnd(nameW)}  weight ${m.weight}  density ${m.density.toFixed(2)}${rules}`);
  }
  for (const n of r.notes) out.push(`  note: ${n}`);
  out.push(`run: ${r.tuneCommand}`);
  out.push(`(in a terminal, the dashboard's m key writes ${r.recipePath}; then: ${r.command})`);
  return out.join('\n') + '\n';
}
