import { isDarekitError } from '../../src/errors.js';
import { safeName } from '../../src/text/safe-text.js';

/** What a fuzz case must end in: acceptance, or a typed input error with a one-line message. */
export type Expectation = 'valid' | 'invalid' | 'either';

/** A broken promise found by a fuzz case. */
export interface Violation {
  /** Short class of the failure, e.g. "crash" or "accepted-invalid". */
  reason: string;
  detail: string;
}

/** How a case ended. */
export type Outcome = { status: 'accepted' } | { status: 'rejected'; message: string } | { status: 'violation'; violation: Violation };

// C0 controls, DEL/C1, bidi controls and line breaks: a message carrying them can rewrite the user's terminal,
// reorder what follows or fake extra lines (text/safe-text.ts escapes exactly these)
const hasUnsafe = (m: string): boolean => safeName(m) !== m;

/** Check a rejection's message: one line, no control characters, names `where` when given. */
export function checkMessage(message: string, where?: string): Violation | undefined {
  if (message.length === 0) return { reason: 'empty-message', detail: 'error with an empty message' };
  if (hasUnsafe(message)) return { reason: 'message-control-chars', detail: JSON.stringify(message.slice(0, 300)) };
  if (where !== undefined && !message.includes(where))
    return { reason: 'message-unnamed', detail: `message does not name ${where}: ${message.slice(0, 300)}` };
  return undefined;
}

/**
 * Run one case: fn either returns (accepted; `onAccept` may still report a broken invariant) or throws. Only
 * a DarekitError with exit code 2 counts as a rejection; anything else thrown is a crash.
 */
export function runCase(expect: Expectation, where: string | undefined, fn: () => Violation | undefined): Outcome {
  let accepted: Violation | undefined;
  try {
    accepted = fn();
  } catch (err) {
    if (!isDarekitError(err)) {
      const e = err as Error;
      return {
        status: 'violation',
        violation: {
          reason: 'crash',
          detail: `${e?.name ?? typeof err}: ${e?.message ?? String(err)}`.replace(/\s*\n\s*/g, ' ').slice(0, 500),
        },
      };
    }
    if (err.exitCode !== 2)
      return {
        status: 'violation',
        violation: { reason: 'wrong-exit-code', detail: `${err.kind} error (exit ${err.exitCode}): ${err.message.slice(0, 300)}` },
      };
    const bad = checkMessage(err.message, where);
    if (bad) return { status: 'violation', violation: bad };
    if (expect === 'valid') return { status: 'violation', violation: { reason: 'rejected-valid', detail: err.message.slice(0, 500) } };
    return { status: 'rejected', message: err.message };
  }
  if (accepted) return { status: 'violation', violation: accepted };
  if (expect === 'invalid')
    return { status: 'violation', violation: { reason: 'accepted-invalid', detail: 'an input the format forbids was accepted' } };
  return { status: 'accepted' };
}

/** Run fn while recording the largest typed-array/ArrayBuffer allocation it makes through the globals. */
export function trackAllocations<T>(fn: () => T): { value: T; maxBytes: number } {
  const OrigU8 = globalThis.Uint8Array;
  const OrigAB = globalThis.ArrayBuffer;
  let maxBytes = 0;
  const note = (n: unknown): void => {
    if (typeof n === 'number' && n > maxBytes) maxBytes = n;
  };
  class TrackedU8 extends OrigU8 {
    constructor(...args: unknown[]) {
      note(args[0]);
      super(...(args as []));
    }
  }
  class TrackedAB extends OrigAB {
    constructor(...args: unknown[]) {
      note(args[0]);
      super(...(args as [number]));
    }
  }
  globalThis.Uint8Array = TrackedU8 as unknown as Uint8ArrayConstructor;
  globalThis.ArrayBuffer = TrackedAB as unknown as ArrayBufferConstructor;
  try {
    return { value: fn(), maxBytes };
  } finally {
    globalThis.Uint8Array = OrigU8;
    globalThis.ArrayBuffer = OrigAB;
  }
}
