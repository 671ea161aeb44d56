import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { inputError } from '../errors.js';

/** The largest small file (JSON config, index, YAML) read whole. */
export const MAX_SMALL_FILE_BYTES = 64 * 1024 * 1024;

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** A descriptor opened by openRegularFile, with what fstat said about it. */
export interface OpenedFile {
  fd: number;
  size: number;
  dev: number;
  ino: number;
}

/** `dev:ino`, the identity of an opened file. */
export function fileIdOf(f: { dev: number; ino: number }): string {
  return `${f.dev}:${f.ino}`;
}

/**
 * Open path for reading and check, on the opened descriptor, that it is a regular file. The open is
 * non-blocking, so a FIFO, socket or device is refused at once instead of waiting forever for a writer (where
 * no signal handler could run); `what` names the file's role in the message.
 */
export function openRegularFile(path: string, what = 'file'): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw inputError(`${path}: cannot open the ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    throw inputError(`${path}: cannot stat (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw inputError(`${path}: the ${what} is ${kindOf(st)}, not a regular file; darekit reads only regular files`);
  }
  return { fd, size: st.size, dev: st.dev, ino: st.ino };
}

/** The whole text of a small regular file (refused by type before any read; at most MAX_SMALL_FILE_BYTES). */
export function readRegularFileText(path: string, what = 'file'): string {
  return readRegularFileBytes(path, what).toString('utf8');
}

/** The whole bytes of a small regular file (refused by type before any read; at most MAX_SMALL_FILE_BYTES). */
export function readRegularFileBytes(path: string, what = 'file'): Buffer {
  const { fd, size } = openRegularFile(path, what);
  try {
    if (size > MAX_SMALL_FILE_BYTES)
      throw inputError(`${path}: the ${what} is ${size} bytes, over the ${MAX_SMALL_FILE_BYTES}-byte limit for a config or index file`);
    const buf = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buf, done, size - done, done);
      if (n === 0) break; // shrank while read: parse what is there, the parser reports a truncation
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}
