// Structured reasons: every verdict, method and density comes with a code (for scripts), a sentence (for people)
// and the numbers behind it, so nothing downstream has to match sentences.

/** What a reason is about; stable identifiers (README "How darekit predicts" lists them). */
export type ReasonCode =
  // per fine-tune: inputs it must catch
  | 'homology'
  | 'non-finite'
  | 'identical-to-base'
  | 'not-derived'
  | 'duplicate'
  | 'head-or-embedding-only'
  // per fine-tune: the prediction and what follows from it
  | 'predicted-safe-rate'
  | 'measured-safe-rate'
  | 'outside-calibrated-width'
  | 'cpt-like'
  | 'cpt-signals-seen'
  | 'low-redundancy'
  | 'hot-layer'
  | 'riskiest-tensor'
  // the set
  | 'no-finetunes'
  | 'member-not-ready'
  | 'method-ties-cpt'
  | 'method-dare-ties-conflict'
  | 'method-dare-linear'
  | 'interference'
  | 'merge-densities'
  | 'if-merged-anyway';

/** One reason: a code, its sentence, and the numbers the sentence states. */
export interface Reason {
  code: ReasonCode;
  text: string;
  numbers: Record<string, number>;
}

/** A reason (numbers default to none). */
export function reason(code: ReasonCode, text: string, numbers: Record<string, number> = {}): Reason {
  return { code, text, numbers };
}

/** The sentences of a list of reasons (the contract's `reasons: string[]`). */
export function texts(reasons: readonly Reason[]): string[] {
  return reasons.map((r) => r.text);
}

/** The codes of a list of reasons, in order, each once. */
export function codes(reasons: readonly Reason[]): ReasonCode[] {
  return [...new Set(reasons.map((r) => r.code))];
}
