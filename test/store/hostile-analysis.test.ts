// A stranger's analysis dir: report, dash, predict and query open it. Its SQL (views, macros) and the user's
// query run locked down (no file or network access, no extensions), and damage of any kind is one input error.
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/app/analyze.js';
import { oneLineError } from '../reliability/cli-harness.js';
import { writeFixtureFamily } from '../analysis/fixture.js';
import { leakingModelsView, tamper } from './hostile-builders.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
// A file whose content the hostile views try to show; its marker must never appear in any output.
const SECRET_MARK = 'darekit-secret-7f3a9c';
let fam: ReturnType<typeof writeFixtureFamily>;
let good: string;
let work: string;
let secret: string;

beforeAll(async () => {
  fam = writeFixtureFamily();
  good = join(fam.dir, 'analysis');
  await analyze({ base: fam.base, finetunes: fam.fts, outDir: good, threads: 1 });
  work = mkdtempSync(join(tmpdir(), 'darekit-hostile-'));
  secret = join(work, 'secret.txt');
  writeFileSync(secret, `${SECRET_MARK}\n`);
});
afterAll(() => {
  rmSync(fam.dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

let n = 0;
const fresh = (): string => join(work, `dir-${n++}`);

function cli(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, ...(cwd ? { cwd } : {}) });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under dir, read as text (report outputs). */
function allText(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.startsWith('report'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

// The readers, each expected to refuse the dir with exit 2 and one line naming it (query too when the file itself
// is unusable; on damaged contents query may still run the user's SQL).
function expectRefusedEverywhere(dir: string, why: RegExp, opts: { query?: boolean } = {}): void {
  const runs = [
    ['report', dir, '--out', `${dir}-rep`],
    ['dash', dir, '--json'],
    ['predict', dir],
  ];
  if (opts.query === true) runs.push(['query', dir, 'SELECT * FROM models']);
  for (const args of runs) {
    const r = cli(args);
    expect(r.signal, args.join(' ')).toBeNull();
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
    expect(oneLineError(r.stderr), args.join(' ')).toBeUndefined();
    expect(r.stderr).not.toMatch(/internal error/);
    if (args[0] !== 'query') expect(r.stderr).toContain(dir);
    if (args[0] !== 'query') expect(r.stderr).toMatch(why);
    expect(r.stdout + r.stderr).not.toContain(SECRET_MARK);
    expect(existsSync(`${dir}-rep`)).toBe(false);
  }
}

describe("a stranger's analysis dir cannot read files or reach the network", () => {
  it('a view in place of table models that reads a file: refused by report/dash/predict, query gets a permission error', async () => {
    const dir = await tamper(good, fresh(), leakingModelsView(secret));
    expectRefusedEverywhere(dir, /"models" is a view, not a table/, { query: true });
    const q = cli(['query', dir, 'SELECT model FROM models']);
    expect(q.code).toBe(2);
    expect(q.stderr).toMatch(/disabled by configuration/);
    expect(q.stdout + q.stderr).not.toContain(SECRET_MARK);
  });

  it("query's SQL cannot read files, write files, attach databases, install or load extensions, or unlock the settings", () => {
    const target = join(work, 'copied.csv');
    const cases: [string, RegExp][] = [
      [`SELECT * FROM read_text('${secret}')`, /disabled by configuration/],
      [`SELECT * FROM read_csv('${secret}')`, /disabled by configuration/],
      [`COPY models TO '${target}'`, /disabled by configuration/],
      [`ATTACH '${join(work, 'other.duckdb')}' AS o`, /disabled by configuration/],
      ['INSTALL spatial', /disabled by configuration/],
      ['LOAD httpfs', /disabled through configuration|disabled by configuration/],
      ["SELECT * FROM read_text('https://extensions.invalid/x.txt')", /disabled by configuration/],
      ['SET enable_external_access = true', /configuration has been locked/],
      ["SET temp_directory = '/tmp'", /disabled by configuration|locked/],
      ['DELETE FROM models', /read-only/i],
    ];
    for (const [sql, why] of cases) {
      const r = cli(['query', good, sql]);
      expect(r.code, sql).toBe(2);
      expect(oneLineError(r.stderr), sql).toBeUndefined();
      expect(r.stderr, sql).toMatch(why);
      expect(r.stdout + r.stderr).not.toContain(SECRET_MARK);
    }
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(work, 'other.duckdb'))).toBe(false);
  });

  it('a <db>.tmp symlink to another dir opens nothing there (DuckDB would allow its spill dir)', () => {
    const dir = fresh();
    cpSync(good, dir, { recursive: true });
    symlinkSync(work, join(dir, 'analysis.duckdb.tmp'));
    const r = cli(['query', dir, `SELECT * FROM read_text('${join(dir, 'analysis.duckdb.tmp', 'secret.txt')}')`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/disabled by configuration/);
    expect(r.stdout).not.toContain(SECRET_MARK);
  });
});

describe('damaged or hostile contents are one input error naming the dir (exit 2), never a crash or a hang', () => {
  const cases: [string, string[], RegExp][] = [
    ['non-JSON densities in meta', ["UPDATE meta SET value = '{not json' WHERE key = 'densities'"], /meta "densities" is not JSON/],
    ['densities not shares', ["UPDATE meta SET value = '[0.5, 7]' WHERE key = 'densities'"], /densities/],
    ['a missing table', ['DROP TABLE pairs'], /table "pairs" is missing/],
    ['a missing column', ['ALTER TABLE tensors DROP COLUMN rho'], /table "tensors" has no column "rho"/],
    ['a renamed table', ['ALTER TABLE layers RENAME TO layers_old'], /table "layers" is missing/],
    ['ρ = 1.7e308', ['UPDATE tensors SET rho = 1.7e308'], /column "rho" is 1\.7e\+308, beyond/],
    ['ρ = NaN', ["UPDATE models SET rho = 'NaN'::DOUBLE"], /column "rho" is NaN/],
    ['a share above 1', ['UPDATE layers SET droppable_share = 3'], /column "droppable_share" is 3, expected a share/],
    ['a negative count', ['UPDATE models SET numel = -4'], /column "numel" is -4/],
    [
      'text in a number column',
      ['ALTER TABLE models ALTER rho TYPE VARCHAR', "UPDATE models SET rho = 'lots'"],
      /column "rho" is "lots", expected a number/,
    ],
    ['a NULL model name', ['UPDATE models SET model = NULL'], /column "model" is NULL/],
    ['a shape that is not JSON', ["UPDATE tensors SET shape = '[1, 2'"], /holds a value darekit cannot read|shape/],
  ];
  for (const [what, sql, why] of cases) {
    it(what, async () => {
      const dir = await tamper(good, fresh(), sql);
      expectRefusedEverywhere(dir, why);
    });
  }

  it('non-JSON weights in the trials table (report reads it)', async () => {
    const dir = await tamper(good, fresh(), [
      'CREATE TABLE trials (trial INTEGER, density_scale DOUBLE, weights VARCHAR, densities VARCHAR, score DOUBLE, seconds DOUBLE, status VARCHAR, stderr_tail VARCHAR, best BOOLEAN)',
      "INSERT INTO trials VALUES (0, 1, '{oops', '{}', 0.5, 1, 'ok', '', true)",
    ]);
    const r = cli(['report', dir, '--out', `${dir}-rep`]);
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(r.stderr).toMatch(/table "trials" row 1: column "weights" is not a JSON object/);
  });

  it('stored predictions with an impossible tolerance (dash reads it)', async () => {
    const dir = fresh();
    cpSync(good, dir, { recursive: true });
    expect(cli(['predict', dir]).code).toBe(0);
    await tamper(dir, `${dir}-t`, ['UPDATE predictions SET tolerance = 1e308']);
    const r = cli(['dash', `${dir}-t`, '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/table "predictions" holds tolerance 1e\+308/);
  });

  it('a FIFO as analysis.duckdb or as its WAL: refused before opening (no hang)', () => {
    const fifoDb = fresh();
    cpSync(good, fifoDb, { recursive: true });
    unlinkSync(join(fifoDb, 'analysis.duckdb'));
    execFileSync('mkfifo', [join(fifoDb, 'analysis.duckdb')]);
    expectRefusedEverywhere(fifoDb, /analysis\.duckdb: the database is a FIFO/, { query: true });
    const fifoWal = fresh();
    cpSync(good, fifoWal, { recursive: true });
    execFileSync('mkfifo', [join(fifoWal, 'analysis.duckdb.wal')]);
    expectRefusedEverywhere(fifoWal, /analysis\.duckdb\.wal: its write-ahead log is a FIFO/, { query: true });
  });

  it('a truncated or garbage analysis.duckdb', () => {
    const truncated = fresh();
    cpSync(good, truncated, { recursive: true });
    truncateSync(join(truncated, 'analysis.duckdb'), 5000);
    expectRefusedEverywhere(truncated, /cannot open the DuckDB database|failed/, { query: true });
    const garbage = fresh();
    cpSync(good, garbage, { recursive: true });
    writeFileSync(join(garbage, 'analysis.duckdb'), Buffer.alloc(300_000, 0x5a));
    expectRefusedEverywhere(garbage, /cannot open the DuckDB database/, { query: true });
    const empty = fresh();
    cpSync(good, empty, { recursive: true });
    writeFileSync(join(empty, 'analysis.duckdb'), '');
    expectRefusedEverywhere(empty, /cannot open the DuckDB database|missing/, { query: true });
  });

  it('the genuine dir still reads everywhere (the checks refuse only damage)', () => {
    for (const args of [
      ['report', good, '--out', join(work, 'rep-good')],
      ['dash', good, '--json'],
      ['query', good, 'SELECT count(*) AS n FROM v_layer_risk'],
    ]) {
      const r = cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(allText(join(work, 'rep-good'))).toContain('report');
  });
});
