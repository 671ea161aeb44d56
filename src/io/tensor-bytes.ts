import { runtimeError } from '../errors.js';
import { bytesPerElement, type MathDtype } from './dtypes.js';
import { loraWeightsRange, type LoraSource } from './lora.js';
import type { OpenFiles } from './open-files.js';

/** Where a tensor's bytes are: a plain range of a file, or a virtual LoRA tensor (dtype F32). Plain data. */
export interface TensorLocation {
  name: string;
  file: string;
  byteOffset: number;
  dtype: MathDtype;
  lora?: LoraSource;
}

/**
 * The raw little-endian bytes of elements [start, start+count) of a tensor, in its dtype, into dst[0..):
 * the one read path of the merge engine, the analyzer and TensorReader. Virtual LoRA tensors are computed
 * here (F32 bytes of base + scale·B·A), so every consumer sees adapters as ordinary F32 fine-tunes.
 * Returns the byte count written.
 */
export function readTensorBytes(t: TensorLocation, start: number, count: number, dst: Uint8Array, files: OpenFiles): number {
  const bpe = bytesPerElement(t.dtype);
  const len = count * bpe;
  if (dst.length < len) throw runtimeError(`internal: a ${dst.length}-byte buffer for ${count} elements of "${t.name}"`);
  if (!t.lora) {
    files.readAt(t.file, t.byteOffset + start * bpe, dst.subarray(0, len), `tensor "${t.name}"`);
    return len;
  }
  if (t.dtype !== 'F32') throw runtimeError(`internal: virtual LoRA tensor "${t.name}" must be F32`);
  if (dst.byteOffset % 4 === 0) {
    loraWeightsRange(t.lora, start, count, new Float32Array(dst.buffer, dst.byteOffset, count), files);
  } else {
    const tmp = new Float32Array(count);
    loraWeightsRange(t.lora, start, count, tmp, files);
    dst.set(new Uint8Array(tmp.buffer, 0, len));
  }
  return len;
}
