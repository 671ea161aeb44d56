// Memory is bounded by design: huge safetensors catalogs, huge-rank LoRA adapters and merges of very many models
// are refused above documented limits (or streamed below them), and peak RSS is measured in a child process.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loraScale } from '../../src/io/lora.js';
import { openFinetune } from '../../src/io/lora.js';
import { openModel } from '../../src/io/model.js';
import { deltaF64, writeAdapter, writeBase } from '../lora/helpers.js';
import { readWholeTensor } from '../helpers/read.js';
import { oneLineError, runCli } from './cli-harness.js';

const root = mkdtempSync(join(tmpdir(), 'darekit-memory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const DIST = resolve('dist');
let children = 0;

/**
 * Run an ES module snippet (with DIST bound) in a fresh node; it prints one JSON line with its peak RSS in MiB.
 * The peak is VmHWM from /proc/self/status: getrusage's maxRSS starts at the parent's RSS when forked (Linux
 * keeps it across exec), so in a test runner it would report the runner's size.
 */
function child(body: string): Record<string, unknown> & { maxRssMb: number } {
  const peak = "Number(/VmHWM:\\s+(\\d+)/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1]) / 1024";
  const script = `const DIST = ${JSON.stringify(DIST)};\n${body}\nconsole.log(JSON.stringify({ ...out, maxRssMb: ${peak} }));`;
  // a plain node (no test-runner NODE_OPTIONS), so the numbers are the product's own
  const file = join(root, `child-${children++}.mjs`); // a file, not --eval: worker threads inherit execArgv
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown> & { maxRssMb: number };
}

/** A safetensors file of n zero-size tensors (the header is the whole file). */
function zeroSizeTensors(file: string, n: number): number {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
  const header = Buffer.from(`{${parts.join(',')}}`);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(file, Buffer.concat([len, header]));
  return header.length;
}

describe('safetensors catalogs', () => {
  it('a 94 MB header of 1.58 M zero-size tensors is refused at its 200,001st tensor, under 1 GiB peak RSS', () => {
    const file = join(root, 'huge-header.safetensors');
    expect(zeroSizeTensors(file, 1_580_000)).toBeGreaterThan(90e6);
    const out = child(`
      const { readSafetensorsHeader } = await import(DIST + '/io/safetensors.js');
      let out;
      try { readSafetensorsHeader(${JSON.stringify(file)}); out = { ok: true }; } catch (e) { out = { error: e.message }; }`);
    expect(out.error).toMatch(/more than 200,000 tensors in one file, darekit's limit/);
    expect(out.maxRssMb).toBeLessThan(1024);
    const cli = runCli(['inspect', file]);
    expect(cli.code).toBe(2);
    expect(oneLineError(cli.stderr)).toBeUndefined();
  });

  it('150,000 tensors (under the limit) are catalogued under 1 GiB peak RSS', () => {
    const file = join(root, 'many.safetensors');
    zeroSizeTensors(file, 150_000);
    const out = child(`
      const { readSafetensorsHeader } = await import(DIST + '/io/safetensors.js');
      const out = { tensors: readSafetensorsHeader(${JSON.stringify(file)}).tensors.length };`);
    expect(out.tensors).toBe(150_000);
    expect(out.maxRssMb).toBeLessThan(1024);
  });
});

describe('LoRA adapters of very high rank', () => {
  it('a rank-16384 BF16 adapter costs < 3× its lora_A bytes (A cached in float32, B read in row blocks)', () => {
    const b = writeBase([['model.layers.0.mlp.up_proj.weight', [16, 1024]]]);
    try {
      const adapter = join(b.root, 'adapter');
      writeAdapter(b.base, adapter, { targets: ['model.layers.0.mlp.up_proj.weight'], rank: 16384, alpha: 16, dtype: 'BF16', std: 0.01 });
      const aBytes = 16384 * 1024 * 2;
      expect(statSync(join(adapter, 'adapter_model.safetensors')).size).toBeGreaterThan(aBytes);
      const out = child(`
        const { openModel } = await import(DIST + '/io/model.js');
        const { openFinetune } = await import(DIST + '/io/lora.js');
        const { TensorReader } = await import(DIST + '/io/tensor-reader.js');
        const m = openFinetune(${JSON.stringify(adapter)}, openModel(${JSON.stringify(b.base)}));
        const t = m.tensors.get('model.layers.0.mlp.up_proj.weight');
        const buf = new Float32Array(t.numel);
        globalThis.gc?.();
        const before = process.memoryUsage().rss / 2 ** 20;
        const r = new TensorReader();
        r.readF32(t, 0, t.numel, buf);
        r.close();
        const out = { before, sum: buf.reduce((s, x) => s + Math.abs(x), 0) };`);
      expect(Number(out.sum)).toBeGreaterThan(0);
      expect((out.maxRssMb - Number(out.before)) * 2 ** 20, JSON.stringify(out)).toBeLessThan(3 * aBytes);
    } finally {
      b.cleanup();
    }
  });

  it('B read in row blocks gives the exact delta (rank 16384 over 200 rows: 4 blocks), against a float64 reference', () => {
    const name = 'model.layers.0.mlp.down_proj.weight';
    const b = writeBase([[name, [200, 8]]]);
    try {
      const adapter = join(b.root, 'adapter');
      const [mod] = writeAdapter(b.base, adapter, { targets: [name], rank: 16384, alpha: 32, std: 0.01 });
      const got = readWholeTensor(openFinetune(adapter, openModel(b.base)), name);
      const delta = deltaF64(mod!, loraScale(32, 16384, false));
      const base = b.values.get(name)!;
      for (let i = 0; i < got.length; i++) expect(got[i]).toBe(Math.fround(base[i]! + Math.fround(delta[i]!)));
    } finally {
      b.cleanup();
    }
  });

  it('a rank above 65,536 is refused with the module named (no allocation of its factors)', () => {
    const name = 'model.layers.0.mlp.up_proj.weight';
    const b = writeBase([[name, [2, 1]]]);
    try {
      const adapter = join(b.root, 'adapter');
      writeAdapter(b.base, adapter, { targets: [name], rank: 70_000, alpha: 16 });
      expect(() => openFinetune(adapter, openModel(b.base))).toThrow(/has rank 70000; darekit reads LoRA ranks up to 65536/);
    } finally {
      b.cleanup();
    }
  });
});

describe('merges of very many models', () => {
  it('a config listing 1,100 models is a clear input error (at most 128), not a WebAssembly memory failure', () => {
    const b = writeBase([['model.layers.0.mlp.up_proj.weight', [4, 4]]]);
    try {
      const config = join(root, 'many.yml');
      writeFileSync(
        config,
        `merge_method: task_arithmetic\nbase_model: ${b.base}\nmodels:\n${Array.from({ length: 1100 }, () => `  - model: ${b.base}\n    parameters: {weight: 0.001}`).join('\n')}\n`,
      );
      const r = runCli(['merge', config, '--out', join(root, 'many-out')]);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLineError(r.stderr)).toBeUndefined();
      expect(r.stderr).toMatch(/1100 models listed; darekit merges at most 128/);
    } finally {
      b.cleanup();
    }
  });

  it('128 models merge with the default chunk shrunk to fit the kernel memory budget, under 1 GiB peak RSS', () => {
    const b = writeBase([['model.layers.0.mlp.up_proj.weight', [64, 64]]]);
    const ft = writeBase([['model.layers.0.mlp.up_proj.weight', [64, 64]]]);
    try {
      mkdirSync(join(root, 'm128'), { recursive: true });
      const config = join(root, 'm128', 'c.yml');
      writeFileSync(
        config,
        `merge_method: task_arithmetic\nbase_model: ${b.base}\nmodels:\n${Array.from({ length: 128 }, () => `  - model: ${ft.base}\n    parameters: {weight: 0.001}`).join('\n')}\n`,
      );
      const out = child(`
        const { loadMergeConfig } = await import(DIST + '/merge/config.js');
        const { merge } = await import(DIST + '/merge/executor.js');
        await merge(loadMergeConfig(${JSON.stringify(config)}), { out: ${JSON.stringify(join(root, 'm128', 'out'))}, threads: 2, progress: false });
        const out = { ok: true };`);
      expect(out.ok).toBe(true);
      expect(out.maxRssMb).toBeLessThan(1024);
    } finally {
      b.cleanup();
      ft.cleanup();
    }
  });
});
