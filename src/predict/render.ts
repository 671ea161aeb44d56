import { safeName as n } from '../text/safe-text.js';
import type { Predictions } from './types.js';

/** Human-readable predictions for the terminal. */
export function renderPredictions(p: Predictions): string {
  const lines: string[] = [
    `tolerance ${p.tolerance} (share of each fine-tune's gain to keep); drop p = the conservative end of the predicted range`,
    '',
  ];
  const w = Math.max(5, ...p.models.map((m) => n(m.model).length));
  lines.push(`${'model'.padEnd(w)}  kind  drop p  range      density  r       verdict`);
  for (const m of p.models) {
    const range = `${m.dropRateLow.toFixed(2)}–${m.dropRateHigh.toFixed(2)}`;
    lines.push(
      `${n(m.model).padEnd(w)}  ${m.kind.padEnd(4)}  ${m.recommendedDropRate.toFixed(2).padStart(6)}  ${range.padEnd(9)}  ${m.recommendedDensity.toFixed(2).padStart(7)}  ${m.blockRelativeNorm.toFixed(4)}  ${m.verdict} (${m.basis})`,
    );
  }
  for (const m of p.models) {
    lines.push('', `${n(m.model)}:`, ...m.reasons.map((r) => `  - ${n(r)}`));
    const layers = m.layers.map((l) => `${l.layer ?? 'other'}:${l.safeDropRate}${l.hot ? '!' : ''}`);
    if (layers.length > 0) lines.push(`  layer safe drop rates ${layers.join(' ')}`);
    const risky = m.tensors
      .filter((t) => t.risky)
      .sort((a, b) => a.toleratedNoise - b.toleratedNoise)
      .map((t) => `${n(t.tensor)} (tolerates p/(1−p) ≈ ${t.toleratedNoise.toPrecision(2)}, predicted safe ${t.predictedDropRate})`);
    if (risky.length > 0) lines.push(`  riskiest tensors: ${risky.join(', ')}`);
  }
  if (p.pairs.length > 0) {
    lines.push('', 'pairs:');
    for (const q of p.pairs)
      lines.push(`  ${n(q.a)} × ${n(q.b)}: cosine ${q.cosine.toFixed(3)}, sign conflict ${(100 * q.signConflict).toFixed(1)}%`);
  }
  const dens = p.set.models.map((d) => `${n(d.model)} ${d.density.toFixed(2)}`).join(', ');
  lines.push(
    '',
    `set: ${p.set.verdict}, method ${p.set.method}${p.set.method === 'none' ? ` (if merged anyway: ${p.set.mergeMethod})` : ''}; densities ${dens}`,
    ...p.set.reasons.map((r) => `  - ${n(r)}`),
  );
  return lines.join('\n');
}
