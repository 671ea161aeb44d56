/**
 * The raw layer over the merge kernel: one method per wasm export, mirroring its native signature (in the
 * comment) 1:1. Pointers are byte addresses in the kernel's linear memory; lengths are element counts.
 * `MERGE_KERNEL_EXPORTS` is the declared list; a test checks that the built module exports exactly these
 * (plus the analyzer's `stats_*` entry points, which the analyzer declares and tests).
 */
export interface MergeKernelExports {
  /** decode_bf16(src: usize, dst: usize, n: i32): void */
  decode_bf16(src: number, dst: number, n: number): void;
  /** decode_f16(src: usize, dst: usize, n: i32): void */
  decode_f16(src: number, dst: number, n: number): void;
  /** encode_bf16(src: usize, dst: usize, n: i32): void */
  encode_bf16(src: number, dst: number, n: number): void;
  /** encode_f16(src: usize, dst: usize, n: i32): void */
  encode_f16(src: number, dst: number, n: number): void;
  /** delta_f32(a: usize, b: usize, dst: usize, n: i32): void */
  delta_f32(a: number, b: number, dst: number, n: number): void;
  /** dare_mask_f32(ptr: usize, n: i32, key: u32, start: u32, threshold: f64): void */
  dare_mask_f32(ptr: number, n: number, key: number, start: number, threshold: number): void;
  /** trim_window_f32(ptr: usize, n: i32, keepBits: u32, keepTies: i32, dropBits: u32, dropTies: i32): void */
  trim_window_f32(ptr: number, n: number, keepBits: number, keepTies: number, dropBits: number, dropTies: number): void;
  /** hist_abs_hi16_f32(ptr: usize, n: i32, hist: usize): void */
  hist_abs_hi16_f32(ptr: number, n: number, hist: number): void;
  /** hist_abs_lo16_f32(ptr: usize, n: i32, hi: u32, hist: usize): void */
  hist_abs_lo16_f32(ptr: number, n: number, hi: number, hist: number): void;
  /** count_abs_eq_f32(ptr: usize, n: i32, bits: u32): i32 */
  count_abs_eq_f32(ptr: number, n: number, bits: number): number;
  /** count_nonfinite_f32(ptr: usize, n: i32): i32 */
  count_nonfinite_f32(ptr: number, n: number): number;
  /** weighted_sum_f32(base, hasBase: i32, deltas, stride: usize, k: i32, n: i32, coef, divw, normalize: i32, lambda: f64, out): void */
  weighted_sum_f32(
    base: number,
    hasBase: number,
    deltas: number,
    stride: number,
    k: number,
    n: number,
    coef: number,
    divw: number,
    normalize: number,
    lambda: number,
    out: number,
  ): void;
  /** ties_sum_f32(base, hasBase: i32, deltas, stride: usize, k: i32, n: i32, coef, divw, normalize: i32, lambda: f64, out): void */
  ties_sum_f32(
    base: number,
    hasBase: number,
    deltas: number,
    stride: number,
    k: number,
    n: number,
    coef: number,
    divw: number,
    normalize: number,
    lambda: number,
    out: number,
  ): void;
  /** slerp_dots_f32(a: usize, b: usize, n: i32, start: u32, acc: usize): void */
  slerp_dots_f32(a: number, b: number, n: number, start: number, acc: number): void;
  /** axpy_f32(base: usize, x: usize, coef: f64, out: usize, n: i32): void */
  axpy_f32(base: number, x: number, coef: number, out: number, n: number): void;
  /** della_mask_f32(ptr: usize, n: i32, cols: i32, key: u32, start: u32, density: f64, epsilon: f64, inverse: i32, scratch: usize): void */
  della_mask_f32(
    ptr: number,
    n: number,
    cols: number,
    key: number,
    start: number,
    density: number,
    epsilon: number,
    inverse: number,
    scratch: number,
  ): void;
  // mergekit-compatible methods (issue 15)
  /** nearswap_f32(base: usize, x: usize, t: f64, out: usize, n: i32): void */
  nearswap_f32(base: number, x: number, t: number, out: number, n: number): void;
  /** sce_var_f32(deltas: usize, stride: usize, k: i32, n: i32, out: usize): void */
  sce_var_f32(deltas: number, stride: number, k: number, n: number, out: number): void;
  /** mask_zero_f32(mask: usize, x: usize, n: i32): void */
  mask_zero_f32(mask: number, x: number, n: number): void;
  /** sce_sum_f32(base: usize, deltas: usize, stride: usize, k: i32, n: i32, w: usize, out: usize): void */
  sce_sum_f32(base: number, deltas: number, stride: number, k: number, n: number, w: number, out: number): void;
  /** ram_counts_f32(deltas: usize, stride: usize, k: i32, n: i32, eps: f64, counts: usize): void */
  ram_counts_f32(deltas: number, stride: number, k: number, n: number, eps: number, counts: number): void;
  /** ram_sum_f32(base: usize, deltas: usize, stride: usize, k: i32, n: i32, eps: f64, lambda: usize, out: usize): void */
  ram_sum_f32(base: number, deltas: number, stride: number, k: number, n: number, eps: number, lambda: number, out: number): void;
  /** fusion_importance_f32(x: usize, base: usize, n: i32, cols: i32, kl: usize, out: usize): void */
  fusion_importance_f32(x: number, base: number, n: number, cols: number, kl: number, out: number): void;
  /** fusion_mask_f32(delta: usize, importance: usize, threshold: f32, n: i32): void */
  fusion_mask_f32(delta: number, importance: number, threshold: number, n: number): void;
  /** row_dots_f32(a: usize, b: usize, n: i32, cols: i32, out: usize): void */
  row_dots_f32(a: number, b: number, n: number, cols: number, out: number): void;
  // issue 18
  /**
   * fused_merge16(table: usize, k: i32, off: i32, n: i32, start: u32, coef: usize, divw: usize, lambda: f64, out: usize): i32
   * — decode, delta, DARE mask, combine and encode of 16-bit inputs in one pass (see fused_merge16.ts); −1 when
   * not applicable, else the fallback lanes | 1 << 30 (NaN/Inf input) | 1 << 29 (NaN/Inf output).
   */
  fused_merge16(
    table: number,
    k: number,
    off: number,
    n: number,
    start: number,
    coef: number,
    divw: number,
    lambda: number,
    out: number,
  ): number;
}

/** Every merge-kernel export, by name: the declared surface of build/kernel.wasm for merging. */
export const MERGE_KERNEL_EXPORTS = [
  'decode_bf16',
  'decode_f16',
  'encode_bf16',
  'encode_f16',
  'delta_f32',
  'dare_mask_f32',
  'trim_window_f32',
  'hist_abs_hi16_f32',
  'hist_abs_lo16_f32',
  'count_abs_eq_f32',
  'count_nonfinite_f32',
  'weighted_sum_f32',
  'ties_sum_f32',
  'slerp_dots_f32',
  'axpy_f32',
  'della_mask_f32',
  // mergekit-compatible methods (issue 15)
  'nearswap_f32',
  'sce_var_f32',
  'mask_zero_f32',
  'sce_sum_f32',
  'ram_counts_f32',
  'ram_sum_f32',
  'fusion_importance_f32',
  'fusion_mask_f32',
  'row_dots_f32',
  // issue 18
  'fused_merge16',
] as const satisfies readonly (keyof MergeKernelExports)[];

/** Exports that belong to the module itself rather than to a kernel. */
export const MODULE_EXPORTS = ['memory', '_initialize'] as const;

/**
 * The raw layer over the model (forward-pass) kernels, one method per wasm export with its native signature.
 * Pointers are byte addresses, counts are elements; every kernel works on f32 rows laid out by the caller.
 */
export interface ModelKernelExports {
  /** gemm_f32(a: usize, w: usize, c: usize, m: i32, n: i32, k: i32, n0: i32, n1: i32): void */
  gemm_f32(a: number, w: number, c: number, m: number, n: number, k: number, n0: number, n1: number): void;
  /** rmsnorm_f32(x: usize, w: usize, out: usize, rows: i32, dim: i32, eps: f32): void */
  rmsnorm_f32(x: number, w: number, out: number, rows: number, dim: number, eps: number): void;
  /** rope_f32(x: usize, rows: i32, heads: i32, hd: i32, stride: i32, pos: usize, cos: usize, sin: usize): void */
  rope_f32(x: number, rows: number, heads: number, hd: number, stride: number, pos: number, cos: number, sin: number): void;
  /** attention_f32(q, k, v, out: usize, t, h0, h1, nh, nkv, hd, qStride, kvStride, oStride: i32, scale: f32, scratch: usize): void */
  attention_f32(
    q: number,
    k: number,
    v: number,
    out: number,
    t: number,
    h0: number,
    h1: number,
    nh: number,
    nkv: number,
    hd: number,
    qStride: number,
    kvStride: number,
    oStride: number,
    scale: number,
    scratch: number,
  ): void;
  /** silu_mul_f32(g: usize, u: usize, out: usize, n: i32): void */
  silu_mul_f32(g: number, u: number, out: number, n: number): void;
}

/**
 * Bytes at the start of the kernel's memory that callers must leave alone: the module's data segment (exp's
 * table, used by attention_f32 and silu_mul_f32) lives there. Lay out model buffers from this address.
 */
export const KERNEL_DATA_BYTES = 65536;

/** Every model-kernel export, by name: the declared surface of build/kernel.wasm for the forward pass. */
export const MODEL_KERNEL_EXPORTS = [
  'gemm_f32',
  'rmsnorm_f32',
  'rope_f32',
  'attention_f32',
  'silu_mul_f32',
] as const satisfies readonly (keyof ModelKernelExports)[];
