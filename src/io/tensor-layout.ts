import { inputError } from '../errors.js';
import { DTYPES, type Dtype } from './dtypes.js';

/**
 * The one layout check of a safetensors tensor, used when reading a header and when planning output shards: the
 * element count and byte length of `shape` × `dtype`, or an input error naming `what` (file and tensor) when a
 * dimension is not a non-negative integer, the count or size overflows 2^53, or the elements do not fill whole bytes.
 */
export function tensorLayout(what: string, dtype: Dtype, shape: readonly number[]): { numel: number; byteLength: number } {
  let numel = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw inputError(`${what}: shape [${shape.join(', ')}] has a dimension that is not a non-negative integer`);
    numel *= d;
    if (!Number.isSafeInteger(numel)) throw inputError(`${what}: shape [${shape.join(', ')}] overflows the element count`);
  }
  const bits = numel * DTYPES[dtype].bits;
  if (!Number.isSafeInteger(bits)) throw inputError(`${what}: size overflows`);
  if (bits % 8 !== 0) throw inputError(`${what}: ${numel} ${dtype} elements do not fill whole bytes`);
  return { numel, byteLength: bits / 8 };
}
