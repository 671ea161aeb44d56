/**
 * Every dtype the safetensors format defines, in one table. `bits` is the storage size of one element;
 * `math` says whether darekit can decode it to float32 and do arithmetic on it.
 */
export const DTYPES = {
  BOOL: { bits: 8, math: false, torch: 'bool' },
  F4: { bits: 4, math: false, torch: 'float4_e2m1fn_x2' },
  F6_E2M3: { bits: 6, math: false, torch: 'float6_e2m3fn' },
  F6_E3M2: { bits: 6, math: false, torch: 'float6_e3m2fn' },
  U8: { bits: 8, math: false, torch: 'uint8' },
  I8: { bits: 8, math: false, torch: 'int8' },
  F8_E5M2: { bits: 8, math: false, torch: 'float8_e5m2' },
  F8_E4M3: { bits: 8, math: false, torch: 'float8_e4m3fn' },
  F8_E8M0: { bits: 8, math: false, torch: 'float8_e8m0fnu' },
  I16: { bits: 16, math: false, torch: 'int16' },
  U16: { bits: 16, math: false, torch: 'uint16' },
  F16: { bits: 16, math: true, torch: 'float16' },
  BF16: { bits: 16, math: true, torch: 'bfloat16' },
  I32: { bits: 32, math: false, torch: 'int32' },
  U32: { bits: 32, math: false, torch: 'uint32' },
  F32: { bits: 32, math: true, torch: 'float32' },
  C64: { bits: 64, math: false, torch: 'complex64' },
  F64: { bits: 64, math: true, torch: 'float64' },
  I64: { bits: 64, math: false, torch: 'int64' },
  U64: { bits: 64, math: false, torch: 'uint64' },
} as const;

export type Dtype = keyof typeof DTYPES;
/** The dtypes darekit decodes to float32 and computes with. */
export type MathDtype = 'F16' | 'BF16' | 'F32' | 'F64';
/** The dtypes darekit can write. */
export type OutDtype = 'F16' | 'BF16' | 'F32';

/** True when name is a dtype the safetensors format defines. */
export function isDtype(name: string): name is Dtype {
  return Object.prototype.hasOwnProperty.call(DTYPES, name);
}

/** True when darekit can decode and compute with this dtype. */
export function isMathDtype(d: Dtype): d is MathDtype {
  return DTYPES[d].math;
}

/** Bytes per element of a byte-aligned dtype (math dtypes are all byte-aligned). */
export function bytesPerElement(d: MathDtype): number {
  return DTYPES[d].bits / 8;
}

/** Parse a user-facing dtype name (mergekit/torch spelling or safetensors spelling) to an output dtype. */
export function parseOutDtype(name: string): OutDtype | undefined {
  const n = name.trim().toLowerCase();
  if (n === 'bfloat16' || n === 'bf16') return 'BF16';
  if (n === 'float16' || n === 'f16' || n === 'fp16' || n === 'half') return 'F16';
  if (n === 'float32' || n === 'f32' || n === 'fp32' || n === 'float') return 'F32';
  return undefined;
}

/** The torch name of a dtype, for config.json's torch_dtype. */
export function torchName(d: Dtype): string {
  return DTYPES[d].torch;
}
