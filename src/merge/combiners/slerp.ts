import { inputError } from '../../errors.js';
import type { ChunkResult, EngineContext } from '../chunk.js';
import type { TensorJob, TermPrep } from '../job.js';
import { numberParam } from '../param-decl.js';
import { slerpCoefficients } from '../slerp.js';
import { RESCALE, type CombinerUnit } from './types.js';

/** SLERP of terms[0] (t = 0) and terms[1] (t = 1); with a base, of the DARE-sparsified weights base + coef·δ̂. */
export interface SlerpState {
  kind: 'slerp';
  t: number;
}

const T = numberParam(
  't',
  'global',
  { min: 0, max: 1, note: '0 = the first model, 1 = the second' },
  undefined,
  'interpolation factor (0 = the first model, or base_model when it is one of the two; 1 = the other)',
);

/**
 * SLERP endpoints of chunk c in the delta buffers: the two models' weights, or with a base (DARE-SLERP) the
 * sparsified deltas added back, w = f32(base + coef·δ̂).
 */
function loadEndpoints(e: EngineContext, job: TensorJob, prep: TermPrep[] | undefined, c: number, check: boolean): ChunkResult {
  const res = e.loadDeltas(job, c, [0, 1], check);
  if (job.base) {
    const { n } = e.range(job, c);
    for (let i = 0; i < 2; i++) {
      e.sparsify(job, prep, i, c);
      e.k.axpy_f32(e.at.base, e.deltaPtr(i), job.terms[i]!.coef * (prep?.[i]?.l1Scale ?? 1), e.deltaPtr(i), n);
    }
  }
  return res;
}

/** slerp: spherical interpolation of two models at t (DARE-SLERP with a separate base_model and densities). */
export const slerp: CombinerUnit<SlerpState> = {
  name: 'slerp',
  params: (m) => [T, ...(m.sparsified ? [{ ...RESCALE, default: m.rescale }] : [])],
  sparsifiesWithoutBase: false,
  checkConfig: (c) => {
    if (c.models.length !== 2) throw inputError(`models: slerp interpolates exactly two models, got ${c.models.length}`);
    if (c.parameters.t === undefined)
      throw inputError(`parameters.t: slerp needs t (0 = the first model, or base_model when it is one of the two; 1 = the other)`);
    // with base_model one of the two it is the t = 0 end; with a separate one the deltas are DARE-sparsified first
    const separateBase = c.baseModel !== undefined && !c.models.some((m) => m.path === c.baseModel);
    const density = c.parameters.density !== undefined || c.models.some((m) => m.parameters.density !== undefined);
    if (density && !separateBase)
      throw inputError(
        `density: DARE-SLERP sparsifies deltas from a base, so base_model must be a third model (not one of the two being interpolated)`,
      );
  },
  checkSources: (count, where, tensor, method) => {
    if (count !== 2) throw inputError(`${where}: ${method} interpolates exactly two models, got ${count} for "${tensor}"`);
  },
  // base_model, when it is one of the two, is the t = 0 end (mergekit)
  order: (isBase) => {
    const at = isBase.indexOf(true);
    return at >= 0 ? [at, 1 - at] : isBase.map((_, i) => i);
  },
  plan: (p) => {
    const t = p.global('t');
    if (t === undefined)
      throw inputError(`parameters.t: no filter rule matches tensor "${p.tensor}"; add a rule without a filter as the default`);
    return { state: { kind: 'slerp', t: t as number } };
  },
  prep: (e, job, s, preps) => {
    // first pass: whole-tensor Σw0², Σw1², Σw0·w1 in float64, chunk by chunk in element order
    e.f64(e.at.sums, 6).fill(0);
    for (let c = 0; c < e.chunks(job); c++) {
      loadEndpoints(e, job, preps, c, false);
      const { start, n } = e.range(job, c);
      e.k.slerp_dots_f32(e.deltaPtr(0), e.deltaPtr(1), n, start, e.at.sums);
    }
    const sums = e.f64(e.at.sums, 6);
    const k = slerpCoefficients(s.t, sums[0]! + sums[1]!, sums[2]! + sums[3]!, sums[4]! + sums[5]!);
    preps[0]!.slerpCoef = k.s0;
    preps[1]!.slerpCoef = k.s1;
  },
  chunk: (e, job, _s, prep, c) => {
    const { n } = e.range(job, c);
    const res = loadEndpoints(e, job, prep, c, true);
    e.f64(e.at.coef, 2).set([prep?.[0]?.slerpCoef ?? NaN, prep?.[1]?.slerpCoef ?? NaN]);
    e.f64(e.at.divw, 2).set([0, 0]);
    e.k.weighted_sum_f32(e.at.base, 0, e.at.deltas, 4 * e.chunkElements, 2, n, e.at.coef, e.at.divw, 0, 1, e.at.out);
    return res;
  },
};
