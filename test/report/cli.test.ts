import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/app/analyze.js';
import { coarsenBins } from '../../src/report/load.js';
import { CLI, familyS } from '../tune/family.js';

const S = familyS();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darekit-report-cli-'));
  await analyze({ base: join(S, 'base'), finetunes: [join(S, 'sft-up'), join(S, 'cpt-code')], outDir: join(dir, 'a'), threads: 1 });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('darekit report', () => {
  it('writes the three files to --out and prints the verdicts', () => {
    const r = spawnSync(process.execPath, [CLI, 'report', join(dir, 'a'), '--out', join(dir, 'r')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['report.md', 'report.html', 'report.json']) expect(existsSync(join(dir, 'r', f))).toBe(true);
    expect(r.stdout).toMatch(/cpt-code: not-ready, cpt/);
    const j = JSON.parse(readFileSync(join(dir, 'r', 'report.json'), 'utf8')) as {
      models: { model: string; kind: string }[];
      trials: unknown[];
      definitions: unknown[];
    };
    expect(j.models.map((m) => m.kind)).toEqual(['sft', 'cpt']);
    expect(j.trials).toEqual([]);
    expect(j.definitions.length).toBeGreaterThan(10);
  });
  it('exits 2 with a one-line message for a dir without an analysis', () => {
    const r = spawnSync(process.execPath, [CLI, 'report', join(dir, 'nothing')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no analysis\.duckdb here/);
  });
  it('exits 2 on a bad --tolerance', () => {
    const r = spawnSync(process.execPath, [CLI, 'report', join(dir, 'a'), '--tolerance', '1.5'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
  });
});

describe('coarsenBins', () => {
  it('keeps the total count and the covered range while capping the number of bins', () => {
    const bins = Array.from({ length: 103 }, (_, i) => ({ lo: 2 ** (i / 8), hi: 2 ** ((i + 1) / 8), count: (i * 37) % 11 }));
    const c = coarsenBins(bins, 40);
    expect(c.length).toBeLessThanOrEqual(40);
    expect(c.reduce((s, b) => s + b.count, 0)).toBe(bins.reduce((s, b) => s + b.count, 0));
    expect(c[0]!.lo).toBe(bins[0]!.lo);
    expect(c[c.length - 1]!.hi).toBe(bins[bins.length - 1]!.hi);
    for (let i = 1; i < c.length; i++) expect(c[i]!.lo).toBe(c[i - 1]!.hi);
  });
});
