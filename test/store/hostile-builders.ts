// Builds hostile and damaged analysis dirs with the project's own DuckDB (the same @duckdb/node-api darekit uses,
// opened here with its defaults, as a stranger would), from a genuine analysis dir.
import { DuckDBInstance } from '@duckdb/node-api';
import { cpSync } from 'node:fs';
import { join } from 'node:path';

/** Copy the analysis dir `from` to `to` and run `sql` on the copy's analysis.duckdb (DuckDB defaults: full access). */
export async function tamper(from: string, to: string, sql: string[]): Promise<string> {
  cpSync(from, to, { recursive: true });
  const inst = await DuckDBInstance.create(join(to, 'analysis.duckdb'));
  const c = await inst.connect();
  try {
    for (const s of sql) await c.run(s);
  } finally {
    c.closeSync();
    inst.closeSync();
  }
  return to;
}

/** SQL that replaces table `models` with a view whose model names are the contents of `file` (read at query time). */
export function leakingModelsView(file: string): string[] {
  return [
    'ALTER TABLE models RENAME TO models_real',
    'CREATE MACRO src() AS TABLE SELECT * FROM models_real',
    'CREATE VIEW models AS SELECT * FROM src()',
    // Re-pointed after the view exists, so the view's binding happens only when darekit queries it.
    `CREATE OR REPLACE MACRO src() AS TABLE SELECT m.* REPLACE ((SELECT content FROM read_text('${file}')) AS model) FROM models_real m`,
  ];
}

/** SQL that makes table `meta` resolve through a macro needing the (uninstalled) spatial extension at query time. */
export function extensionNeedingView(): string[] {
  return [
    'ALTER TABLE meta RENAME TO meta_real',
    'CREATE MACRO msrc() AS TABLE SELECT * FROM meta_real',
    'CREATE VIEW meta AS SELECT * FROM msrc()',
    // binding this needs httpfs: DuckDB's defaults would try to download it from extensions.duckdb.org
    "CREATE OR REPLACE MACRO msrc() AS TABLE SELECT key, value FROM meta_real UNION ALL SELECT 'x', content FROM read_text('https://extensions.invalid/x.txt')",
  ];
}
