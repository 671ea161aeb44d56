// Hand-set decision thresholds (not fitted: with one CPT model in the calibration data there is nothing to fit
// them to). Each is documented in README "How darekit predicts" with the values seen on family S.

/** CPT signal 1: block relative delta norm r = √ρ at or above this is a large, pre-training-sized change. */
export const CPT_LARGE_R = 0.25;
/** CPT signal 2: embedding ρ relative to the blocks' ρ at or above this: the input embeddings moved broadly. */
export const CPT_EMBEDDING_SHARE = 0.03;
/** CPT signal 3: embedding Δ excess kurtosis at or below this (and the embedding moved at all): a dense update of
 * every token row, as training on a whole new corpus gives; task SFT touches few rows (heavy tails). */
export const CPT_DENSE_KURTOSIS = 3;
/** Below this embedding-to-block ρ ratio the embedding barely moved and its shape says nothing. */
export const EMBEDDING_MOVED = 0.005;
/** Below this r a delta is too small for DARE to break it, whatever its shape: never flagged cpt. */
export const CPT_MIN_R = 0.1;
/** Points needed for the cpt flag: 'large' counts 2, each embedding signal 1. */
export const CPT_POINTS_CUT = 2;
/** A layer is "far less tolerant" when its r exceeds this multiple of the median r of the other layers. */
export const HOT_LAYER_RATIO = 2;
/** Below this safe drop rate an SFT-like delta has little redundancy: verdict caution. */
export const LOW_REDUNDANCY_P = 0.2;
/** Pairwise sign conflict (both non-zero) at or above this is material: prefer sign election (dare_ties). */
export const MATERIAL_SIGN_CONFLICT = 0.25;
/** Deltas with |cosine| at or above this share a direction: merging them does not pit one task against another. */
export const ALIGNED_COSINE = 0.5;
