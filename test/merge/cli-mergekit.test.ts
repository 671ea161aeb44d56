// mergekit-yaml's command line on the built CLI (npm run build first): positional output, --out-shard-size,
// --copy-tokenizer, --random-seed, -j, flags that do not apply (accepted, noted), and --method slerp from flags.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { runCli } from '../reliability/cli-harness.js';
import { familyS } from '../helpers/shared.js';
import { readWholeTensor } from '../helpers/read.js';

const S = familyS();
const tmp = mkdtempSync(join(tmpdir(), 'darekit-mkcli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = join(tmp, 'ties.yml');
writeFileSync(
  config,
  `merge_method: dare_ties\nbase_model: ${S}/base\nmodels:\n  - {model: ${S}/sft-up, parameters: {weight: 1, density: 0.5}}\n  - {model: ${S}/sft-shift, parameters: {weight: 0.5, density: 0.5}}\n`,
);

describe('darekit merge with mergekit-yaml flags', () => {
  it('takes the output as a positional, shards at --out-shard-size (K/M/B ×1000), and notes flags that do not apply', () => {
    const out = join(tmp, 'sharded');
    const r = runCli([
      'merge',
      config,
      out,
      '--out-shard-size',
      '200K',
      '--cuda',
      '--lazy-unpickle',
      '--low-cpu-memory',
      '--allow-crimes',
      '--no-copy-tokenizer',
      '--random-seed',
      '7',
      '-j',
      '1',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { files: string[]; notes: string[]; seed: number; threads: number };
    expect(s.seed).toBe(7);
    expect(s.threads).toBe(1);
    expect(s.files.length).toBeGreaterThan(1);
    for (const f of s.files) expect(readFileSync(join(out, f)).length).toBeLessThanOrEqual(200_000 + 20_000); // a tensor may not split; header aside, shards stay near the limit
    for (const flag of ['--cuda', '--lazy-unpickle', '--low-cpu-memory', '--allow-crimes'])
      expect(
        s.notes.some((n) => n.startsWith(`${flag}: accepted for mergekit-yaml compatibility; it does not apply`)),
        flag,
      ).toBe(true);
    expect(existsSync(join(out, 'model.safetensors.index.json'))).toBe(true);
    expect(readdirSync(out).filter((f) => f.startsWith('tokenizer'))).toEqual([]);
    expect(existsSync(join(out, 'config.json'))).toBe(true);
  });

  it('--random-seed is --seed: the same bytes', () => {
    const a = join(tmp, 'seed-a'),
      b = join(tmp, 'seed-b');
    expect(runCli(['merge', config, a, '--random-seed', '3']).code).toBe(0);
    expect(runCli(['merge', config, '--out', b, '--seed', '3']).code).toBe(0);
    expect(readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors')))).toBe(true);
    expect(existsSync(join(b, 'tokenizer.json'))).toBe(true);
  });

  it('refuses a bad shard size and two different outputs, each with a one-line usage error (exit 2)', () => {
    const bad = runCli(['merge', config, join(tmp, 'x'), '--out-shard-size', '5Q']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/--out-shard-size: 5Q is not a size/);
    const two = runCli(['merge', config, join(tmp, 'y'), '--out', join(tmp, 'z')]);
    expect(two.code).toBe(2);
    expect(two.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--method slerp from flags equals the same YAML', () => {
    const flags = join(tmp, 'slerp-flags'),
      yaml = join(tmp, 'slerp-yaml');
    const r = runCli([
      'merge',
      '--method',
      'slerp',
      '--base',
      `${S}/sft-up`,
      '--model',
      `${S}/sft-up`,
      '--model',
      `${S}/sft-shift`,
      '--t',
      '0.3',
      flags,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cfg = join(tmp, 'slerp.yml');
    writeFileSync(
      cfg,
      `merge_method: slerp\nbase_model: ${S}/sft-up\nmodels:\n  - model: ${S}/sft-up\n  - model: ${S}/sft-shift\nparameters: {t: 0.3}\n`,
    );
    expect(runCli(['merge', cfg, yaml]).code).toBe(0);
    for (const n of openModel(yaml).names) expect(Array.from(readWholeTensor(flags, n)), n).toEqual(Array.from(readWholeTensor(yaml, n)));
  });
});
