import fc from 'fast-check';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpenFiles } from '../../src/io/open-files.js';
import { DarekitError } from '../../src/errors.js';
import { tempDir } from './helpers.js';

/** A file of n bytes whose byte i is (i·31 + 7) mod 256, and the same bytes in memory. */
function patternFile(n: number): { file: string; bytes: Uint8Array } {
  const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
  const file = join(tempDir(), 'data.bin');
  writeFileSync(file, bytes);
  return { file, bytes };
}

describe('OpenFiles.readAtAsync (the prefetching read of the analyzer)', () => {
  it('reads exactly the bytes at any offset, also into shared (wasm) memory', async () => {
    const { file, bytes } = patternFile(70_000);
    const files = new OpenFiles();
    const shared = new Uint8Array(new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true }).buffer);
    try {
      await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 69_999 }), fc.integer({ min: 1, max: 60_000 }), async (pos, len) => {
        const n = Math.min(len, bytes.length - pos);
        const dst = shared.subarray(1000, 1000 + n);
        await files.readAtAsync(file, pos, dst, 'tensor "t"');
        expect(Buffer.compare(dst, bytes.subarray(pos, pos + n))).toBe(0);
      }), { numRuns: 60, seed: 7 });
    } finally {
      files.close();
    }
  });

  it('a file cut short after it was opened gives the same input error as the blocking read, naming file and tensor', async () => {
    const { file } = patternFile(4096);
    const files = new OpenFiles();
    try {
      files.fd(file);
      truncateSync(file, 1000);
      const err = await files.readAtAsync(file, 512, new Uint8Array(1024), 'tensor "model.norm.weight"').then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DarekitError);
      const sync = (() => { try { files.readAt(file, 512, new Uint8Array(1024), 'tensor "model.norm.weight"'); return null; } catch (e) { return e; } })();
      expect((err as DarekitError).message).toBe((sync as DarekitError).message);
      expect((err as DarekitError).kind).toBe('input');
      expect((err as DarekitError).message).toContain(file);
      expect((err as DarekitError).message).toContain('model.norm.weight');
    } finally {
      files.close();
    }
  });
});
