// The one merge decision: the set's method, each fine-tune's weight and density, and the verdict on merging them
// together. analyze, predict, report, dash and tune all read this (tune writes it as YAML); nothing recomputes it.
import { reason, texts, type Reason, type ReasonCode } from './reasons.js';
import { ALIGNED_COSINE, ELECT_SIGNS_CONFLICT, OPPOSED_COSINE, UNRELATED_COSINE, UNRELATED_SIGN_CONFLICT } from './thresholds.js';
import type { MergeMethod, ModelPrediction, PairPrediction, SetModelDecision, SetPrediction, Verdict } from './types.js';
import { worse } from './worse.js';

/** mergekit's default `normalize` per method (DESIGN's table): ties normalizes, dare_ties and dare_linear do not. */
export const NORMALIZES: Record<MergeMethod, boolean> = { ties: true, dare_ties: false, dare_linear: false };

/** Reasons that make a fine-tune unmergeable by any method (a CPT-like delta alone only rules out DARE). */
const BLOCKING = new Set<ReasonCode>(['homology', 'non-finite', 'identical-to-base', 'not-derived', 'duplicate', 'head-or-embedding-only']);

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const f3 = (x: number): string => x.toFixed(3);

/** The method for a set: ties when a delta is CPT-like, dare_ties when deltas work against each other, else dare_linear. */
export function chooseMethod(models: ModelPrediction[], pairs: PairPrediction[]): { method: MergeMethod; why: Reason } {
  const cpt = models.filter((m) => m.kind === 'cpt');
  if (cpt.length > 0) {
    return {
      method: 'ties',
      why: reason(
        'method-ties-cpt',
        `method ties (magnitude-based trim), not DARE: ${cpt.map((m) => m.model).join(', ')} ${cpt.length > 1 ? 'are' : 'is'} CPT-like, and DARE's random drop breaks such deltas`,
        { cpt: cpt.length },
      ),
    };
  }
  const worst = pairs.reduce<PairPrediction | null>((a, p) => (a === null || p.signConflict > a.signConflict ? p : a), null);
  const opposed = pairs.reduce<PairPrediction | null>((a, p) => (a === null || p.cosine < a.cosine ? p : a), null);
  const ref = `unrelated deltas give sign conflict ≈ ${UNRELATED_SIGN_CONFLICT} and cosine ≈ ${UNRELATED_COSINE}`;
  if (worst && opposed && (worst.signConflict >= ELECT_SIGNS_CONFLICT || opposed.cosine <= OPPOSED_COSINE)) {
    const p = worst.signConflict >= ELECT_SIGNS_CONFLICT ? worst : opposed;
    return {
      method: 'dare_ties',
      why: reason(
        'method-dare-ties-conflict',
        `method dare_ties: ${p.a} × ${p.b} work against each other — sign conflict ${f3(p.signConflict)}, cosine ${f3(p.cosine)} (${ref}; signs are elected from conflict ≥ ${ELECT_SIGNS_CONFLICT} or cosine ≤ ${OPPOSED_COSINE})`,
        { signConflict: p.signConflict, cosine: p.cosine, threshold: ELECT_SIGNS_CONFLICT },
      ),
    };
  }
  return {
    method: 'dare_linear',
    why: worst
      ? reason(
          'method-dare-linear',
          `method dare_linear: max sign conflict ${f3(worst.signConflict)}, min cosine ${f3(opposed!.cosine)} — no more conflict than chance (${ref}; signs are elected from conflict ≥ ${ELECT_SIGNS_CONFLICT} or cosine ≤ ${OPPOSED_COSINE}), so no sign election`,
          { signConflict: worst.signConflict, cosine: opposed!.cosine, threshold: ELECT_SIGNS_CONFLICT },
        )
      : reason('method-dare-linear', 'method dare_linear: a single fine-tune has no sign conflicts to resolve'),
  };
}

/** Weight and density of one fine-tune in the merge, with notes that say what the method does with them. */
function modelDecision(m: ModelPrediction, method: MergeMethod): SetModelDecision {
  const density = m.recommendedDensity;
  const notes: Reason[] = [];
  notes.push(
    m.kind === 'cpt' && method === 'ties'
      ? reason(
          'merge-densities',
          `density ${density.toFixed(2)}: magnitude trim keeping its largest ${pct(density)} of entries (CPT-like delta; ≥ ${(1 - m.droppableShare).toFixed(2)} keeps 99% of ‖Δ‖²)`,
          { density },
        )
      : reason(
          'merge-densities',
          `density ${density.toFixed(2)} = 1 − recommended drop rate ${m.recommendedDropRate} (the conservative end of the ${m.basis} range ${m.dropRateLow}–${m.dropRateHigh})`,
          { density, dropRate: m.recommendedDropRate },
        ),
  );
  notes.push(
    NORMALIZES[method]
      ? reason(
          'merge-densities',
          `weight 1; ${method} normalizes by default: where several fine-tunes keep an entry with the elected sign, their weighted sum is divided by the sum of their weights, so on entries it shares it counts half in a 2-way merge`,
          { weight: 1 },
        )
      : reason('merge-densities', `weight 1: ${method} does not normalize by default, so its (DARE-rescaled) delta is added in full`, {
          weight: 1,
        }),
  );
  return { model: m.model, weight: 1, density, notes };
}

/**
 * Interference: the part of each partner's delta unrelated to this fine-tune's, (1 − cos²)·‖Δ_b‖², enters its
 * outputs like noise; relative to its own ‖Δ_a‖² it is a noise factor I_a = Σ_b (1 − cos²_ab)·‖Δ_b‖²/‖Δ_a‖², on the
 * same scale as DARE's p/(1−p). A fine-tune is predicted to lose its skill when I_a exceeds the noise factor it
 * tolerates (x*). Normalizing methods scale both the fine-tune's and its partners' shares alike, so I_a stands.
 */
export function interference(m: ModelPrediction, pairs: PairPrediction[]): number {
  let total = 0;
  for (const p of pairs) {
    if (p.a !== m.model && p.b !== m.model) continue;
    const own = p.a === m.model ? p.sqA : p.sqB;
    const other = p.a === m.model ? p.sqB : p.sqA;
    if (own > 0) total += (1 - p.cosine * p.cosine) * (other / own);
  }
  return total;
}

/** The set verdict and the one merge decision. */
export function decideSet(models: ModelPrediction[], pairs: PairPrediction[]): SetPrediction {
  const reasons: Reason[] = [];
  const n = models.length;
  if (n === 0) {
    const r = [reason('no-finetunes', 'no fine-tunes to merge')];
    return {
      verdict: 'not-ready',
      reasons: texts(r),
      reasonDetails: r,
      method: 'none',
      mergeMethod: 'dare_linear',
      normalize: false,
      models: [],
      density: null,
    };
  }
  let verdict: Verdict = 'ready';
  for (const m of models) {
    // a CPT-like delta is not ready for DARE, but ties can merge it; anything else that made it not-ready blocks the set
    const blocking = m.reasonDetails.find((r) => BLOCKING.has(r.code));
    if (m.verdict === 'not-ready' && (m.kind !== 'cpt' || blocking)) {
      const first = blocking ?? m.reasonDetails[0];
      verdict = 'not-ready';
      reasons.push(reason('member-not-ready', `${m.model} is not ready: ${first?.text ?? ''}`, first?.numbers ?? {}));
    } else if (m.verdict === 'caution') verdict = worse(verdict, 'caution');
  }
  const { method, why } = chooseMethod(models, pairs);
  reasons.push(why);
  if (method === 'ties') verdict = worse(verdict, 'caution');
  const decisions = models.map((m) => modelDecision(m, method));
  if (n > 1) {
    const lost: Reason[] = [];
    for (const m of models) {
      const i = interference(m, pairs);
      const related = pairs.filter((p) => (p.a === m.model || p.b === m.model) && Math.abs(p.cosine) >= ALIGNED_COSINE).length;
      if (i > m.toleratedNoise) {
        lost.push(
          reason(
            'interference',
            `${m.model} is predicted to lose its skill: its partners' deltas, where unrelated to its own, add a noise factor ${i.toPrecision(3)} × its ‖Δ‖² (Σ (1 − cos²)·‖Δ_b‖²/‖Δ_a‖²; partners pointing its way, |cosine| ≥ ${ALIGNED_COSINE}: ${related}) — more than the ${m.toleratedNoise.toPrecision(3)} it tolerates (p/(1−p) at its ${m.basis} safe rate)`,
            { interference: i, toleratedNoise: m.toleratedNoise },
          ),
        );
      }
    }
    if (lost.length > 0) {
      verdict = 'not-ready';
      reasons.push(...lost);
    }
  }
  const density = Math.max(...decisions.map((d) => d.density));
  const summary = decisions.map((d) => `${d.model} ${d.density.toFixed(2)}`).join(', ');
  const normalize = NORMALIZES[method];
  if (verdict === 'not-ready') {
    reasons.push(
      reason('if-merged-anyway', `if merged anyway: ${method} (normalize ${normalize}), weights 1, densities ${summary}`, { density }),
    );
    return {
      verdict,
      reasons: texts(reasons),
      reasonDetails: reasons,
      method: 'none',
      mergeMethod: method,
      normalize,
      models: decisions,
      density: null,
    };
  }
  reasons.push(
    reason(
      'merge-densities',
      `merge with ${method} (normalize ${normalize}), weights 1, each fine-tune at its own recommended density: ${summary}`,
      { density },
    ),
  );
  return { verdict, reasons: texts(reasons), reasonDetails: reasons, method, mergeMethod: method, normalize, models: decisions, density };
}

/** The set verdict under its v1 name (the probe branch's measured-rate override calls it): decideSet. */
export function setVerdict(models: ModelPrediction[], pairs: PairPrediction[], _tolerance?: number): SetPrediction {
  return decideSet(models, pairs);
}
