import { flagParam, numberParam } from '../param-decl.js';
import { INT8_MASK, RESCALE, WEIGHT, type CombinerUnit } from './types.js';

/** Generalized task arithmetic keeps its state on the job (elect, normalize, lambda): the engine's own sum. */
export interface SumState {
  kind: 'sum';
}

const LAMBDA = numberParam('lambda', 'global', undefined, 1, 'scale of the merged delta');
const NORMALIZE = flagParam('normalize', undefined, 'divide by the summed weights (of the agreeing models when electing)');

/** sum: base + λ·Σ cᵢ·δ̂ᵢ (weighted, or TIES sign-elected), optionally normalized: linear, task arithmetic, TIES, DARE, breadcrumbs, DELLA. */
export const sum: CombinerUnit<SumState> = {
  name: 'sum',
  params: (m) => [
    WEIGHT,
    ...(m.usesBase ? [LAMBDA] : []),
    { ...NORMALIZE, default: m.normalize },
    ...(m.sparsified ? [{ ...RESCALE, default: m.rescale }] : []),
    ...(m.usesBase ? [INT8_MASK] : []),
  ],
  taskArithmetic: true,
  blockable: true,
  plan: () => ({ state: { kind: 'sum' } }),
  chunk: (e, job, _s, prep, c) => e.sumChunk(job, prep, c),
};
