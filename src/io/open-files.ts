import { closeSync, openSync, readSync } from 'node:fs';
import { inputError } from '../errors.js';

/**
 * The read descriptors of one reader (a merge engine, an analyzer chunk processor, a TensorReader), opened on
 * first use and closed together, plus a small cache of decoded side data (LoRA A matrices) keyed by the caller.
 */
export class OpenFiles {
  private readonly fds = new Map<string, number>();
  private readonly cache = new Map<string, Float32Array | Float64Array>();
  private cachedBytes = 0;

  /** The descriptor of file, opened read-only on first use. */
  fd(file: string): number {
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

  /** Exactly dst.length bytes of file from byte position pos into dst; `what` names the tensor in errors. */
  readAt(file: string, pos: number, dst: Uint8Array, what: string): void {
    const fd = this.fd(file);
    let done = 0;
    while (done < dst.length) {
      const n = readSync(fd, dst, done, dst.length - done, pos + done);
      if (n === 0) throw inputError(`${file}: unexpected end of file while reading ${what} (the file changed or is truncated)`);
      done += n;
    }
  }

  /** A cached array, or make() it and keep it while the cache stays under 64 MiB (then start over). */
  cached<T extends Float32Array | Float64Array>(key: string, make: () => T): T {
    let v = this.cache.get(key) as T | undefined;
    if (v === undefined) {
      v = make();
      if (this.cachedBytes + v.byteLength > 64 * 1024 * 1024) { this.cache.clear(); this.cachedBytes = 0; }
      this.cache.set(key, v);
      this.cachedBytes += v.byteLength;
    }
    return v;
  }

  /** Close every descriptor and drop the cache. */
  close(): void {
    for (const fd of this.fds.values()) {
      try { closeSync(fd); } catch { /* already closed */ }
    }
    this.fds.clear();
    this.cache.clear();
    this.cachedBytes = 0;
  }
}
