import { multislerpCoefficients } from '../spherical.js';
import { coefficientChunk, setCoefficients, termGram } from './coefficients.js';
import { WEIGHT, globalOr, type CombinerUnit } from './types.js';
import { flagParam, numberParam } from '../param-decl.js';

/** Barycentric SLERP of N models with these weights. */
export interface MultislerpState {
  kind: 'multislerp';
  weights: number[];
  normalizeWeights: boolean;
  eps: number;
}

const NORMALIZE_WEIGHTS = flagParam('normalize_weights', true, 'weights divided by their sum');
const EPS = numberParam('eps', 'global', { min: 0 }, 1e-8, 'tolerance of the spherical mean');

/** multislerp: barycentric SLERP of N models on the hypersphere (of their deltas from base_model when given). */
export const multislerp: CombinerUnit<MultislerpState> = {
  name: 'multislerp',
  params: () => [WEIGHT, NORMALIZE_WEIGHTS, EPS],
  optionalBase: true,
  dropsListedBase: true,
  plan: (p) => {
    const state: MultislerpState = {
      kind: 'multislerp',
      weights: p.terms.map((tm) => tm.divw),
      normalizeWeights: Boolean(globalOr(p, NORMALIZE_WEIGHTS)),
      eps: Number(globalOr(p, EPS)),
    };
    for (const tm of p.terms) tm.coef = 1;
    return { state };
  },
  prep: (e, job, s, preps) =>
    setCoefficients(preps, multislerpCoefficients(termGram(e, job).gram, s.weights, s.normalizeWeights, s.eps, job.name)),
  chunk: (e, job, _s, prep, c) => coefficientChunk(e, job, prep, c),
};
