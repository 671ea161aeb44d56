import type { ModelFeatures } from './features.js';
import { CPT_DENSE_KURTOSIS, CPT_EMBEDDING_SHARE, CPT_LARGE_R, CPT_MIN_R, CPT_POINTS_CUT, EMBEDDING_MOVED } from './thresholds.js';

/** What kind of delta a fine-tune looks like. */
export type DeltaKind = 'sft' | 'cpt';

/** One CPT signal: whether it fired and the numbers behind it, in words. */
export interface CptSignal {
  name: 'large' | 'embeddings-moved' | 'dense-embedding-update';
  fired: boolean;
  detail: string;
}

/** The CPT classification with its score (points fired / points available) and the signals. */
export interface CptAssessment {
  kind: DeltaKind;
  score: number;
  signals: CptSignal[];
}

const f = (x: number, d = 3): string => (Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(d) : x.toExponential(2));

/**
 * Classify a delta as continued-pretraining-like (large, dense, spread over the whole model) or SFT-like:
 * cpt when r ≥ CPT_MIN_R and the fired signals make ≥ CPT_POINTS_CUT points ('large' 2, each embedding signal 1).
 */
export function classifyDelta(ft: ModelFeatures): CptAssessment {
  const signals: CptSignal[] = [];
  const r = ft.blockRelativeNorm;
  signals.push({
    name: 'large',
    fired: r >= CPT_LARGE_R,
    detail: `block relative delta norm r = ${f(r)} (${r >= CPT_LARGE_R ? '≥' : '<'} ${CPT_LARGE_R}, pre-training-sized change at or above)`,
  });
  if (ft.embeddingShare !== null) {
    const s = ft.embeddingShare;
    signals.push({
      name: 'embeddings-moved',
      fired: s >= CPT_EMBEDDING_SHARE,
      detail: `embedding ρ is ${f(s)} × the blocks' ρ (${s >= CPT_EMBEDDING_SHARE ? '≥' : '<'} ${CPT_EMBEDDING_SHARE}: ${s >= CPT_EMBEDDING_SHARE ? 'input embeddings moved broadly' : 'embeddings barely moved'})`,
    });
    if (ft.embeddingKurtosis !== null && s >= EMBEDDING_MOVED) {
      const k = ft.embeddingKurtosis;
      signals.push({
        name: 'dense-embedding-update',
        fired: k <= CPT_DENSE_KURTOSIS,
        detail: `embedding Δ excess kurtosis ${f(k, 2)} (${k <= CPT_DENSE_KURTOSIS ? `≤ ${CPT_DENSE_KURTOSIS}: dense update of every token row, as on a new corpus` : `> ${CPT_DENSE_KURTOSIS}: few token rows touched, as in task SFT`})`,
      });
    }
  }
  // size counts double: a large delta spread anywhere is CPT-like; a moderate one must also be spread over
  // the embeddings in both ways; a small one (r < CPT_MIN_R) is one DARE tolerates whatever its shape
  const points = (s: CptSignal): number => (s.name === 'large' ? 2 : 1);
  const fired = signals.filter((s) => s.fired).reduce((a, s) => a + points(s), 0);
  const available = signals.reduce((a, s) => a + points(s), 0);
  const kind: DeltaKind = r >= CPT_MIN_R && fired >= CPT_POINTS_CUT ? 'cpt' : 'sft';
  return { kind, score: fired / available, signals };
}
