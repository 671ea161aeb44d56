import { bytesPerElement } from '../dtypes.js';
import type { ReadContext, ReadTensor } from '../read-context.js';
import type { VocabSource } from '../tensor-source.js';
import { readAs } from './convert.js';

/** Elements [start, start+count) of a vocabulary-aligned view: the fine-tune's own prefix, then the base's rows. */
export function readVocabSource(
  src: VocabSource,
  start: number,
  count: number,
  dst: Uint8Array,
  ctx: ReadContext,
  read: ReadTensor,
): number {
  const bpe = bytesPerElement(src.dtype);
  const ownCount = Math.max(0, Math.min(start + count, src.ownElements) - start);
  if (ownCount > 0) readAs(src.own, src.dtype, start, ownCount, dst, ctx, read);
  if (ownCount < count) readAs(src.base, src.dtype, start + ownCount, count - ownCount, dst.subarray(ownCount * bpe), ctx, read);
  return count * bpe;
}
