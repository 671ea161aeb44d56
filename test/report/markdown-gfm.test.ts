// Every Markdown file darekit writes must render as intended on GitHub: each table parsed by a real GFM parser
// (marked), with every row holding exactly the header's number of cells, and no table-looking line left unparsed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Lexer, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { sampleReportData } from './sample-data.js';

const CLI = resolve(__dirname, '../../dist/cli/main.js');

/** Cells of one table line as GFM splits them: on every `|` not escaped by a backslash, outer pipes trimmed. */
function gfmCellCount(line: string): number {
  const body = line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return body.split(/(?<!\\)\|/).length;
}

function tablesOf(tokens: Token[]): Tokens.Table[] {
  return tokens.flatMap((t) => {
    const inner = 'tokens' in t && Array.isArray(t.tokens) ? tablesOf(t.tokens) : [];
    return t.type === 'table' ? [t as Tokens.Table, ...inner] : inner;
  });
}

/** Problems with the Markdown tables of one file; [] when every table is well-formed. */
function tableProblems(name: string, md: string): string[] {
  const problems: string[] = [];
  const tables = tablesOf(new Lexer({ gfm: true }).lex(md));
  const inTables = new Set<string>();
  for (const t of tables) {
    const lines = t.raw.trimEnd().split('\n');
    lines.forEach((l) => inTables.add(l));
    lines.forEach((l, i) => {
      if (i === 1) return; // the delimiter row: the parser matched it against the header, or this is no table
      const n = gfmCellCount(l);
      if (n !== t.header.length) problems.push(`${name}: a row has ${n} cells, the header ${t.header.length}: ${l.slice(0, 120)}`);
    });
  }
  // A line that looks like a table row but did not parse as part of one (e.g. header and delimiter disagree).
  let inFence = false;
  for (const l of md.split('\n')) {
    if (l.startsWith('```')) inFence = !inFence;
    if (!inFence && l.startsWith('|') && !inTables.has(l))
      problems.push(`${name}: a table line outside any parsed table: ${l.slice(0, 120)}`);
  }
  if (tables.length === 0) problems.push(`${name}: no table parsed at all`);
  return problems;
}

describe('Markdown that darekit writes is valid GFM', () => {
  it('the checker itself flags a header with an unescaped | and a row with too many cells', () => {
    const broken = '| a | mean |Δ| |\n| --- | --- | --- |\n| x | 1 | 2 |\n\n| a | b |\n| --- | --- |\n| 1 | 2 | 3 |\n';
    const problems = tableProblems('broken.md', broken);
    expect(problems.some((p) => p.includes('outside any parsed table'))).toBe(true);
    expect(problems.some((p) => p.includes('3 cells, the header 2'))).toBe(true);
  });

  it('report.md of a hand-made dataset with | in names, reasons and stderr tails', () => {
    const data = sampleReportData();
    data.models[0]!.reasons.push('a | pipe in a reason');
    data.trials[1]!.stderrTail = 'x | y || z';
    expect(tableProblems('report.md', renderMarkdown(data))).toEqual([]);
  });

  it('report.md and the merged model card (README.md) of the demo on family S', () => {
    const dir = mkdtempSync(join(tmpdir(), 'darekit-gfm-'));
    try {
      const r = spawnSync(process.execPath, [CLI, 'demo', '--out', join(dir, 'demo'), '--json'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as { report: string[]; tune: { outDir: string } };
      const files = [...j.report.filter((f) => f.endsWith('.md')), join(j.tune.outDir, 'README.md')];
      expect(files).toHaveLength(2);
      for (const f of files) {
        const md = readFileSync(f, 'utf8');
        const problems = tableProblems(f, md);
        // The model card has no table today; the report has several. Either way no broken table line.
        expect(problems.filter((p) => !p.endsWith('no table parsed at all'))).toEqual([]);
      }
      expect(tableProblems('report.md', readFileSync(files[0]!, 'utf8'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
