// The raw layer: DuckDB's native surface as the store uses it, one call per native function (named in comments).
import { DuckDBConnection, DuckDBInstance, type DuckDBAppender, type DuckDBValue } from '@duckdb/node-api';

/** An open database: the instance and its one connection. */
export interface RawDb {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
}

/** duckdb_open_ext + duckdb_connect: open (or create) a database file; read-only opens use access_mode=READ_ONLY. */
export async function rawOpen(path: string, readOnly: boolean): Promise<RawDb> {
  const instance = await DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : {});
  try {
    return { instance, connection: await instance.connect() };
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
