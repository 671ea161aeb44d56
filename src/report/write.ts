import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { safeJson } from '../text/safe-text.js';
import { runtimeError } from '../errors.js';
import type { ReportData } from './data.js';
import { renderHtml } from './html.js';
import { reportJson } from './json.js';
import { loadReportData } from './load.js';
import { renderMarkdown } from './markdown.js';

/** Options of writeReport. */
export interface WriteReportOptions {
  /** Where to write the three files (default: the analysis dir). */
  outDir?: string;
  /** Share of gain kept for the predictions shown (default 0.95). */
  tolerance?: number;
}

/** Write report.md, report.html and report.json for an analysis dir; returns the data and the file paths. */
export async function writeReport(dir: string, opts: WriteReportOptions = {}): Promise<{ data: ReportData; files: string[] }> {
  const data = await loadReportData(dir, { tolerance: opts.tolerance });
  const out = resolve(opts.outDir ?? dir);
  const outputs: [string, string][] = [
    ['report.md', renderMarkdown(data)],
    ['report.html', renderHtml(data)],
    ['report.json', safeJson(JSON.stringify(reportJson(data), null, 2)) + '\n'],
  ];
  try {
    mkdirSync(out, { recursive: true });
    // Each file appears whole or not at all: write a temp sibling, then rename.
    for (const [name, text] of outputs) {
      const tmp = join(out, `.${name}.${process.pid}.tmp`);
      writeFileSync(tmp, text);
      renameSync(tmp, join(out, name));
    }
  } catch (err) {
    throw runtimeError(`${out}: cannot write the report (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  return { data, files: outputs.map(([name]) => join(out, name)) };
}
