import { afterEach, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cleanup } from 'ink-testing-library';
import { Dashboard, HELP_LINE } from '../../src/dash/components/App.js';
import { computeLayout } from '../../src/dash/layout.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { syntheticDashboard } from '../../src/dash/synthetic.js';
import { runLineCount } from '../../src/dash/components/Panels.js';
import { dashRecipe } from '../../src/dash/recipe.js';
import type { DashboardData } from '../../src/dash/model.js';
import { KEYS, layerRowLines, mount, rowLabel } from './harness.js';

const SMALL = { columns: 80, rows: 24 };
const WIDE = { columns: 140, rows: 30 };
const temps: string[] = [];
afterEach(() => {
  cleanup();
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Table rows the layout gives `data` at `size` (2 pairs per model; the run line may take a second line). */
function tableRowsFor(data: DashboardData, size: { columns: number; rows: number }): number {
  return computeLayout(size, 2, runLineCount(data.recipe, false, size.columns) - 1).tableRows;
}

function expectFits(frame: string, size: { columns: number; rows: number }): void {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(size.rows);
  for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(size.columns);
}

describe('dashboard on a synthetic 80-layer set', () => {
  const data = syntheticDashboard(80);

  test('header shows every fine-tune with its kind and verdict badge, the help line shows the keys, and the frame fits 80×24', async () => {
    const d = mount(<Dashboard data={data} size={SMALL} />);
    const f = await d.until((x) => x.includes('sft-a'), 'first frame');
    const tabs = f.split('\n')[1]!;
    expect(tabs).toContain('sft-a SFT READY');
    expect(tabs).toContain('sft-hot SFT CAUTION');
    expect(tabs).toContain('cpt CPT NOT-READY');
    expect(f).toContain('set CAUTION');
    expect(f).toContain(HELP_LINE);
    expect(f).toContain('recipe ties: sft-a w1 d0.50, sft-hot w1 d0.50, cpt w1 d0.90');
    expect(f).toContain('ρ by depth L0 ');
    expectFits(f, SMALL);
  });

  test('↓ moves the selection and scrolls the window; ↑ moves it back', async () => {
    const d = mount(<Dashboard data={data} size={SMALL} />);
    await d.until((f) => f.includes('layer 1/81'));
    await d.press(KEYS.down);
    await d.until((f) => f.includes('layer 2/81'), 'selection on row 2');
    const visible = tableRowsFor(data, SMALL);
    await d.press(...Array(visible + 2).fill(KEYS.down));
    const f = await d.until((x) => x.includes(`layer ${visible + 4}/81`), 'selection below the first window');
    const labels = layerRowLines(f).map(rowLabel);
    expect(labels).not.toContain('L0');
    expect(labels[labels.length - 1]).toBe(`L${visible + 3}`);
    await d.press(KEYS.up);
    await d.until((x) => x.includes(`layer ${visible + 3}/81`), 'selection moved up');
  });

  test('s cycles the sort column and changes the order: ρ sorts the largest-ρ layer first', async () => {
    const d = mount(<Dashboard data={data} size={SMALL} />);
    const before = layerRowLines(await d.until((f) => f.includes('sort depth'))).map(rowLabel);
    expect(before.slice(0, 3)).toEqual(['L0', 'L1', 'L2']);
    await d.press('s');
    const after = layerRowLines(await d.until((f) => f.includes('sort ρ ↓'), 'sort by ρ')).map(rowLabel);
    // independent reference: the layers ordered by ρ, descending
    const expected = data.models[0]!.layers.slice()
      .sort((a, b) => b.rho - a.rho)
      .map((r) => r.label);
    expect(after).toEqual(expected.slice(0, after.length));
    expect(after).not.toEqual(before);
    await d.press('s', 's');
    const bySafe = layerRowLines(await d.until((f) => f.includes('sort safe p ↑'), 'sort by safe p')).map(rowLabel);
    const minSafe = Math.min(...data.models[0]!.layers.map((r) => r.safeDropRate));
    expect(data.models[0]!.layers.find((r) => r.label === bySafe[0])!.safeDropRate).toBe(minSafe);
  });

  test('/ filters tensors by name while typing; Enter keeps the filter, Esc clears it', async () => {
    const d = mount(<Dashboard data={data} size={SMALL} />);
    await d.until((f) => f.includes('layer 1/81'));
    await d.press('/', ...'q_proj'.split(''));
    await d.until((f) => f.includes('/q_proj▏') && f.includes('80 tensor(s) match'), 'live filter');
    await d.press(KEYS.enter);
    const f = await d.until((x) => x.includes('tensor 1/80') && x.includes('filter "q_proj"'), 'filter applied');
    const rows = f.split('\n').filter((l) => /^[! ] layers\./.test(l));
    expect(rows.length).toBe(tableRowsFor(data, SMALL));
    for (const r of rows) expect(r).toContain('q_proj');
    await d.press(KEYS.escape);
    await d.until((x) => x.includes('layer 1/81'), 'filter cleared');
  });

  test('a filter that matches nothing says so', async () => {
    const d = mount(<Dashboard data={data} size={SMALL} />);
    await d.until((f) => f.includes('layer 1/81'));
    await d.press('/', 'z', 'z', 'z', KEYS.enter);
    await d.until((f) => f.includes('(no tensor name contains "zzz")') && f.includes('tensor 0/0'));
  });

  test('tab and → switch to the next fine-tune, ← to the previous, wrapping around', async () => {
    const d = mount(<Dashboard data={data} size={SMALL} />);
    await d.until((f) => f.includes('▶ sft-a'));
    await d.press(KEYS.tab);
    await d.until((f) => f.includes('▶ sft-hot · sft · caution'), 'tab to sft-hot');
    await d.press(KEYS.right);
    await d.until((f) => f.includes('▶ cpt · cpt · not-ready'), 'right to cpt');
    await d.press(KEYS.right);
    await d.until((f) => f.includes('▶ sft-a'), 'wraps to sft-a');
    await d.press(KEYS.left);
    await d.until((f) => f.includes('▶ cpt'), 'left wraps to cpt');
  });

  test('q exits', async () => {
    let quit = 0;
    const d = mount(<Dashboard data={data} size={SMALL} onQuit={() => quit++} />);
    await d.until((f) => f.includes('sft-a'));
    await d.press('j');
    expect(quit).toBe(0);
    await d.press('q');
    expect(quit).toBe(1);
  });

  test('m writes a mergekit recipe to DIR/recipe.yml and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'darekit-dash-'));
    temps.push(dir);
    const root = join(dir, 'models');
    for (const m of ['base', 'sft-a', 'sft-hot', 'cpt']) mkdirSync(join(root, m), { recursive: true });
    const withDir = syntheticDashboard(80, dir, root);
    let written: { path?: string; error?: string } = {};
    const d = mount(<Dashboard data={withDir} size={SMALL} onRecipe={(r) => (written = r)} />);
    await d.until((f) => f.includes('sft-a'));
    await d.press('m');
    await d.until((f) => f.includes(`wrote ${join(dir, 'recipe.yml')}`), 'recipe written message');
    expect(written).toEqual({ path: join(dir, 'recipe.yml') });
    const text = readFileSync(join(dir, 'recipe.yml'), 'utf8');
    const doc = parse(text) as Record<string, unknown>;
    expect(doc).toEqual({
      merge_method: 'ties',
      base_model: join(root, 'base'),
      models: [
        { model: join(root, 'sft-a'), parameters: { weight: 1, density: 0.5 } },
        { model: join(root, 'sft-hot'), parameters: { weight: 1, density: 0.5 } },
        { model: join(root, 'cpt'), parameters: { weight: 1, density: 0.9 } },
      ],
      seed: 0,
    });
    expect(text).toContain(`# run: darekit merge ${join(dir, 'recipe.yml')}`);
    // the merge command's own parser accepts it
    const cfg = parseMergeConfig(text, { configDir: dir });
    expect(cfg.method).toBe('ties');
    expect(cfg.models.map((m) => m.parameters.density)).toEqual([0.5, 0.5, 0.9].map((value) => ({ kind: 'scalar', value })));
  });

  test('m reports a write failure in the status line instead of crashing', async () => {
    const bad = syntheticDashboard(8, '/nonexistent-dir-for-darekit-test');
    const d = mount(<Dashboard data={bad} size={SMALL} />);
    await d.until((f) => f.includes('sft-a'));
    await d.press('m');
    await d.until((f) => f.includes('could not write the recipe'), 'error message');
  });

  test('a wide terminal gets a side panel with every pair and the full recipe', async () => {
    const d = mount(<Dashboard data={data} size={WIDE} />);
    const f = await d.until((x) => x.includes('pairs (cosine, sign conflict)'), 'side panel');
    expect(f).toContain('sft-a ↔ sft-hot  +0.012  0.49');
    expect(f).toContain('sft-hot ↔ cpt  +0.021  0.48');
    expect(f).toContain('sft-a  weight 1  density 0.50');
    expect(f).toContain('cpt  weight 1  density 0.90');
    expect(f).toContain('run:');
    expect(layerRowLines(f).length).toBe(tableRowsFor(data, WIDE));
    expectFits(f, WIDE);
  });

  test('the dashboard follows a terminal resize when no size is fixed', async () => {
    const d = mount(<Dashboard data={data} />);
    const stdout = d.stdout as unknown as { columns: number; rows?: number; emit(e: string): void };
    // ink-testing-library's stdout is 100 columns with no rows: the dashboard assumes 24 rows
    const f0 = await d.until((x) => x.includes('sft-a'));
    expect(f0).not.toContain('pairs (cosine, sign conflict)');
    Object.defineProperty(stdout, 'columns', { value: 150, configurable: true });
    Object.defineProperty(stdout, 'rows', { value: 40, configurable: true });
    stdout.emit('resize');
    const f1 = await d.until((x) => x.includes('pairs (cosine, sign conflict)'), 'wide layout after resize');
    expect(layerRowLines(f1).length).toBe(tableRowsFor(data, { columns: 150, rows: 40 }));
  });
});

describe('dashboard on a 1,000-layer model', () => {
  const big = syntheticDashboard(1000);

  test('renders only a window of rows: the frame never has more lines than the terminal', async () => {
    const d = mount(<Dashboard data={big} size={SMALL} />);
    const f = await d.until((x) => x.includes('layer 1/1001'));
    expect(f.split('\n').length).toBeLessThanOrEqual(SMALL.rows);
    expect(layerRowLines(f).length).toBe(tableRowsFor(big, SMALL));
    await d.press('G');
    const end = await d.until((x) => x.includes('layer 1001/1001'), 'jump to the end');
    const labels = layerRowLines(end).map(rowLabel);
    expect(labels[labels.length - 1]).toBe('other');
    expect(labels).toContain('L999');
    expect(end.split('\n').length).toBeLessThanOrEqual(SMALL.rows);
    // every frame written so far was windowed, not just the last one
    for (const fr of d.frames) expect(fr.split('\n').length).toBeLessThanOrEqual(SMALL.rows);
  });

  test('sorting 1,000 layers by predicted error puts the riskiest (marked !) first', async () => {
    const d = mount(<Dashboard data={big} size={SMALL} />);
    await d.until((x) => x.includes('layer 1/1001'));
    await d.press('s', 's', 's', 's');
    const f = await d.until((x) => x.includes('sort err ↓'));
    const first = layerRowLines(f)[0]!;
    const worst = big.models[0]!.layers.reduce((a, b) => (b.predictedError > a.predictedError ? b : a));
    expect(rowLabel(first)).toBe(worst.label);
    expect(first.startsWith('! ')).toBe(true);
  });
});

describe('the run: command at 80, 120 and 200 columns', () => {
  const REPO = join(__dirname, '../..');
  /** The one frame line holding the whole command (the test fails if the command is split or cut). */
  const lineWith = (frame: string, command: string) => frame.split('\n').filter((l) => l.includes(command));

  for (const columns of [80, 120, 200]) {
    test(`${columns} columns: before m the run line is tune's command (no recipe.yml named) on one line, writing beside the analysis dir`, async () => {
      // The README's flow: `npx darekit dash reports/demo/analysis` from the repo root.
      const base = syntheticDashboard(12);
      const data = {
        ...base,
        dir: join(REPO, 'reports/demo/analysis'),
        recipe: dashRecipe(join(REPO, 'reports/demo/analysis'), base.recipe.source, REPO),
      };
      const size = { columns, rows: 30 };
      const d = mount(<Dashboard data={data} size={size} />);
      const f = await d.until((x) => x.includes('sft-a'), 'first frame');
      expect(data.recipe.tuneCommand).toBe('npx darekit tune --analysis reports/demo/analysis --out reports/demo/merged');
      expect(lineWith(f, data.recipe.tuneCommand)).toHaveLength(1);
      const runAt = f.split('\n').findIndex((l) => l.startsWith('run'));
      expect(runAt).toBeGreaterThan(0);
      expect(
        f
          .split('\n')
          .slice(runAt, runAt + 2)
          .join('\n'),
      ).not.toContain('recipe.yml');
      expect(f).not.toContain('--out reports/demo/analysis/');
      expectFits(f, size);
    });

    test(`${columns} columns: after m the run line is the merge of the written recipe, whole on one line`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'darekit-dash-run-'));
      temps.push(dir);
      const analysis = join(dir, 'analysis');
      mkdirSync(analysis);
      const base = syntheticDashboard(12, analysis);
      const data = { ...base, recipe: dashRecipe(analysis, base.recipe.source, dir) };
      const size = { columns, rows: 30 };
      const d = mount(<Dashboard data={data} size={size} />);
      await d.until((x) => x.includes('sft-a'));
      await d.press('m');
      const f = await d.until((x) => x.includes('wrote '), 'recipe written');
      expect(data.recipe.command).toBe('darekit merge analysis/recipe.yml --out merged');
      expect(lineWith(f, data.recipe.command)).toHaveLength(1);
      expect(f).toMatch(/^run: darekit merge analysis\/recipe\.yml --out merged$/m);
      expectFits(f, size);
    });
  }

  test('a command wider than the terminal gets a line of its own under a run label, never split across lines', async () => {
    const data = syntheticDashboard(12, '/tmp/a-long-directory-name-for-an/this-analysis');
    const d = mount(<Dashboard data={data} size={{ columns: 120, rows: 30 }} />);
    const f = await d.until((x) => x.includes('sft-a'));
    expect(Array.from(`run: ${data.recipe.tuneCommand}`).length).toBeGreaterThan(120);
    expect(Array.from(data.recipe.tuneCommand).length).toBeLessThanOrEqual(120);
    expect(lineWith(f, data.recipe.tuneCommand)).toEqual([data.recipe.tuneCommand]);
    expect(f).toContain('run (one line, copy it whole):');
    expectFits(f, { columns: 120, rows: 30 });
  });

  test('the side panel wraps notes between words, never inside one', async () => {
    const base = syntheticDashboard(12);
    const note =
      'the predictor advises not to merge this set (see the reasons in the report); the recipe is what darekit would use if merged anyway';
    const data = { ...base, recipe: { ...base.recipe, notes: [note] } };
    const d = mount(<Dashboard data={data} size={{ columns: 120, rows: 40 }} />);
    const f = await d.until((x) => x.includes('pairs (cosine, sign conflict)'));
    const words = new Set(note.split(' '));
    // every word of the note appears whole in the frame
    for (const w of words) expect(f, w).toContain(w);
  });
});
