// The command line's typed option parsers: one place for what a number flag accepts and how a bad one is reported.
import { usageError } from '../errors.js';
import { MAX_THREADS } from '../limits.js';

/** An integer flag in [min, max], or undefined when absent. */
export function intOption(v: unknown, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v).trim();
  const n = /^[+-]?\d+$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw usageError(`${flag}: "${s}" is not ${range}`);
  }
  return n;
}

/** A worker-thread count flag (1 … MAX_THREADS), or undefined when absent. */
export function threadsOption(v: unknown, flag = '--threads'): number | undefined {
  return intOption(v, flag, 1, MAX_THREADS);
}

/** A finite number flag that passes `check` (described by `what`), or undefined when absent. */
export function numberOption(v: unknown, flag: string, check: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v).trim();
  const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isFinite(n) || !check(n)) throw usageError(`${flag}: "${s}" is not ${what}`);
  return n;
}

/** A tolerance flag: the share of each fine-tune's gain to keep, in (0, 1). */
export function toleranceOption(v: unknown, flag = '--tolerance'): number | undefined {
  return numberOption(v, flag, (n) => n > 0 && n < 1, 'a share of the gain in (0, 1), e.g. 0.95');
}

/** A mask seed flag (0 … 2³² − 1). */
export function seedOption(v: unknown, flag = '--seed'): number | undefined {
  return intOption(v, flag, 0, 0xffffffff);
}
