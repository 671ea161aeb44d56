import type { ChunkResult, EngineContext } from '../chunk.js';
import type { ModelTerm, TensorJob, TermPrep } from '../job.js';
import { flagParam, numberParam, type ParamDecl, type RescaleMode } from '../param-decl.js';
import type { ParamScalar, ParamValue } from '../params.js';

/** What a combiner's parameter list depends on: the method row it serves. */
export interface MethodTraits {
  method: string;
  usesBase: boolean;
  /** The method's sparsifier thins deltas (so it takes rescale). */
  sparsified: boolean;
  /** The method's defaults of normalize and rescale. */
  normalize: boolean;
  rescale: RescaleMode;
}

/** A `models:` config as the combiner's checks see it (after parsing, before any file is opened). */
export interface ConfigCheck {
  /** The model entries to merge (without a base listed among them where the method drops it). */
  models: readonly { path: string; parameters: Readonly<Record<string, ParamValue | undefined>> }[];
  parameters: Readonly<Record<string, ParamValue | undefined>>;
  baseModel: string | undefined;
}

/** What a combiner's plan sees of one output tensor. */
export interface JobPlan {
  method: string;
  tensor: string;
  shape: readonly number[];
  numel: number;
  terms: ModelTerm[];
  /** A merge-wide parameter the combiner declares, for this tensor: checked against its declaration; undefined when unset. */
  global(name: string): ParamScalar | undefined;
  /** Notes for the merge summary (one line each, said once). */
  notes: Set<string>;
}

/**
 * One combiner: how the (sparsified) deltas of a tensor become the output. Its parameters as data, its config
 * checks, its plan (the typed state a job carries), an optional whole-tensor pre-pass and the merge of a chunk
 * into the engine's `out` area.
 */
export interface CombinerUnit<S extends { kind: string }> {
  name: S['kind'];
  /** Its parameters for a method (the sparsifier's are added after its model-scope ones). */
  params(m: MethodTraits): readonly ParamDecl[];
  /** base_model is used when given though the method does not need one (its slices take it from the sources). */
  optionalBase?: boolean;
  /** A base_model also listed among the models is dropped from them (its delta is zero). */
  dropsListedBase?: boolean;
  /** True for generalized task arithmetic: its sum normalizes, and its sparsifier's default rescale notes apply. */
  taskArithmetic?: boolean;
  /** Checks of a `models:` config (counts, required parameters), as one-line input errors. */
  checkConfig?(c: ConfigCheck): void;
  /** Checks of the merge-wide parameters (options without a streaming form yet), in every config form. */
  checkOptions?(global: Readonly<Record<string, ParamValue | undefined>>): void;
  /** Checks of one tensor's source count (`where`: models or slices[i]). */
  checkSources?(count: number, where: string, tensor: string, method: string): void;
  /** Order of the sources as terms, from which one is the base (slerp: the base is the t = 0 end). */
  order?(isBase: readonly boolean[]): number[];
  /** False when the method sparsifies only deltas from a separate base (slerp without one keeps its models whole). */
  sparsifiesWithoutBase?: boolean;
  /** The job's state for one tensor (may set term coefficients); rowLen when it works on whole rows. */
  plan(p: JobPlan): { state: S; rowLen?: number };
  /** Whether a job needs the pre-pass (default: when the unit has one). */
  needsPrep?(s: S): boolean;
  /** The whole-tensor pre-pass over the chunks, into preps. */
  prep?(e: EngineContext, job: TensorJob, s: S, preps: TermPrep[]): void;
  /** Merge chunk c into the engine's `out` area (float32). */
  chunk(e: EngineContext, job: TensorJob, s: S, prep: TermPrep[] | undefined, c: number): ChunkResult;
  /** True when the engine may run it sub-block by sub-block (its generic elementwise sum). */
  blockable?: boolean;
}

/** Per-model weight of a weighted combine. */
export const WEIGHT = numberParam('weight', 'model', undefined, undefined, "the model's weight");
/** Per-model scale of passthrough. */
export const SCALE = numberParam('scale', 'model', undefined, 1, 'factor on the copied tensor');
/** The rescale of sparsified deltas (a method sets its default). */
export const RESCALE: ParamDecl = {
  name: 'rescale',
  scope: 'global',
  kind: 'rescale',
  doc: 'survivors ×1/density (inverse), L1-norm match (l1, or true), none (or false), or a fixed factor',
};
/** int8_mask: accepted for mergekit configs; masks are implicit here. */
export const INT8_MASK = flagParam(
  'int8_mask',
  undefined,
  "mergekit's mask storage; ignored (masks are a pure function of seed, model, tensor and index)",
);

/** The value of a merge-wide parameter, or its declared default. */
export function globalOr(p: JobPlan, d: ParamDecl): ParamScalar | undefined {
  return p.global(d.name) ?? d.default;
}

/** Row length of per-row work on a tensor: its last dimension (a scalar is one row of one). */
export function lastDim(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1]!;
}
