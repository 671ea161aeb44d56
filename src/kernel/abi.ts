// The kernel's ABI, declared once: every export of build/kernel.wasm (name, parameters, result) and the stats
// pass's constants and block records as ordered field lists. The host derives from it the raw export types
// (exports.ts), record offsets and folds (analysis/sums.ts) and the table columns of the sums (store/);
// scripts/build-kernel.mjs generates the AssemblyScript constants (assembly/abi_generated.ts) from it, and
// test/kernel/abi.test.ts checks the built module against it. Data only, no imports: the build script loads this file.

/** A parameter or result type of a kernel export, as AssemblyScript spells it (usize is i32 on wasm32). */
export type AbiType = 'i32' | 'u32' | 'usize' | 'f32' | 'f64';

/** Which host layer calls an export: the merge engine, the analyzer's stats pass or the forward pass. */
export type ExportGroup = 'merge' | 'stats' | 'model';

/** One kernel export: its parameters in order (`name: type`) and its result. */
export interface ExportDecl {
  readonly group: ExportGroup;
  readonly params: readonly `${string}: ${AbiType}`[];
  readonly result: AbiType | 'void';
}

/** The parameters of the combine kernels (weighted_sum_f32, ties_sum_f32): k deltas at stride into out. */
const COMBINE_PARAMS = [
  'base: usize',
  'hasBase: i32',
  'deltas: usize',
  'stride: usize',
  'k: i32',
  'n: i32',
  'coef: usize',
  'divw: usize',
  'normalize: i32',
  'lambda: f64',
  'out: usize',
] as const;

/** Every kernel entry point of build/kernel.wasm, in declaration order. Pointers are byte addresses, n counts elements. */
export const KERNEL_ABI = {
  decode_bf16: { group: 'merge', params: ['src: usize', 'dst: usize', 'n: i32'], result: 'void' },
  decode_f16: { group: 'merge', params: ['src: usize', 'dst: usize', 'n: i32'], result: 'void' },
  encode_bf16: { group: 'merge', params: ['src: usize', 'dst: usize', 'n: i32'], result: 'void' },
  encode_f16: { group: 'merge', params: ['src: usize', 'dst: usize', 'n: i32'], result: 'void' },
  delta_f32: { group: 'merge', params: ['a: usize', 'b: usize', 'dst: usize', 'n: i32'], result: 'void' },
  dare_mask_f32: {
    group: 'merge',
    params: ['ptr: usize', 'n: i32', 'key: u32', 'start: u32', 'threshold: f64'],
    result: 'void',
  },
  trim_window_f32: {
    group: 'merge',
    params: ['ptr: usize', 'n: i32', 'keepBits: u32', 'keepTies: i32', 'dropBits: u32', 'dropTies: i32'],
    result: 'void',
  },
  hist_abs_hi16_f32: { group: 'merge', params: ['ptr: usize', 'n: i32', 'hist: usize'], result: 'void' },
  hist_abs_lo16_f32: { group: 'merge', params: ['ptr: usize', 'n: i32', 'hi: u32', 'hist: usize'], result: 'void' },
  count_abs_eq_f32: { group: 'merge', params: ['ptr: usize', 'n: i32', 'bits: u32'], result: 'i32' },
  count_nonfinite_f32: { group: 'merge', params: ['ptr: usize', 'n: i32'], result: 'i32' },
  weighted_sum_f32: {
    group: 'merge',
    params: COMBINE_PARAMS,
    result: 'void',
  },
  ties_sum_f32: {
    group: 'merge',
    params: COMBINE_PARAMS,
    result: 'void',
  },
  slerp_dots_f32: { group: 'merge', params: ['a: usize', 'b: usize', 'n: i32', 'start: u32', 'acc: usize'], result: 'void' },
  axpy_f32: { group: 'merge', params: ['base: usize', 'x: usize', 'coef: f64', 'out: usize', 'n: i32'], result: 'void' },
  della_mask_f32: {
    group: 'merge',
    params: [
      'ptr: usize',
      'n: i32',
      'cols: i32',
      'key: u32',
      'start: u32',
      'density: f64',
      'epsilon: f64',
      'inverse: i32',
      'scratch: usize',
    ],
    result: 'void',
  },
  // mergekit-compatible methods (issue 15)
  nearswap_f32: { group: 'merge', params: ['base: usize', 'x: usize', 't: f64', 'out: usize', 'n: i32'], result: 'void' },
  sce_var_f32: {
    group: 'merge',
    params: ['deltas: usize', 'stride: usize', 'k: i32', 'n: i32', 'out: usize'],
    result: 'void',
  },
  mask_zero_f32: { group: 'merge', params: ['mask: usize', 'x: usize', 'n: i32'], result: 'void' },
  sce_sum_f32: {
    group: 'merge',
    params: ['base: usize', 'deltas: usize', 'stride: usize', 'k: i32', 'n: i32', 'w: usize', 'out: usize'],
    result: 'void',
  },
  ram_counts_f32: {
    group: 'merge',
    params: ['deltas: usize', 'stride: usize', 'k: i32', 'n: i32', 'eps: f64', 'counts: usize'],
    result: 'void',
  },
  ram_sum_f32: {
    group: 'merge',
    params: ['base: usize', 'deltas: usize', 'stride: usize', 'k: i32', 'n: i32', 'eps: f64', 'lambda: usize', 'out: usize'],
    result: 'void',
  },
  fusion_importance_f32: {
    group: 'merge',
    params: ['x: usize', 'base: usize', 'n: i32', 'cols: i32', 'kl: usize', 'out: usize'],
    result: 'void',
  },
  fusion_mask_f32: {
    group: 'merge',
    params: ['delta: usize', 'importance: usize', 'threshold: f32', 'n: i32'],
    result: 'void',
  },
  row_dots_f32: { group: 'merge', params: ['a: usize', 'b: usize', 'n: i32', 'cols: i32', 'out: usize'], result: 'void' },
  // issue 18
  /**
   * Decode, delta, DARE mask, combine and encode of 16-bit inputs in one pass (see fused_merge16.ts): −1 when not
   * applicable, else the fallback lanes | 1 << 30 (NaN/Inf input) | 1 << 29 (NaN/Inf output).
   */
  fused_merge16: {
    group: 'merge',
    params: ['table: usize', 'k: i32', 'off: i32', 'n: i32', 'start: u32', 'coef: usize', 'divw: usize', 'lambda: f64', 'out: usize'],
    result: 'i32',
  },

  // the analyzer's stats pass (assembly/stats.ts)
  /** Zeroed workspace bytes stats_chunk needs for k fine-tunes. */
  stats_work_bytes: { group: 'stats', params: ['k: i32'], result: 'usize' },
  /**
   * The whole stats pass over one chunk of n elements of k fine-tunes (decode, per-fine-tune sums and histogram, pair
   * sums): DELTA_RECORD per fine-tune and block at deltaOut, PAIR_RECORD per pair and block at pairOut, the sparse
   * histogram at histStart/histBin/histCount/histEnergy; key, group0 and sampled choose the sample.
   */
  stats_chunk: {
    group: 'stats',
    params: [
      'k: i32',
      'n: i32',
      'inputs: usize',
      'dtypes: usize',
      'work: usize',
      'deltaOut: usize',
      'pairOut: usize',
      'histStart: usize',
      'histBin: usize',
      'histCount: usize',
      'histEnergy: usize',
      'key: u32',
      'group0: u32',
      'sampled: i32',
    ],
    result: 'void',
  },

  // the forward pass (model/)
  gemm_f32: {
    group: 'model',
    params: ['a: usize', 'w: usize', 'c: usize', 'm: i32', 'n: i32', 'k: i32', 'n0: i32', 'n1: i32'],
    result: 'void',
  },
  rmsnorm_f32: {
    group: 'model',
    params: ['x: usize', 'w: usize', 'out: usize', 'rows: i32', 'dim: i32', 'eps: f32'],
    result: 'void',
  },
  rope_f32: {
    group: 'model',
    params: ['x: usize', 'rows: i32', 'heads: i32', 'hd: i32', 'stride: i32', 'pos: usize', 'cos: usize', 'sin: usize'],
    result: 'void',
  },
  attention_f32: {
    group: 'model',
    params: [
      'q: usize',
      'k: usize',
      'v: usize',
      'out: usize',
      't: i32',
      'h0: i32',
      'h1: i32',
      'nh: i32',
      'nkv: i32',
      'hd: i32',
      'qStride: i32',
      'kvStride: i32',
      'oStride: i32',
      'scale: f32',
      'scratch: usize',
    ],
    result: 'void',
  },
  silu_mul_f32: { group: 'model', params: ['g: usize', 'u: usize', 'out: usize', 'n: i32'], result: 'void' },
} as const satisfies Record<string, ExportDecl>;

/** Exports that belong to the module itself rather than to a kernel. */
export const MODULE_EXPORTS = ['memory', '_initialize'] as const;

/**
 * Bytes at the start of the kernel's memory that callers must leave alone: the module's data segment (exp's
 * table, used by attention_f32 and silu_mul_f32) lives there. Lay out model buffers from this address.
 */
export const KERNEL_DATA_BYTES = 65536;

// ---- the stats pass ----

/** Elements per summation block; chunk starts must be multiples of it. */
export const STATS_BLOCK = 4096;
/** Histogram bins: f32 bits of |Δ| >>> 18 (8 exponent bits + top 5 mantissa bits); 8160+ are never hit. */
export const HIST_BINS = 8192;
/** Elements per float32 summation group and per sample stratum (one run of 4 sampled elements per group). */
export const STATS_GROUP = 64;
/** Weight of a sampled element in the histogram and pair counts (a group of 64 sampled by 4 of its elements). */
export const SAMPLE_WEIGHT = 16;
/** A fast-path sum of squares below this (2⁻⁹⁰) sends the block to the exact path (float32 underflow could matter). */
export const STATS_TINY = 2 ** -90;
/**
 * float32 bits of the largest float32 ≤ 0.002 and ≤ 0.005, the thresholds of le0002 and le0005: a float32 compare
 * with them equals the exact float64 compare of |Δ| with 0.002 and 0.005.
 */
export const STATS_T0002_BITS = 0x3b03126e;
export const STATS_T0005_BITS = 0x3ba3d70a;

/**
 * One float64 field of a block record: how blocks fold into a scope (`sum`, or `max`), whether it counts elements
 * (a BIGINT column) or measures weights (DOUBLE), and its table column (snake_case name, unit, definition).
 */
export interface RecordField {
  readonly name: string;
  readonly fold: 'sum' | 'max';
  readonly count: boolean;
  readonly column: string;
  readonly unit: string;
  readonly doc: string;
}

/** The delta block record: one per fine-tune and block, these float64 fields in this order. */
export const DELTA_RECORD = [
  {
    name: 'nonFinite',
    fold: 'sum',
    count: true,
    column: 'non_finite',
    unit: 'elements',
    doc: 'entries where base, fine-tune or Δ = ft − base is NaN or ±Inf; excluded from every other column',
  },
  { name: 'sumDelta', fold: 'sum', count: false, column: 'sum_delta', unit: 'weight units', doc: 'ΣΔ (float64)' },
  { name: 'sumSqDelta', fold: 'sum', count: false, column: 'sum_sq_delta', unit: 'weight units²', doc: 'ΣΔ²' },
  { name: 'sumAbsDelta', fold: 'sum', count: false, column: 'sum_abs_delta', unit: 'weight units', doc: 'Σ|Δ|' },
  { name: 'sumCubeDelta', fold: 'sum', count: false, column: 'sum_cube_delta', unit: 'weight units³', doc: 'ΣΔ³' },
  { name: 'sumQuadDelta', fold: 'sum', count: false, column: 'sum_quad_delta', unit: 'weight units⁴', doc: 'ΣΔ⁴' },
  { name: 'maxAbsDelta', fold: 'max', count: false, column: 'max_abs_delta', unit: 'weight units', doc: 'max |Δ| (exact)' },
  { name: 'sumSqBase', fold: 'sum', count: false, column: 'sum_sq_base', unit: 'weight units²', doc: 'ΣW_base²' },
  { name: 'sumSqFt', fold: 'sum', count: false, column: 'sum_sq_ft', unit: 'weight units²', doc: 'ΣW_ft²' },
  { name: 'positive', fold: 'sum', count: true, column: 'positive', unit: 'elements', doc: '#Δ > 0' },
  { name: 'negative', fold: 'sum', count: true, column: 'negative', unit: 'elements', doc: '#Δ < 0' },
  { name: 'zero', fold: 'sum', count: true, column: 'zero', unit: 'elements', doc: '#Δ = 0 (finite entries)' },
  { name: 'le0002', fold: 'sum', count: true, column: 'le_0002', unit: 'elements', doc: '#|Δ| ≤ 0.002' },
  { name: 'le0005', fold: 'sum', count: true, column: 'le_0005', unit: 'elements', doc: '#|Δ| ≤ 0.005' },
] as const satisfies readonly RecordField[];

/** The pair block record: one per pair of fine-tunes (a < b) and block, these float64 fields in this order. */
export const PAIR_RECORD = [
  { name: 'dot', fold: 'sum', count: false, column: 'dot', unit: 'weight units²', doc: 'Σ Δa·Δb over entries finite in both' },
  {
    name: 'bothNonzero',
    fold: 'sum',
    count: true,
    column: 'both_nonzero',
    unit: 'elements',
    doc: 'entries where Δa ≠ 0 and Δb ≠ 0',
  },
  { name: 'conflicts', fold: 'sum', count: true, column: 'conflicts', unit: 'elements', doc: 'of those, entries with opposite signs' },
  {
    name: 'minBoth',
    fold: 'sum',
    count: false,
    column: 'min_both',
    unit: 'weight units',
    doc: 'Σ min(|Δa|,|Δb|) over both-non-zero entries',
  },
  {
    name: 'minConflict',
    fold: 'sum',
    count: false,
    column: 'min_conflict',
    unit: 'weight units',
    doc: 'Σ min(|Δa|,|Δb|) over conflicting entries',
  },
] as const satisfies readonly RecordField[];

/** A field name of the delta record. */
export type DeltaField = (typeof DELTA_RECORD)[number]['name'];
/** A field name of the pair record. */
export type PairField = (typeof PAIR_RECORD)[number]['name'];

/** Field index (float64 offset) by name of a record's ordered field list. */
function offsets<F extends readonly RecordField[]>(fields: F): { readonly [K in F[number]['name']]: number } {
  return Object.fromEntries(fields.map((f, i) => [f.name, i])) as { [K in F[number]['name']]: number };
}

/** Field offsets of a delta block record (float64 index within the record). */
export const DELTA_FIELD = offsets(DELTA_RECORD);
/** float64 fields per delta block record. */
export const DELTA_FIELDS = DELTA_RECORD.length;
/** Field offsets of a pair block record (float64 index within the record). */
export const PAIR_FIELD = offsets(PAIR_RECORD);
/** float64 fields per pair block record. */
export const PAIR_FIELDS = PAIR_RECORD.length;
