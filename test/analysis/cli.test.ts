import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureFamily } from './fixture.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
let fam: ReturnType<typeof writeFixtureFamily>;
beforeAll(() => {
  fam = writeFixtureFamily();
});
afterAll(() => rmSync(fam.dir, { recursive: true, force: true }));

describe('darekit analyze', () => {
  it('--json prints the machine-readable contract object and writes the tables', () => {
    const out = join(fam.dir, 'out');
    const stdout = execFileSync('node', [CLI, 'analyze', '--base', fam.base, ...fam.fts, '--out', out, '--json', '--threads', '2'], {
      encoding: 'utf8',
    });
    const j = JSON.parse(stdout) as {
      models: Record<string, unknown>[];
      pairs: Record<string, unknown>[];
      set: Record<string, unknown>;
      outDir: string;
    };
    expect(Object.keys(j).sort()).toEqual(['models', 'outDir', 'pairs', 'set']);
    expect(j.outDir).toBe(resolve(out));
    expect(j.models).toHaveLength(3);
    for (const m of j.models) {
      // DESIGN's keys (the contract may gain fields, never lose one)
      expect(Object.keys(m)).toEqual(
        expect.arrayContaining([
          'kind',
          'meanAbsDelta',
          'path',
          'reasons',
          'recommendedDensity',
          'recommendedDropRate',
          'relativeEnergy',
          'verdict',
        ]),
      );
      expect(['sft', 'cpt']).toContain(m.kind);
      expect(['ready', 'caution', 'not-ready']).toContain(m.verdict);
    }
    expect(j.pairs.map((p) => [p.a, p.b])).toEqual([
      ['ft-a', 'ft-b'],
      ['ft-a', 'ft-c'],
      ['ft-b', 'ft-c'],
    ]);
    expect(Object.keys(j.set)).toEqual(expect.arrayContaining(['method', 'reasons', 'verdict']));
    for (const f of ['analysis.duckdb', 'tensors.arrow', 'tensors.parquet']) expect(existsSync(join(out, f))).toBe(true);
  });

  it('refuses bad usage with exit 2 and a one-line message, writing nothing', () => {
    const out = join(fam.dir, 'never');
    const r = spawnSync('node', [CLI, 'analyze', '--base', fam.base, join(fam.dir, 'missing'), '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('missing');
    expect(existsSync(out)).toBe(false);
    const t = spawnSync('node', [CLI, 'analyze', '--base', fam.base, fam.fts[0]!, '--out', out, '--threads', '0'], { encoding: 'utf8' });
    expect(t.status).toBe(2);
    expect(t.stderr).toContain('--threads');
  });
});
