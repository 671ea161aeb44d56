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
// Pairwise thresholds are stated against what two unrelated deltas give: a sign conflict of 0.5 (independent
// signs) and a cosine of 0 (orthogonal directions). On S and N, unrelated fine-tunes measure 0.44–0.50 and |cos| < 0.09.

/** Sign conflict (both non-zero, opposite signs) that two unrelated deltas give. */
export const UNRELATED_SIGN_CONFLICT = 0.5;
/** Sign conflict at or above this: the deltas work against each other (more conflict than chance), so elect signs. */
export const ELECT_SIGNS_CONFLICT = 0.55;
/** Cosine at or below this: the deltas point against each other, so elect signs. */
export const OPPOSED_COSINE = -0.1;
/** Cosine that two unrelated deltas give. */
export const UNRELATED_COSINE = 0;
/** Deltas with |cosine| at or above this share a direction (unrelated ≈ 0). */
export const ALIGNED_COSINE = 0.5;
/** Cosine at or above this: the same delta twice (a duplicate input). */
export const DUPLICATE_COSINE = 0.99;

// Inputs that are not fine-tunes of this base. Fine-tuning moves weights little: base–fine-tune cosine over the
// blocks is 0.98–0.999 on S and N (ρ 0.01–0.07; cpt-code is the largest); an unrelated model with the same
// norms gives cosine ≈ 0 (ρ ≈ 2).

/** Base–fine-tune cosine over the numbered blocks below this: not derived from this base. */
export const NOT_DERIVED_COSINE = 0.9;
/** Block ρ at or above this (a delta the size of the weights): not derived from this base. */
export const NOT_DERIVED_RHO = 0.5;
/** Share of ‖Δ‖² in the embeddings and lm_head at or above this: new tokens / a new head (S and N: 13–60%). */
export const HEAD_EMBEDDING_ONLY_SHARE = 0.95;

/** How many tensors per fine-tune are flagged as the riskiest (highest predicted error at the recommended rate). */
export const RISKIEST_TENSORS = 3;
