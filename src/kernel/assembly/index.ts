// The kernel's entry points: one file per op and dtype. Pointer + length calling convention, imported memory,
// no allocation inside kernels (the caller lays out buffers in linear memory). Declared with signatures: src/kernel/abi.ts.
export * from './decode_bf16';
export * from './decode_f16';
export * from './encode_bf16';
export * from './encode_f16';
export * from './delta_f32';
export * from './dare_mask_f32';
export * from './trim_window_f32';
export * from './hist_abs_f32';
export * from './count_nonfinite_f32';
export * from './combine_f32';
export * from './slerp_f32';
export * from './della_mask_f32';
export * from './stats';
export * from './gemm_f32';
export * from './rmsnorm_f32';
export * from './rope_f32';
export * from './attention_f32';
export * from './silu_mul_f32';
// mergekit-compatible methods (issue 15)
export * from './nearswap_f32';
export * from './sce_f32';
export * from './ram_f32';
export * from './fusion_f32';
export * from './row_dots_f32';
// issue 18: the elementwise merge of 16-bit inputs in one pass
export * from './fused_merge16';
