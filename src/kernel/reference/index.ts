import type { MergeKernelExports, ModelKernelExports } from '../exports.js';
import { attentionF32 } from './attention.js';
import { gemmF32 } from './gemm.js';
import { rmsnormF32 } from './rmsnorm.js';
import { ropeF32 } from './rope.js';
import { siluMulF32 } from './silu.js';
import { decodeBf16, decodeF16, encodeBf16, encodeF16 } from './codecs.js';
import { combineF32, deltaF32 } from './combine.js';
import { dellaMaskF32 } from './della.js';
import { dareMaskF32 } from './mask.js';
import { views } from './memory.js';
import { nearswapF32 } from './nearswap.js';
import { fusionImportanceF32, fusionMaskF32 } from './fusion.js';
import { ramCountsF32, ramSumF32 } from './ram.js';
import { rowDotsF32 } from './row-dots.js';
import { maskZeroF32, sceSumF32, sceVarF32 } from './sce.js';
import { axpyF32, slerpDotsF32 } from './slerp.js';
import { countAbsEqF32, countNonfiniteF32, histAbsHi16F32, histAbsLo16F32, trimWindowF32 } from './trim.js';

/**
 * The scalar TypeScript reference of every merge-kernel export, over the same memory and with the same
 * signatures, so the wasm kernel can be checked bit for bit and the executor can run without wasm (bench).
 */
export function referenceKernel(memory: WebAssembly.Memory): MergeKernelExports {
  return {
    decode_bf16: (s, d, n) => decodeBf16(views(memory), s, d, n),
    decode_f16: (s, d, n) => decodeF16(views(memory), s, d, n),
    encode_bf16: (s, d, n) => encodeBf16(views(memory), s, d, n),
    encode_f16: (s, d, n) => encodeF16(views(memory), s, d, n),
    delta_f32: (a, b, d, n) => deltaF32(views(memory), a, b, d, n),
    dare_mask_f32: (p, n, key, start, thr) => dareMaskF32(views(memory), p, n, key, start, thr),
    trim_window_f32: (p, n, kb, kt, db, dt) => trimWindowF32(views(memory), p, n, kb, kt, db, dt),
    hist_abs_hi16_f32: (p, n, h) => histAbsHi16F32(views(memory), p, n, h),
    hist_abs_lo16_f32: (p, n, hi, h) => histAbsLo16F32(views(memory), p, n, hi, h),
    count_abs_eq_f32: (p, n, b) => countAbsEqF32(views(memory), p, n, b),
    count_nonfinite_f32: (p, n) => countNonfiniteF32(views(memory), p, n),
    weighted_sum_f32: (...a) => combineF32(views(memory), false, ...a),
    ties_sum_f32: (...a) => combineF32(views(memory), true, ...a),
    slerp_dots_f32: (a, b, n, start, acc) => slerpDotsF32(views(memory), a, b, n, start, acc),
    axpy_f32: (b, x, c, o, n) => axpyF32(views(memory), b, x, c, o, n),
    della_mask_f32: (p, n, cols, key, start, d, e, inv) => dellaMaskF32(views(memory), p, n, cols, key, start, d, e, inv),
    nearswap_f32: (b, x, t, o, n) => nearswapF32(views(memory), b, x, t, o, n),
    sce_var_f32: (d, s, k, n, o) => sceVarF32(views(memory), d, s, k, n, o),
    mask_zero_f32: (m, x, n) => maskZeroF32(views(memory), m, x, n),
    sce_sum_f32: (b, d, s, k, n, w, o) => sceSumF32(views(memory), b, d, s, k, n, w, o),
    ram_counts_f32: (d, s, k, n, e, c) => ramCountsF32(views(memory), d, s, k, n, e, c),
    ram_sum_f32: (b, d, s, k, n, e, l, o) => ramSumF32(views(memory), b, d, s, k, n, e, l, o),
    fusion_importance_f32: (x, b, n, c, kl, o) => fusionImportanceF32(views(memory), x, b, n, c, kl, o),
    fusion_mask_f32: (d, i, t, n) => fusionMaskF32(views(memory), d, i, t, n),
    row_dots_f32: (a, b, n, c, o) => rowDotsF32(views(memory), a, b, n, c, o),
    // the reference has no fused path: −1 (not applicable) sends the engine to the stages above, which define it
    fused_merge16: () => -1,
  };
}

/** The scalar TypeScript reference of every model-kernel export (forward pass), over the same memory. */
export function referenceModelKernel(memory: WebAssembly.Memory): ModelKernelExports {
  return {
    gemm_f32: (...a) => gemmF32(views(memory), ...a),
    rmsnorm_f32: (...a) => rmsnormF32(views(memory), ...a),
    rope_f32: (...a) => ropeF32(views(memory), ...a),
    attention_f32: (...a) => attentionF32(views(memory), ...a),
    silu_mul_f32: (...a) => siluMulF32(views(memory), ...a),
  };
}
