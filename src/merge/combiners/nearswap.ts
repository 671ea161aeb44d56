import { inputError } from '../../errors.js';
import { numberParam } from '../param-decl.js';
import type { CombinerUnit } from './types.js';

/** nearswap of the base (kept in `base`) and terms[0] at distance t, per element in the kernel. */
export interface NearswapState {
  kind: 'nearswap';
  t: number;
}

const T = numberParam(
  't',
  'global',
  { min: 0, note: "nearswap's t is a distance" },
  undefined,
  "the distance under which an element takes the other model's value",
);

/** nearswap: per element w = clamp(t/|θ − base|, 0, 1): θ where the two are within t, nearer the base farther apart. */
export const nearswap: CombinerUnit<NearswapState> = {
  name: 'nearswap',
  params: () => [T],
  checkConfig: (c) => {
    if (c.models.length !== 1)
      throw inputError(`models: nearswap takes base_model and exactly one other model, got ${c.models.length} besides the base`);
    if (c.parameters.t === undefined)
      throw inputError(`parameters.t: nearswap needs t (the distance under which an element takes the other model's value)`);
  },
  plan: (p) => {
    const t = p.global('t');
    if (t === undefined)
      throw inputError(`parameters.t: no filter rule matches tensor "${p.tensor}"; add a rule without a filter as the default`);
    return { state: { kind: 'nearswap', t: t as number } };
  },
  chunk: (e, job, s, _prep, c) => {
    // the two models' own values (not a delta): base in `base`, the other model in the first delta buffer
    const { start, n } = e.range(job, c);
    let bytesRead = e.load(job.base!, start, n, e.at.base);
    bytesRead += e.load(job.terms[0]!.input, start, n, e.deltaPtr(0));
    const nonfinite = e.k.count_nonfinite_f32(e.at.base, n) + e.k.count_nonfinite_f32(e.deltaPtr(0), n);
    e.k.nearswap_f32(e.at.base, e.deltaPtr(0), s.t, e.at.out, n);
    return { bytesRead, nonfinite };
  },
};
