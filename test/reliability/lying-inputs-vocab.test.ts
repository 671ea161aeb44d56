import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeModels } from '../../src/analysis/analyze.js';
import type { AnalysisResult } from '../../src/schema/analysis.js';
import { generateFamily } from '../../src/fixtures/family.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { readTensors } from '../helpers/read.js';
import { writeSafetensorsFile, type EncodedTensor } from '../../src/io/writer.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { oneLineError, runCli } from './cli-harness.js';

// Fine-tunes whose vocabulary differs from the base's (256 rows): `big` has 300 rows (a fine-tune with added
// tokens), `small` 200. Their references are written by hand: `ref/big` is big's first 256 rows, `ref/small` is
// small's 200 rows followed by the base's rows 200–255 (a zero delta there).
const root = mkdtempSync(join(tmpdir(), 'darekit-vocab-'));
const H = 64;
const VOCAB = 256;
const BIG = 300;
const SMALL = 200;
const BPE = 2; // BF16
const VOCAB_TENSORS = ['model.embed_tokens.weight', 'lm_head.weight'];
const p = (...parts: string[]): string => join(root, ...parts);

/** Write `tensors` as a model dir beside a copy of `configFrom`'s config.json. */
function writeModel(dir: string, tensors: EncodedTensor[], configFrom: string): void {
  mkdirSync(dir, { recursive: true });
  writeSafetensorsFile(join(dir, 'model.safetensors'), tensors);
  copyFileSync(join(configFrom, 'config.json'), join(dir, 'config.json'));
}

/** Replace the vocabulary tensors of a model: `edit` gets their bytes and returns the new rows' bytes. */
function withVocab(tensors: EncodedTensor[], rows: number, edit: (name: string, data: Uint8Array) => Uint8Array): EncodedTensor[] {
  return tensors.map((t) => (VOCAB_TENSORS.includes(t.name) ? { ...t, shape: [rows, H], data: edit(t.name, t.data) } : t));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** BF16 bytes widened to F32 bytes (exact: the BF16 bits are the high half of the F32 bits). */
function bf16ToF32(d: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 * d.length);
  for (let i = 0; i < d.length / 2; i++) {
    out[4 * i + 2] = d[2 * i]!;
    out[4 * i + 3] = d[2 * i + 1]!;
  }
  return out;
}

/** Extra rows with finite BF16 values (0x3c00 | small mantissa: around 0.0078). */
function extraRows(rows: number, salt: number): Uint8Array {
  const out = new Uint8Array(rows * H * BPE);
  for (let i = 0; i < rows * H; i++) {
    out[2 * i] = (i * 13 + salt) & 0x7f;
    out[2 * i + 1] = 0x3c;
  }
  return out;
}

beforeAll(() => {
  generateFamily({
    hidden: H,
    intermediate: 128,
    layers: 2,
    vocab: VOCAB,
    outDir: p('fam'),
    dtype: 'BF16',
    seed: 3,
    models: [
      { name: 'sft-a', kind: 'sft' },
      { name: 'sft-b', kind: 'sft' },
    ],
  });
  const base = readTensors(p('fam', 'base'));
  const baseBytes = new Map(base.map((t) => [t.name, t.data]));
  const a = readTensors(p('fam', 'sft-a'));
  const b = readTensors(p('fam', 'sft-b'));
  const big = withVocab(a, BIG, (_n, d) => concat(d, extraRows(BIG - VOCAB, 5)));
  const small = withVocab(b, SMALL, (_n, d) => d.slice(0, SMALL * H * BPE));
  writeModel(p('lie', 'big'), big, p('fam', 'sft-a'));
  writeModel(p('lie', 'small'), small, p('fam', 'sft-b'));
  writeModel(
    p('ref', 'big'),
    withVocab(big, VOCAB, (_n, d) => d.slice(0, VOCAB * H * BPE)),
    p('fam', 'sft-a'),
  );
  writeModel(
    p('ref', 'small'),
    withVocab(small, VOCAB, (n, d) => concat(d, baseBytes.get(n)!.slice(SMALL * H * BPE))),
    p('fam', 'sft-b'),
  );
  // an F32 fine-tune of the BF16 base with fewer rows: its padding is the base's rows widened to F32
  const small32 = small.map((t) => ({ ...t, dtype: 'F32' as const, data: bf16ToF32(t.data) }));
  writeModel(p('lie', 'small32'), small32, p('fam', 'sft-b'));
  writeModel(
    p('ref', 'small32'),
    withVocab(small32, VOCAB, (n, d) => concat(d, bf16ToF32(baseBytes.get(n)!.slice(SMALL * H * BPE)))),
    p('fam', 'sft-b'),
  );
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every tensor's name, dtype, shape and data bytes of a single-file output (the header metadata holds the recipe, which differs). */
function tensorsOf(dir: string): { name: string; dtype: string; shape: number[]; data: string }[] {
  return readTensors(dir).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: Buffer.from(t.data).toString('base64') }));
}

const METHODS: { method: string; params: Record<string, number>[]; global?: Record<string, number>; threads: number; chunk: number }[] = [
  {
    method: 'dare_ties',
    params: [
      { weight: 0.6, density: 0.5 },
      { weight: 0.4, density: 0.7 },
    ],
    threads: 2,
    chunk: 1000,
  },
  {
    method: 'ties',
    params: [
      { weight: 1, density: 0.3 },
      { weight: 1, density: 0.6 },
    ],
    threads: 1,
    chunk: 4096,
  },
  {
    method: 'della',
    params: [
      { weight: 0.5, density: 0.5, epsilon: 0.1 },
      { weight: 0.5, density: 0.6, epsilon: 0.1 },
    ],
    threads: 2,
    chunk: 4096,
  },
  { method: 'slerp', params: [{ density: 0.5 }, { density: 0.8 }], global: { t: 0.3 }, threads: 1, chunk: 777 },
];

describe('vocabulary sizes that differ from the base, truncated only when asked', () => {
  for (const m of METHODS) {
    it(`${m.method}: merging with truncate_vocab equals merging the hand-truncated/padded fine-tunes, byte for byte`, async () => {
      const doc = (dir: string, truncate: boolean): Record<string, unknown> => ({
        merge_method: m.method,
        base_model: p('fam', 'base'),
        models: [
          { model: p(dir, 'big'), parameters: m.params[0] },
          { model: p(dir, 'small'), parameters: m.params[1] },
        ],
        parameters: { ...(m.global ?? {}), seed: 11 },
        ...(truncate ? { truncate_vocab: true } : {}),
      });
      const got = await merge(parseMergeConfig(doc('lie', true), { configDir: root }), {
        out: p(`m-${m.method}-lie`),
        threads: m.threads,
        chunkElements: m.chunk,
      });
      await merge(parseMergeConfig(doc('ref', false), { configDir: root }), {
        out: p(`m-${m.method}-ref`),
        threads: 1,
        chunkElements: 1 << 16,
      });
      expect(tensorsOf(p(`m-${m.method}-lie`))).toEqual(tensorsOf(p(`m-${m.method}-ref`)));
      expect(got.vocab.map((v) => [v.model, v.tensor, v.action, v.rows, v.baseRows])).toEqual([
        [p('lie', 'big'), 'model.embed_tokens.weight', 'truncated', BIG, VOCAB],
        [p('lie', 'big'), 'lm_head.weight', 'truncated', BIG, VOCAB],
        [p('lie', 'small'), 'model.embed_tokens.weight', 'padded', SMALL, VOCAB],
        [p('lie', 'small'), 'lm_head.weight', 'padded', SMALL, VOCAB],
      ]);
      expect(readFileSync(p(`m-${m.method}-lie`, 'mergekit_config.yml'), 'utf8')).toMatch(/^truncate_vocab: true$/m);
    });
  }

  it('mixed dtypes: an F32 fine-tune with fewer rows over a BF16 base merges like its hand-padded F32 reference', async () => {
    const doc = (dir: string, truncate: boolean): Record<string, unknown> => ({
      merge_method: 'dare_linear',
      base_model: p('fam', 'base'),
      models: [
        { model: p(dir, 'big'), parameters: { weight: 0.5, density: 0.6 } },
        { model: p(dir, 'small32'), parameters: { weight: 0.5, density: 0.6 } },
      ],
      ...(truncate ? { truncate_vocab: true } : {}),
    });
    await merge(parseMergeConfig(doc('lie', true), { configDir: root }), { out: p('m-mixed-lie'), threads: 2, chunkElements: 3000 });
    await merge(parseMergeConfig(doc('ref', false), { configDir: root }), { out: p('m-mixed-ref'), threads: 1 });
    expect(tensorsOf(p('m-mixed-lie'))).toEqual(tensorsOf(p('m-mixed-ref')));
  });

  it('analyze with truncateVocab equals analyze of the hand-truncated/padded fine-tunes (threads 1 and 2)', async () => {
    const strip = (r: AnalysisResult): unknown => ({ ...r, models: r.models.map((x) => ({ ...x, path: '' })) });
    const ref = await analyzeModels({
      base: p('fam', 'base'),
      finetunes: [p('ref', 'big'), p('ref', 'small')],
      labels: ['big', 'small'],
      threads: 1,
    });
    let told: string[] = [];
    for (const threads of [1, 2]) {
      const got = await analyzeModels({
        base: p('fam', 'base'),
        finetunes: [p('lie', 'big'), p('lie', 'small')],
        labels: ['big', 'small'],
        threads,
        chunkElements: 4096,
        truncateVocab: true,
        onVocabAdjusted: (a) => {
          told = a.map((v) => `${v.tensor} ${v.action}`);
        },
      });
      expect(strip(got)).toEqual(strip(ref));
    }
    expect(told).toEqual([
      'model.embed_tokens.weight truncated',
      'lm_head.weight truncated',
      'model.embed_tokens.weight padded',
      'lm_head.weight padded',
    ]);
  });

  it('without the flag, merge and analyze refuse with exit 2 and one line naming the tensor, both shapes and --truncate-vocab', () => {
    const m = runCli([
      'merge',
      '--method',
      'task_arithmetic',
      '--base',
      p('fam', 'base'),
      '--model',
      `${p('lie', 'big')}:1`,
      '--out',
      p('cli-refused-merge'),
    ]);
    const a = runCli(['analyze', '--base', p('fam', 'base'), p('lie', 'small'), '--out', p('cli-refused-analyze')]);
    for (const [r, shape] of [
      [m, `[${BIG}, ${H}]`],
      [a, `[${SMALL}, ${H}]`],
    ] as const) {
      expect(r.code, r.stderr).toBe(2);
      expect(oneLineError(r.stderr)).toBeUndefined();
      expect(r.stderr).toContain(`"model.embed_tokens.weight" shape ${shape} vs base [${VOCAB}, ${H}]`);
      expect(r.stderr).toContain('--truncate-vocab');
    }
    expect(readdirSync(root).filter((e) => e.includes('cli-refused'))).toEqual([]);
  });

  it('--truncate-vocab still refuses a fine-tune of another width (not a vocabulary difference)', () => {
    generateFamily({
      hidden: 96,
      intermediate: 128,
      layers: 2,
      vocab: VOCAB,
      outDir: p('wide'),
      dtype: 'BF16',
      seed: 4,
      models: [{ name: 'sft', kind: 'sft' }],
    });
    const r = runCli([
      'merge',
      '--method',
      'task_arithmetic',
      '--base',
      p('fam', 'base'),
      '--model',
      `${p('wide', 'sft')}:1`,
      '--truncate-vocab',
      '--out',
      p('cli-wide'),
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(r.stderr).toMatch(/not homologous/);
    expect(existsSync(p('cli-wide'))).toBe(false);
  });

  it('CLI end to end: merge --truncate-vocab says what it cut and padded and writes the reference bytes; a YAML config does the same', () => {
    const args = (dir: string, out: string, extra: string[]): string[] => [
      'merge',
      '--method',
      'dare_ties',
      '--base',
      p('fam', 'base'),
      '--model',
      `${p(dir, 'big')}:0.5:0.5`,
      '--model',
      `${p(dir, 'small')}:0.5:0.5`,
      '--seed',
      '5',
      '--threads',
      '2',
      '--out',
      p(out),
      ...extra,
    ];
    const r = runCli(args('lie', 'cli-lie', ['--truncate-vocab']));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`"lm_head.weight" truncated ${BIG} → ${VOCAB} rows (${BIG - VOCAB} rows dropped)`);
    expect(r.stdout).toContain(`"model.embed_tokens.weight" padded ${SMALL} → ${VOCAB} rows`);
    const ref = runCli(args('ref', 'cli-ref', []));
    expect(ref.code, ref.stderr).toBe(0);
    expect(tensorsOf(p('cli-lie'))).toEqual(tensorsOf(p('cli-ref')));
    // the recipe written beside the output reproduces it (it carries truncate_vocab: true)
    const again = runCli(['merge', p('cli-lie', 'mergekit_config.yml'), '--out', p('cli-again'), '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { vocab: unknown[] }).vocab).toHaveLength(4);
    expect(tensorsOf(p('cli-again'))).toEqual(tensorsOf(p('cli-ref')));
  });

  it('a config whose truncate_vocab is not a boolean is refused naming the key', () => {
    const cfg = p('bad-truncate.yml');
    writeFileSync(
      cfg,
      `merge_method: task_arithmetic\nbase_model: ${p('fam', 'base')}\nmodels:\n  - model: ${p('lie', 'big')}\n    parameters: { weight: 1 }\ntruncate_vocab: "yes"\n`,
    );
    const r = runCli(['merge', cfg, '--out', p('cli-bad-key')]);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(r.stderr).toContain('truncate_vocab');
  });

  it('CLI end to end: analyze --truncate-vocab reports the adjustments (text and --json)', () => {
    const r = runCli([
      'analyze',
      '--base',
      p('fam', 'base'),
      p('lie', 'big'),
      p('lie', 'small'),
      '--truncate-vocab',
      '--out',
      p('cli-an'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      vocabAdjustments: { model: string; tensor: string; action: string; rows: number; baseRows: number }[];
    };
    expect(j.vocabAdjustments.map((v) => `${v.tensor}:${v.action}:${v.rows}`)).toEqual([
      `model.embed_tokens.weight:truncated:${BIG}`,
      `lm_head.weight:truncated:${BIG}`,
      `model.embed_tokens.weight:padded:${SMALL}`,
      `lm_head.weight:padded:${SMALL}`,
    ]);
    const t = runCli(['analyze', '--base', p('fam', 'base'), p('lie', 'small'), '--truncate-vocab', '--out', p('cli-an-text')]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain(`vocab: ${p('lie', 'small')}: "lm_head.weight" padded ${SMALL} → ${VOCAB} rows`);
  });

  it('CLI end to end: tune --truncate-vocab analyzes, writes a recipe with truncate_vocab and merges', () => {
    const r = runCli([
      'tune',
      '--base',
      p('fam', 'base'),
      p('lie', 'big'),
      p('lie', 'small'),
      '--truncate-vocab',
      '--out',
      p('cli-tune'),
      '--threads',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(p('cli-tune', 'recipe.yml'), 'utf8')).toMatch(/^truncate_vocab: true$/m);
    expect(r.stdout).toContain(`"model.embed_tokens.weight" truncated ${BIG} → ${VOCAB} rows`);
    expect(readSafetensorsHeader(p('cli-tune', 'model.safetensors')).tensors.find((x) => x.name === 'lm_head.weight')!.shape).toEqual([
      VOCAB,
      H,
    ]);
  });
});
