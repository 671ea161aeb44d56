import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/app/analyze.js';
import type { AnalysisResult } from '../../src/schema/analysis.js';
import { ANALYSIS_DB, readAnalysis } from '../../src/store/analysis-store.js';
import { query, withDb } from '../../src/store/db.js';
import { literal, writeTable } from '../../src/store/table.js';
import { writeFixtureFamily } from '../analysis/fixture.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
let fam: ReturnType<typeof writeFixtureFamily>;
let out: string;
let result: AnalysisResult;

beforeAll(async () => {
  fam = writeFixtureFamily();
  out = join(fam.dir, 'analysis');
  result = await analyze({ base: fam.base, finetunes: fam.fts, outDir: out, threads: 1 });
});
afterAll(() => rmSync(fam.dir, { recursive: true, force: true }));

describe('analysis store', () => {
  it('writes every table as .arrow and .parquet plus analysis.duckdb, and readAnalysis gives the result back exactly', async () => {
    for (const t of ['models', 'tensors', 'layers', 'pairs', 'histograms']) {
      expect(existsSync(join(out, `${t}.arrow`))).toBe(true);
      expect(existsSync(join(out, `${t}.parquet`))).toBe(true);
    }
    const back = await readAnalysis(out);
    expect(back).toEqual(result);
  });

  it('Arrow IPC files and Parquet files (read by DuckDB in a fresh in-memory connection) hold the same rows', async () => {
    const tensors = tableFromIPC(readFileSync(join(out, 'tensors.arrow')));
    expect(tensors.numRows).toBe(result.tensors.length);
    expect(tensors.getChild('delta_l2')!.toArray()[0]).toBe(result.tensors[0]!.deltaL2);
    const rows = await withDb(
      ':memory:',
      async (db) =>
        (
          await query(
            db,
            `SELECT model, tensor, delta_l2, non_finite FROM read_parquet(${literal(join(out, 'tensors.parquet'))}) ORDER BY model, tensor`,
          )
        ).rows,
      { allowedDirs: [out] },
    );
    expect(rows).toHaveLength(result.tensors.length);
    for (const r of rows) {
      const want = result.tensors.find((t) => t.model === r.model && t.tensor === r.tensor)!;
      expect(r.delta_l2).toBe(want.deltaL2);
      expect(r.non_finite).toBe(want.nonFinite);
    }
    const hist = await withDb(
      ':memory:',
      async (db) =>
        (
          await query(
            db,
            `SELECT sum(count) AS n FROM read_parquet(${literal(join(out, 'histograms.parquet'))}) WHERE scope = 'model' AND model = 'ft-a'`,
          )
        ).rows,
      { allowedDirs: [out] },
    );
    const m = result.models.find((x) => x.model === 'ft-a')!;
    expect(hist[0]!.n).toBe(m.numel - m.nonFinite);
  });

  it('the views answer SQL: layer risk, top tensors (energy shares sum to 1 per model), pair summary', async () => {
    await withDb(
      join(out, ANALYSIS_DB),
      async (db) => {
        const risk = await query(db, 'SELECT * FROM v_layer_risk');
        expect(risk.rows).toHaveLength(result.layers.length);
        const shares = await query(db, 'SELECT model, sum(energy_share) AS s FROM v_top_tensors GROUP BY model ORDER BY model');
        for (const r of shares.rows) expect(Math.abs(Number(r.s) - 1)).toBeLessThan(1e-12);
        const pairs = await query(db, 'SELECT a, b, cosine FROM v_pair_summary');
        expect(pairs.rows).toHaveLength(3);
        const params = await query(db, 'SELECT count(*) AS n FROM tensors WHERE model = $1', ['ft-b']);
        expect(params.rows[0]!.n).toBe(6);
      },
      { readOnly: true },
    );
  });

  it('`darekit query` prints table, csv and json, and names the error for bad SQL (exit 2)', () => {
    const csv = execFileSync('node', [CLI, 'query', out, 'SELECT model, numel FROM models ORDER BY model', '--format', 'csv'], {
      encoding: 'utf8',
    });
    expect(csv.trim().split('\n')).toEqual(['model,numel', ...result.models.map((m) => `${m.model},${m.numel}`).sort()]);
    const json = JSON.parse(
      execFileSync('node', [CLI, 'query', out, 'SELECT count(*) AS n FROM tensors', '--json'], { encoding: 'utf8' }),
    ) as { rows: { n: number }[] };
    expect(json.rows[0]!.n).toBe(result.tensors.length);
    const table = execFileSync('node', [CLI, 'query', out, 'SELECT model FROM models'], { encoding: 'utf8' });
    expect(table).toContain('(3 rows)');
    const bad = spawnSync('node', [CLI, 'query', out, 'SELEC nonsense'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^darekit: query failed: Parser Error: .*syntax error/);
    const missing = spawnSync('node', [CLI, 'query', out, 'SELECT * FROM nope'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/Table with name nope does not exist/);
    const write = spawnSync('node', [CLI, 'query', out, 'DELETE FROM models'], { encoding: 'utf8' });
    expect(write.status).toBe(2); // read-only connection
  });

  it('writeTable writes any row set (e.g. a predictions table) that reads back through query', async () => {
    const db = join(fam.dir, 'extra.duckdb');
    await withDb(db, async (h) => {
      await writeTable(
        h,
        'predictions',
        [
          { model: 'ft-a', drop_rate: 0.5, n: 3, ok: true },
          { model: 'x', drop_rate: Number.NaN, n: null, ok: false },
        ],
        [
          { name: 'model', type: 'VARCHAR' },
          { name: 'drop_rate', type: 'DOUBLE' },
          { name: 'n', type: 'BIGINT' },
          { name: 'ok', type: 'BOOLEAN' },
        ],
      );
      const r = await query(h, 'SELECT * FROM predictions ORDER BY model');
      expect(r.rows[0]).toEqual({ model: 'ft-a', drop_rate: 0.5, n: 3, ok: true });
      expect(r.rows[1]!.drop_rate).toBeNaN();
      expect(r.rows[1]!.n).toBeNull();
    });
  });

  it('leaves no output dir when analyze fails, and refuses a non-empty dir without force', async () => {
    const failed = join(fam.dir, 'failed');
    writeFileSync(join(fam.dir, 'ft-bad.safetensors'), 'not a safetensors file at all');
    await expect(analyze({ base: fam.base, finetunes: [join(fam.dir, 'ft-bad.safetensors')], outDir: failed })).rejects.toThrow(/ft-bad/);
    expect(existsSync(failed)).toBe(false);
    mkdirSync(join(fam.dir, 'full'));
    writeFileSync(join(fam.dir, 'full', 'x'), 'x');
    await expect(analyze({ base: fam.base, finetunes: fam.fts, outDir: join(fam.dir, 'full') })).rejects.toThrow(/--force/);
    // --force replaces only an empty dir or one darekit wrote: a stranger's file stays
    await expect(analyze({ base: fam.base, finetunes: fam.fts, outDir: join(fam.dir, 'full'), force: true })).rejects.toThrow(
      /only an empty dir or one darekit wrote.*"x"/,
    );
    expect(readdirSync(join(fam.dir, 'full'))).toEqual(['x']);
    rmSync(join(fam.dir, 'full', 'x'));
    await analyze({ base: fam.base, finetunes: fam.fts, outDir: join(fam.dir, 'full'), threads: 1 });
    await analyze({ base: fam.base, finetunes: fam.fts.slice(0, 1), outDir: join(fam.dir, 'full'), force: true, threads: 1 });
    expect((await readAnalysis(join(fam.dir, 'full'))).models).toHaveLength(1);
  });
});
