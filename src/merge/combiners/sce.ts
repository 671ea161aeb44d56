import type { EngineContext } from '../chunk.js';
import type { TensorJob } from '../job.js';
import { numberParam } from '../param-decl.js';
import { chunkQuota, CUT_ALL, CUT_NONE, type Cut } from '../radix-select.js';
import { INT8_MASK, globalOr, type CombinerUnit } from './types.js';

/** sce: keep the top ⌊nonzero·topk⌋ elements by variance across the deltas (topk < 1), then the weighted sign-elected mean. */
export interface SceState {
  kind: 'sce';
  topk: number;
}

const SELECT_TOPK = numberParam('select_topk', 'global', { min: 0, max: 1 }, 1, 'fraction of elements kept, by variance across the deltas');

/** The variance across the loaded deltas of chunk c into `out`. */
function variance(e: EngineContext, job: TensorJob, n: number): void {
  e.k.sce_var_f32(e.at.deltas, 4 * e.chunkElements, job.terms.length, n, e.at.out);
}

/** Zero every delta of chunk c outside the variance cut. */
function maskByVariance(e: EngineContext, job: TensorJob, cut: Cut, c: number, n: number): void {
  variance(e, job, n);
  e.k.trim_window_f32(e.at.out, n, cut.bits, chunkQuota(cut, c), CUT_NONE.bits, 0);
  for (let i = 0; i < job.terms.length; i++) e.k.mask_zero_f32(e.at.out, e.deltaPtr(i), n);
}

/** sce: keep the top select_topk of elements by variance across the deltas, sign election, mean weighted by each delta's mean square. */
export const sce: CombinerUnit<SceState> = {
  name: 'sce',
  params: () => [SELECT_TOPK, INT8_MASK],
  plan: (p) => ({ state: { kind: 'sce', topk: Number(globalOr(p, SELECT_TOPK)) } }),
  /**
   * With select_topk < 1, the exact cut of the top ⌊nonzero·topk⌋ variances across the deltas (ties to the lower
   * index), kept in preps[0].keep; then each masked delta's Σδ² in float64 (parity lanes carried across chunks)
   * for its weight mean(δ²)/Σ mean(δ²) (1/k each when that sum is under 1e-6), kept in slerpCoef.
   */
  prep: (e, job, s, preps) => {
    const k = job.terms.length;
    const all = job.terms.map((_, i) => i);
    let cut: Cut = CUT_ALL;
    if (s.topk < 1) {
      const sources = [{ values: e.at.out, hist: e.histOf(0) }];
      const select = e.select(job);
      let zeros = 0;
      select.high(
        sources,
        e.pass(job, (c) => {
          const { n } = e.range(job, c);
          e.loadDeltas(job, c, all, false);
          variance(e, job, n);
          zeros += e.k.count_abs_eq_f32(e.at.out, n, 0);
        }),
      );
      const rank = Math.trunc((job.numel - zeros) * s.topk);
      const again = e.pass(job, (c) => {
        e.loadDeltas(job, c, all, false);
        variance(e, job, e.range(job, c).n);
      });
      cut = select.cuts(sources, [{ source: 0, rank, lo: 0 }], again)[0]!;
      preps[0]!.keep = cut;
    }
    const acc = all.map(() => new Float64Array(6));
    for (let c = 0; c < e.chunks(job); c++) {
      const { start, n } = e.range(job, c);
      e.loadDeltas(job, c, all, false);
      if (s.topk < 1) maskByVariance(e, job, cut, c, n);
      for (let i = 0; i < k; i++) {
        e.f64(e.at.sums, 6).set(acc[i]!);
        e.k.slerp_dots_f32(e.deltaPtr(i), e.deltaPtr(i), n, start, e.at.sums);
        acc[i]!.set(e.f64(e.at.sums, 6));
      }
    }
    const means = acc.map((a) => (a[0]! + a[1]!) / job.numel);
    const total = means.reduce((sum, x) => sum + x, 0);
    means.forEach((m, i) => {
      preps[i]!.slerpCoef = Math.abs(total) < 1e-6 ? 1 / k : m / total;
    });
  },
  chunk: (e, job, s, prep, c) => {
    const { n } = e.range(job, c);
    const k = job.terms.length;
    const res = e.loadAll(job, c);
    if (s.topk < 1) maskByVariance(e, job, prep?.[0]?.keep ?? CUT_NONE, c, n);
    e.f64(e.at.coef, k).set(job.terms.map((_, i) => prep?.[i]?.slerpCoef ?? NaN));
    e.k.sce_sum_f32(e.at.base, e.at.deltas, 4 * e.chunkElements, k, n, e.at.coef, e.at.out);
    return res;
  },
};
