// What a newcomer sees in a terminal: aligned tables, a readable set verdict, each tune note once (naming who
// loses their skill), adaptive byte units, JSON errors with --json, one error prefix, and labels for tune --analysis.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayWidth } from '../../src/cli/text.js';
import { familyS } from '../helpers/shared.js';

const CLI = resolve(__dirname, '../../dist/cli/main.js');
const S = familyS();
const dir = mkdtempSync(join(tmpdir(), 'darekit-cli-output-'));
const analysis = join(dir, 'analysis');
let analyzeText = '';

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, DAREKIT_NO_PROGRESS: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

beforeAll(() => {
  const r = cli([
    'analyze',
    '--base',
    join(S, 'base'),
    ...['sft-up', 'sft-shift', 'cpt-code'].map((m) => join(S, m)),
    '--out',
    analysis,
    '--threads',
    '1',
  ]);
  expect(r.code, r.stderr).toBe(0);
  analyzeText = r.stdout;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The block of table lines that starts with the line beginning `head`. */
function tableAt(text: string, head: string): string[] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(head));
  const end = lines.findIndex((l, i) => i > at && l.trim() === '');
  return lines.slice(at, end === -1 ? undefined : end);
}

describe('analyze output', () => {
  it('prints aligned tables (no tabs): every column of the model and pair tables starts at the same display column', () => {
    expect(analyzeText).not.toContain('\t');
    // [heading the table starts with, indices of its right-aligned numeric columns]
    const tables: [string, number[]][] = [
      ['model ', [2, 3, 4, 5, 6]],
      ['pair ', [1, 2, 3]],
    ];
    for (const [head, numeric] of tables) {
      const table = tableAt(analyzeText, head);
      expect(table.length).toBeGreaterThan(2);
      // Cell ends by display column (cells are separated by two or more spaces; names hold no double space).
      const ends = (l: string) => [...l.matchAll(/\S+(?: \S+)*/g)].map((m) => displayWidth(l.slice(0, m.index! + m[0].length)));
      const starts = (l: string) => [...l.matchAll(/\S+(?: \S+)*/g)].map((m) => displayWidth(l.slice(0, m.index!)));
      const headEnds = ends(table[0]!);
      const headStarts = starts(table[0]!);
      for (const row of table.slice(1)) {
        expect(ends(row).length, row).toBe(headEnds.length);
        numeric.forEach((i) => expect(ends(row)[i], `${row}\n${table[0]}`).toBe(headEnds[i]));
        headStarts.forEach((s, i) => {
          if (!numeric.includes(i)) expect(starts(row)[i], `${row}\n${table[0]}`).toBe(s);
        });
      }
    }
  });

  it('shows the set verdict as a short line and its deciding reason wrapped (≤ 100 columns), the rest under --json', () => {
    const lines = analyzeText.split('\n');
    const at = lines.findIndex((l) => l.startsWith('set: '));
    const block = lines.slice(
      at,
      lines.findIndex((l, i) => i > at && l === ''),
    );
    expect(block.length).toBeGreaterThan(2);
    for (const l of block) expect(displayWidth(l), l).toBeLessThanOrEqual(100);
    expect(lines[at]).toMatch(/^set: (ready|caution|not-ready) \(method \w+\)$/);
    expect(analyzeText).toMatch(/\+ \d+ more reasons? \(all of them in full: --json/);
    const j = JSON.parse(cli(['predict', analysis, '--json']).stdout) as { set: { reasons: unknown[] } };
    expect(j.set.reasons.length).toBeGreaterThan(1);
  });

  it('with two missing model paths names both in one error', () => {
    const r = cli(['analyze', '--base', join(dir, 'no-base'), join(dir, 'no-ft'), join(S, 'sft-up'), '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(join(dir, 'no-base'));
    expect(r.stderr).toContain(join(dir, 'no-ft'));
  });
});

describe('v_layer_risk', () => {
  it('lists layers riskiest first across all models (ρ never increases down the rows), as the README says', () => {
    const r = cli(['query', analysis, 'SELECT model, layer, rho FROM v_layer_risk', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: { model: string; rho: number }[] }).rows;
    expect(new Set(rows.map((x) => x.model)).size).toBe(3);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.rho).toBeLessThanOrEqual(rows[i - 1]!.rho);
    // the models interleave (sorting by model first never puts a model after one that sorts later)
    expect(rows.some((x, i) => i > 0 && x.model < rows[i - 1]!.model)).toBe(true);
  });
});

describe('errors', () => {
  it.each([
    ['a darekit input error', ['query', join(dir, 'nowhere'), 'SELECT 1', '--json'], 'input'],
    ["commander's missing option", ['analyze', join(S, 'sft-up'), '--json'], 'usage'],
    ["commander's unknown option", ['query', analysis, 'SELECT 1', '--frobnicate', '--json'], 'usage'],
  ])('%s: one "darekit: " line on stderr, {"error":{kind,message}} on stdout with --json, exit 2', (_what, args, kind) => {
    const r = cli(args);
    expect(r.code).toBe(2);
    const err = r.stderr.trim().split('\n');
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^darekit: \S/);
    expect(err[0]).not.toMatch(/^darekit: error:/);
    const j = JSON.parse(r.stdout) as { error: { kind: string; message: string } };
    expect(j).toEqual({ error: { kind, message: err[0]!.slice('darekit: '.length) } });
  });

  it('without --json stdout stays empty; the same prefix for commander and darekit', () => {
    const a = cli(['frobnicate']);
    const b = cli(['query', join(dir, 'nowhere'), 'SELECT 1']);
    for (const r of [a, b]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^darekit: /);
    }
  });
});

describe('tune output', () => {
  it('--analysis takes the labels query and dash show; each note is printed once and the losing fine-tunes are named', () => {
    const r = cli(['tune', '--analysis', analysis, 'sft-up', 'sft-shift', '--out', join(dir, 'merged')]);
    expect(r.code, r.stderr).toBe(0);
    const notes = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('  - '))
      .map((l) => l.slice(4, 40));
    expect(notes.length).toBeGreaterThan(0);
    for (const n of notes) expect(r.stderr).not.toContain(n);
    // The pair's own predictions: the set reasons that name a fine-tune first are the ones losing their skill.
    const j = JSON.parse(cli(['tune', '--analysis', analysis, 'sft-up', 'sft-shift', '--out', join(dir, 'merged2'), '--json']).stdout) as {
      set: { verdict: string; reasons: string[] };
    };
    const losing = ['sft-up', 'sft-shift'].filter((m) =>
      j.set.reasons.some((x) => x.startsWith(`${m} keeps `) || x.startsWith(`${m} is predicted to lose`)),
    );
    if (losing.length > 0) expect(r.stdout).toContain(`predicted to lose their skill in this merge: ${losing.join(', ')}`);
    else expect(r.stdout).not.toContain('predicted to lose');
    expect(j.set.verdict).toBe('not-ready'); // family S's two specialists: the measured merges lose both skills
    expect(losing).toEqual(['sft-up', 'sft-shift']);
  }, 120_000);

  it('an unknown label is refused naming the labels the analysis has', () => {
    const r = cli(['tune', '--analysis', analysis, 'sft-nope', '--out', join(dir, 'merged3')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sft-nope: not in the analysis .*sft-up = /);
  });
});

describe('merge summary', () => {
  it('prints sizes in adaptive binary units (KiB/MiB for a small model, never "0.00 GB")', () => {
    const r = cli(['merge', join(dir, 'merged', 'recipe.yml'), '--out', join(dir, 'remerged')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/read \d+(\.\d+)? (KiB|MiB), wrote \d+(\.\d+)? (KiB|MiB)/);
    expect(r.stdout).not.toMatch(/GB/);
    // the models as an aligned table, per-layer densities with their filters
    const table = tableAt(r.stdout, '  model ').slice(0, 3);
    expect(table[1]).toMatch(/sft-(up|shift) +weight=1; density/);
    expect(r.stdout).toMatch(/density: "layers\.0\." → [\d.]+, "layers\.1\." → /);
    const col = [
      displayWidth(table[0]!.slice(0, table[0]!.indexOf('parameters'))),
      ...table.slice(1).map((l) => displayWidth(l.slice(0, l.indexOf('weight=')))),
    ];
    expect(new Set(col).size).toBe(1);
  });
});
