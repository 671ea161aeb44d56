// tokenizer_source: union on models made from family S with added tokens: the output vocabulary, each model's
// embedding rows permuted into it (mergekit's tokenizer/build.py and embed.py, rewritten here in float64), then a
// 3-model dare_ties checked tensor by tensor against the straightforward reference merge (bit-exact, as the
// other methods' golden tests; the average default rows are float64 means rounded once to f32).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { f32ToBf16Bits } from '../../src/io/codec.js';
import { openModel } from '../../src/io/model.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { readWholeTensor } from '../helpers/read.js';
import { rng } from '../helpers/rng.js';
import { familyS } from '../helpers/shared.js';
import { dareSpec, referenceMergeTensor } from './reference-merge.js';

const S = familyS();
let root: string;
const EMBEDS = ['model.embed_tokens.weight', 'lm_head.weight'];

/** A copy of an S model with tokens added to tokenizer.json and one new bf16 row per token in embed_tokens and lm_head. */
function variant(from: string, name: string, tokens: string[], seed: number): void {
  const dir = join(root, name);
  mkdirSync(dir);
  const m = openModel(join(S, from));
  const r = new TensorReader();
  const rand = rng(seed);
  const tensors = m.names.map((n) => {
    const t = m.tensors.get(n)!;
    const bytes = new Uint8Array(t.byteLength);
    r.readBytes(t, 0, t.numel, bytes);
    if (!EMBEDS.includes(n)) return { name: n, dtype: 'BF16' as const, shape: t.shape, data: bytes };
    const cols = t.shape[1]!;
    const extra = new Uint16Array(tokens.length * cols).map(() => f32ToBf16Bits((rand() * 2 - 1) * 0.05));
    const data = new Uint8Array(bytes.length + extra.byteLength);
    data.set(bytes);
    data.set(new Uint8Array(extra.buffer), bytes.length);
    return { name: n, dtype: 'BF16' as const, shape: [t.shape[0]! + tokens.length, cols], data };
  });
  r.close();
  writeSafetensorsFile(join(dir, 'model.safetensors'), tensors);
  const tok = JSON.parse(readFileSync(join(S, from, 'tokenizer.json'), 'utf8')) as { added_tokens: unknown[] };
  tokens.forEach((content, i) =>
    tok.added_tokens.push({ id: 256 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }),
  );
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok));
  copyFileSync(join(S, from, 'tokenizer_config.json'), join(dir, 'tokenizer_config.json'));
  const cfg = JSON.parse(readFileSync(join(S, from, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, vocab_size: 256 + tokens.length }));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'darekit-union-'));
  variant('sft-up', 'up-math', ['<|math|>'], 11);
  variant('sft-shift', 'shift-code', ['<|code|>', '<|math|>'], 12);
});
afterAll(() => {
  if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
});

const W = [1, 0.7, 0.5],
  D = [0.5, 0.6, 0.7];

describe('tokenizer_source: union, 3-model dare_ties on models made from family S', () => {
  it('builds the union vocabulary, permutes the embedding rows as mergekit does and merges them like any tensor', async () => {
    const yaml = `merge_method: dare_ties
base_model: ${S}/base
models:
  - model: ${root}/up-math
    parameters: {weight: ${W[0]}, density: ${D[0]}}
  - model: ${root}/shift-code
    parameters: {weight: ${W[1]}, density: ${D[1]}}
  - model: ${S}/cpt-code
    parameters: {weight: ${W[2]}, density: ${D[2]}}
tokenizer_source: union
seed: 5
out_dtype: float32
`;
    const out = join(root, 'merged');
    const s = await merge(parseMergeConfig(yaml, { configDir: root }), { out, threads: 2, chunkElements: 5000, progress: false });
    expect(s.notes.join('\n')).toMatch(/tokenizer_source: union: 258 tokens \(2 added/);

    // vocabulary: the base's 256, then <|math|> (first seen in up-math), then <|code|>
    const tj = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number; content: string }[] };
    expect(tj.added_tokens.map((a) => [a.content, a.id])).toEqual([
      ['<|math|>', 256],
      ['<|code|>', 257],
    ]);
    expect((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size).toBe(258);
    const tokenizer = new Tokenizer(tj as never, JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')) as never);
    expect(tokenizer.encode('<|code|>', { add_special_tokens: false } as never).ids ?? tokenizer.encode('<|code|>').ids).toEqual([257]);

    // mergekit's PermutedEmbeddings, written out: row order of the output vocabulary per model
    const read = (model: string, name: string): Float64Array => Float64Array.from(readWholeTensor(model, name));
    for (const name of openModel(out).names) {
      const base = read(join(S, 'base'), name);
      const up = read(join(root, 'up-math'), name),
        sh = read(join(root, 'shift-code'), name),
        cpt = read(join(S, 'cpt-code'), name);
      let inputs: number[][];
      if (EMBEDS.includes(name)) {
        const cols = 96;
        const row = (v: Float64Array, r: number): number[] => Array.from(v.subarray(r * cols, (r + 1) * cols));
        // <|math|>: up-math (row 256) and shift-code (row 257) have it, the base does not: the mean of the two
        const mathAvg = row(up, 256).map((x, j) => Math.fround((x + row(sh, 257)[j]!) / 2));
        // <|code|>: only shift-code (row 256): its row is every other model's too
        const code = row(sh, 256);
        const first = (v: Float64Array): number[] => Array.from(v.subarray(0, 256 * cols));
        const baseP = [...first(base), ...mathAvg, ...code];
        inputs = [
          [...first(up), ...row(up, 256), ...code],
          [...first(sh), ...row(sh, 257), ...row(sh, 256)],
          [...first(cpt), ...mathAvg, ...code],
        ];
        const want = referenceMergeTensor(name, baseP, inputs, dareSpec(true, 5, W, D));
        const gotE = readWholeTensor(out, name);
        const bad = gotE.findIndex((x, i) => Object.is(x, want[i]) === false);
        expect(bad, `${name}: first difference at ${bad}: ${gotE[bad]} vs ${want[bad]}`).toBe(-1);
        // the token only shift-code knows comes out as shift-code's row (every delta of that row is 0)
        expect(Array.from(readWholeTensor(out, name).subarray(257 * cols, 258 * cols))).toEqual(code.map((x) => Math.fround(x)));
      } else {
        const want = referenceMergeTensor(
          name,
          Array.from(base),
          [up, sh, cpt].map((v) => Array.from(v)),
          dareSpec(true, 5, W, D),
        );
        expect(new Uint32Array(readWholeTensor(out, name).buffer), name).toEqual(new Uint32Array(want.buffer));
      }
    }
  });

  it("tokenizer_source: <model> takes that model's vocabulary; tokens other models lack get its rows", async () => {
    const out = join(root, 'from-model');
    const yaml = `merge_method: task_arithmetic\nbase_model: ${S}/base\nmodels:\n  - model: ${root}/shift-code\n    parameters: {weight: 1}\n  - model: ${S}/sft-up\n    parameters: {weight: 1}\ntokenizer_source: ${root}/shift-code\nout_dtype: float32\n`;
    await merge(parseMergeConfig(yaml, { configDir: root }), { out, threads: 1, progress: false });
    const got = readWholeTensor(out, 'model.embed_tokens.weight');
    expect(got.length).toBe(258 * 96);
    const sh = readWholeTensor(join(root, 'shift-code'), 'model.embed_tokens.weight');
    // rows 256, 257 exist only in shift-code: base and sft-up take them, every delta is 0, so they are shift-code's
    expect(Array.from(got.subarray(256 * 96))).toEqual(Array.from(sh.subarray(256 * 96)));
  });

  it("the tokenizer block's tokens: a forced source row for every model, a zero row for a new token; the recipe keeps them", async () => {
    const out = join(root, 'tokens');
    const yaml = `merge_method: task_arithmetic\nbase_model: ${S}/base\nmodels:\n  - model: ${root}/up-math\n    parameters: {weight: 1}\n  - model: ${root}/shift-code\n    parameters: {weight: 1}\ntokenizer:\n  source: union\n  tokens:\n    "<|math|>":\n      source: {kind: model_token, model: ${root}/shift-code, token: "<|math|>"}\n      force: true\n    "<|new|>":\n      source: {kind: zero}\nout_dtype: float32\n`;
    await merge(parseMergeConfig(yaml, { configDir: root }), { out, threads: 1, progress: false });
    const tj = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')) as { added_tokens: { id: number; content: string }[] };
    expect(tj.added_tokens.map((a) => [a.content, a.id])).toEqual([
      ['<|math|>', 256],
      ['<|code|>', 257],
      ['<|new|>', 258],
    ]);
    for (const name of EMBEDS) {
      const got = readWholeTensor(out, name);
      const sh = readWholeTensor(join(root, 'shift-code'), name);
      // forced: every model (up-math too, which has its own <|math|> row) takes shift-code's row 257, so every delta is 0
      expect(Array.from(got.subarray(256 * 96, 257 * 96)), name).toEqual(Array.from(sh.subarray(257 * 96, 258 * 96)));
      expect(
        Array.from(got.subarray(258 * 96)).every((v) => v === 0),
        name,
      ).toBe(true);
    }
    const again = join(root, 'tokens-again');
    await merge(parseMergeConfig(readFileSync(join(out, 'mergekit_config.yml'), 'utf8'), { configDir: root }), {
      out: again,
      threads: 1,
      progress: false,
    });
    expect(readFileSync(join(again, 'model.safetensors')).equals(readFileSync(join(out, 'model.safetensors')))).toBe(true);
  });

  it('refuses pad_to_multiple_of, a token source outside the merge, and slices with a rebuilt vocabulary (not supported yet)', () => {
    expect(() =>
      parseMergeConfig(
        `merge_method: ties\nbase_model: ${S}/base\nmodels: [{model: ${S}/sft-up, parameters: {weight: 1}}]\ntokenizer: {source: union, pad_to_multiple_of: 64}\n`,
        { configDir: root },
      ),
    ).toThrow(/tokenizer\.pad_to_multiple_of: not supported yet/);
    expect(() =>
      parseMergeConfig(
        `merge_method: ties\nbase_model: ${S}/base\nmodels: [{model: ${S}/sft-up, parameters: {weight: 1}}]\ntokenizer: {source: union, tokens: {"<x>": {source: ${S}/cpt-code}}}\n`,
        { configDir: root },
      ),
    ).toThrow(/is not base_model or one of the models/);
    expect(() =>
      parseMergeConfig(
        `merge_method: passthrough\nslices: [{sources: [{model: ${S}/base, layer_range: [0, 1]}]}]\ntokenizer_source: union\n`,
        { configDir: root },
      ),
    ).toThrow(/not supported yet with slices/);
  });
});
