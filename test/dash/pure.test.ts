// The dashboard's pure pieces: formatting, row order/filter/window, layout budget, reducer, summary, recipe.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { join, resolve } from 'node:path';
import { bar, fit, fmtNum, sparkline } from '../../src/dash/format.js';
import { moveSelection, selectRows, sortRows, windowStart, SORT_KEYS } from '../../src/dash/rows.js';
import { computeLayout, rowLine, tableColumns, headerLine, barScale } from '../../src/dash/layout.js';
import { dashReducer, INITIAL_STATE, type DashAction } from '../../src/dash/state.js';
import { dashboardSummary } from '../../src/dash/summary.js';
import { dashRecipe, mergedPathFor, recipeYaml, shellQuote } from '../../src/dash/recipe.js';
import type { DashRow } from '../../src/dash/model.js';
import { syntheticDashboard } from '../../src/dash/synthetic.js';

const REPO = resolve(__dirname, '../..');

const SEED = { seed: 20240611 };

describe('format', () => {
  test('fmtNum always fits its width, for any double', () => {
    fc.assert(
      fc.property(fc.double(), fc.integer({ min: 6, max: 12 }), (x, w) => Array.from(fmtNum(x, w)).length === w),
      SEED,
    );
  });

  test('fmtNum keeps two significant digits of small and large values', () => {
    expect(fmtNum(3.04e-4).trim()).toBe('3.0e-4');
    expect(fmtNum(0.1423).trim()).toBe('0.142');
    expect(fmtNum(12345).trim()).toBe('1.2e4');
    expect(fmtNum(NaN).trim()).toBe('–');
  });

  test('bar is exactly width cells and its filled eighths equal round(frac·width·8)', () => {
    const eighths = (s: string) => Array.from(s).reduce((a, c) => a + (c === '█' ? 8 : c === ' ' ? 0 : ' ▏▎▍▌▋▊▉'.indexOf(c)), 0);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 30 }), (f, w) => {
        const b = bar(f, w);
        return Array.from(b).length === w && eighths(b) === Math.round(f * w * 8);
      }),
      SEED,
    );
  });

  test('sparkline has min(width, n) cells; unbucketed, the maximum is the top cell and the minimum the bottom one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 1, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 400 }),
        (vals, w) => {
          const s = Array.from(sparkline(vals, w));
          if (s.length !== Math.min(w, vals.length)) return false;
          const max = Math.max(...vals);
          const min = Math.min(...vals);
          if (w < vals.length || max === min) return true;
          return s[vals.indexOf(max)] === '█' && s[vals.indexOf(min)] === '▁';
        },
      ),
      SEED,
    );
  });

  test('a single hot layer among 1,000 still shows as a full cell when bucketed into 50', () => {
    const vals = Array.from({ length: 1000 }, (_, i) => (i === 617 ? 1e-2 : 1e-4 * (1 + (i % 3) / 10)));
    const s = Array.from(sparkline(vals, 50));
    expect(s).toHaveLength(50);
    expect(s.filter((c) => c === '█')).toHaveLength(1);
    expect(s[Math.floor((617 * 50) / 1000)]).toBe('█');
  });

  test('fit pads or cuts to exactly width', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abcdef', 4)).toBe('abc…');
  });
});

describe('rows', () => {
  const rows: DashRow[] = syntheticDashboard(40).models[1]!.layers;

  test('every sort is a permutation ordered by its column (NaN last), stable on ties', () => {
    const withNaN = rows.map((r, i) => (i % 7 === 3 ? { ...r, safeDropRate: NaN } : r));
    for (const key of SORT_KEYS) {
      const out = sortRows(withNaN, key);
      expect(new Set(out)).toEqual(new Set(withNaN));
      if (key === 'depth') {
        expect(out).toEqual(withNaN);
        continue;
      }
      const v = out.map((r) => r[key]);
      const finite = v.filter((x) => !Number.isNaN(x));
      expect(v.slice(0, finite.length).every((x) => !Number.isNaN(x))).toBe(true);
      for (let i = 1; i < finite.length; i++) {
        if (key === 'safeDropRate') expect(finite[i]!).toBeGreaterThanOrEqual(finite[i - 1]!);
        else expect(finite[i]!).toBeLessThanOrEqual(finite[i - 1]!);
      }
    }
  });

  test('the filter matches tensor names case-insensitively; an empty filter shows layers', () => {
    const m = syntheticDashboard(10).models[0]!;
    expect(selectRows(m, '')).toBe(m.layers);
    expect(selectRows(m, '  ')).toBe(m.layers);
    const q = selectRows(m, 'Q_PROJ');
    expect(q).toHaveLength(10);
    expect(q.every((r) => r.label.includes('q_proj'))).toBe(true);
  });

  test('the window always contains the selection and stays within the rows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: -50, max: 3000 }),
        fc.integer({ min: -3000, max: 3000 }),
        (total, visible, offset, moveBy) => {
          const sel = moveSelection(Math.floor(total / 2), moveBy, total);
          const o = windowStart(offset, sel, visible, total);
          if (total === 0) return sel === 0 && o === 0;
          return sel >= 0 && sel < total && o >= 0 && o <= Math.max(0, total - visible) && sel >= o && sel < o + visible;
        },
      ),
      SEED,
    );
  });
});

describe('layout', () => {
  test('frame budget: fixed lines + table rows + pairs stay below the terminal height from 24 rows up', () => {
    for (let rows = 24; rows <= 80; rows++) {
      for (const columns of [80, 100, 119]) {
        for (const pairs of [0, 1, 2, 5]) {
          const l = computeLayout({ columns, rows }, pairs);
          // title, tabs, detail, sparkline, header + rows + pairs + recipe, command + status, help
          expect(5 + l.tableRows + l.pairLines + 2 + 2).toBeLessThanOrEqual(rows - 1);
        }
      }
      const wide = computeLayout({ columns: 160, rows }, 3);
      expect(5 + wide.tableRows + 2).toBeLessThanOrEqual(rows - 1);
      expect(wide.tableWidth + 1 + wide.sideWidth).toBe(160);
    }
  });

  test('header and rows line up (same length) and never exceed the table width', () => {
    const m = syntheticDashboard(12).models[0]!;
    for (const width of [80, 100, 120, 200]) {
      for (const [rows, tensorMode] of [
        [m.layers, false],
        [m.tensors, true],
      ] as const) {
        const cols = tableColumns(width, tensorMode ? 30 : 5);
        const scale = barScale(rows);
        const len = Array.from(headerLine(cols, tensorMode)).length;
        expect(len).toBeLessThanOrEqual(width);
        for (const r of rows) expect(Array.from(rowLine(r, cols, scale, tensorMode)).length).toBe(len);
      }
    }
  });
});

describe('reducer', () => {
  const data = syntheticDashboard(30);
  const reduce = dashReducer(data);
  const run = (...actions: DashAction[]) => actions.reduce(reduce, INITIAL_STATE);

  test('moves clamp to the rows, model switches wrap and reset the cursor', () => {
    expect(run({ type: 'move', delta: -5, visible: 10 }).selected).toBe(0);
    const end = run({ type: 'move', delta: Infinity, visible: 10 });
    expect(end.selected).toBe(30);
    expect(end.offset).toBe(21);
    const switched = reduce(end, { type: 'switchModel', delta: -1 });
    expect(switched).toMatchObject({ modelIdx: 2, selected: 0, offset: 0 });
  });

  test('typing a filter, backspace, Enter and Esc', () => {
    const typed = run({ type: 'editStart' }, { type: 'editType', text: 'q_' }, { type: 'editType', text: 'pX' }, { type: 'editBackspace' });
    expect(typed).toMatchObject({ filter: 'q_p', editing: true });
    expect(reduce(typed, { type: 'editDone' })).toMatchObject({ filter: 'q_p', editing: false });
    expect(reduce(typed, { type: 'clearFilter' })).toMatchObject({ filter: '', editing: false });
  });

  test('s cycles through every sort key and back', () => {
    let st = INITIAL_STATE;
    const seen = [];
    for (let i = 0; i < SORT_KEYS.length; i++) {
      seen.push(st.sortKey);
      st = reduce(st, { type: 'cycleSort' });
    }
    expect(seen).toEqual([...SORT_KEYS]);
    expect(st.sortKey).toBe('depth');
  });
});

describe('summary and recipe', () => {
  const data = syntheticDashboard(20);

  test('the summary names every model with its verdict, its riskiest layers, every pair and the recipe', () => {
    const text = dashboardSummary(data);
    expect(text).toMatch(/sft-a\s+sft\s+READY/);
    expect(text).toMatch(/cpt\s+cpt\s+NOT-READY/);
    const hot = data.models[1]!.layers.reduce((a, b) => (b.predictedError > a.predictedError ? b : a));
    expect(text).toMatch(new RegExp(`sft-hot\\s+${hot.label} \\(`));
    for (const p of data.pairs) expect(text).toContain(`${p.a} ↔ ${p.b}`);
    expect(text).toMatch(/cpt\s+weight 1  density 0.90/);
    // no recipe file exists yet: the run line is tune's command; the merge command comes after m
    expect(text).toContain(`run: ${data.recipe.tuneCommand}`);
    expect(text.split('\n').find((l) => l.startsWith('run: '))).not.toContain('recipe.yml');
  });

  test("the recipe view carries tune's method, densities, per-layer rule counts and notes; the YAML is tune's", () => {
    const src = {
      ...data.recipe.source,
      models: data.recipe.source.models.map((m, i) =>
        i === 0 ? { ...m, density: { ...m.density, rules: [{ filter: 'layers.0.', value: 0.4, note: 'n' }] } } : m,
      ),
    };
    const view = dashRecipe('/d', src);
    expect(view.method).toBe('ties');
    expect(view.models.map((m) => [m.name, m.density, m.layerRules])).toEqual([
      ['sft-a', 0.5, 1],
      ['sft-hot', 0.5, 0],
      ['cpt', 0.9, 0],
    ]);
    expect(view.notes).toEqual(src.notes);
    const yaml = recipeYaml({ ...data, recipe: view });
    expect(yaml).toContain('merge_method: ties');
    expect(yaml).toContain('filter: "layers.0."');
    expect(yaml).toContain('# run: darekit merge /d/recipe.yml --out /d-merged');
  });

  test('paths with spaces or quotes are shell-quoted in the command', () => {
    expect(shellQuote('/a/b-c.yml')).toBe('/a/b-c.yml');
    expect(shellQuote("/my dir/it's")).toBe("'/my dir/it'\\''s'");
    expect(dashRecipe('/my dir', data.recipe.source, '/elsewhere').command).toBe(
      "darekit merge '/my dir/recipe.yml' --out '/my dir-merged'",
    );
  });

  test('the merged model goes beside the analysis dir, never inside it; paths are relative to the working dir when inside it', () => {
    expect(mergedPathFor('/w/run-analysis')).toBe('/w/run');
    expect(mergedPathFor('/w/analysis')).toBe('/w/merged');
    expect(mergedPathFor('/w/stats')).toBe('/w/stats-merged');
    const view = dashRecipe('/w/reports/demo/analysis', data.recipe.source, '/w');
    expect(view.command).toBe('darekit merge reports/demo/analysis/recipe.yml --out reports/demo/merged');
    expect(view.tuneCommand).toBe('darekit tune --analysis reports/demo/analysis --out reports/demo/merged');
    const inClone = dashRecipe(join(REPO, 'reports/demo/analysis'), data.recipe.source, REPO);
    expect(inClone.command).toBe('npx darekit merge reports/demo/analysis/recipe.yml --out reports/demo/merged');
  });
});

describe('signed values', () => {
  test('a cosine that rounds to zero prints as 0.000, never -0.000', async () => {
    const { signed3 } = await import('../../src/dash/format.js');
    expect(signed3(-0.0003903).trim()).toBe('0.000');
    expect(signed3(-0.0081)).toBe('-0.008');
    expect(signed3(0.012)).toBe('+0.012');
    const data = syntheticDashboard(4);
    const text = dashboardSummary({ ...data, pairs: [{ a: 'sft-a', b: 'cpt', cosine: -0.0002, signConflict: 0.5 }] });
    expect(text).not.toContain('-0.000');
  });
});
