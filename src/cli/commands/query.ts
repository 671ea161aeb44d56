import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inputError, usageError } from '../../errors.js';
import { ANALYSIS_DB } from '../../store/analysis-store.js';
import { query, withDb, type CellValue, type QueryResult } from '../../store/db.js';
import { safeName } from '../../text/safe-text.js';
import type { CommandOutput } from '../command.js';

const FORMATS = ['table', 'csv', 'json'] as const;
type Format = (typeof FORMATS)[number];

export function configure(cmd: Command): void {
  cmd
    .argument('<dir>', 'an analysis dir written by `darekit analyze`')
    .argument('<sql>', 'one SQL query (tables: models, tensors, layers, pairs, histograms, meta; views v_*)')
    .option('--format <format>', 'table | csv | json', 'table')
    .option('--json', 'print the rows as one JSON object');
}

/** Run one read-only query on DIR/analysis.duckdb. */
export async function run(args: string[], opts: Record<string, unknown>): Promise<CommandOutput> {
  const [dir, sql] = args as [string, string];
  const format = String(opts.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) throw usageError(`--format must be one of ${FORMATS.join(', ')}, got "${format}"`);
  const file = join(dir, ANALYSIS_DB);
  if (!existsSync(file)) throw inputError(`${dir}: no ${ANALYSIS_DB} here; run \`darekit analyze --base B FT… --out ${dir}\` first`);
  const result = await withDb(
    file,
    async (db) => {
      try {
        return await query(db, sql);
      } catch (err) {
        throw inputError(`query failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, err);
      }
    },
    { readOnly: true },
  );
  const json = { columns: result.columns, rows: result.rows };
  const text = format === 'json' ? JSON.stringify(json, null, 2) : format === 'csv' ? toCsv(result) : toTable(result);
  return { json, text };
}

function csvCell(v: CellValue): string {
  if (v === null) return '';
  const s = safeName(String(v)); // one line per row: a newline in a cell is shown as \u000a
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header row; numbers at full precision. */
export function toCsv(r: QueryResult): string {
  return [r.columns.map(csvCell).join(','), ...r.rows.map((row) => r.columns.map((c) => csvCell(row[c] ?? null)).join(','))].join('\n');
}

function tableCell(v: CellValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v)) return Number(v.toPrecision(6)).toString();
  return safeName(String(v));
}

/** An aligned text table (numbers right-aligned, 6 significant digits). */
export function toTable(r: QueryResult): string {
  const cells = r.rows.map((row) => r.columns.map((c) => tableCell(row[c] ?? null)));
  const head = r.columns.map(safeName);
  const widths = head.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const numeric = r.columns.map((c) => r.rows.length > 0 && r.rows.every((row) => typeof row[c] === 'number' || row[c] === null));
  const fmt = (vals: string[]): string =>
    vals
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const lines = [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(fmt)];
  lines.push(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`);
  return lines.join('\n');
}
