import { runtimeError } from '../../errors.js';
import { decodeToF32 } from '../codec.js';
import { bytesPerElement, type MathDtype } from '../dtypes.js';
import type { ReadContext, ReadTensor } from '../read-context.js';
import type { TensorSource } from '../tensor-source.js';

/** Read elements of `src` as dtype `as` (the same dtype: raw bytes; else F32, decoded from src's dtype). */
export function readAs(
  src: TensorSource,
  as: MathDtype,
  start: number,
  count: number,
  dst: Uint8Array,
  ctx: ReadContext,
  read: ReadTensor,
): void {
  if (src.dtype === as) {
    read(src, start, count, dst, ctx);
    return;
  }
  if (as !== 'F32') throw runtimeError(`internal: vocabulary view of "${src.name}" must be F32 when its models' dtypes differ`);
  const raw = new Uint8Array(count * bytesPerElement(src.dtype));
  read(src, start, count, raw, ctx);
  const f32 = new Float32Array(count);
  decodeToF32(src.dtype, raw, f32, count);
  dst.set(new Uint8Array(f32.buffer, 0, count * 4));
}
