import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { DarekitError } from '../../src/errors.js';

const made: string[] = [];
afterEach(() => {
  while (made.length > 0) rmSync(made.pop()!, { recursive: true, force: true });
});

/** A fresh temp dir removed after the current test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'darekit-test-'));
  made.push(d);
  return d;
}

/** Run fn and return the DarekitError it throws, failing the test if it throws anything else or nothing. */
export function catchDarekit(fn: () => unknown): DarekitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DarekitError);
    return err as DarekitError;
  }
  throw new Error('expected a DarekitError, nothing was thrown');
}

/** Deterministic bytes (xorshift32), for raw tensor payloads. */
export function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}
