// Merged values the output dtype cannot hold are refused (exit 2, naming tensor, element and value) instead of
// being written as ±Inf, unless --allow-nonfinite; F64 inputs beyond float32 are named as such, not as NaN/Inf.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';
import { assembleFile } from '../../tools/reliability/safetensors-cases.js';
import { oneLineError, runCli } from '../reliability/cli-harness.js';

const root = mkdtempSync(join(tmpdir(), 'darekit-range-'));
const TENSOR = 'model.layers.0.mlp.up_proj.weight';
const N = 64;
const BAD = 37; // the element that overflows

/** One-tensor model dir: values as F32 or F64 (little-endian). */
function model(name: string, dtype: 'F32' | 'F64', values: number[]): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const data = dtype === 'F32' ? new Uint8Array(Float32Array.from(values).buffer) : new Uint8Array(Float64Array.from(values).buffer);
  const header = { [TENSOR]: { dtype, shape: [8, 8], data_offsets: [0, data.length] } };
  writeFileSync(join(dir, 'model.safetensors'), assembleFile(new TextEncoder().encode(JSON.stringify(header)), data));
  writeFileSync(join(dir, 'config.json'), '{}');
  return dir;
}

const filled = (v: number, at: number, bad: number): number[] => Array.from({ length: N }, (_, i) => (i === at ? bad : v + i / 1000));

beforeAll(() => {
  model('base', 'F32', filled(0.5, -1, 0));
  model('ft-70k', 'F32', filled(0.5, BAD, 70000)); // fine in F32, beyond F16's 65504
  model('ft-3e38', 'F32', filled(0.5, BAD, 3e38)); // 3e38 + 3e38 overflows float32 and BF16
  model('ft-f64', 'F64', filled(0.5, BAD, 1e300)); // finite, beyond float32
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function merge(models: string[], out: string, extra: string[] = []) {
  return runCli([
    'merge',
    '--method',
    'task_arithmetic',
    '--base',
    join(root, 'base'),
    ...models.map((m) => '--model=' + join(root, m) + ':1'),
    '--out',
    join(root, out),
    '--threads',
    '1',
    ...extra,
  ]);
}

function expectRefused(r: ReturnType<typeof runCli>, out: string, mentions: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(oneLineError(r.stderr)).toBeUndefined();
  expect(r.stderr).toMatch(mentions);
  expect(readdirSync(root).filter((e) => e.startsWith(out))).toEqual([]);
}

describe('merged values beyond the output dtype', () => {
  it('±70000 with --out-dtype float16 is refused, naming the tensor, element and value', () => {
    expectRefused(
      merge(['ft-70k'], 'out-f16', ['--out-dtype', 'float16']),
      'out-f16',
      new RegExp(`tensor "${TENSOR.replace(/\./g, '\\.')}": the merged value at element ${BAD} is 70000, which F16 cannot hold`),
    );
  });

  it('3e38 × 2 in F32 (beyond float32) and in BF16 is refused', () => {
    expectRefused(
      merge(['ft-3e38', 'ft-3e38'], 'out-f32'),
      'out-f32',
      new RegExp(`element ${BAD} is a value beyond float32 range \\(\\+Inf\\), which F32 cannot hold`),
    );
    expectRefused(merge(['ft-3e38', 'ft-3e38'], 'out-bf16', ['--out-dtype', 'bfloat16']), 'out-bf16', /which BF16 cannot hold/);
  });

  it('the same merges with 2 threads (worker pool) are refused the same way', () => {
    const r = runCli([
      'merge',
      '--method',
      'task_arithmetic',
      '--base',
      join(root, 'base'),
      '--model=' + join(root, 'ft-70k') + ':1',
      '--out',
      join(root, 'out-pool'),
      '--threads',
      '2',
      '--out-dtype',
      'float16',
    ]);
    expectRefused(r, 'out-pool', /element 37 is 70000, which F16 cannot hold/);
  });

  it('--allow-nonfinite writes them as ±Inf (bits read back from the file)', () => {
    const r = merge(['ft-70k'], 'out-allowed', ['--out-dtype', 'float16', '--allow-nonfinite']);
    expect(r.code, r.stderr).toBe(0);
    const file = join(root, 'out-allowed', 'model.safetensors');
    const t = readSafetensorsHeader(file).tensors.find((x) => x.name === TENSOR)!;
    const b = readFileSync(file).subarray(t.byteOffset, t.byteOffset + t.byteLength);
    expect(b.readUInt16LE(2 * BAD)).toBe(0x7c00); // +Inf in IEEE half
    expect(b.readUInt16LE(2 * (BAD - 1)) & 0x7c00).not.toBe(0x7c00);
  });

  it('values that fit (65504 in F16) merge fine', () => {
    model('ft-max16', 'F32', filled(0.5, BAD, 65504));
    expect(merge(['ft-max16'], 'out-max16', ['--out-dtype', 'float16']).code).toBe(0);
  });
});

describe('F64 inputs beyond float32', () => {
  it('1e300 is reported as beyond float32 range, not as NaN or Inf', () => {
    const r = merge(['ft-f64'], 'out-f64');
    expectRefused(
      r,
      'out-f64',
      new RegExp(`tensor "${TENSOR.replace(/\./g, '\\.')}" holds 1e\\+300 at element ${BAD}, beyond float32 range`),
    );
    expect(r.stderr).not.toMatch(/NaN or Inf/);
  });
});
