import { numberParam } from '../param-decl.js';
import { globalOr, type CombinerUnit } from './types.js';

/** ram / ramplus_tl: deltas with |δ| > eps contribute; with plus, unique entries scaled per model by 1 + r·clamp(shared/unique, 0, alpha). */
export interface RamState {
  kind: 'ram';
  eps: number;
  plus?: { r: number; alpha: number };
}

const EPSILON = numberParam('epsilon', 'global', { min: 0 }, 1e-5, '|δ| above which a delta contributes');
const R = numberParam('r', 'global', { min: 0 }, 0.1, 'gain on unique entries (ramplus_tl)');
const ALPHA = numberParam('alpha', 'global', { min: 0 }, 0.2, 'cap of shared/unique (ramplus_tl)');
/** The method that adds the per-model gain on unique entries. */
const PLUS = 'ramplus_tl';

/** ram: base + per element the mean of the deltas with |δ| > epsilon (ramplus_tl: unique entries scaled up). */
export const ram: CombinerUnit<RamState> = {
  name: 'ram',
  params: (m) => [EPSILON, ...(m.method === PLUS ? [R, ALPHA] : [])],
  plan: (p) => {
    const state: RamState = { kind: 'ram', eps: Number(globalOr(p, EPSILON)) };
    if (p.method === PLUS) state.plus = { r: Number(globalOr(p, R)), alpha: Number(globalOr(p, ALPHA)) };
    return { state };
  },
  needsPrep: (s) => s.plus !== undefined,
  prep: (e, job, s, preps) => {
    // ramplus_tl: per model, elements shared with another contributor and elements it alone contributes
    const k = job.terms.length;
    const keep = new Float64Array(2 * k);
    const all = job.terms.map((_, i) => i);
    for (let c = 0; c < e.chunks(job); c++) {
      e.loadDeltas(job, c, all, false);
      e.f64(e.at.coef, 2 * k).set(keep);
      e.k.ram_counts_f32(e.at.deltas, 4 * e.chunkElements, k, e.range(job, c).n, s.eps, e.at.coef);
      keep.set(e.f64(e.at.coef, 2 * k));
    }
    const { r, alpha } = s.plus!;
    job.terms.forEach((_, m) => {
      preps[m]!.slerpCoef = 1 + r * Math.min(alpha, Math.max(0, keep[m]! / Math.max(keep[k + m]!, s.eps)));
    });
  },
  chunk: (e, job, s, prep, c) => {
    const { n } = e.range(job, c);
    const res = e.loadAll(job, c);
    e.f64(e.at.coef, job.terms.length).set(job.terms.map((_, i) => prep?.[i]?.slerpCoef ?? 1));
    e.k.ram_sum_f32(e.at.base, e.at.deltas, 4 * e.chunkElements, job.terms.length, n, s.eps, e.at.coef, e.at.out);
    return res;
  },
};
