import { inputError } from '../../errors.js';
import { numberParam } from '../param-decl.js';
import { applyWindow, windowSelection } from './rank-window.js';
import { DENSITY, type RankWindow, type SparsifierUnit } from './types.js';

/** Model Breadcrumbs: drop the top ⌊γ·n⌋ of |δ| and keep the next ⌊density·n⌋ (ranks [dropRank, keepRank)). */
export interface BreadcrumbsState extends RankWindow {
  kind: 'breadcrumbs';
}

/** breadcrumbs: the largest γ and the smallest of |δ| dropped; at density 1 the delta is kept whole (γ unused), as mergekit. */
export const breadcrumbs: SparsifierUnit<BreadcrumbsState> = {
  name: 'breadcrumbs',
  params: [
    DENSITY,
    numberParam('gamma', 'model', { min: 0, max: 1, maxOpen: true }, 0.01, 'fraction of the largest |δ| dropped as outliers (breadcrumbs)'),
  ],
  inverse: 'coefficient',
  plan: (t) => {
    const density = t.param('density');
    const gamma = t.param('gamma');
    // breadcrumbs at density 1 leaves the delta unchanged, as mergekit's magnitude_outliers does (γ is not applied)
    if (density >= 1) return { kind: 'breadcrumbs', keepRank: t.numel, dropRank: 0 };
    if (density + gamma > 1) throw inputError(`${t.where}: density ${density} + gamma ${gamma} exceeds 1 (tensor ${t.tensor})`);
    const top = Math.floor(gamma * t.numel);
    return { kind: 'breadcrumbs', keepRank: Math.min(t.numel, top + Math.floor(density * t.numel)), dropRank: top };
  },
  selection: (s, numel) => windowSelection(s, numel),
  apply: (k, _s, at) => applyWindow(k, at),
};
