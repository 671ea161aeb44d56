import { dropThreshold, maskKey } from '../../kernel/mask-key.js';
import { DENSITY, type SparsifierUnit } from './types.js';

/** DARE: the term's mask key and keep threshold round(p·2^32) for drop probability p = 1 − density. */
export interface RandomState {
  kind: 'random';
  maskKey: number;
  dropThreshold: number;
}

/** random (DARE): each element kept with probability density, by a hash of (seed, model, tensor, index). */
export const random: SparsifierUnit<RandomState> = {
  name: 'random',
  params: [DENSITY],
  inverse: 'coefficient',
  inverseNote: 'density',
  elementwiseMask: (s) => ({ key: s.maskKey, threshold: s.dropThreshold }),
  plan: (t) => ({ kind: 'random', maskKey: maskKey(t.seed, t.position, t.tensor), dropThreshold: dropThreshold(1 - t.param('density')) }),
  apply: (k, s, at) => k.dare_mask_f32(at.ptr, at.n, s.maskKey, at.start, s.dropThreshold),
};
