// Where a merged tensor's bytes go. The chunk engine hands every encoded chunk to a sink at its byte offset in the
// tensor; it never holds an output descriptor. The executor and its workers write into the output files, the probe
// decodes into memory.
import { decodeToF32 } from '../io/codec.js';
import { bytesPerElement, type OutDtype } from '../io/dtypes.js';
import { writeAllAt } from '../io/write-all.js';

/** One tensor's output: bytes at `offset` from the tensor's first byte (chunks arrive in any order). */
export interface OutputSink {
  write(offset: number, bytes: Uint8Array): void;
}

/** Positional writes into an open output file whose tensor data starts at `byteOffset`. */
export function fileSink(fd: number, byteOffset: number): OutputSink {
  return {
    write(offset, bytes) {
      writeAllAt(fd, bytes, byteOffset + offset);
    },
  };
}

/** The tensor decoded back to float32 into dst (the values a written merge holds, without writing it). */
export function decodingSink(dtype: OutDtype, dst: Float32Array): OutputSink {
  const bpe = bytesPerElement(dtype);
  return {
    write(offset, bytes) {
      const start = offset / bpe;
      const n = bytes.length / bpe;
      decodeToF32(dtype, bytes, dst.subarray(start, start + n), n);
    },
  };
}
