import { safeName as n } from '../text/safe-text.js';
import type { Predictions } from './types.js';

/** Human-readable predictions for the terminal. */
export function renderPredictions(p: Predictions): string {
  const lines: string[] = [`tolerance ${p.tolerance} (share of each fine-tune's gain to keep), κ = ${p.kappa.toPrecision(4)}`, ''];
  const w = Math.max(5, ...p.models.map((m) => n(m.model).length));
  lines.push(`${'model'.padEnd(w)}  kind  drop p  density  r       verdict`);
  for (const m of p.models) {
    lines.push(`${n(m.model).padEnd(w)}  ${m.kind.padEnd(4)}  ${m.recommendedDropRate.toFixed(2).padStart(6)}  ${m.recommendedDensity.toFixed(2).padStart(7)}  ${m.blockRelativeNorm.toFixed(4)}  ${m.verdict}`);
  }
  for (const m of p.models) {
    lines.push('', `${n(m.model)}:`, ...m.reasons.map((r) => `  - ${n(r)}`));
    const layers = m.layers.filter((l) => l.layer !== null).map((l) => `${l.layer}:${l.safeDropRate}${l.hot ? '!' : ''}`);
    if (layers.length > 0) lines.push(`  layer safe drop rates ${layers.join(' ')}`);
  }
  if (p.pairs.length > 0) {
    lines.push('', 'pairs:');
    for (const q of p.pairs) lines.push(`  ${n(q.a)} × ${n(q.b)}: cosine ${q.cosine.toFixed(3)}, sign conflict ${(100 * q.signConflict).toFixed(1)}%`);
  }
  lines.push('', `set: ${p.set.verdict}, method ${p.set.method}${p.set.density !== null ? ` at density ${p.set.density.toFixed(2)}` : ''}`, ...p.set.reasons.map((r) => `  - ${n(r)}`));
  return lines.join('\n');
}
