import { inputError } from '../../errors.js';
import { flagParam } from '../param-decl.js';
import { paramLeaves } from '../params.js';
import { nuslerpCoefficients } from '../slerp.js';
import { coefficientChunk, rowChunk, termGram } from './coefficients.js';
import { lastDim, WEIGHT, type CombinerUnit } from './types.js';

/** NuSLERP at t = w₁/(w₀ + w₁), of whole tensors or (nuslerp_flatten: false) per row. */
export interface NuslerpState {
  kind: 'nuslerp';
  t: number;
  rows: boolean;
}

/** nuslerp: mergekit's NuSLERP of two models (of their deltas from base_model when given). */
export const nuslerp: CombinerUnit<NuslerpState> = {
  name: 'nuslerp',
  params: () => [
    WEIGHT,
    flagParam('nuslerp_flatten', true, 'SLERP of whole tensors (false: per row)'),
    flagParam('nuslerp_row_wise', false, 'with nuslerp_flatten: false, per column (refused)'),
  ],
  optionalBase: true,
  checkConfig: (c) => {
    const others = c.models.filter((m) => m.path !== c.baseModel);
    if (c.baseModel !== undefined && others.length !== c.models.length)
      throw inputError(
        `base_model: nuslerp's base model can not be one of the two models to merge (as in mergekit); drop it from models or from base_model`,
      );
    if (others.length !== 2)
      throw inputError(`models: nuslerp interpolates exactly two models (plus an optional base_model), got ${others.length}`);
  },
  // nuslerp_row_wise with nuslerp_flatten: false (SLERP per column) has no streaming form yet: refused
  checkOptions: (global) => {
    const on = (k: string): boolean => global[k] !== undefined && paramLeaves(global[k]!, k).some((l) => l.value === true);
    const off = (k: string): boolean => global[k] !== undefined && paramLeaves(global[k]!, k).some((l) => l.value === false);
    if (on('nuslerp_row_wise') && off('nuslerp_flatten'))
      throw inputError(
        `parameters.nuslerp_row_wise: not supported yet: SLERP per column (dim 0) is not implemented; nuslerp_flatten: true (whole tensors, the default) and nuslerp_flatten: false with nuslerp_row_wise: false (per row) are`,
      );
  },
  checkSources: (count, where, tensor, method) => {
    if (count !== 2) throw inputError(`${where}: ${method} interpolates exactly two models, got ${count} for "${tensor}"`);
  },
  plan: (p) => {
    // mergekit: t = w₁/(w₀ + w₁), 0.5 when the weights sum to ~0
    const [w0, w1] = [p.terms[0]!.divw, p.terms[1]!.divw];
    const t = Math.abs(w0 + w1) < 1e-6 ? 0.5 : w1 / (w0 + w1);
    for (const tm of p.terms) tm.coef = 1;
    // nuslerp_row_wise only matters without flattening (mergekit: flatten wins)
    if (p.global('nuslerp_flatten') === false) return { state: { kind: 'nuslerp', t, rows: true }, rowLen: lastDim(p.shape) };
    return { state: { kind: 'nuslerp', t, rows: false } };
  },
  needsPrep: (s) => !s.rows,
  prep: (e, job, s, preps) => {
    const g = termGram(e, job);
    const c = nuslerpCoefficients(s.t, g.sq[0]!, g.sq[1]!, g.dot[0]!);
    preps[0]!.slerpCoef = c.s0;
    preps[1]!.slerpCoef = c.s1;
  },
  chunk: (e, job, s, prep, c) =>
    s.rows
      ? rowChunk(e, job, c, (dots) => {
          const d = dots(0, 1);
          const k = nuslerpCoefficients(s.t, d.sumSqA, d.sumSqB, d.dot);
          return [k.s0, k.s1];
        })
      : coefficientChunk(e, job, prep, c),
};
