import { inputError } from '../../errors.js';
import { flagParam } from '../param-decl.js';
import { modelStockCoefficient } from '../slerp.js';
import { coefficientChunk, rowChunk, termGram } from './coefficients.js';
import { lastDim, type CombinerUnit } from './types.js';

/** Model Stock: one t for the tensor, or (filter_wise) one per row of the last dimension. */
export interface ModelStockState {
  kind: 'model_stock';
  rows: boolean;
}

/** model_stock: base + t·mean δᵢ, t = N·cos/(1 + (N − 1)·cos) from the mean pairwise cosine of the deltas. */
export const modelStock: CombinerUnit<ModelStockState> = {
  name: 'model_stock',
  params: () => [flagParam('filter_wise', false, 'one t per row of the last dimension')],
  checkConfig: (c) => {
    if (c.models.length < 2)
      throw inputError(
        `models: model_stock needs at least two models besides base_model (mergekit: base plus two or more), got ${c.models.length}`,
      );
  },
  checkSources: (count, where, tensor) => {
    if (count < 2)
      throw inputError(`${where}: model_stock needs base_model plus at least two models, got ${count} besides the base for "${tensor}"`);
  },
  // filter_wise: one t per row of the last dimension (a 1-D tensor is one row), as mergekit
  plan: (p) =>
    p.global('filter_wise') === true
      ? { state: { kind: 'model_stock', rows: true }, rowLen: lastDim(p.shape) }
      : { state: { kind: 'model_stock', rows: false } },
  needsPrep: (s) => !s.rows,
  prep: (e, job, _s, preps) => {
    const k = job.terms.length;
    const g = termGram(e, job);
    const t = modelStockCoefficient(
      k,
      g.pairs.map(([i, j], p) => ({ sumSqA: g.sq[i]!, sumSqB: g.sq[j]!, dot: g.dot[p]! })),
      job.name,
    );
    job.terms.forEach((_, i) => {
      preps[i]!.slerpCoef = t / k;
    });
  },
  chunk: (e, job, s, prep, c) => {
    if (!s.rows) return coefficientChunk(e, job, prep, c);
    const k = job.terms.length;
    return rowChunk(e, job, c, (dots, row) => {
      const pairs: { sumSqA: number; sumSqB: number; dot: number }[] = [];
      for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) pairs.push(dots(i, j));
      const t = modelStockCoefficient(k, pairs, `${job.name}" row "${row}`);
      return job.terms.map(() => t / k);
    });
  },
};
