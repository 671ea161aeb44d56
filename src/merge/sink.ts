// Where a merged tensor's bytes go. The chunk engine hands every encoded chunk to a sink at its byte offset in the
// tensor; it never holds an output descriptor. The executor and its workers write into the output files, the probe
// decodes into memory.
import { writeSync } from 'node:fs';
import { decodeToF32 } from '../io/codec.js';
import { bytesPerElement, type OutDtype } from '../io/dtypes.js';

/** One tensor's output: bytes at `offset` from the tensor's first byte (chunks arrive in any order). */
export interface OutputSink {
  write(offset: number, bytes: Uint8Array): void;
}

/**
 * Bytes per write() call. Writes of ≥ 1 MiB into new page-cache pages cost ~10× the system CPU of 128 KiB ones on
 * the Linux 6.18 VM we benchmark on (1.29 GB: 2.6–3.2 s against 0.28 s, 2026-12-01; the kernel's large-folio path),
 * and no size costs less than 128 KiB, which is also what `cat` uses.
 */
const WRITE_PIECE = 128 << 10;

/** Positional writes into an open output file whose tensor data starts at `byteOffset`. */
export function fileSink(fd: number, byteOffset: number): OutputSink {
  return {
    write(offset, bytes) {
      const pos = byteOffset + offset;
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, Math.min(WRITE_PIECE, bytes.length - done), pos + done);
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
