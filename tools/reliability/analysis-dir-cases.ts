// Fuzz cases for analysis dirs (what report, dash, predict and query open): a genuine small analysis dir with
// its database changed the way a stranger or a damaged disk could change it: tables dropped, renamed or
// replaced by views, columns dropped or retyped, meta and trials values mangled, numbers out of range, the
// file truncated or overwritten. The oracle: every command ends in exit 0, or exit 2 with one clean line.
import type { Rng } from './rng.js';

/** One case: SQL to run on a copy's analysis.duckdb (with DuckDB's defaults), or a byte-level change, and the command. */
export interface AnalysisDirCase {
  kind: string;
  sql: string[];
  /** Byte-level damage of analysis.duckdb: truncate to a share of its size, overwrite bytes, or append bytes. */
  bytes?:
    | { op: 'truncate'; share: number }
    | { op: 'overwrite'; at: number; data: number[] }
    | { op: 'append'; data: number[] }
    | { op: 'wal'; data: number[] };
  /** The darekit command (the dir is appended after the command name). */
  command: 'report' | 'predict' | 'dash' | 'query';
}

const TABLES = ['models', 'tensors', 'layers', 'pairs', 'histograms', 'meta'] as const;
const NUMERIC: Record<string, string[]> = {
  models: ['rho', 'numel', 'tensors', 'mean_abs_delta', 'droppable_share', 'lora_rank', 'sum_sq_delta'],
  tensors: ['rho', 'layer', 'numel', 'q99_abs', 'frac_le_0005', 'sum_sq_base', 'excess_kurtosis'],
  layers: ['rho', 'layer', 'tensors', 'droppable_share', 'max_abs_delta'],
  pairs: ['cosine', 'sign_conflict', 'numel', 'dot', 'weighted_conflict'],
  histograms: ['bin', 'lo', 'hi', 'count', 'energy'],
};
const TEXT: Record<string, string[]> = {
  models: ['model', 'path'],
  tensors: ['model', 'tensor', 'shape', 'module', 'dtype'],
  pairs: ['a', 'b', 'scope'],
  histograms: ['model', 'scope'],
  meta: ['key', 'value'],
};
const NUMBERS = [
  '1.7e308',
  '-1.7e308',
  "'NaN'::DOUBLE",
  "'Infinity'::DOUBLE",
  "'-Infinity'::DOUBLE",
  '-1',
  '0',
  '1e-320',
  '2',
  '-0.0',
  '9007199254740993',
  '3.5',
  'NULL',
];
const STRINGS = [
  "''",
  "'{not json'",
  "'[1, 2'",
  "'[0.5, 7]'",
  "'[]'",
  "'null'",
  "'\u001b[2J\u202e<img src=x onerror=alert(1)>'",
  "repeat('x', 100000)",
  '\'["a"]\'',
  "'[1e400]'",
  'NULL',
  "'model'",
];
const META_VALUES = [
  "'{oops'",
  "'[0.1, 0.5]'",
  "'[2]'",
  "'[-0.5]'",
  '\'"text"\'',
  "'[' || repeat('0.5,', 1000) || '0.5]'",
  'NULL',
  "'[NaN]'",
];
const COMMANDS = ['report', 'predict', 'dash', 'query'] as const;

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Generate one analysis-dir case. */
export function generateAnalysisDirCase(rng: Rng): AnalysisDirCase {
  const command = rng.pick(COMMANDS);
  const table = rng.pick(TABLES);
  const roll = rng.int(12);
  const sqlCase = (kind: string, sql: string[]): AnalysisDirCase => ({ kind, sql, command });
  switch (roll) {
    case 0:
      return sqlCase('none', []);
    case 1:
      return sqlCase('drop-table', [`DROP TABLE ${table}`]);
    case 2:
      return sqlCase('rename-table', [`ALTER TABLE ${table} RENAME TO ${table}_${rng.int(99)}`]);
    case 3:
      return sqlCase('table-as-view', [
        `ALTER TABLE ${table} RENAME TO ${table}_real`,
        `CREATE VIEW ${table} AS SELECT * FROM ${table}_real${rng.chance(0.5) ? ' LIMIT 1' : ''}`,
      ]);
    case 4: {
      const cols = [...(NUMERIC[table] ?? []), ...(TEXT[table] ?? [])];
      return sqlCase('drop-column', [`ALTER TABLE ${table} DROP COLUMN ${ident(rng.pick(cols))}`]);
    }
    case 5: {
      const t = rng.pick(['models', 'tensors', 'layers', 'pairs', 'histograms'] as const);
      const col = rng.pick(NUMERIC[t]!);
      const where = rng.chance(0.5) ? '' : ` WHERE rowid = (SELECT min(rowid) FROM ${t})`;
      return sqlCase(`number:${col}`, [`UPDATE ${t} SET ${ident(col)} = ${rng.pick(NUMBERS)}${where}`]);
    }
    case 6: {
      const t = rng.pick(Object.keys(TEXT));
      const col = rng.pick(TEXT[t]!);
      return sqlCase(`text:${col}`, [`UPDATE ${t} SET ${ident(col)} = ${rng.pick(STRINGS)}`]);
    }
    case 7:
      return sqlCase('meta-densities', [`UPDATE meta SET value = ${rng.pick(META_VALUES)} WHERE key = 'densities'`]);
    case 8: {
      const t = rng.pick(['models', 'tensors', 'layers'] as const);
      const col = rng.pick(NUMERIC[t]!);
      return sqlCase(`retype:${col}`, [
        `ALTER TABLE ${t} ALTER ${ident(col)} TYPE VARCHAR`,
        `UPDATE ${t} SET ${ident(col)} = ${rng.pick(STRINGS)}`,
      ]);
    }
    case 9:
      return sqlCase('trials', [
        'CREATE OR REPLACE TABLE trials (trial INTEGER, density_scale DOUBLE, weights VARCHAR, densities VARCHAR, score DOUBLE, seconds DOUBLE, status VARCHAR, stderr_tail VARCHAR, best BOOLEAN)',
        `INSERT INTO trials VALUES (${rng.pick(['0', '-3', 'NULL'])}, ${rng.pick(NUMBERS)}, ${rng.pick(STRINGS)}, ${rng.pick(["'{}'", '\'{"a": 1}\'', ...STRINGS])}, ${rng.pick(NUMBERS)}, 1, ${rng.pick(["'ok'", "'bogus'", 'NULL'])}, '', true)`,
      ]);
    case 10:
      return sqlCase('predictions', [
        `CREATE OR REPLACE TABLE predictions (model VARCHAR, tolerance DOUBLE, kappa DOUBLE)`,
        `INSERT INTO predictions VALUES ('x', ${rng.pick(NUMBERS)}, ${rng.pick(NUMBERS)})`,
      ]);
    default: {
      const op = rng.pick(['truncate', 'overwrite', 'append', 'wal'] as const);
      const data = Array.from(rng.bytes(rng.range(1, 64)));
      const bytes =
        op === 'truncate' ? { op, share: rng.int(1000) / 1000 } : op === 'overwrite' ? { op, at: rng.u32(), data } : { op, data };
      return { kind: `bytes:${op}`, sql: [], bytes, command };
    }
  }
}
