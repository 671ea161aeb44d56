import { closeSync, readSync } from 'node:fs';
import { inputError } from '../errors.js';
import { fileIdOf, openRegularFile } from './regular-file.js';

/** The read descriptors of one reader (part of its ReadContext), opened on first use and closed together. */
export class OpenFiles {
  private readonly fds = new Map<string, number>();

  /**
   * The descriptor of file, opened read-only on first use and validated on the descriptor: a regular file (a
   * FIFO is refused without blocking) and, when fileId is given, the very file validated earlier (`dev:ino`),
   * so a file swapped after validation (say, a shard replaced by a symlink to elsewhere) is never read.
   */
  fd(file: string, fileId?: string): number {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      const opened = openRegularFile(file, 'model file');
      if (fileId !== undefined && fileIdOf(opened) !== fileId) {
        closeSync(opened.fd);
        throw inputError(
          `${file}: the file changed since it was validated (it is now another file); refusing to read it — run again once the model dir is stable`,
        );
      }
      fd = opened.fd;
      this.fds.set(file, fd);
    }
    return fd;
  }

  /** Exactly dst.length bytes of file from byte position pos into dst; `what` names the tensor in errors, fileId as in fd(). */
  readAt(file: string, pos: number, dst: Uint8Array, what: string, fileId?: string): void {
    const fd = this.fd(file, fileId);
    let done = 0;
    while (done < dst.length) {
      const n = readSync(fd, dst, done, dst.length - done, pos + done);
      if (n === 0) throw inputError(`${file}: unexpected end of file while reading ${what} (the file changed or is truncated)`);
      done += n;
    }
  }

  /** Close every descriptor. */
  close(): void {
    for (const fd of this.fds.values()) {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    }
    this.fds.clear();
  }
}
