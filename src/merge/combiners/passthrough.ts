import { inputError } from '../../errors.js';
import { SCALE, type CombinerUnit } from './types.js';

/** passthrough has no state: its one source, × scale, through the engine's sum. */
export interface PassthroughState {
  kind: 'passthrough';
}

/** passthrough: each output tensor copied from its one source (optionally × scale); with slices, a frankenmerge. */
export const passthrough: CombinerUnit<PassthroughState> = {
  name: 'passthrough',
  params: () => [SCALE],
  blockable: true,
  checkConfig: (c) => {
    if (c.models.length !== 1)
      throw inputError(
        `models: passthrough copies exactly one model per tensor, got ${c.models.length}; use slices: to stack layers from several models`,
      );
  },
  checkSources: (count, where, tensor) => {
    if (count !== 1) throw inputError(`${where}: passthrough copies one source per tensor, got ${count} for "${tensor}"`);
  },
  plan: () => ({ state: { kind: 'passthrough' } }),
  chunk: (e, job, _s, prep, c) => e.sumChunk(job, prep, c),
};
