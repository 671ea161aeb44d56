import fc from 'fast-check';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alignFinetunes, describeVocabAdjustment } from '../../src/io/homology.js';
import { openModel, type Model } from '../../src/io/model.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { catchDarekit, tempDir } from './helpers.js';

const H = 4;
const BASE_ROWS = 8;

/** Finite values v(i) = (i·37 mod 101 − 50)/16 + seed, exactly representable in BF16 (few mantissa bits). */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (((i * 37) % 101) - 50) / 16 + seed);
}

/** BF16 bytes of values that BF16 holds exactly: the high half of the f32 bits (independent of darekit's codec). */
function bf16Bytes(v: number[]): Uint8Array {
  const f = new Float32Array(v);
  const u = new Uint32Array(f.buffer);
  const out = new Uint8Array(2 * v.length);
  u.forEach((bits, i) => {
    out[2 * i] = (bits >>> 16) & 0xff;
    out[2 * i + 1] = bits >>> 24;
  });
  return out;
}

function f32Bytes(v: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(v).buffer);
}

/** A model with embed_tokens [rows, H], a norm [H] and lm_head [rows, H]. */
function model(rows: number, dtype: 'BF16' | 'F32', seed: number): { m: Model; embed: number[]; head: number[] } {
  const dir = join(tempDir(), 'm');
  mkdirSync(dir);
  const embed = values(rows * H, seed);
  const head = values(rows * H, seed + 0.5);
  const enc = dtype === 'BF16' ? bf16Bytes : f32Bytes;
  writeSafetensorsFile(join(dir, 'model.safetensors'), [
    { name: 'model.embed_tokens.weight', dtype, shape: [rows, H], data: enc(embed) },
    { name: 'model.norm.weight', dtype, shape: [H], data: enc(values(H, seed + 1)) },
    { name: 'lm_head.weight', dtype, shape: [rows, H], data: enc(head) },
  ]);
  return { m: openModel(dir), embed, head };
}

/** Read elements [start, start+count) of a fine-tune's tensor through the one read path. */
function readRange(m: Model, name: string, start: number, count: number): Uint8Array {
  const r = new TensorReader();
  try {
    const t = m.tensors.get(name)!;
    const dst = new Uint8Array(count * (t.dtype === 'F32' ? 4 : 2));
    r.readBytes(t, start, count, dst);
    return dst;
  } finally {
    r.close();
  }
}

describe('vocabulary truncation view (alignFinetunes + readTensorBytes)', () => {
  it('is refused without truncateVocab, naming the tensor, both shapes and the flag', () => {
    const base = model(BASE_ROWS, 'BF16', 0).m;
    const big = model(11, 'BF16', 1).m;
    const err = catchDarekit(() => alignFinetunes(base, [big]));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('"model.embed_tokens.weight" shape [11, 4] vs base [8, 4]');
    expect(err.message).toContain('--truncate-vocab');
    expect(err.message).not.toContain('\n');
  });

  it('a fine-tune with more rows reads as its first base-count rows; fewer rows read the base past its own', () => {
    const base = model(BASE_ROWS, 'BF16', 0);
    const big = model(11, 'BF16', 1);
    const small = model(5, 'BF16', 2);
    const { models, vocab } = alignFinetunes(base.m, [big.m, small.m], { truncateVocab: true });
    expect(vocab.map(describeVocabAdjustment)).toEqual([
      `${big.m.path}: "model.embed_tokens.weight" truncated 11 → 8 rows (3 rows dropped)`,
      `${big.m.path}: "lm_head.weight" truncated 11 → 8 rows (3 rows dropped)`,
      `${small.m.path}: "model.embed_tokens.weight" padded 5 → 8 rows (3 rows taken from the base, a zero delta)`,
      `${small.m.path}: "lm_head.weight" padded 5 → 8 rows (3 rows taken from the base, a zero delta)`,
    ]);
    const n = BASE_ROWS * H;
    for (const [name, key] of [
      ['model.embed_tokens.weight', 'embed'],
      ['lm_head.weight', 'head'],
    ] as const) {
      const v = models[0]!.tensors.get(name)!;
      expect([v.shape, v.numel, v.dtype]).toEqual([[BASE_ROWS, H], n, 'BF16']);
      expect(readRange(models[0]!, name, 0, n)).toEqual(bf16Bytes(big[key].slice(0, n)));
      expect(readRange(models[1]!, name, 0, n)).toEqual(bf16Bytes([...small[key], ...base[key].slice(5 * H)]));
    }
    // tensors whose shapes match are the fine-tune's own, untouched
    expect(models[1]!.tensors.get('model.norm.weight')).toBe(small.m.tensors.get('model.norm.weight'));
  });

  it('mixed dtypes: an F32 fine-tune over a BF16 base reads as F32, its rows then the base rows decoded', () => {
    const base = model(BASE_ROWS, 'BF16', 0);
    const small = model(6, 'F32', 3);
    const { models } = alignFinetunes(base.m, [small.m], { truncateVocab: true });
    const v = models[0]!.tensors.get('lm_head.weight')!;
    expect([v.dtype, v.byteLength]).toEqual(['F32', BASE_ROWS * H * 4]);
    expect(readRange(models[0]!, 'lm_head.weight', 0, BASE_ROWS * H)).toEqual(f32Bytes([...small.head, ...base.head.slice(6 * H)]));
  });

  it('any element range (chunk) reads the same bytes as the whole view', () => {
    const base = model(BASE_ROWS, 'BF16', 0);
    const small = model(3, 'BF16', 4);
    const smallF32 = model(3, 'F32', 5);
    const { models } = alignFinetunes(base.m, [small.m, smallF32.m], { truncateVocab: true });
    const n = BASE_ROWS * H;
    const whole = models.map((m) => readRange(m, 'model.embed_tokens.weight', 0, n));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n }), (k, start, len) => {
        const count = Math.min(len, n - start);
        const bpe = k === 0 ? 2 : 4;
        expect(readRange(models[k]!, 'model.embed_tokens.weight', start, count)).toEqual(
          whole[k]!.subarray(start * bpe, (start + count) * bpe),
        );
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('other shape mismatches are still refused with truncateVocab', () => {
    const base = model(BASE_ROWS, 'BF16', 0).m;
    const dir = join(tempDir(), 'odd');
    mkdirSync(dir);
    const z = (n: number): Uint8Array => new Uint8Array(2 * n);
    writeSafetensorsFile(join(dir, 'model.safetensors'), [
      { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [BASE_ROWS, H + 1], data: z(BASE_ROWS * (H + 1)) },
      { name: 'model.norm.weight', dtype: 'BF16', shape: [H], data: z(H) },
      { name: 'lm_head.weight', dtype: 'BF16', shape: [BASE_ROWS + 1, H], data: z((BASE_ROWS + 1) * H) },
    ]);
    const err = catchDarekit(() => alignFinetunes(base, [openModel(dir)], { truncateVocab: true }));
    expect(err.message).toContain('"model.embed_tokens.weight" shape [8, 5] vs base [8, 4]');
    expect(err.message).not.toContain('lm_head');
  });
});
