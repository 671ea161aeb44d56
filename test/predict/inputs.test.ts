// Inputs the predictor must catch (verdict not-ready with a reason code, never a crash or a "ready"), each built
// from family S with darekit's own writer: the base passed as a fine-tune, a duplicate of sft-up, a random model of
// the same shapes with the base's per-tensor norms, and a delta only in the embeddings and lm_head.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyzeModels } from '../../src/analysis/analyze.js';
import { readTensors } from '../helpers/read.js';
import { writeSafetensorsFile, type EncodedTensor } from '../../src/io/writer.js';
import { predict } from '../../src/predict/predict.js';
import { codes } from '../../src/predict/reasons.js';
import type { Predictions } from '../../src/predict/types.js';
import { familyS } from '../helpers/shared.js';
import { gauss } from './synthetic.js';

const S = familyS();
const tmp = mkdtempSync(join(tmpdir(), 'darekit-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeModel(name: string, tensors: EncodedTensor[]): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeSafetensorsFile(join(dir, 'model.safetensors'), tensors);
  copyFileSync(join(S, 'base', 'config.json'), join(dir, 'config.json'));
  return dir;
}

/** BF16 bytes as float32 values (exact: BF16 is the high half of an F32). */
function bf16Values(d: Uint8Array): Float32Array {
  const u = new Uint32Array(d.length / 2);
  for (let i = 0; i < u.length; i++) u[i] = (d[2 * i]! | (d[2 * i + 1]! << 8)) << 16;
  return new Float32Array(u.buffer);
}

let pred: Predictions;
const by = (m: string) => pred.models.find((x) => x.model === m)!;

beforeAll(async () => {
  const base = readTensors(join(S, 'base'));
  const up = readTensors(join(S, 'sft-up'));
  const g = gauss(7);
  const random = base.map((t) => {
    const w = bf16Values(t.data);
    const norm = Math.sqrt(w.reduce((a, x) => a + x * x, 0));
    const v = new Float32Array(w.length).map(() => g());
    const vn = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    for (let i = 0; i < v.length; i++) v[i] = (v[i]! * norm) / vn;
    return { name: t.name, dtype: 'F32' as const, shape: t.shape, data: new Uint8Array(v.buffer) };
  });
  const headOnly = base.map((t) =>
    t.name === 'model.embed_tokens.weight' || t.name === 'lm_head.weight' ? up.find((u) => u.name === t.name)! : t,
  );
  const fts = [
    join(S, 'sft-up'),
    writeModel('copy-of-sft-up', up),
    writeModel('the-base', base),
    writeModel('unrelated', random),
    writeModel('head-only', headOnly),
  ];
  pred = predict(await analyzeModels({ base: join(S, 'base'), finetunes: fts, threads: 1 }));
}, 120_000);

describe('inputs the predictor must catch (family S)', () => {
  test('the base passed as a fine-tune: not-ready, identical-to-base, nothing recommended', () => {
    const m = by('the-base');
    expect(m.verdict).toBe('not-ready');
    expect(codes(m.reasonDetails)).toEqual(['identical-to-base']);
    expect(m.reasons[0]).toMatch(/identical to the base.*nothing to merge/);
    expect(m.recommendedDropRate).toBe(0);
    expect(m.recommendedDensity).toBe(1);
  });

  test('a second copy of sft-up: not-ready, duplicate of sft-up (the first stays as it was)', () => {
    const m = by('copy-of-sft-up');
    expect(m.verdict).toBe('not-ready');
    expect(codes(m.reasonDetails)).toContain('duplicate');
    expect(m.reasonDetails.find((r) => r.code === 'duplicate')!.text).toMatch(/^duplicate of sft-up/);
    expect(codes(by('sft-up').reasonDetails)).not.toContain('duplicate');
  });

  test("a random model with the base's norms: not-ready, not a fine-tune of this base", () => {
    const m = by('unrelated');
    expect(m.verdict).toBe('not-ready');
    expect(codes(m.reasonDetails)).toContain('not-derived');
    expect(m.reasons.join(' ')).toMatch(/not a fine-tune of this base — pick its real base/);
    expect(m.blockCosine).toBeLessThan(0.1);
  });

  test('a delta only in the embeddings and lm_head: not-ready, new tokens / a new head', () => {
    const m = by('head-only');
    expect(m.verdict).toBe('not-ready');
    expect(codes(m.reasonDetails)).toEqual(['head-or-embedding-only']);
    expect(m.headEmbeddingShare).toBe(1);
  });

  test('real fine-tunes are not caught by these checks, and the set is not-ready because of its members', () => {
    expect(
      codes(by('sft-up').reasonDetails).some((c) =>
        ['identical-to-base', 'not-derived', 'duplicate', 'head-or-embedding-only'].includes(c),
      ),
    ).toBe(false);
    expect(pred.set.verdict).toBe('not-ready');
    expect(pred.set.method).toBe('none');
    const members = pred.set.reasonDetails.filter((r) => r.code === 'member-not-ready').map((r) => r.text);
    for (const m of ['copy-of-sft-up', 'the-base', 'unrelated', 'head-only'])
      expect(
        members.some((t) => t.startsWith(`${m} is not ready`)),
        m,
      ).toBe(true);
  });
});
