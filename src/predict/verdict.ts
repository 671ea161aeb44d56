import type { AnalysisResult } from '../schema/analysis.js';
import { reason, type Reason } from './reasons.js';
import { LOW_REDUNDANCY_P } from './thresholds.js';
import type { ModelPrediction, Verdict } from './types.js';

import { worse } from './worse.js';

export { worse };
export { setVerdict } from './decision.js';

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/**
 * Homology problems visible in the analysis: every fine-tune must have the same tensors with the same shapes.
 * Returns per model the first problem found, in words (the analyzer normally refuses such inputs earlier).
 */
export function homologyProblems(result: AnalysisResult): Map<string, string> {
  const byModel = new Map<string, Map<string, string>>();
  for (const t of result.tensors) {
    let m = byModel.get(t.model);
    if (!m) {
      m = new Map();
      byModel.set(t.model, m);
    }
    m.set(t.tensor, t.shape.join('×'));
  }
  const problems = new Map<string, string>();
  const models = result.models.map((m) => m.model);
  const ref = byModel.get(models[0] ?? '') ?? new Map<string, string>();
  for (const name of models) {
    const mine = byModel.get(name) ?? new Map<string, string>();
    if (mine.size === 0) {
      problems.set(name, 'no tensor statistics for this fine-tune');
      continue;
    }
    for (const [t, shape] of ref) {
      const s = mine.get(t);
      if (s === undefined) {
        problems.set(name, `tensor ${t} is missing (present in ${models[0]})`);
        break;
      }
      if (s !== shape) {
        problems.set(name, `tensor ${t} has shape ${s}, ${models[0]} has ${shape}`);
        break;
      }
    }
    if (!problems.has(name)) {
      for (const t of mine.keys())
        if (!ref.has(t)) {
          problems.set(name, `tensor ${t} is not in ${models[0]}`);
          break;
        }
    }
  }
  return problems;
}

/** What modelVerdict needs beyond the prediction's numbers. */
export interface VerdictInputs {
  cptReasons: string[];
  nonFinite: { count: number; tensor: string | null };
  homology: string | undefined;
  /** Input problems (identical, not derived, head/embedding only, duplicate): each makes the model not-ready. */
  problems: Reason[];
  extrapolated: boolean;
  tolerance: number;
}

type Scored = Omit<ModelPrediction, 'verdict' | 'reasons' | 'reasonDetails'>;

/** The sentence stating the (predicted or measured) safe drop rate with its range. */
function rateReason(m: Scored, tolerance: number): Reason {
  const numbers = {
    predictedDropRate: m.predictedDropRate,
    dropRateLow: m.dropRateLow,
    dropRateHigh: m.dropRateHigh,
    recommendedDropRate: m.recommendedDropRate,
    recommendedDensity: m.recommendedDensity,
    blockRelativeNorm: m.blockRelativeNorm,
    blockFanIn: m.blockFanIn,
    toleratedNoise: m.toleratedNoise,
    tolerance,
  };
  if (m.basis === 'measured') {
    return reason(
      'measured-safe-rate',
      `measured: keeps ≥ ${pct(tolerance)} of its gain up to drop rate ${m.recommendedDropRate} (density ${m.recommendedDensity.toFixed(2)}), by the probe`,
      numbers,
    );
  }
  return reason(
    'predicted-safe-rate',
    `predicted safe drop rate ${m.predictedDropRate}, range ${m.dropRateLow}–${m.dropRateHigh} at ${pct(tolerance)} of the gain kept; recommended ${m.recommendedDropRate} (density ${m.recommendedDensity.toFixed(2)}), the conservative end — block r = ${m.blockRelativeNorm.toFixed(4)}, fan-in n = ${m.blockFanIn.toFixed(0)}, a ${m.deltaCharacter} delta (${m.deltaCharacter === 'task' ? 'few embedding rows moved' : 'every embedding row moved'}), tolerated noise factor p/(1−p) ≈ ${m.toleratedNoise.toPrecision(3)}`,
    numbers,
  );
}

/** Per-model verdict and structured reasons: data problems first, then the rate, the kind, hot layers, riskiest tensor. */
export function modelVerdict(m: Scored, v: VerdictInputs): { verdict: Verdict; reasons: Reason[] } {
  const reasons: Reason[] = [];
  let verdict: Verdict = 'ready';
  const p = m.recommendedDropRate;
  if (v.homology !== undefined) {
    verdict = 'not-ready';
    reasons.push(reason('homology', `homology failure: ${v.homology}; a fine-tune must have the base's tensors and shapes`));
  }
  if (v.nonFinite.count > 0) {
    verdict = 'not-ready';
    reasons.push(
      reason(
        'non-finite',
        `${v.nonFinite.count} non-finite values (NaN/Inf) in base or fine-tune${v.nonFinite.tensor ? `, most in ${v.nonFinite.tensor}` : ''}; fix the checkpoint before merging`,
        { count: v.nonFinite.count },
      ),
    );
  }
  if (v.problems.length > 0) {
    return { verdict: 'not-ready', reasons: [...reasons, ...v.problems] };
  }
  reasons.push(rateReason(m, v.tolerance));
  if (v.extrapolated && m.basis === 'predicted') {
    reasons.push(
      reason(
        'outside-calibrated-width',
        `fan-in ${m.blockFanIn.toFixed(0)} is outside the calibrated widths: beyond them the prediction follows the theory's x* ∝ n and its range is wider; measure with \`darekit probe\` to be sure`,
        { blockFanIn: m.blockFanIn },
      ),
    );
  }
  if (m.kind === 'cpt') {
    verdict = 'not-ready';
    reasons.push(
      reason(
        'cpt-like',
        `CPT-like delta (${v.cptReasons.join('; ')}): DARE's random drop breaks such deltas; if merged, use a magnitude-based trim (ties) at density ${m.recommendedDensity.toFixed(2)} (≥ ${(1 - m.droppableShare).toFixed(2)} keeps 99% of ‖Δ‖²), or do not merge it`,
        { cptScore: m.cptScore, density: m.recommendedDensity, droppableShare: m.droppableShare },
      ),
    );
  } else {
    if (v.cptReasons.length > 0)
      reasons.push(reason('cpt-signals-seen', `SFT-like overall, though seen: ${v.cptReasons.join('; ')}`, { cptScore: m.cptScore }));
    if (p <= LOW_REDUNDANCY_P) {
      verdict = worse(verdict, 'caution');
      reasons.push(
        reason(
          'low-redundancy',
          `little redundancy: DARE can drop at most ${pct(p)} of this delta at the conservative end of the range (the DARE paper's 7B SFT deltas tolerate 90%)`,
          { recommendedDropRate: p, threshold: LOW_REDUNDANCY_P },
        ),
      );
    }
  }
  for (const l of m.layers) {
    if (!l.hot) continue;
    verdict = worse(verdict, 'caution');
    reasons.push(
      reason(
        'hot-layer',
        `layer ${l.layer} is far less tolerant than the rest: r = ${l.relativeNorm.toFixed(4)} is ${l.ratioToMedian.toFixed(1)}× the median of the other layers'; its own predicted safe drop rate is ${l.safeDropRate} (predicted error ${l.errorAtRecommended.toFixed(3)} at p = ${p})`,
        { layer: l.layer ?? -1, ratioToMedian: l.ratioToMedian, safeDropRate: l.safeDropRate },
      ),
    );
  }
  const worst = m.tensors.filter((t) => t.risky).sort((a, b) => a.toleratedNoise - b.toleratedNoise)[0];
  if (worst) {
    reasons.push(
      reason(
        'riskiest-tensor',
        `riskiest tensor: ${worst.tensor} — by its own r = ${worst.relativeNorm.toFixed(3)} and fan-in ${worst.fanIn} it tolerates noise factor ≈ ${worst.toleratedNoise.toPrecision(2)} vs the blocks' ${m.toleratedNoise.toPrecision(2)} (predicted safe drop rate ${worst.predictedDropRate}, conservative ${worst.safeDropRate})`,
        {
          toleratedNoise: worst.toleratedNoise,
          modelToleratedNoise: m.toleratedNoise,
          safeDropRate: worst.safeDropRate,
          predictedDropRate: worst.predictedDropRate,
        },
      ),
    );
  }
  return { verdict, reasons };
}
