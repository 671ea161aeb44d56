import { inputError } from '../../errors.js';
import { maskKey } from '../../kernel/mask-key.js';
import { numberParam } from '../param-decl.js';
import { DENSITY, type SparsifierUnit } from './types.js';

/** DELLA: the mask key, the density and ε of the keep probabilities, and whether survivors are divided by their p. */
export interface DellaState {
  kind: 'della';
  maskKey: number;
  density: number;
  epsilon: number;
  inverse: boolean;
}

/** della: per row, keep probabilities from density − ε (smallest |δ|) to density + ε (largest), then a random drop. */
export const della: SparsifierUnit<DellaState> = {
  name: 'della',
  params: [
    DENSITY,
    numberParam('epsilon', 'model', { min: 0, max: 1, maxOpen: true }, 0.15, 'spread of the keep probabilities around density (della)'),
  ],
  inverse: 'element',
  inverseNote: 'p',
  plan: (t) => {
    const density = t.param('density');
    const epsilon = t.param('epsilon');
    if (density < 1 && !(density - epsilon > 0 && density + epsilon <= 1))
      throw inputError(`${t.where}: density ${density} ± epsilon ${epsilon} must stay inside (0, 1] (tensor ${t.tensor}); lower epsilon`);
    return { kind: 'della', maskKey: maskKey(t.seed, t.position, t.tensor), density, epsilon, inverse: t.rescale === 'inverse' };
  },
  rowLen: (t) => {
    if (t.shape.length > 2)
      throw inputError(
        `tensor "${t.tensor}" has shape [${t.shape.join(', ')}]; ${t.method} ranks magnitudes per row of 1-D and 2-D tensors only`,
      );
    return t.shape.length === 2 ? t.shape[1]! : t.numel;
  },
  apply: (k, s, at) => {
    if (s.density < 1) k.della_mask_f32(at.ptr, at.n, at.rowLen!, s.maskKey, at.start, s.density, s.epsilon, s.inverse ? 1 : 0, at.scratch);
  },
};
