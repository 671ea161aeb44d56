import { runtimeError } from '../errors.js';
import { bytesPerElement } from './dtypes.js';
import type { ReadContext } from './read-context.js';
import { readFileSource } from './readers/file.js';
import { readLoraSource } from './readers/lora.js';
import { readRowsSource } from './readers/rows.js';
import { readVocabSource } from './readers/vocab.js';
import type { TensorSource } from './tensor-source.js';

/**
 * The raw little-endian bytes of elements [start, start+count) of a tensor, in its dtype, into dst[0..): the one
 * read path of the merge engine, the analyzer and TensorReader, dispatching on the source's kind to its reader.
 * Virtual LoRA tensors and views are computed there (F32 bytes of base + scale·B·A, say), so every consumer sees
 * adapters as ordinary F32 fine-tunes. Returns the byte count written.
 */
export function readTensorBytes(src: TensorSource, start: number, count: number, dst: Uint8Array, ctx: ReadContext): number {
  const len = count * bytesPerElement(src.dtype);
  if (dst.length < len) throw runtimeError(`internal: a ${dst.length}-byte buffer for ${count} elements of "${src.name}"`);
  switch (src.kind) {
    case 'file':
      return readFileSource(src, start, count, dst, ctx);
    case 'lora':
      return readLoraSource(src, start, count, dst, ctx);
    case 'vocab':
      return readVocabSource(src, start, count, dst, ctx, readTensorBytes);
    case 'rows':
      return readRowsSource(src, start, count, dst, ctx, readTensorBytes);
  }
}
