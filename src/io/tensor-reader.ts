import { closeSync, openSync, readSync } from 'node:fs';
import { inputError, runtimeError } from '../errors.js';
import { decodeToF32 } from './codec.js';
import { bytesPerElement, isMathDtype, type MathDtype } from './dtypes.js';
import type { TensorInfo } from './safetensors.js';

/** The math dtype of a tensor, or a clear error naming the tensor when darekit cannot compute with it. */
export function mathDtypeOf(t: TensorInfo): MathDtype {
  if (!isMathDtype(t.dtype)) {
    throw inputError(`${t.file}: tensor "${t.name}" has dtype ${t.dtype}, which darekit cannot merge or analyze (supported: F32, F16, BF16, F64); dequantize the model first`);
  }
  return t.dtype;
}

/** Reads element ranges of tensors from their files, keeping one descriptor per file open. */
export class TensorReader {
  private readonly fds = new Map<string, number>();
  private scratch = new Uint8Array(0);

  private fd(file: string): number {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      try {
        fd = openSync(file, 'r');
      } catch (err) {
        throw inputError(`${file}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
      }
      this.fds.set(file, fd);
    }
    return fd;
  }

  /** Copy the raw bytes of elements [start, start+count) of t into dst (which must be large enough). */
  readBytes(t: TensorInfo, start: number, count: number, dst: Uint8Array): number {
    const bpe = bytesPerElement(mathDtypeOf(t));
    if (start < 0 || count < 0 || start + count > t.numel) throw runtimeError(`internal: read of ${t.name} [${start}, ${start + count}) outside ${t.numel} elements`);
    const len = count * bpe;
    const fd = this.fd(t.file);
    const pos = t.byteOffset + start * bpe;
    let done = 0;
    while (done < len) {
      const n = readSync(fd, dst, done, len - done, pos + done);
      if (n === 0) throw inputError(`${t.file}: unexpected end of file while reading tensor "${t.name}" (the file changed or is truncated)`);
      done += n;
    }
    return len;
  }

  /** Decode elements [start, start+count) of t into dst[0..count) as float32. */
  readF32(t: TensorInfo, start: number, count: number, dst: Float32Array): void {
    const dtype = mathDtypeOf(t);
    const need = count * bytesPerElement(dtype);
    if (this.scratch.length < need) this.scratch = new Uint8Array(need);
    this.readBytes(t, start, count, this.scratch);
    decodeToF32(dtype, this.scratch, dst, count);
  }

  /** Close every open descriptor. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
