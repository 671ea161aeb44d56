#!/usr/bin/env node
// Fuzz helper: `node build/tools/reliability/apply-sql.js DB '["SQL", …]'` runs the statements on DB with DuckDB's
// default settings (as a stranger preparing a hostile analysis dir would); exit 3 when DuckDB refuses one.
import { DuckDBInstance } from '@duckdb/node-api';

const [db, json] = process.argv.slice(2) as [string, string];
const instance = await DuckDBInstance.create(db);
const connection = await instance.connect();
try {
  for (const sql of JSON.parse(json) as string[]) await connection.run(sql);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 3;
} finally {
  connection.closeSync();
  instance.closeSync();
}
