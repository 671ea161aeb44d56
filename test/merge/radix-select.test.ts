// The streaming radix select against a plain sort: for random tensors with many exact ties, split into chunks
// of every size, each cut keeps exactly the top `rank` of |x| (ties to the lower index), and a value cut stands
// at the rank-th largest |x|.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MergeKernelExports } from '../../src/kernel/exports.js';
import { instantiateKernel } from '../../src/kernel/wasm.js';
import {
  chunkQuota,
  cutValue,
  CUT_ALL,
  CUT_NONE,
  RadixSelect,
  SELECT_HIST_BYTES,
  type ChunkPass,
  type Cut,
} from '../../src/merge/radix-select.js';

const k = instantiateKernel<MergeKernelExports>();
const VALUES = 64; // byte offset of the chunk buffer
const absBits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]! & 0x7fffffff;

/** The reference: indices of the top `rank` |x| by a stable sort (larger first, then lower index). */
function topBySort(v: Float32Array, rank: number): Set<number> {
  const order = Array.from(v, (_, i) => i).sort((a, b) => absBits(v[b]!) - absBits(v[a]!) || a - b);
  return new Set(order.slice(0, Math.max(0, rank)));
}

/** Which elements a cut keeps, chunk by chunk, as the trim kernel reads it (bits above, or ties within the chunk's quota). */
function keptByCut(v: Float32Array, cut: Cut, chunk: number): Set<number> {
  const kept = new Set<number>();
  for (let c = 0, s = 0; s < v.length; c++, s += chunk) {
    let quota = chunkQuota(cut, c);
    for (let i = s; i < Math.min(v.length, s + chunk); i++) {
      const b = absBits(v[i]!);
      if (cut === CUT_ALL || b > cut.bits) kept.add(i);
      else if (b === cut.bits && quota > 0) {
        kept.add(i);
        quota--;
      }
    }
  }
  return kept;
}

/** Run the select over v in chunks of `chunk`, copying each chunk into kernel memory as a pass loads it. */
function select(v: Float32Array, chunk: number, ranks: number[], values = false): Cut[] {
  const hist = VALUES + 4 * chunk + 64;
  const need = hist + SELECT_HIST_BYTES;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const pass: ChunkPass = (visit) => {
    for (let c = 0, s = 0; s < v.length; c++, s += chunk) {
      const part = v.subarray(s, Math.min(v.length, s + chunk));
      new Float32Array(k.memory.buffer, VALUES, part.length).set(part);
      visit(c, part.length);
    }
  };
  const sel = new RadixSelect(k.exports, k.memory, v.length);
  const sources = [{ values: VALUES, hist }];
  sel.high(sources, pass);
  return ranks.flatMap((rank) => sel.cuts(sources, [{ source: 0, rank, lo: 0 }], pass, values));
}

const tensor = fc
  .array(
    fc.oneof(
      fc.integer({ min: -3, max: 3 }).map((x) => Math.fround(x / 2)),
      fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround),
      fc.constantFrom(0, -0, 1e-30, -1e-30, 3.4e38),
    ),
    { minLength: 1, maxLength: 300 },
  )
  .map((xs) => Float32Array.from(xs));

describe('radix select equals a sort-based reference', () => {
  it('every cut keeps exactly the top rank of |x| (ties to the lower index), for any chunk size', () => {
    fc.assert(
      fc.property(tensor, fc.integer({ min: 1, max: 64 }), fc.double({ min: -0.1, max: 1.1, noNaN: true }), (v, chunk, f) => {
        const rank = Math.round(f * v.length);
        const [cut] = select(v, chunk, [rank]);
        if (rank <= 0) expect(cut).toBe(CUT_NONE);
        else if (rank >= v.length) expect(cut).toBe(CUT_ALL);
        expect([...keptByCut(v, cut!, chunk)].sort((a, b) => a - b)).toEqual([...topBySort(v, rank)].sort((a, b) => a - b));
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  it('a value cut stands at the rank-th largest |x| (rank up to n: the smallest)', () => {
    fc.assert(
      fc.property(tensor, fc.integer({ min: 1, max: 64 }), fc.double({ min: 0, max: 1, noNaN: true }), (v, chunk, f) => {
        const rank = Math.max(1, Math.round(f * v.length));
        const sorted = Array.from(v, absBits).sort((a, b) => b - a);
        const [cut] = select(v, chunk, [rank], true);
        expect(cut!.bits).toBe(sorted[rank - 1]);
        expect(cutValue(cut!)).toBe(Math.abs(new Float32Array(new Uint32Array([sorted[rank - 1]!]).buffer)[0]!));
      }),
      { seed: 23, numRuns: 200 },
    );
  });
});
