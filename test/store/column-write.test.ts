import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/app/analyze.js';
import { ANALYSIS_DB, writeAnalysisFiles } from '../../src/store/analysis-store.js';
import { query, withDb, type CellValue } from '../../src/store/db.js';
import { exportParquet, literal, toArrowIPC, writeTable, type Column, type Row } from '../../src/store/table.js';
import { writeFixtureFamily } from '../analysis/fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'darekit-column-write-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const COLUMNS: Column[] = [
  { name: 'id', type: 'INTEGER' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'label', type: 'VARCHAR' },
  { name: 'x', type: 'DOUBLE' },
  { name: 'n', type: 'BIGINT' },
  { name: 'k', type: 'INTEGER' },
  { name: 'ok', type: 'BOOLEAN' },
];

type Value = string | number | boolean | null;

// What a reader must see for an input cell: NULL for null/undefined, strings as well-formed Unicode (lone
// surrogates become U+FFFD in UTF-8), everything else exactly as given.
function expected(v: Row[string]): Value {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v.toWellFormed() : v;
}

function expectedRows(rows: Row[]): Value[][] {
  return rows.map((r) => COLUMNS.map((c) => expected(r[c.name])));
}

function fromArrow(t: Table): Value[][] {
  const cols = COLUMNS.map((c) => t.getChild(c.name)!);
  return Array.from({ length: t.numRows }, (_, i) =>
    cols.map((v) => {
      const x = v.get(i) as unknown;
      return typeof x === 'bigint' ? Number(x) : (x as Value);
    }),
  );
}

function fromQuery(rows: Record<string, CellValue>[]): Value[][] {
  return rows.map((r) => COLUMNS.map((c) => r[c.name]!));
}

// Same cells, NaN and −0 included (Object.is per cell), with the first difference named.
function expectSameCells(actual: Value[][], want: Value[][], what: string): void {
  expect(actual.length, `${what}: row count`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    for (let j = 0; j < COLUMNS.length; j++) {
      if (!Object.is(actual[i]![j], want[i]![j])) {
        expect.fail(`${what}: row ${i} column ${COLUMNS[j]!.name}: got ${String(actual[i]![j])}, want ${String(want[i]![j])}`);
      }
    }
  }
}

// Writes rows as Arrow IPC, as a DuckDB table and (from DuckDB) as Parquet, and reads each back independently.
async function roundTrip(rows: Row[], tag: string): Promise<{ arrow: Value[][]; duck: Value[][]; parquet: Value[][] }> {
  const table = tableFromIPC(toArrowIPC(rows, COLUMNS));
  expect(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
    'id:Int32',
    'name:Utf8',
    'label:Utf8',
    'x:Float64',
    'n:Int64',
    'k:Int32',
    'ok:Bool',
  ]);
  const parquet = join(tmp, `${tag}.parquet`);
  const duck = await withDb(
    join(tmp, `${tag}.duckdb`),
    async (db) => {
      await writeTable(db, 't', rows, COLUMNS);
      await exportParquet(db, 't', parquet);
      return (await query(db, 'SELECT * FROM t ORDER BY id')).rows;
    },
    { allowedDirs: [tmp] },
  );
  const back = await withDb(
    ':memory:',
    async (db) => (await query(db, `SELECT * FROM read_parquet(${literal(parquet)}) ORDER BY id`)).rows,
    { allowedDirs: [tmp] },
  );
  return { arrow: fromArrow(table), duck: fromQuery(duck), parquet: fromQuery(back) };
}

const SPECIAL_ROWS: Row[] = [
  { id: 0, name: 'plain', label: '', x: 1.5, n: 0, k: 0, ok: true },
  { id: 1, name: null, label: undefined, x: null, n: null, k: null, ok: null },
  { id: 2, name: 'é ü ß', label: '😀 emoji', x: Number.NaN, n: -5, k: -2147483648, ok: false },
  { id: 3, name: '', label: 'nul\u0000inside', x: Number.POSITIVE_INFINITY, n: 2 ** 53 - 1, k: 2147483647, ok: true },
  { id: 4, name: 'lone \uD800 surrogate', label: '中文字符', x: Number.NEGATIVE_INFINITY, n: -(2 ** 53 - 1), k: 7, ok: false },
  {
    id: 5,
    name: 'a fairly long tensor name: model.layers.17.self_attn.q_proj.weight',
    label: null,
    x: -0,
    n: 123456789012,
    k: -1,
    ok: null,
  },
  { id: 6, name: 'quote \' and "double"', label: 'tab\tnewline\n', x: 5e-324, n: 1, k: 1, ok: true },
  { id: 7, name: undefined, label: 'x', x: Number.MAX_VALUE, n: 42, k: 42, ok: undefined },
];

describe('column-form writers (Arrow IPC, DuckDB data chunks, Parquet)', () => {
  it('write NULLs, NaN, ±Inf, −0, empty and non-ASCII strings, BIGINT and BOOLEAN exactly as given', async () => {
    const want = expectedRows(SPECIAL_ROWS);
    const got = await roundTrip(SPECIAL_ROWS, 'special');
    expectSameCells(got.arrow, want, 'arrow');
    expectSameCells(got.duck, want, 'duckdb');
    expectSameCells(got.parquet, want, 'parquet');
  });

  it('keep NUL, non-ASCII and lone surrogates in long runs of one string (written as constant vectors)', async () => {
    const odd = ['nul\u0000run é 😀', 'lone \uDC00 end\uD800', null, 'ascii'];
    const rows: Row[] = Array.from({ length: 5000 }, (_, i) => ({
      id: i,
      name: odd[Math.floor(i / 1300)]!,
      label: odd[Math.floor(i / 700) % 4]!,
      x: i / 7,
      n: i,
      k: 7 - i,
      ok: i % 3 === 0,
    }));
    const want = expectedRows(rows);
    const got = await roundTrip(rows, 'runs');
    expectSameCells(got.arrow, want, 'arrow');
    expectSameCells(got.duck, want, 'duckdb');
    expectSameCells(got.parquet, want, 'parquet');
  });

  it('write an empty table', async () => {
    const got = await roundTrip([], 'empty');
    expect(got).toEqual({ arrow: [], duck: [], parquet: [] });
  });

  it('a count that is not a finite number is refused with the column named', async () => {
    await withDb(':memory:', async (db) => {
      await expect(writeTable(db, 't', [{ id: 0, n: Number.NaN }], COLUMNS)).rejects.toThrow(/column n \(BIGINT\): NaN/);
    });
    expect(() => toArrowIPC([{ id: 0, n: Number.POSITIVE_INFINITY }], COLUMNS)).toThrow(/column n \(BIGINT\): Infinity/);
  });

  // Strings come in runs of random length (long runs become constant vectors, short ones are set row by row,
  // and chunks end at run ends or after DuckDB's 2048 rows), so this checks chunked writing against the input.
  it('tables of thousands of rows with runs of repeated strings read back exactly (property, seeded)', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.constantFrom('', 'model.layers.0.mlp.down_proj.weight'),
    );
    const runs = fc.array(
      fc.record({
        len: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 60, max: 3000 })),
        value: fc.option(text, { freq: 4 }),
      }),
      { minLength: 1, maxLength: 12 },
    );
    const pool = <T>(a: fc.Arbitrary<T>) => fc.array(fc.option(a, { freq: 6 }), { minLength: 1, maxLength: 17 });
    let tag = 0;
    await fc.assert(
      fc.asyncProperty(
        runs,
        runs,
        pool(fc.double()),
        pool(fc.maxSafeInteger()),
        pool(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
        pool(fc.boolean()),
        async (nameRuns, labelRuns, xs, ns, ks, oks) => {
          const expand = (rs: typeof nameRuns) => rs.flatMap((r) => Array<string | null>(r.len).fill(r.value));
          const names = expand(nameRuns);
          const labels = expand(labelRuns);
          const rows: Row[] = names.map((name, i) => ({
            id: i,
            name,
            label: labels[i % labels.length],
            x: xs[i % xs.length],
            n: ns[i % ns.length],
            k: ks[i % ks.length],
            ok: oks[i % oks.length],
          }));
          const want = expectedRows(rows);
          const got = await roundTrip(rows, `prop-${tag++}`);
          expectSameCells(got.arrow, want, 'arrow');
          expectSameCells(got.duck, want, 'duckdb');
          expectSameCells(got.parquet, want, 'parquet');
        },
      ),
      { seed: 4041, numRuns: 12 },
    );
  }, 120_000);
});

describe('writeAnalysisFiles', () => {
  it('leaves a complete analysis.duckdb (no WAL) that a fresh process reads in full', async () => {
    const fam = writeFixtureFamily();
    try {
      const result = await analyze({ base: fam.base, finetunes: fam.fts, outDir: join(fam.dir, 'first'), threads: 1 });
      const dir = join(tmp, 'analysis');
      mkdirSync(dir);
      await writeAnalysisFiles(result, dir);
      expect(readdirSync(dir).filter((f) => f.endsWith('.wal'))).toEqual([]);
      expect(existsSync(join(dir, ANALYSIS_DB))).toBe(true);
      const script = `
        const { readAnalysis } = await import(${JSON.stringify(join(import.meta.dirname, '..', '..', 'dist', 'store', 'analysis-store.js'))});
        const r = await readAnalysis(${JSON.stringify(dir)});
        console.log(JSON.stringify([r.models.length, r.tensors.length, r.layers.length, r.pairs.length, r.histograms.length]));`;
      const counts = JSON.parse(execFileSync('node', ['--input-type=module', '-e', script], { encoding: 'utf8' })) as number[];
      expect(counts).toEqual([
        result.models.length,
        result.tensors.length,
        result.layers.length,
        result.pairs.length,
        result.histograms.length,
      ]);
    } finally {
      rmSync(fam.dir, { recursive: true, force: true });
    }
  }, 60_000);
});
