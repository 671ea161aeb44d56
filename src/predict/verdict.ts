import type { AnalysisResult } from '../analysis/types.js';
import type { ModelPrediction, PairPrediction, SetMethod, SetPrediction, Verdict } from './types.js';
import { ALIGNED_COSINE, LOW_REDUNDANCY_P, MATERIAL_SIGN_CONFLICT } from './thresholds.js';

const ORDER: Record<Verdict, number> = { ready: 0, caution: 1, 'not-ready': 2 };

/** The worse of two verdicts. */
export function worse(a: Verdict, b: Verdict): Verdict {
  return ORDER[a] >= ORDER[b] ? a : b;
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/**
 * Homology problems visible in the analysis: every fine-tune must have the same tensors with the same shapes.
 * Returns per model the first problem found, in words (the analyzer normally refuses such inputs earlier).
 */
export function homologyProblems(result: AnalysisResult): Map<string, string> {
  const byModel = new Map<string, Map<string, string>>();
  for (const t of result.tensors) {
    let m = byModel.get(t.model);
    if (!m) { m = new Map(); byModel.set(t.model, m); }
    m.set(t.tensor, t.shape.join('×'));
  }
  const problems = new Map<string, string>();
  const models = result.models.map((m) => m.model);
  const ref = byModel.get(models[0] ?? '') ?? new Map<string, string>();
  for (const name of models) {
    const mine = byModel.get(name) ?? new Map<string, string>();
    if (mine.size === 0) { problems.set(name, 'no tensor statistics for this fine-tune'); continue; }
    for (const [t, shape] of ref) {
      const s = mine.get(t);
      if (s === undefined) { problems.set(name, `tensor ${t} is missing (present in ${models[0]})`); break; }
      if (s !== shape) { problems.set(name, `tensor ${t} has shape ${s}, ${models[0]} has ${shape}`); break; }
    }
    if (!problems.has(name)) {
      for (const t of mine.keys()) if (!ref.has(t)) { problems.set(name, `tensor ${t} is not in ${models[0]}`); break; }
    }
  }
  return problems;
}

/** Per-model verdict from what was predicted (kind, hot layers, redundancy) and the data problems. */
export function modelVerdict(m: Omit<ModelPrediction, 'verdict' | 'reasons'>, cptReasons: string[], nonFinite: { count: number; tensor: string | null }, homology: string | undefined): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  let verdict: Verdict = 'ready';
  const p = m.recommendedDropRate;
  if (homology !== undefined) {
    verdict = 'not-ready';
    reasons.push(`homology failure: ${homology}; a fine-tune must have the base's tensors and shapes`);
  }
  if (nonFinite.count > 0) {
    verdict = 'not-ready';
    reasons.push(`${nonFinite.count} non-finite values (NaN/Inf) in base or fine-tune${nonFinite.tensor ? `, most in ${nonFinite.tensor}` : ''}; fix the checkpoint before merging`);
  }
  reasons.push(`keeps ≥ ${pct(m.predictedRetained)} of its gain up to drop rate ${p} (density ${m.recommendedDensity.toFixed(2)}); block relative delta norm r = ${m.blockRelativeNorm.toFixed(4)}, ρ = ${m.relativeEnergy.toExponential(3)}`);
  if (m.kind === 'cpt') {
    verdict = 'not-ready';
    reasons.push(`CPT-like delta (${cptReasons.join('; ')}): DARE's random drop breaks such deltas; use a magnitude-based trim (ties at density ≥ ${(1 - m.droppableShare).toFixed(2)}, which keeps 99% of ‖Δ‖²) or do not merge it with DARE`);
  } else {
    const fired = cptReasons.length;
    if (fired > 0) reasons.push(`SFT-like overall, though seen: ${cptReasons.join('; ')}`);
    if (p <= LOW_REDUNDANCY_P) {
      verdict = worse(verdict, 'caution');
      reasons.push(`little redundancy: DARE can drop at most ${pct(p)} of this delta (the DARE paper's SFT deltas tolerate 90%)`);
    }
  }
  for (const l of m.layers) {
    if (!l.hot) continue;
    verdict = worse(verdict, 'caution');
    reasons.push(`layer ${l.layer} is far less tolerant than the rest: r = ${l.relativeNorm.toFixed(4)} is ${l.ratioToMedian.toFixed(1)}× the median of the other layers'; its own safe drop rate is ${l.safeDropRate} (predicted error ${l.errorAtRecommended.toFixed(3)} at p = ${p})`);
  }
  return { verdict, reasons };
}

/**
 * The set verdict. A merge of n fine-tunes leaves each at most ~1/n of its delta's weight (linear mixing scales
 * it by 1/n; TIES/DARE drop the part that disagrees), i.e. it acts like dropping p_req = 1 − 1/n. A fine-tune whose
 * safe drop rate is below p_req needs more of its delta than a merge leaves it, unless its partners point the
 * same way (|cosine| ≥ ALIGNED_COSINE).
 */
export function setVerdict(models: ModelPrediction[], pairs: PairPrediction[], tolerance: number): SetPrediction {
  const reasons: string[] = [];
  const n = models.length;
  if (n === 0) return { verdict: 'not-ready', reasons: ['no fine-tunes to merge'], method: 'none', density: null };
  let verdict: Verdict = 'ready';
  for (const m of models) {
    if (m.verdict === 'not-ready' && m.kind !== 'cpt') { verdict = 'not-ready'; reasons.push(`${m.model} is not ready: ${m.reasons[0]}`); }
    else if (m.verdict === 'caution') verdict = worse(verdict, 'caution');
  }
  const hasCpt = models.some((m) => m.kind === 'cpt');
  // one density for the whole merge: the most demanding fine-tune's (a CPT-like one's magnitude-trim density)
  const density = Math.max(...models.map((m) => (m.kind === 'cpt' ? Math.max(m.recommendedDensity, 1 - m.droppableShare) : m.recommendedDensity)));
  const maxConflict = pairs.reduce((a, p) => Math.max(a, p.signConflict), 0);
  let method: SetMethod;
  if (hasCpt) {
    method = 'ties';
    reasons.push(`CPT-like delta in the set (${models.filter((m) => m.kind === 'cpt').map((m) => m.model).join(', ')}): magnitude-based trim (ties) instead of DARE's random drop`);
    verdict = worse(verdict, 'caution');
  } else if (n > 1 && maxConflict >= MATERIAL_SIGN_CONFLICT) {
    method = 'dare_ties';
    const worst = pairs.reduce((a, p) => (p.signConflict > a.signConflict ? p : a));
    reasons.push(`sign conflict is material (${worst.a} × ${worst.b}: ${pct(worst.signConflict)} of shared entries disagree, ${pct(worst.weightedConflict)} of the shared magnitude): dare_ties' sign election over dare_linear`);
  } else {
    method = 'dare_linear';
    if (n > 1) reasons.push(`sign conflict is low (max ${pct(maxConflict)}): dare_linear`);
  }
  if (n > 1) {
    const pReq = 1 - 1 / n;
    const lost: string[] = [];
    for (const m of models) {
      const partners = pairs.filter((p) => p.a === m.model || p.b === m.model);
      const orthogonal = partners.filter((p) => Math.abs(p.cosine) < ALIGNED_COSINE);
      if (m.recommendedDropRate < pReq && orthogonal.length > 0) {
        const cos = orthogonal.map((p) => p.cosine.toFixed(3)).join(', ');
        lost.push(`${m.model} keeps ${pct(tolerance)} of its gain only while keeping ≥ ${pct(m.recommendedDensity)} of its delta (safe drop rate ${m.recommendedDropRate}, r = ${m.blockRelativeNorm.toFixed(3)}), but a ${n}-way merge leaves it ~${pct(1 / n)} of its weight and its partners' deltas are unrelated (cosine ${cos})`);
      }
    }
    if (lost.length > 0) {
      verdict = 'not-ready';
      reasons.push(...lost);
      reasons.push(lost.length === n
        ? `low redundancy: every fine-tune needs more of its delta than any ${n}-way merge (linear, TIES or DARE) leaves it; merging is predicted to lose all ${n} skills — serve them separately, or merge only after fine-tuning at larger scale / with more redundant deltas`
        : `low redundancy: ${lost.length} of ${n} fine-tunes are predicted to lose their skill in the merge`);
      reasons.push(`if merged anyway: ${method} at density ${density.toFixed(2)}`);
      method = 'none';
    }
  }
  if (verdict === 'not-ready' && method !== 'none') {
    reasons.push(`if merged anyway: ${method} at density ${density.toFixed(2)}`);
    method = 'none';
  }
  if (method !== 'none') reasons.push(`merge at density ${density.toFixed(2)} (the largest recommended density in the set, so every fine-tune keeps its share)`);
  return { verdict, reasons, method, density: method === 'none' ? null : density };
}
