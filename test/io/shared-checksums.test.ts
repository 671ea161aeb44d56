import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { sharedPath } from '../helpers/shared.js';

// The shared family S (checksums computed by an independent reader) and its committed copy in fixtures/.
const SHARED = sharedPath('families', 'S');
const FAMILIES = [...(existsSync(SHARED) ? [SHARED] : []), resolve('fixtures/families/S')];
type Checksums = Record<string, Record<string, { shape: number[]; sum: number; sumsq: number }>>;

/** Float64 sum and sum of squares of a tensor, decoded in chunks of `chunk` elements, summed in element order. */
function sums(reader: TensorReader, t: Parameters<TensorReader['readF32']>[0], chunk: number): { sum: number; sumsq: number } {
  const buf = new Float32Array(chunk);
  let sum = 0;
  let sumsq = 0;
  for (let start = 0; start < t.numel; start += chunk) {
    const n = Math.min(chunk, t.numel - start);
    reader.readF32(t, start, n, buf);
    for (let i = 0; i < n; i++) {
      const v = buf[i]!;
      sum += v;
      sumsq += v * v;
    }
  }
  return { sum, sumsq };
}

describe.each(FAMILIES)('reading %s', (FAMILY) => {
  const checksums = JSON.parse(readFileSync(join(FAMILY, 'checksums.json'), 'utf8')) as Checksums;
  for (const [model, tensors] of Object.entries(checksums)) {
    it(`${model}: every tensor's float64 sum and sum of squares match checksums.json to 1e-12 relative, chunked == whole`, () => {
      const m = openModel(join(FAMILY, model));
      expect([...m.names].sort()).toEqual(Object.keys(tensors).sort());
      const reader = new TensorReader();
      try {
        for (const [name, want] of Object.entries(tensors)) {
          const t = m.tensors.get(name)!;
          expect(t.shape).toEqual(want.shape);
          const whole = sums(reader, t, t.numel);
          // the independent reader's summation order is unknown, so compare to 1e-12 relative, not bit-exactly
          expect(Math.abs(whole.sum - want.sum)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want.sum)));
          expect(Math.abs(whole.sumsq - want.sumsq)).toBeLessThanOrEqual(1e-12 * Math.abs(want.sumsq));
          // chunked reading (odd chunk size, ragged tail) gives bit-identical float64 results
          expect(sums(reader, t, 37)).toEqual(whole);
        }
      } finally {
        reader.close();
      }
    });
  }
});
