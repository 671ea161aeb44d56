import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFamily } from '../../src/fixtures/family.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { assembleFile } from '../../tools/reliability/safetensors-cases.js';
import { oneLineError, runCli } from './cli-harness.js';

const root = mkdtempSync(join(tmpdir(), 'darekit-lies-'));
const shape = { hidden: 64, intermediate: 128, layers: 2, vocab: 256 };
const NAN = 3;
const POS_INF = 2;
const NEG_INF = 1;
const BAD_TENSOR = 'model.layers.1.mlp.down_proj.weight';

/** Rewrite a model's single file with one tensor stored as I8 (same name and shape, 1 byte per element). */
function withInt8Tensor(srcDir: string, dstDir: string, tensor: string): void {
  mkdirSync(dstDir, { recursive: true });
  const file = join(srcDir, 'model.safetensors');
  const h = readSafetensorsHeader(file);
  const bytes = readFileSync(file);
  const header: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of h.tensors) {
    const data = t.name === tensor ? new Uint8Array(t.numel).fill(1) : bytes.subarray(t.byteOffset, t.byteOffset + t.byteLength);
    header[t.name] = { dtype: t.name === tensor ? 'I8' : t.dtype, shape: t.shape, data_offsets: [offset, offset + data.length] };
    parts.push(data);
    offset += data.length;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  writeFileSync(join(dstDir, 'model.safetensors'), assembleFile(new TextEncoder().encode(JSON.stringify(header)), data));
  copyFileSync(join(srcDir, 'config.json'), join(dstDir, 'config.json'));
}

beforeAll(() => {
  generateFamily({
    ...shape,
    outDir: join(root, 'fam'),
    dtype: 'BF16',
    seed: 1,
    models: [
      { name: 'sft-a', kind: 'sft' },
      { name: 'sft-nan', kind: 'sft', inject: { tensor: BAD_TENSOR, nan: NAN, posInf: POS_INF, negInf: NEG_INF } },
      { name: 'sft-f16', kind: 'sft', dtype: 'F16' },
    ],
  });
  generateFamily({ ...shape, vocab: 320, outDir: join(root, 'bigvocab'), dtype: 'BF16', seed: 1, models: [{ name: 'sft', kind: 'sft' }] });
  generateFamily({ ...shape, hidden: 96, outDir: join(root, 'stranger'), dtype: 'BF16', seed: 2, models: [{ name: 'sft', kind: 'sft' }] });
  withInt8Tensor(join(root, 'fam', 'sft-a'), join(root, 'int8'), BAD_TENSOR);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Index of the first NaN/Inf of a BF16 tensor, read straight from the file (exponent bits all ones). */
function firstNonFinite(dir: string, tensor: string): number {
  const file = join(dir, 'model.safetensors');
  const t = readSafetensorsHeader(file).tensors.find((x) => x.name === tensor)!;
  const b = readFileSync(file).subarray(t.byteOffset, t.byteOffset + t.byteLength);
  for (let i = 0; i < t.numel; i++) if ((b.readUInt16LE(2 * i) & 0x7f80) === 0x7f80) return i;
  return -1;
}

function merge(ft: string, out: string, extra: string[] = []): ReturnType<typeof runCli> {
  return runCli([
    'merge',
    '--method',
    'task_arithmetic',
    '--base',
    join(root, 'fam', 'base'),
    '--model',
    `${join(root, ft)}:1`,
    '--out',
    join(root, out),
    ...extra,
  ]);
}

/** A refused merge: exit 2, one line naming `mentions`, and nothing left beside where the output would be. */
function expectRefused(r: ReturnType<typeof runCli>, out: string, mentions: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(oneLineError(r.stderr)).toBeUndefined();
  expect(r.stderr).toMatch(mentions);
  expect(readdirSync(root).filter((e) => e.includes(out))).toEqual([]);
}

describe('NaN and Inf in the weights', () => {
  it('merge refuses them, naming the tensor, and writes nothing', () => {
    expectRefused(merge('fam/sft-nan', 'out-nan'), 'out-nan', new RegExp(`${BAD_TENSOR.replace(/\./g, '\\.')}.*(NaN|Inf|non-finite)`));
  });

  it('the refusal names the fine-tune that holds them, the first bad element and --allow-nonfinite', () => {
    const r = merge('fam/sft-nan', 'out-nan-named', ['--threads', '1', '--chunk-elements', String(1 << 20)]);
    expectRefused(r, 'out-nan-named', /--allow-nonfinite/);
    expect(r.stderr).toContain(
      `model ${join(root, 'fam/sft-nan')}: tensor "${BAD_TENSOR}" holds NaN or Inf values (${NAN + POS_INF + NEG_INF} in elements [0, `,
    );
    expect(r.stderr).toContain(`the first at element ${firstNonFinite(join(root, 'fam', 'sft-nan'), BAD_TENSOR)})`);
  });

  it('NaN/Inf in the base are refused naming the base', () => {
    const r = runCli([
      'merge',
      '--method',
      'task_arithmetic',
      '--base',
      join(root, 'fam', 'sft-nan'),
      '--model',
      `${join(root, 'fam', 'sft-a')}:1`,
      '--out',
      join(root, 'out-nan-base'),
    ]);
    expectRefused(
      r,
      'out-nan-base',
      new RegExp(
        `base ${join(root, 'fam', 'sft-nan').replace(/[.\/\\-]/g, '\\$&')}: tensor "${BAD_TENSOR.replace(/\./g, '\\.')}" holds NaN or Inf`,
      ),
    );
  });

  it('merge --allow-nonfinite goes through and keeps the NaNs where the fine-tune had them', () => {
    const r = merge('fam/sft-nan', 'out-nan-allowed', ['--allow-nonfinite', '--out-dtype', 'float32']);
    expect(r.code, r.stderr).toBe(0);
    const file = join(root, 'out-nan-allowed', 'model.safetensors');
    const t = readSafetensorsHeader(file).tensors.find((x) => x.name === BAD_TENSOR)!;
    const buf = readFileSync(file);
    const v = new Float32Array(buf.buffer.slice(buf.byteOffset + t.byteOffset, buf.byteOffset + t.byteOffset + t.byteLength));
    expect(v.filter((x) => !Number.isFinite(x)).length).toBe(NAN + POS_INF + NEG_INF);
  });

  it('analyze reports them: non_finite counts the planted entries of exactly that tensor', () => {
    const out = join(root, 'analysis');
    const r = runCli([
      'analyze',
      '--base',
      join(root, 'fam', 'base'),
      join(root, 'fam', 'sft-nan'),
      join(root, 'fam', 'sft-a'),
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const q = runCli([
      'query',
      out,
      'select model, tensor, non_finite from tensors where non_finite > 0 order by model',
      '--format',
      'json',
    ]);
    expect(q.code, q.stderr).toBe(0);
    const rows = (JSON.parse(q.stdout) as { rows: { model: string; tensor: string; non_finite: number }[] }).rows;
    expect(rows).toEqual([{ model: 'sft-nan', tensor: BAD_TENSOR, non_finite: NAN + POS_INF + NEG_INF }]);
  });
});

describe('dtype mismatches between models', () => {
  it('an F16 fine-tune of a BF16 base merges (both are float formats darekit computes with)', () => {
    const r = merge('fam/sft-f16', 'out-f16');
    expect(r.code, r.stderr).toBe(0);
    expect(readSafetensorsHeader(join(root, 'out-f16', 'model.safetensors')).tensors.every((t) => t.dtype === 'BF16')).toBe(true);
  });

  it('an I8 tensor in a fine-tune is refused with the tensor and the dtype named', () => {
    expectRefused(merge('int8', 'out-int8'), 'out-int8', /I8/);
  });
});

describe('models that are not what they claim', () => {
  it('a different vocabulary size is refused with a message that says so', () => {
    expectRefused(merge('bigvocab/sft', 'out-vocab'), 'out-vocab', /vocabulary/);
  });

  it('a fine-tune of another architecture (not homologous at all) is refused before any heavy work', () => {
    expectRefused(merge('stranger/sft', 'out-stranger'), 'out-stranger', /not homologous/);
  });

  it('analyze refuses the same stranger with exit 2 and one line', () => {
    const r = runCli(['analyze', '--base', join(root, 'fam', 'base'), join(root, 'stranger', 'sft'), '--out', join(root, 'an-stranger')]);
    expect(r.code, r.stderr).toBe(2);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(existsSync(join(root, 'an-stranger'))).toBe(false);
  });
});
