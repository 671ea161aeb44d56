// Writes an AnalysisResult as Arrow IPC, a DuckDB database with views, and Parquet; reads it back.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisResult } from '../schema/analysis.js';
import { inputError } from '../errors.js';
import {
  HISTOGRAM_COLUMNS,
  LAYER_COLUMNS,
  META_COLUMNS,
  MODEL_COLUMNS,
  TENSOR_COLUMNS,
  analysisTables,
  fromRows,
  pairColumns,
} from './analysis-tables.js';
import { arrowIPCOf } from './arrow-columns.js';
import { cellProblem } from './analysis-check.js';
import type { FieldColumn } from './analysis-tables.js';
import { query, withDb, type CellValue, type Db } from './db.js';
import { ident, parquetCopySql, writeColumnTable, writeTable } from './table.js';
import { DAREKIT_VERSION } from '../version.js';

type AnalysisTables = ReturnType<typeof analysisTables>;

/** File name of the database inside an analysis dir. */
export const ANALYSIS_DB = 'analysis.duckdb';

/** Handy views over the tables (documented in the README). */
export const ANALYSIS_VIEWS: Record<string, string> = {
  // layers riskiest first (largest relative delta energy across all models), with the first-order DARE output-error estimate √(p/(1−p)·ρ)
  v_layer_risk: `SELECT model, layer, tensors, rho, droppable_share, q99_abs, frac_le_0005,
      sqrt(rho) AS dare_err_p50, sqrt(9 * rho) AS dare_err_p90
    FROM layers ORDER BY rho DESC NULLS LAST, model, layer NULLS LAST`,
  // tensors by their share of the model's ΣΔ²
  v_top_tensors: `SELECT t.model, t.tensor, t.layer, t.module, t.numel, t.rho, t.delta_l2,
      t.sum_sq_delta / nullif(m.sum_sq_delta, 0) AS energy_share, t.droppable_share, t.q99_abs
    FROM tensors t JOIN models m USING (model) ORDER BY t.model, energy_share DESC`,
  // model-level pairwise interference
  v_pair_summary: `SELECT * FROM pairs WHERE scope = 'model' ORDER BY a, b`,
  // per-module-kind rollup (sums, so ratios are exact rollups)
  v_module_rollup: `SELECT model, module, count(*) AS tensors, sum(numel) AS numel,
      sum(sum_sq_delta) / nullif(sum(sum_sq_base), 0) AS rho, sum(sum_abs_delta) / nullif(sum(numel - non_finite), 0) AS mean_abs_delta
    FROM tensors GROUP BY model, module ORDER BY model, rho DESC`,
};

async function createViews(db: Db): Promise<void> {
  for (const [name, sql] of Object.entries(ANALYSIS_VIEWS)) await query(db, `CREATE OR REPLACE VIEW ${name} AS ${sql}`);
}

// One transaction whose commit checkpoints straight into the file: with the thresholds at 0 DuckDB skips the WAL,
// so the tables are written once, compressed, and the file is complete when COMMIT returns.
// (Set when the database is opened: its configuration is locked from then on.)
const COMMIT_CHECKPOINTS = { checkpoint_threshold: '0b', auto_checkpoint_skip_wal_threshold: '0' };

// Runs `work` while `pending` settles (on DuckDB's threads), then waits for it; the first error wins.
async function alongside<T>(pending: Promise<T>, work: () => void): Promise<T> {
  try {
    work();
  } catch (err) {
    await pending.catch(() => undefined);
    throw err;
  }
  return pending;
}

async function writeFiles(db: Db, tables: AnalysisTables, result: AnalysisResult, dir: string, version: string): Promise<void> {
  await query(db, 'BEGIN TRANSACTION');
  for (const t of tables) await writeColumnTable(db, t.name, t.table);
  await writeTable(
    db,
    'meta',
    [
      { key: 'base', value: result.base },
      { key: 'densities', value: JSON.stringify(result.densities) },
      { key: 'darekit_version', value: version },
    ],
    META_COLUMNS,
  );
  await createViews(db);
  // Parquet exports and the commit run as one native call, so the Arrow files are built here meanwhile.
  const exportAndCommit = query(db, [...tables.map((t) => parquetCopySql(t.name, join(dir, `${t.name}.parquet`))), 'COMMIT'].join(';\n'));
  await alongside(exportAndCommit, () => {
    for (const t of tables) writeFileSync(join(dir, `${t.name}.arrow`), arrowIPCOf(t.table));
  });
}

/** Write <table>.arrow, analysis.duckdb (tables + meta + views) and <table>.parquet into dir (which must exist). */
export async function writeAnalysisFiles(result: AnalysisResult, dir: string, version = DAREKIT_VERSION): Promise<void> {
  const tables = analysisTables(result);
  await withDb(join(dir, ANALYSIS_DB), (db) => writeFiles(db, tables, result, dir, version), {
    allowedDirs: [dir],
    settings: COMMIT_CHECKPOINTS,
  });
}

/** Which histogram rows to load: all scopes, only the per-model rollups, or none (the largest table by far). */
export type HistogramScope = 'all' | 'model' | 'none';

const HISTOGRAM_WHERE: Record<HistogramScope, string | null> = {
  all: '',
  model: " WHERE scope = 'model'",
  none: null,
};

// Columns that may hold NULL (outside the numbered blocks, model-scope rows, full fine-tunes).
const NULLABLE: Record<string, Set<string>> = {
  models: new Set(['lora_rank']),
  tensors: new Set(['layer']),
  layers: new Set(['layer']),
  pairs: new Set(['layer', 'tensor']),
  histograms: new Set(['layer', 'tensor']),
};

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** One analysis dir's database, read through checks that turn anything darekit cannot have written into input errors. */
class CheckedReader {
  private kinds = new Map<string, string>();
  private columns = new Map<string, Set<string>>();
  constructor(
    private readonly db: Db,
    private readonly dir: string,
  ) {}

  private fail(what: string): never {
    throw inputError(`${this.dir}: ${what}; not an analysis dir darekit wrote (or it was changed or damaged): rerun \`darekit analyze\``);
  }

  async catalog(): Promise<void> {
    const rows = await this.ask(
      "SELECT table_name AS t, table_type AS k FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database()",
      'listing its tables',
    );
    for (const r of rows) this.kinds.set(String(r.t), String(r.k));
    const cols = await this.ask(
      "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'main' AND table_catalog = current_database()",
      'listing its columns',
    );
    for (const r of cols) {
      const set = this.columns.get(String(r.t)) ?? new Set<string>();
      set.add(String(r.c));
      this.columns.set(String(r.t), set);
    }
  }

  async ask(sql: string, what: string): Promise<Record<string, CellValue>[]> {
    try {
      return (await query(this.db, sql)).rows;
    } catch (err) {
      return this.fail(`${what} failed (${firstLine(err)})`);
    }
  }

  /** Whether table `name` exists (as a table darekit writes, never a view or a macro in its place). */
  has(name: string): boolean {
    const kind = this.kinds.get(name);
    if (kind !== undefined && kind !== 'BASE TABLE') this.fail(`"${name}" is a ${kind.toLowerCase()}, not a table`);
    return kind !== undefined;
  }

  /** Every row of `table`, its columns checked against the column list (presence, type and range). */
  async table<T>(table: string, columns: FieldColumn<T>[], where = ''): Promise<T[]> {
    if (!this.has(table)) this.fail(`table "${table}" is missing`);
    const present = this.columns.get(table) ?? new Set<string>();
    for (const c of columns) if (!present.has(c.name)) this.fail(`table "${table}" has no column "${c.name}"`);
    const rows = await this.ask(
      `SELECT ${columns.map((c) => ident(c.name)).join(', ')} FROM ${ident(table)}${where}`,
      `reading table "${table}"`,
    );
    const nullable = NULLABLE[table] ?? new Set<string>();
    rows.forEach((row, i) => {
      for (const c of columns) {
        const problem = cellProblem(c as FieldColumn<unknown>, row[c.name] ?? null, nullable.has(c.name));
        if (problem !== undefined) this.fail(`table "${table}" row ${i + 1} column "${c.name}" ${problem}`);
      }
    });
    try {
      return fromRows(rows, columns);
    } catch (err) {
      return this.fail(`table "${table}" holds a value darekit cannot read (${firstLine(err)})`);
    }
  }

  /** The meta table as a map, with `densities` checked to be a JSON array of shares. */
  async meta(): Promise<{ base: string; densities: number[] }> {
    const rows = await this.table<{ key: string; value: string }>(
      'meta',
      META_COLUMNS.map((c) => ({
        ...c,
        get: () => null,
        put: (o, v) => {
          o[c.name] = v;
        },
      })),
    );
    const meta = new Map(rows.map((r) => [String(r.key), r.value === null ? null : String(r.value)]));
    let densities: unknown;
    try {
      densities = JSON.parse(meta.get('densities') ?? '[]');
    } catch {
      this.fail(`meta "densities" is not JSON (${JSON.stringify((meta.get('densities') ?? '').slice(0, 40))})`);
    }
    if (!Array.isArray(densities) || densities.length > 64 || !densities.every((d) => typeof d === 'number' && d > 0 && d <= 1)) {
      this.fail('meta "densities" is not a JSON array of at most 64 densities in (0, 1]');
    }
    return { base: meta.get('base') ?? '', densities };
  }
}

/** Load an analysis dir's results back from its analysis.duckdb (what report, dash, predict and tune read). */
export async function readAnalysis(dir: string, opts: { histograms?: HistogramScope } = {}): Promise<AnalysisResult> {
  const file = join(dir, ANALYSIS_DB);
  if (!existsSync(file)) throw inputError(`${dir}: no ${ANALYSIS_DB} here; run \`darekit analyze --base B FT… --out ${dir}\` first`);
  return withDb(
    file,
    async (db) => {
      const r = new CheckedReader(db, dir);
      await r.catalog();
      const { base, densities } = await r.meta();
      const histogramWhere = HISTOGRAM_WHERE[opts.histograms ?? 'all'];
      return {
        base,
        models: await r.table('models', MODEL_COLUMNS),
        tensors: await r.table('tensors', TENSOR_COLUMNS),
        layers: await r.table('layers', LAYER_COLUMNS),
        pairs: (await r.table('pairs', pairColumns(densities))).map((p) => ({ ...p, overlapExpected: p.overlapExpected ?? [] })),
        histograms: histogramWhere === null ? [] : await r.table('histograms', HISTOGRAM_COLUMNS, histogramWhere),
        densities,
      };
    },
    { readOnly: true },
  );
}
