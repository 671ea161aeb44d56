import { bytesPerElement } from '../dtypes.js';
import type { ReadContext } from '../read-context.js';
import type { FileSource } from '../tensor-source.js';

/** Elements [start, start+count) of a file range: its stored bytes into dst[0..). Returns the byte count. */
export function readFileSource(src: FileSource, start: number, count: number, dst: Uint8Array, ctx: ReadContext): number {
  const bpe = bytesPerElement(src.dtype);
  const len = count * bpe;
  ctx.files.readAt(src.file, src.byteOffset + start * bpe, dst.subarray(0, len), `tensor "${src.name}"`, src.fileId);
  return len;
}
