import { inputError, runtimeError } from '../errors.js';
import { decodeToF32 } from './codec.js';
import { bytesPerElement, isMathDtype, type MathDtype } from './dtypes.js';
import type { ModelTensor } from './model.js';
import { ReadContext } from './read-context.js';
import type { TensorInfo } from './safetensors.js';
import { readTensorBytes } from './tensor-bytes.js';
import type { TensorSource } from './tensor-source.js';

/** The math dtype of a tensor, or a clear error naming the tensor when darekit cannot compute with it. */
export function mathDtypeOf(t: TensorInfo): MathDtype {
  if (!isMathDtype(t.dtype)) {
    throw inputError(
      `${t.file}: tensor "${t.name}" has dtype ${t.dtype}, which darekit cannot merge or analyze (supported: F32, F16, BF16, F64); dequantize the model first`,
    );
  }
  return t.dtype;
}

/** Where a model tensor's values come from, as plain data for readTensorBytes (and for posting to workers). */
export function sourceOf(t: ModelTensor): TensorSource {
  const dtype = mathDtypeOf(t);
  if (t.source) return t.source;
  return {
    kind: 'file',
    name: t.name,
    file: t.file,
    ...(t.fileId !== undefined ? { fileId: t.fileId } : {}),
    byteOffset: t.byteOffset,
    dtype,
  };
}

/** Reads element ranges of tensors from their files (LoRA virtual tensors included), keeping one descriptor per file open. */
export class TensorReader {
  private readonly ctx = new ReadContext();
  private scratch = new Uint8Array(0);

  /** Copy the raw bytes of elements [start, start+count) of t into dst (which must be large enough). */
  readBytes(t: ModelTensor, start: number, count: number, dst: Uint8Array): number {
    const src = sourceOf(t);
    if (start < 0 || count < 0 || start + count > t.numel)
      throw runtimeError(`internal: read of ${t.name} [${start}, ${start + count}) outside ${t.numel} elements`);
    return readTensorBytes(src, start, count, dst, this.ctx);
  }

  /** Decode elements [start, start+count) of t into dst[0..count) as float32. */
  readF32(t: ModelTensor, start: number, count: number, dst: Float32Array): void {
    const dtype = mathDtypeOf(t);
    const need = count * bytesPerElement(dtype);
    if (this.scratch.length < need) this.scratch = new Uint8Array(need);
    this.readBytes(t, start, count, this.scratch);
    decodeToF32(dtype, this.scratch, dst, count);
  }

  /** Close every open descriptor. */
  close(): void {
    this.ctx.close();
  }
}
