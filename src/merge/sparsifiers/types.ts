import type { MergeKernelExports } from '../../kernel/exports.js';
import { numberParam, type ParamDecl } from '../param-decl.js';
import type { RescaleMode } from '../param-decl.js';
import type { Cut } from '../radix-select.js';

/** What a sparsifier's plan sees of one model's term of one output tensor. */
export interface TermContext {
  /** A model-scope parameter the unit declares, resolved for this tensor (its default when unset). */
  param(name: string): number;
  /** The merge seed, the model's position (the mask key's), the tensor's name, element count and shape. */
  seed: number;
  position: number;
  tensor: string;
  numel: number;
  shape: readonly number[];
  rescale: RescaleMode;
  /** The model entry's key path, for errors (e.g. `models[1].parameters`). */
  where: string;
  method: string;
}

/** Where a sparsifier works on one chunk of one term's delta in kernel memory. */
export interface ApplyContext {
  /** The delta's float32 values and their count; `start` is the chunk's first element index in the tensor. */
  ptr: number;
  n: number;
  start: number;
  /** The chunk's index (for the tie quotas of a cut). */
  chunk: number;
  /** Row length when the job works per row (chunks then hold whole rows). */
  rowLen: number | undefined;
  /** Kernel scratch memory for per-row work. */
  scratch: number;
  /** The term's magnitude cuts from the selection pre-pass (CUT_ALL and CUT_NONE when it has none). */
  keep: Cut;
  drop: Cut;
}

/** Magnitude cuts a term wants, as ranks in |δ|-descending order (ties to the lower index): keep ranks [dropRank, keepRank). */
export interface RankWindow {
  keepRank: number;
  dropRank: number;
}

/**
 * One sparsifier: how a model's delta is thinned before combining. Its parameters as data, its plan (the typed
 * state a term carries), the selection it needs from the pre-pass, and its kernel op on a chunk.
 */
export interface SparsifierUnit<S extends { kind: string }> {
  name: S['kind'];
  /** Its model-scope parameters (every sparsifier but none declares density). */
  params: readonly ParamDecl[];
  /**
   * How `rescale: inverse` applies: ×1/density on the term's coefficient, or per element in the kernel (1/p of
   * each survivor's own keep probability). Absent for a sparsifier that keeps everything (no rescale).
   */
  inverse?: 'coefficient' | 'element';
  /** What the inverse rescale divides by, for the note where darekit's default differs from mergekit's (random drops). */
  inverseNote?: string;
  /**
   * For a sparsifier that is a DARE-style mask of the element index (none, random): its mask key and drop
   * threshold. The blocked path may then run it sub-block by sub-block, and the fused 16-bit op computes it inline.
   */
  elementwiseMask?(s: S): { key: number; threshold: number };
  /** The term's state for one tensor (refusing parameters that do not fit together). */
  plan(t: TermContext): S;
  /** Row length the sparsifier works in (chunks then hold whole rows), or undefined. */
  rowLen?(t: TermContext): number | undefined;
  /** The magnitude cuts the term needs from the pre-pass, or undefined when it needs none. */
  selection?(s: S, numel: number): RankWindow | undefined;
  /** Sparsify one chunk of the term's delta in place. */
  apply(k: MergeKernelExports, s: S, at: ApplyContext): void;
}

/** The density every sparsifier declares: the fraction of the delta kept. */
export const DENSITY = numberParam('density', 'model', { min: 0, max: 1, minOpen: true }, 1, 'fraction of the delta kept');
