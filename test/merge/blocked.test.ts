// The merge runs elementwise methods sub-block by sub-block (8192 elements) inside each chunk: on a tensor spanning
// several sub-blocks, with chunk sizes that are and are not multiples of it, the output must equal the straightforward
// whole-tensor float64 reference bit for bit, and NaN must still be reported at its first element.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { f32ToBf16Bits } from '../../src/io/codec.js';
import { f16BitsToF32, f32ToF16Bits } from '../../src/kernel/float-bits.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { readWholeTensor as readF32 } from '../helpers/read.js';
import { asBf16, rng } from './fixtures.js';
import { dareSpec, referenceMergeTensor, type RefSpec } from './reference-merge.js';

const NAME = 'model.layers.0.mlp.down_proj.weight';
const SHAPE = [97, 301]; // 29,197 elements: 3 whole sub-blocks and a ragged one
const N = SHAPE[0]! * SHAPE[1]!;
let root: string;
const values: number[][] = [];

function write(dir: string, v: number[], dtype: 'BF16' | 'F16' | 'F32' = 'BF16'): void {
  mkdirSync(dir);
  const bits = new Uint16Array(v.length);
  v.forEach((x, i) => (bits[i] = dtype === 'F16' ? f32ToF16Bits(x) : f32ToBf16Bits(x)));
  const data = dtype === 'F32' ? new Uint8Array(Float32Array.from(v).buffer) : new Uint8Array(bits.buffer);
  writeSafetensorsFile(join(dir, 'model.safetensors'), [{ name: NAME, dtype, shape: SHAPE, data }]);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', torch_dtype: 'bfloat16' }));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'darekit-blocked-'));
  const r = rng(18);
  const base = Array.from({ length: N }, () => Math.round((r() * 2 - 1) * 64) / 64);
  values.push(base);
  for (let m = 1; m <= 3; m++) values.push(base.map((b) => (r() < 0.2 ? b : b + Math.round((r() * 2 - 1) * 8) / 256)));
  values.forEach((v, m) => write(join(root, m === 0 ? 'base' : `ft${m}`), v));
  write(
    join(root, 'ft-nan'),
    values[1]!.map((x, i) => (i === 20000 || i === 25000 ? NaN : x)),
  );
  // the same family stored as F32 (exact: values on a 1/256 grid)
  mkdirSync(join(root, 'f32'));
  values.forEach((v, m) => write(join(root, 'f32', m === 0 ? 'base' : `ft${m}`), v, 'F32'));
  // and as F16 (exact too), with the base alone in BF16: mixed 16-bit inputs
  mkdirSync(join(root, 'f16'));
  values.forEach((v, m) => write(join(root, 'f16', m === 0 ? 'base' : `ft${m}`), v, m === 0 ? 'BF16' : 'F16'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const W = [0.5, 0.3, 0.4];
const D = [0.3, 0.6, 0.5];

describe('sub-blocked merge of elementwise methods', () => {
  for (const [method, spec] of [
    ['dare_ties', { elect: true }],
    ['dare_linear', { elect: false }],
  ] as const) {
    it(`${method}: equals the whole-tensor reference bit for bit for chunk sizes 2²⁰, 10,000 and 8,192 on 1 and 2 threads`, async () => {
      const doc = {
        merge_method: method,
        base_model: 'base',
        models: [1, 2, 3].map((i) => ({ model: `ft${i}`, parameters: { weight: W[i - 1], density: D[i - 1] } })),
        parameters: { seed: 5 },
        out_dtype: 'float32',
      };
      const ref: RefSpec = dareSpec(spec.elect, 5, W, D);
      const want = referenceMergeTensor(
        NAME,
        asBf16(values[0]!),
        [1, 2, 3].map((m) => asBf16(values[m]!)),
        ref,
      );
      for (const [threads, chunkElements] of [
        [1, 1 << 20],
        [2, 10_000],
        [1, 8192],
      ] as const) {
        const out = join(root, `out-${method}-${threads}-${chunkElements}`);
        await merge(parseMergeConfig(doc, { configDir: root }), { out, threads, chunkElements });
        expect(new Uint32Array(readF32(out, NAME).buffer), `${threads} threads, chunks of ${chunkElements}`).toEqual(
          new Uint32Array(want.buffer),
        );
      }
    });
  }

  for (const [method, elect] of [
    ['dare_ties', true],
    ['dare_linear', false],
  ] as const) {
    it(`${method} to BF16 and F16 outputs, from BF16 and F16 inputs (the fused kernel op): the reference rounded once to the output dtype`, async () => {
      const ref: RefSpec = dareSpec(elect, 5, W, D);
      // the F16 family holds the values exactly (its base, in BF16, too); the BF16 family holds them rounded
      const wants = {
        '': referenceMergeTensor(
          NAME,
          asBf16(values[0]!),
          [1, 2, 3].map((m) => asBf16(values[m]!)),
          ref,
        ),
        f16: referenceMergeTensor(
          NAME,
          values[0]!,
          [1, 2, 3].map((m) => values[m]!),
          ref,
        ),
      };
      const bits = new Uint16Array(1);
      const asOut = (x: number, dtype: string): number => {
        // the output's value: want encoded to the dtype and decoded back, as the merged file holds it
        bits[0] = dtype === 'float16' ? f32ToF16Bits(x) : f32ToBf16Bits(x);
        return dtype === 'float16' ? f16BitsToF32(bits[0]) : new Float32Array(new Uint32Array([bits[0] << 16]).buffer)[0]!;
      };
      for (const inputs of ['', 'f16'] as const) {
        for (const outDtype of ['bfloat16', 'float16']) {
          const doc = {
            merge_method: method,
            base_model: 'base',
            models: [1, 2, 3].map((i) => ({ model: `ft${i}`, parameters: { weight: W[i - 1], density: D[i - 1] } })),
            parameters: { seed: 5 },
            out_dtype: outDtype,
          };
          const out = join(root, `out-fused-${method}-${inputs}-${outDtype}`);
          await merge(parseMergeConfig(doc, { configDir: join(root, inputs) }), { out, threads: 2, chunkElements: 10_000 });
          const expected = Float32Array.from(wants[inputs], (x) => asOut(x, outDtype));
          expect(new Uint32Array(readF32(out, NAME).buffer), `${inputs || 'bf16'} inputs → ${outDtype}`).toEqual(
            new Uint32Array(expected.buffer),
          );
        }
      }
    });
  }

  it('F32 inputs (read sub-block by sub-block) give the same output as the reference', async () => {
    const doc = {
      merge_method: 'dare_ties',
      base_model: 'base',
      models: [1, 2, 3].map((i) => ({ model: `ft${i}`, parameters: { weight: W[i - 1], density: D[i - 1] } })),
      parameters: { seed: 5 },
      out_dtype: 'float32',
    };
    const ref: RefSpec = dareSpec(true, 5, W, D);
    const want = referenceMergeTensor(
      NAME,
      values[0]!,
      [1, 2, 3].map((m) => values[m]!),
      ref,
    ); // f32 holds the values exactly
    const out = join(root, 'out-f32');
    await merge(parseMergeConfig(doc, { configDir: join(root, 'f32') }), { out, threads: 2, chunkElements: 10_000 });
    expect(new Uint32Array(readF32(out, NAME).buffer)).toEqual(new Uint32Array(want.buffer));
  });

  it('reports the first NaN of an input past the first sub-block', async () => {
    const doc = {
      merge_method: 'dare_ties',
      base_model: 'base',
      models: [
        { model: 'ft2', parameters: { weight: 1, density: 0.5 } },
        { model: 'ft-nan', parameters: { weight: 1, density: 0.5 } },
      ],
      parameters: { seed: 5 },
    };
    await expect(merge(parseMergeConfig(doc, { configDir: root }), { out: join(root, 'out-nan'), threads: 1 })).rejects.toThrow(
      /model .*ft-nan: tensor "model\.layers\.0\.mlp\.down_proj\.weight" holds NaN or Inf values \(2 in elements \[0, 29197\), the first at element 20000\)/,
    );
  });
});
