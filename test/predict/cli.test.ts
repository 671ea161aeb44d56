import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { analyze } from '../../src/app/analyze.js';
import { run } from '../../src/cli/commands/predict.js';
import { isDarekitError } from '../../src/errors.js';
import type { PredictionsJson } from '../../src/predict/types.js';
import { query, withDb } from '../../src/store/db.js';
import { generateFamily } from '../../src/fixtures/family.js';
import { PRESETS } from '../../src/fixtures/presets.js';

const tmp = mkdtempSync(join(tmpdir(), 'darekit-predict-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('darekit predict DIR', () => {
  test('reads an analysis dir, prints the JSON contract and stores the predictions tables', async () => {
    const preset = PRESETS.tiny!;
    const fam = generateFamily({ ...preset, outDir: join(tmp, 'fam'), dtype: 'BF16' });
    const [base, ...fts] = fam.models;
    const out = join(tmp, 'analysis');
    await analyze({ base: base!.dir, finetunes: fts.map((f) => f.dir), outDir: out, threads: 1 });
    const res = await run([out], { tolerance: '0.9', json: true });
    const j = res.json as PredictionsJson;
    expect(j.outDir).toBe(out);
    expect(j.models.length).toBe(fts.length);
    for (const m of j.models) expect(m.recommendedDensity).toBeCloseTo(1 - m.recommendedDropRate, 9);
    const rows = await withDb(
      join(out, 'analysis.duckdb'),
      async (db) => (await query(db, 'SELECT path, kind, recommended_drop_rate, verdict, tolerance FROM predictions ORDER BY path')).rows,
      { readOnly: true },
    );
    expect(rows.map((r) => [r.path, r.kind, r.recommended_drop_rate, r.verdict, r.tolerance])).toEqual(
      [...j.models].sort((a, b) => a.path.localeCompare(b.path)).map((m) => [m.path, m.kind, m.recommendedDropRate, m.verdict, 0.9]),
    );
    expect(res.text).toMatch(/set: /);
    const tensorRows = await withDb(
      join(out, 'analysis.duckdb'),
      async (db) => (await query(db, 'SELECT count(*) AS n FROM prediction_tensors')).rows,
      { readOnly: true },
    );
    const analysed = await withDb(join(out, 'analysis.duckdb'), async (db) => (await query(db, 'SELECT count(*) AS n FROM tensors')).rows, {
      readOnly: true,
    });
    expect(tensorRows[0]!.n).toBe(analysed[0]!.n);
    // the generator's construction: its cpt spec is dense and spread everywhere, its sft specs small, one hot layer
    for (const f of fts) {
      const m = j.models.find((x) => x.path === f.dir)!;
      expect(m.kind, f.name).toBe(f.kind === 'cpt' ? 'cpt' : 'sft');
      if (f.hotLayers) expect(m.reasons.join(' '), f.name).toContain(`layer ${f.hotLayers[0]} is far less tolerant`);
      else expect(m.reasons.join(' '), f.name).not.toMatch(/far less tolerant/);
    }
  });

  test('a bad --tolerance and a dir without an analysis are one-line usage/input errors', async () => {
    for (const [args, opts, re] of [
      [[tmp], { tolerance: 'abc' }, /--tolerance/],
      [[join(tmp, 'none')], { tolerance: '0.95' }, /no analysis.duckdb/],
    ] as const) {
      let err: unknown;
      try {
        await run([...args], { ...opts });
      } catch (e) {
        err = e;
      }
      expect(isDarekitError(err) && err.exitCode === 2 && re.test(err.message) && !err.message.includes('\n')).toBe(true);
    }
  });
});
