// The raw layer: DuckDB's native surface as the store uses it, one call per native function (named in comments).
import { realpathSync } from 'node:fs';
import { DuckDBConnection, DuckDBInstance, type DuckDBAppender, type DuckDBValue } from '@duckdb/node-api';

/** An open database: the instance and its one connection. */
export interface RawDb {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
}

/** How to open a database: read-only or not, and the only directories its SQL may read or write files in. */
export interface RawOpenOptions {
  readOnly: boolean;
  /** Directories COPY/read_parquet may use (e.g. the analysis dir being written); none by default. */
  allowedDirs: string[];
  /** Further settings applied at open (e.g. checkpoint thresholds), since SQL cannot change them afterwards. */
  settings?: Record<string, string>;
}

// Every database is opened locked down: a stranger's analysis.duckdb may hold views calling read_text() or
// needing an extension, and `darekit query` runs the user's SQL on it. No file or network access beyond the
// database itself, no extension autoload/autoinstall, no spill directory (DuckDB would otherwise allow
// `<db>.tmp/`, which a stranger can make a symlink to anywhere), and a locked configuration so SQL cannot undo
// any of it. Option order matters: temp_directory cannot be changed once external access is off.
const LOCKED = {
  temp_directory: '',
  autoload_known_extensions: 'false',
  autoinstall_known_extensions: 'false',
} as const;

function sqlList(dirs: string[]): string {
  return `[${dirs.map((d) => `'${d.replace(/'/g, "''")}'`).join(', ')}]`;
}

/** duckdb_open_ext + duckdb_connect: open (or create) a database file with external access off (see LOCKED). */
export async function rawOpen(path: string, opts: RawOpenOptions): Promise<RawDb> {
  const config: Record<string, string> = { ...LOCKED, ...opts.settings, ...(opts.readOnly ? { access_mode: 'READ_ONLY' } : {}) };
  // Without allowed dirs the lock goes into the open call itself; with them, allowed_directories must be set
  // before external access is switched off, so it happens in the first statement, before any other SQL.
  if (opts.allowedDirs.length === 0) Object.assign(config, { enable_external_access: 'false', lock_configuration: 'true' });
  const instance = await DuckDBInstance.create(path, config);
  try {
    const connection = await instance.connect();
    if (opts.allowedDirs.length > 0) {
      const dirs = opts.allowedDirs.map((d) => realpathSync(d).replace(/\/?$/, '/'));
      await connection.run(`SET allowed_directories = ${sqlList(dirs)}; SET enable_external_access = false; SET lock_configuration = true`);
    }
    return { instance, connection };
  } catch (err) {
    instance.closeSync();
    throw err;
  }
}

/** duckdb_disconnect + duckdb_close. */
export function rawClose(db: RawDb): void {
  db.connection.closeSync();
  db.instance.closeSync();
}

/** duckdb_query / duckdb_execute_prepared with bound values: run one or more statements, read every row of the last. */
export async function rawRun(db: RawDb, sql: string, params?: DuckDBValue[]) {
  return db.connection.runAndReadAll(sql, params);
}

/** duckdb_appender_create. */
export async function rawAppender(db: RawDb, table: string): Promise<DuckDBAppender> {
  return db.connection.createAppender(table);
}
