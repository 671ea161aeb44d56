// The sparsifier registry: name → unit. A new sparsifier is one file in this folder (its state type and unit),
// its kernel op, and one line in each of the two lists below.
import type { MergeKernelExports } from '../../kernel/exports.js';
import { breadcrumbs, type BreadcrumbsState } from './breadcrumbs.js';
import { della, type DellaState } from './della.js';
import { magnitude, type MagnitudeState } from './magnitude.js';
import { none, type NoneState } from './none.js';
import { random, type RandomState } from './random.js';
import type { ApplyContext, RankWindow, SparsifierUnit } from './types.js';

/** The state a term carries for its sparsifier, discriminated by the unit's name. */
export type SparsifierState = NoneState | RandomState | MagnitudeState | BreadcrumbsState | DellaState;

/** How each model's delta is sparsified before combining (a registry key). */
export type Sparsifier = SparsifierState['kind'];

/** The registry: every sparsifier by name. */
export const SPARSIFIERS: { readonly [K in Sparsifier]: SparsifierUnit<Extract<SparsifierState, { kind: K }>> } = {
  none,
  random,
  magnitude,
  breadcrumbs,
  della,
};

/** The unit of a state (typed as the general unit: its state is the one it planned). */
export function sparsifierOf(s: SparsifierState): SparsifierUnit<SparsifierState> {
  return SPARSIFIERS[s.kind] as unknown as SparsifierUnit<SparsifierState>;
}

/** Sparsify one chunk of a term's delta in place, through its unit. */
export function applySparsifier(k: MergeKernelExports, s: SparsifierState, at: ApplyContext): void {
  sparsifierOf(s).apply(k, s, at);
}

/** The magnitude cuts a term's sparsifier needs from the pre-pass, or undefined. */
export function sparsifierSelection(s: SparsifierState, numel: number): RankWindow | undefined {
  return sparsifierOf(s).selection?.(s, numel);
}
