import { inputError } from '../../errors.js';
import type { ChunkResult, EngineContext } from '../chunk.js';
import { fusionThreshold, quantileIndices, rowKl } from '../fusion.js';
import type { TensorJob } from '../job.js';
import { cutValue } from '../radix-select.js';
import { lastDim, type CombinerUnit } from './types.js';

/** arcee_fusion: rows of `cols` (the last dimension); the threshold on importance comes from the pre-pass. */
export interface FusionState {
  kind: 'arcee_fusion';
  cols: number;
}

/**
 * The importance of chunk c into `out`: the base into `base`, the model's own values into the first delta
 * buffer, each row's KL from the host into `raw` (free once the inputs are decoded), then |x − base|·KL.
 */
function importance(e: EngineContext, job: TensorJob, cols: number, c: number, check: boolean): ChunkResult {
  const { start, n } = e.range(job, c);
  let bytesRead = e.load(job.base!, start, n, e.at.base);
  bytesRead += e.load(job.terms[0]!.input, start, n, e.deltaPtr(0));
  const nonfinite = check ? e.k.count_nonfinite_f32(e.at.base, n) + e.k.count_nonfinite_f32(e.deltaPtr(0), n) : 0;
  rowKl(
    new Float32Array(e.memory.buffer, e.deltaPtr(0), n),
    new Float32Array(e.memory.buffer, e.at.base, n),
    cols,
    e.f64(e.at.raw, n / cols),
  );
  e.k.fusion_importance_f32(e.deltaPtr(0), e.at.base, n, cols, e.at.raw, e.at.out);
  return { bytesRead, nonfinite };
}

/** arcee_fusion: base + δ where |δ|·KL(softmax rows) ≥ median + 1.5·IQR of that importance. */
export const arceeFusion: CombinerUnit<FusionState> = {
  name: 'arcee_fusion',
  params: () => [],
  checkConfig: (c) => {
    if (c.models.length !== 1)
      throw inputError(`models: arcee_fusion takes base_model and exactly one other model, got ${c.models.length} besides the base`);
  },
  plan: (p) => {
    // softmax over the last dimension, as mergekit's dim=-1; chunks hold whole rows
    const cols = lastDim(p.shape);
    if (p.numel > 1e6)
      p.notes.add(
        `arcee_fusion: exact quantiles of the importance on tensors over 10⁶ elements (e.g. "${p.tensor}"), where mergekit takes them from 10⁶ values sampled at random (its result changes from run to run there)`,
      );
    return { state: { kind: 'arcee_fusion', cols }, rowLen: cols };
  },
  prep: (e, job, s, preps) => {
    // exact order statistics of the importance at mergekit's quantile positions (mergekit samples 10⁶ values above that size)
    const sources = [{ values: e.at.out, hist: e.histOf(0) }];
    const select = e.select(job);
    const pass = e.pass(job, (c) => importance(e, job, s.cols, c, false));
    select.high(sources, pass);
    // ascending position p is the (n − p)-th largest
    const [q1, med, q3] = quantileIndices(job.numel).map((p) =>
      cutValue(select.cuts(sources, [{ source: 0, rank: job.numel - p, lo: 0 }], pass, true)[0]!),
    );
    preps[0]!.slerpCoef = fusionThreshold(q1!, med!, q3!);
  },
  chunk: (e, job, s, prep, c) => {
    const { n } = e.range(job, c);
    const res = importance(e, job, s.cols, c, true);
    e.k.delta_f32(e.deltaPtr(0), e.at.base, e.deltaPtr(0), n);
    e.k.fusion_mask_f32(e.deltaPtr(0), e.at.out, prep?.[0]?.slerpCoef ?? NaN, n);
    e.f64(e.at.coef, 1).set([1]);
    e.f64(e.at.divw, 1).set([0]);
    e.k.weighted_sum_f32(e.at.base, 1, e.at.deltas, 4 * e.chunkElements, 1, n, e.at.coef, e.at.divw, 0, 1, e.at.out);
    return res;
  },
};
