import { karcherCoefficients } from '../spherical.js';
import { coefficientChunk, setCoefficients, termGram } from './coefficients.js';
import { globalOr, type CombinerUnit } from './types.js';
import { numberParam, type ParamDecl } from '../param-decl.js';

/** The Riemannian mean's iteration limits. */
export interface KarcherState {
  kind: 'karcher';
  maxIter: number;
  tol: number;
}

const MAX_ITER: ParamDecl = {
  name: 'max_iter',
  scope: 'global',
  kind: 'count',
  range: { min: 0, max: 1000, note: 'an iteration count' },
  default: 10,
  doc: 'iterations of the Karcher mean',
};
const TOL = numberParam('tol', 'global', { min: 0 }, 1e-5, 'convergence tolerance');

/** karcher: Riemannian (Karcher) mean of the models on the hypersphere, scaled by their mean norm. */
export const karcher: CombinerUnit<KarcherState> = {
  name: 'karcher',
  params: () => [MAX_ITER, TOL],
  plan: (p) => ({ state: { kind: 'karcher', maxIter: Number(globalOr(p, MAX_ITER)), tol: Number(globalOr(p, TOL)) } }),
  prep: (e, job, s, preps) => setCoefficients(preps, karcherCoefficients(termGram(e, job).gram, s.maxIter, s.tol)),
  chunk: (e, job, _s, prep, c) => coefficientChunk(e, job, prep, c),
};
