/** Error kinds map to exit codes: usage/input → 2, runtime → 1. */
export type ErrorKind = 'usage' | 'input' | 'runtime';

import { safeName } from './text/safe-text.js';

// Names from hostile files (tensor names, keys) end up in messages: escape controls so a message stays one
// line and cannot drive the terminal (ESC sequences, NUL, CR, U+2028, bidi overrides).
/** Replace control, bidi and line-break characters with \uXXXX escapes (see text/safe-text.ts). */
export function escapeControlChars(text: string): string {
  return safeName(text);
}

/** A darekit error: a one-line message that says what, where and what to do. */
export class DarekitError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(escapeControlChars(message), options);
    this.name = 'DarekitError';
    this.kind = kind;
  }
  /** The process exit code for this error. */
  get exitCode(): 1 | 2 {
    return this.kind === 'runtime' ? 1 : 2;
  }
}

/** Bad input data (a file, a config, a model dir): exit code 2. */
export function inputError(message: string, cause?: unknown): DarekitError {
  return new DarekitError('input', message, cause === undefined ? undefined : { cause });
}

/** Bad command-line usage: exit code 2. */
export function usageError(message: string): DarekitError {
  return new DarekitError('usage', message);
}

/** A failure while doing the work (disk full, worker crash): exit code 1. */
export function runtimeError(message: string, cause?: unknown): DarekitError {
  return new DarekitError('runtime', message, cause === undefined ? undefined : { cause });
}

/** True when err is a DarekitError. */
export function isDarekitError(err: unknown): err is DarekitError {
  return err instanceof DarekitError;
}
