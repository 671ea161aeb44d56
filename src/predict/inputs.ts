// Inputs a readiness tool must catch before predicting anything: a "fine-tune" identical to the base, one not
// derived from it, one whose delta sits in the embeddings / output head, and the same delta passed twice.
import type { ModelFeatures } from './features.js';
import { reason, type Reason } from './reasons.js';
import { DUPLICATE_COSINE, HEAD_EMBEDDING_ONLY_SHARE, NOT_DERIVED_COSINE, NOT_DERIVED_RHO } from './thresholds.js';
import type { PairPrediction } from './types.js';

const f3 = (x: number): string => x.toFixed(3);

/** Problems of one fine-tune's delta that make a DARE prediction meaningless (each makes it not-ready). */
export function inputProblems(ft: ModelFeatures): Reason[] {
  const out: Reason[] = [];
  const blockRho = ft.blockRelativeNorm ** 2;
  if (ft.relativeEnergy === 0) {
    out.push(reason('identical-to-base', 'identical to the base (‖Δ‖ = 0): nothing to merge', { rho: 0 }));
    return out;
  }
  if (ft.blockCosine < NOT_DERIVED_COSINE || blockRho >= NOT_DERIVED_RHO) {
    out.push(
      reason(
        'not-derived',
        `not a fine-tune of this base — pick its real base: base–fine-tune cosine over the blocks is ${f3(ft.blockCosine)} (fine-tuning gives ≥ ${NOT_DERIVED_COSINE}; S and N: 0.98–0.999; unrelated weights ≈ 0) and block ρ = ${blockRho.toExponential(2)} (a delta the size of the weights from ${NOT_DERIVED_RHO})`,
        { blockCosine: ft.blockCosine, blockRho, cosineThreshold: NOT_DERIVED_COSINE, rhoThreshold: NOT_DERIVED_RHO },
      ),
    );
  }
  const share = ft.headEmbeddingShare;
  if (share !== null && share >= HEAD_EMBEDDING_ONLY_SHARE) {
    out.push(
      reason(
        'head-or-embedding-only',
        `delta concentrated in the embeddings / lm_head: ${(100 * share).toFixed(1)}% of ‖Δ‖² (≥ ${100 * HEAD_EMBEDDING_ONLY_SHARE}%; S and N fine-tunes: 13–60%), the blocks barely moved (r = ${ft.blockRelativeNorm.toExponential(2)}): new tokens or a new head, which DARE's prediction does not cover — merge those tensors separately (or take them from one model)`,
        { headEmbeddingShare: share, threshold: HEAD_EMBEDDING_ONLY_SHARE, blockRelativeNorm: ft.blockRelativeNorm },
      ),
    );
  }
  return out;
}

/** For each model that repeats an earlier input's delta (cosine ≥ DUPLICATE_COSINE), the reason naming it. */
export function duplicates(models: string[], pairs: PairPrediction[]): Map<string, Reason> {
  const out = new Map<string, Reason>();
  const order = new Map(models.map((m, i) => [m, i]));
  for (const p of pairs) {
    if (!(p.cosine >= DUPLICATE_COSINE)) continue;
    const [first, second] = (order.get(p.a) ?? 0) <= (order.get(p.b) ?? 0) ? [p.a, p.b] : [p.b, p.a];
    if (out.has(second)) continue;
    out.set(
      second,
      reason(
        'duplicate',
        `duplicate of ${first}: their deltas have cosine ${p.cosine.toFixed(4)} (≥ ${DUPLICATE_COSINE}; unrelated deltas ≈ 0) — pass it once`,
        { cosine: p.cosine, threshold: DUPLICATE_COSINE },
      ),
    );
  }
  return out;
}
