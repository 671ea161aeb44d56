import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashDir, runCli, writeConfig } from './cli-harness.js';

// The committed family S: real tiny BF16 models whose tensors span many chunks at the small chunk sizes.
const FAMILY = resolve('fixtures/families/S');
const root = mkdtempSync(join(tmpdir(), 'darekit-determinism-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Chunk sizes: tiny and odd (chunks split rows and SIMD lanes), a power of two, and the default.
const CHUNKS = ['1001', '65536', '1048576'];
const THREADS = ['1', '2'];

const CONFIGS: Record<string, string> = {
  // random DARE masks: must be a pure function of (seed, model, tensor, index)
  dare_ties: `merge_method: dare_ties\nbase_model: ${FAMILY}/base\nmodels:\n  - model: ${FAMILY}/sft-up\n    parameters: {weight: 1.0, density: 0.4}\n  - model: ${FAMILY}/sft-shift\n    parameters: {weight: 0.7, density: 0.6}\nseed: 11\n`,
  // magnitude trim: the top-k selection and its tie-break must not depend on chunking
  ties: `merge_method: ties\nbase_model: ${FAMILY}/base\nmodels:\n  - model: ${FAMILY}/sft-up\n    parameters: {weight: 1.0, density: 0.3}\n  - model: ${FAMILY}/cpt-code\n    parameters: {weight: 0.5, density: 0.7}\nout_dtype: float32\n`,
};

describe('merge output does not depend on threads or chunk size', () => {
  for (const [method, yaml] of Object.entries(CONFIGS)) {
    it(`${method}: threads 1 and 2 × chunks ${CHUNKS.join(', ')} give byte-identical outputs`, () => {
      const config = writeConfig(join(root, `${method}.yml`), yaml);
      const hashes: Record<string, Record<string, string>> = {};
      for (const threads of THREADS) {
        for (const chunk of CHUNKS) {
          const out = join(root, `${method}-t${threads}-c${chunk}`);
          const r = runCli(['merge', config, '--out', out, '--threads', threads, '--chunk-elements', chunk]);
          expect(r.code, r.stderr).toBe(0);
          hashes[`t${threads}-c${chunk}`] = hashDir(out);
        }
      }
      const first = Object.values(hashes)[0]!;
      expect(Object.keys(first)).toContain('model.safetensors');
      for (const [k, h] of Object.entries(hashes)) expect(h, k).toEqual(first);
    }, 120_000);
  }

  it('a different seed changes a dare_ties output (the comparison above can fail)', () => {
    const config = writeConfig(join(root, 'dare-seed.yml'), CONFIGS.dare_ties!.replace('seed: 11', 'seed: 12'));
    const out = join(root, 'dare-seed-12');
    expect(runCli(['merge', config, '--out', out]).code).toBe(0);
    expect(hashDir(out)['model.safetensors']).not.toBe(hashDir(join(root, 'dare_ties-t1-c1001'))['model.safetensors']);
  }, 60_000);
});

describe('analysis tables do not depend on threads or chunk size', () => {
  it('every table (query results, .arrow and .parquet bytes) is identical for threads 1/2 and two chunk sizes', () => {
    const runs: { label: string; out: string }[] = [];
    for (const [threads, chunk] of [
      ['1', '1001'],
      ['2', '1001'],
      ['2', '1048576'],
    ] as const) {
      const out = join(root, `analysis-t${threads}-c${chunk}`);
      const r = runCli([
        'analyze',
        '--base',
        join(FAMILY, 'base'),
        join(FAMILY, 'sft-up'),
        join(FAMILY, 'sft-shift'),
        join(FAMILY, 'cpt-code'),
        '--out',
        out,
        '--threads',
        threads,
        '--chunk-elements',
        chunk,
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      runs.push({ label: `t${threads}-c${chunk}`, out });
    }
    const tables = readdirSync(runs[0]!.out)
      .filter((f) => f.endsWith('.arrow'))
      .map((f) => f.replace(/\.arrow$/, ''));
    expect(tables).toEqual(expect.arrayContaining(['models', 'tensors', 'layers', 'pairs', 'histograms']));
    const snapshot = (out: string): Record<string, unknown> => {
      const s: Record<string, unknown> = {};
      for (const t of tables) {
        const q = runCli(['query', out, `select * from ${t} order by all`, '--format', 'json']);
        expect(q.code, q.stderr).toBe(0);
        s[t] = JSON.parse(q.stdout);
      }
      return s;
    };
    const first = snapshot(runs[0]!.out);
    const firstFiles = hashDir(runs[0]!.out);
    for (const run of runs.slice(1)) {
      expect(snapshot(run.out), run.label).toEqual(first);
      const files = hashDir(run.out);
      for (const f of Object.keys(files).filter((n) => n.endsWith('.arrow') || n.endsWith('.parquet')))
        expect(files[f], `${run.label} ${f}`).toBe(firstFiles[f]);
    }
  }, 180_000);
});
