import type { SparsifierUnit } from './types.js';

/** The delta as it is. */
export interface NoneState {
  kind: 'none';
}

/** none: every element kept (linear, task arithmetic, and the methods with their own combine). */
export const none: SparsifierUnit<NoneState> = {
  name: 'none',
  params: [],
  elementwiseMask: () => ({ key: 0, threshold: 0 }),
  plan: () => ({ kind: 'none' }),
  apply: () => {},
};
