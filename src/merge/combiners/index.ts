// The combiner registry: name → unit. A new combiner is one file in this folder (its state type and unit), its
// kernel op, and one line in each of the two lists below; a method is then a row of ../methods.ts.
import type { ChunkResult, EngineContext } from '../chunk.js';
import type { TensorJob, TermPrep } from '../job.js';
import type { CombinerUnit } from './types.js';
import { arceeFusion, type FusionState } from './arcee-fusion.js';
import { karcher, type KarcherState } from './karcher.js';
import { modelStock, type ModelStockState } from './model-stock.js';
import { multislerp, type MultislerpState } from './multislerp.js';
import { nearswap, type NearswapState } from './nearswap.js';
import { nuslerp, type NuslerpState } from './nuslerp.js';
import { passthrough, type PassthroughState } from './passthrough.js';
import { ram, type RamState } from './ram.js';
import { sce, type SceState } from './sce.js';
import { slerp, type SlerpState } from './slerp.js';
import { sum, type SumState } from './sum.js';

/** The state a job carries for its combiner, discriminated by the unit's name. */
export type CombinerState =
  | SumState
  | SlerpState
  | NuslerpState
  | ModelStockState
  | PassthroughState
  | MultislerpState
  | KarcherState
  | NearswapState
  | SceState
  | RamState
  | FusionState;

/** How sparsified deltas (or weights) become the output (a registry key). */
export type Combiner = CombinerState['kind'];

/** The registry: every combiner by name. */
export const COMBINERS: { readonly [K in Combiner]: CombinerUnit<Extract<CombinerState, { kind: K }>> } = {
  sum,
  slerp,
  nuslerp,
  model_stock: modelStock,
  passthrough,
  multislerp,
  karcher,
  nearswap,
  sce,
  ram,
  arcee_fusion: arceeFusion,
};

/** The unit of a combiner name or state (typed as the general unit). */
export function combinerOf(c: Combiner | { kind: string }): CombinerUnit<CombinerState> {
  return COMBINERS[(typeof c === 'string' ? c : c.kind) as Combiner] as unknown as CombinerUnit<CombinerState>;
}

/** A job's combiner state, as the union (plan.ts built it from the registry). */
function stateOf(job: TensorJob): CombinerState {
  return job.combine as CombinerState;
}

/** Merge chunk c of a job into the engine's `out` area, through its combiner. */
export function combineChunk(e: EngineContext, job: TensorJob, prep: TermPrep[] | undefined, c: number): ChunkResult {
  return combinerOf(job.combine).chunk(e, job, stateOf(job), prep, c);
}

/** The combiner's own part of a job's pre-pass, into preps. */
export function combinePrep(e: EngineContext, job: TensorJob, preps: TermPrep[]): void {
  combinerOf(job.combine).prep?.(e, job, stateOf(job), preps);
}
