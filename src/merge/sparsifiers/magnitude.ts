import { applyWindow, windowSelection } from './rank-window.js';
import { DENSITY, type RankWindow, type SparsifierUnit } from './types.js';

/** TIES trimming: keep the ⌊density·n⌋ largest |δ| (ranks [0, keepRank)). */
export interface MagnitudeState extends RankWindow {
  kind: 'magnitude';
}

/** magnitude (TIES): the top ⌊density·n⌋ of |δ| kept, ties to the lower index, by an exact radix select. */
export const magnitude: SparsifierUnit<MagnitudeState> = {
  name: 'magnitude',
  params: [DENSITY],
  inverse: 'coefficient',
  plan: (t) => ({ kind: 'magnitude', keepRank: Math.min(t.numel, Math.floor(t.param('density') * t.numel)), dropRank: 0 }),
  selection: (s, numel) => windowSelection(s, numel),
  apply: (k, _s, at) => applyWindow(k, at),
};
