import { chunkQuota, CUT_ALL, CUT_NONE } from '../radix-select.js';
import type { ApplyContext, RankWindow } from './types.js';
import type { MergeKernelExports } from '../../kernel/exports.js';

/** The cuts a rank window needs from the pre-pass: undefined when it keeps every element. */
export function windowSelection(w: RankWindow, numel: number): RankWindow | undefined {
  return w.keepRank < numel || w.dropRank > 0 ? { keepRank: w.keepRank, dropRank: w.dropRank } : undefined;
}

/** Keep the elements whose |δ| rank lies in the window (zero the others), from the pre-pass's cuts. */
export function applyWindow(k: MergeKernelExports, at: ApplyContext): void {
  if (at.keep === CUT_ALL && at.drop === CUT_NONE) return;
  k.trim_window_f32(at.ptr, at.n, at.keep.bits, chunkQuota(at.keep, at.chunk), at.drop.bits, chunkQuota(at.drop, at.chunk));
}
