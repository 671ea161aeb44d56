// The forward pass on tiny random models of each supported variant — grouped-query attention, tied embeddings,
// Qwen2's q/k/v biases, Llama's attention/MLP biases, head_dim given apart from hidden/heads, linear and llama3
// RoPE scaling — against the independent float64 reference in reference-llama.ts; results identical across thread
// counts; unsupported configs refused with one-line input errors.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DarekitError } from '../../src/errors.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import { loadLlamaConfig } from '../../src/model/config.js';
import { createKernelPool, forwardLogits, scoreSequences } from '../../src/model/forward.js';
import { modelWeightSource } from '../../src/model/weights.js';
import { rng } from '../helpers/rng.js';
import { refForward, type RefConfig } from './reference-llama.js';

const tmp = mkdtempSync(join(tmpdir(), 'darekit-arch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Variant {
  name: string;
  config: Record<string, unknown>;
  ref: RefConfig;
}

function variant(
  name: string,
  modelType: string,
  c: Omit<RefConfig, 'bias'>,
  extra: Record<string, unknown>,
  bias: RefConfig['bias'],
): Variant {
  return { name, config: { model_type: modelType, hidden_act: 'silu', max_position_embeddings: 64, ...c, ...extra }, ref: { ...c, bias } };
}

const base = {
  num_hidden_layers: 2,
  rms_norm_eps: 1e-5,
  vocab_size: 41,
  tie_word_embeddings: false,
  rope_theta: 10000,
  rope_scaling: null,
};
const VARIANTS: Variant[] = [
  variant(
    'llama, grouped-query attention (4 query heads on 2 kv heads), odd sizes, MLP over two k-slices',
    'llama',
    { ...base, hidden_size: 30, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 10, intermediate_size: 300 },
    {},
    { qkv: false, o: false, mlp: false },
  ),
  variant(
    'llama, tied embeddings and llama3 rope scaling (all three wavelength bands)',
    'llama',
    {
      ...base,
      hidden_size: 32,
      num_attention_heads: 2,
      num_key_value_heads: 2,
      intermediate_size: 48,
      tie_word_embeddings: true,
      rope_theta: 100,
      rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 40 },
    },
    {},
    { qkv: false, o: false, mlp: false },
  ),
  variant(
    'qwen2, q/k/v biases, one kv head for 3 query heads, tied embeddings',
    'qwen2',
    { ...base, hidden_size: 24, num_attention_heads: 3, num_key_value_heads: 1, intermediate_size: 40, tie_word_embeddings: true },
    {},
    { qkv: true, o: false, mlp: false },
  ),
  variant(
    'mistral, head_dim apart from hidden/heads, linear rope scaling',
    'mistral',
    {
      ...base,
      hidden_size: 32,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 12,
      intermediate_size: 36,
      rope_scaling: { rope_type: 'linear', factor: 4 },
    },
    { sliding_window: null },
    { qkv: false, o: false, mlp: false },
  ),
  variant(
    'llama, attention_bias and mlp_bias',
    'llama',
    { ...base, hidden_size: 16, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 20 },
    { attention_bias: true, mlp_bias: true },
    { qkv: true, o: true, mlp: true },
  ),
];

/** Write a random model of the variant as F32 safetensors; return its dir and the float64 weights. */
function writeRandomModel(v: Variant, seed: number): { dir: string; weights: Map<string, Float64Array> } {
  const c = v.ref,
    H = c.hidden_size,
    hd = c.head_dim ?? H / c.num_attention_heads,
    I = c.intermediate_size;
  const QD = c.num_attention_heads * hd,
    KD = c.num_key_value_heads * hd;
  const r = rng(seed);
  const shapes: [string, number[], 'emb' | 'norm' | 'bias' | 'proj'][] = [['model.embed_tokens.weight', [c.vocab_size, H], 'emb']];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    shapes.push([`${p}input_layernorm.weight`, [H], 'norm'], [`${p}post_attention_layernorm.weight`, [H], 'norm']);
    for (const [n, rows, cols, hasBias] of [
      ['self_attn.q_proj', QD, H, c.bias.qkv],
      ['self_attn.k_proj', KD, H, c.bias.qkv],
      ['self_attn.v_proj', KD, H, c.bias.qkv],
      ['self_attn.o_proj', H, QD, c.bias.o],
      ['mlp.gate_proj', I, H, c.bias.mlp],
      ['mlp.up_proj', I, H, c.bias.mlp],
      ['mlp.down_proj', H, I, c.bias.mlp],
    ] as const) {
      shapes.push([`${p}${n}.weight`, [rows, cols], 'proj']);
      if (hasBias) shapes.push([`${p}${n}.bias`, [rows], 'bias']);
    }
  }
  shapes.push(['model.norm.weight', [H], 'norm']);
  if (!c.tie_word_embeddings) shapes.push(['lm_head.weight', [c.vocab_size, H], 'proj']);
  const weights = new Map<string, Float64Array>();
  const tensors = shapes.map(([name, shape, kind]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(n);
    const scale = kind === 'proj' ? 1.5 / Math.sqrt(shape[1]!) : kind === 'bias' ? 0.3 : 1;
    for (let i = 0; i < n; i++) x[i] = kind === 'norm' ? 1 + 0.3 * (r() * 2 - 1) : scale * (r() * 2 - 1);
    weights.set(name, Float64Array.from(x));
    return { name, dtype: 'F32' as const, shape, data: new Uint8Array(x.buffer) };
  });
  const dir = join(tmp, `${seed}`);
  mkdirSync(dir, { recursive: true });
  writeSafetensorsFile(join(dir, 'model.safetensors'), tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(v.config));
  return { dir, weights };
}

function sequences(seed: number, vocab: number): Int32Array[] {
  const r = rng(seed);
  return [13, 1, 7, 20].map((T) => Int32Array.from({ length: T }, () => Math.floor(r() * vocab)));
}

function relErr(got: ArrayLike<number>, want: number[][]): number {
  let err = 0,
    mag = 0;
  want.forEach((row, t) =>
    row.forEach((w, j) => {
      err = Math.max(err, Math.abs(got[t * row.length + j]! - w));
      mag = Math.max(mag, Math.abs(w));
    }),
  );
  return err / mag;
}

describe('forward pass against a float64 reference', () => {
  VARIANTS.forEach((v, vi) => {
    it(v.name, async () => {
      const { dir, weights } = writeRandomModel(v, 100 + vi);
      const seqs = sequences(200 + vi, v.ref.vocab_size);
      const source = modelWeightSource(dir);
      const logits = await forwardLogits(source, seqs);
      const w = (n: string): Float64Array => weights.get(n) ?? expect.fail(`no tensor ${n}`);
      seqs.forEach((s, i) => {
        const want = refForward(v.ref, w, s);
        expect(relErr(logits[i]!, want), `sequence ${i}`).toBeLessThan(1e-5);
        // the check is sensitive to what it proves: dropping the rope scaling (or the biases) moves the logits far
        if (v.ref.rope_scaling && s.length > 8)
          expect(relErr(logits[i]!, refForward({ ...v.ref, rope_scaling: null }, w, s))).toBeGreaterThan(1e-3);
        if (v.ref.bias.qkv)
          expect(
            relErr(logits[i]!, refForward({ ...v.ref, bias: { qkv: false, o: v.ref.bias.o, mlp: v.ref.bias.mlp } }, w, s)),
          ).toBeGreaterThan(1e-3);
      });
      // scoreSequences agrees with log-softmax of the reference logits
      const scores = await scoreSequences(
        source,
        seqs.filter((s) => s.length > 2).map((tokens) => ({ tokens, scoreFrom: 2 })),
      );
      seqs
        .filter((s) => s.length > 2)
        .forEach((s, i) => {
          const want = refForward(v.ref, w, s);
          for (let k = 2; k < s.length; k++) {
            const row = want[k - 1]!,
              mx = Math.max(...row);
            const lp = row[s[k]!]! - mx - Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0));
            expect(Math.abs(scores[i]!.logprobs[k - 2]! - lp)).toBeLessThan(1e-4);
          }
        });
      source.close();
    });
  });
});

describe('threads', () => {
  it('gives bit-identical logits and scores for 1, 2 and 3 threads, with a reused pool and in several batches', async () => {
    const v = VARIANTS[0]!;
    const { dir } = writeRandomModel(v, 300);
    const seqs = sequences(301, v.ref.vocab_size);
    const runs = [];
    for (const threads of [1, 2, 3]) {
      const source = modelWeightSource(dir);
      runs.push({
        logits: await forwardLogits(source, seqs, { threads }),
        scores: await scoreSequences(
          source,
          seqs.filter((s) => s.length > 1).map((tokens) => ({ tokens, scoreFrom: 1 })),
          { threads },
        ),
      });
      source.close();
    }
    // batches of at most 15 positions (the 4 sequences run in 3 groups) change nothing either
    {
      const source = modelWeightSource(dir);
      runs.push({
        logits: await forwardLogits(source, seqs, { maxBatchPositions: 15 }),
        scores: await scoreSequences(
          source,
          seqs.filter((s) => s.length > 1).map((tokens) => ({ tokens, scoreFrom: 1 })),
          { maxBatchPositions: 15, threads: 2 },
        ),
      });
      source.close();
    }
    // a pool reused across calls (as the probe does) gives the same numbers again
    const pool = createKernelPool(2);
    try {
      for (let rep = 0; rep < 2; rep++) {
        const source = modelWeightSource(dir);
        runs.push({
          logits: await forwardLogits(source, seqs, { pool }),
          scores: await scoreSequences(
            source,
            seqs.filter((s) => s.length > 1).map((tokens) => ({ tokens, scoreFrom: 1 })),
            { pool },
          ),
        });
        source.close();
      }
    } finally {
      await pool.close();
    }
    for (const r of runs.slice(1)) {
      r.logits.forEach((l, i) => expect(Buffer.from(l.buffer).equals(Buffer.from(runs[0]!.logits[i]!.buffer))).toBe(true));
      r.scores.forEach((s, i) => {
        expect(Array.from(s.logprobs)).toEqual(Array.from(runs[0]!.scores[i]!.logprobs));
        expect(Array.from(s.argmaxHit)).toEqual(Array.from(runs[0]!.scores[i]!.argmaxHit));
      });
    }
  });
});

describe('refused inputs', () => {
  function configError(config: Record<string, unknown>): DarekitError {
    const dir = join(tmp, `cfg-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...VARIANTS[0]!.config, ...config }));
    try {
      loadLlamaConfig(dir);
    } catch (err) {
      expect(err).toBeInstanceOf(DarekitError);
      const e = err as DarekitError;
      expect(e.exitCode).toBe(2);
      expect(e.message).not.toContain('\n');
      expect(e.message).toContain(join(dir, 'config.json'));
      return e;
    }
    return expect.fail('no error');
  }

  it('an unsupported model_type, named with the file', () => {
    expect(configError({ model_type: 'gpt2' }).message).toMatch(/model_type "gpt2" is not supported.*llama, mistral, qwen2/);
  });

  it('an unsupported rope_scaling type, named (rope_type or the older type key)', () => {
    expect(configError({ rope_scaling: { rope_type: 'yarn', factor: 4 } }).message).toMatch(/rope_scaling type "yarn" is not supported/);
    expect(configError({ rope_scaling: { type: 'dynamic', factor: 2 } }).message).toMatch(/rope_scaling type "dynamic" is not supported/);
  });

  it('a sequence longer than max_position_embeddings or with a token outside the vocabulary', async () => {
    const { dir } = writeRandomModel(VARIANTS[2]!, 400);
    const source = modelWeightSource(dir);
    await expect(forwardLogits(source, [new Int32Array(65)])).rejects.toThrow(/65 tokens, more than max_position_embeddings 64/);
    await expect(forwardLogits(source, [Int32Array.of(1, 41)])).rejects.toThrow(/token id 41 at position 1 is outside the vocabulary/);
    source.close();
  });
});
