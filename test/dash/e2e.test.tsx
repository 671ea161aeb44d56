// End to end: real analyses (shared family S, a generated 80-layer family) → predictions → dashboard and CLI.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cleanup } from 'ink-testing-library';
import { analyze } from '../../src/app/analyze.js';
import { generateFamily } from '../../src/fixtures/family.js';
import { loadDashboardData } from '../../src/app/dashboard.js';
import { Dashboard } from '../../src/dash/components/App.js';
import { loadMergeConfig } from '../../src/merge/config.js';
import { predict, writePredictions } from '../../src/predict/index.js';
import { readAnalysis } from '../../src/store/analysis-store.js';
import type { DashboardData } from '../../src/dash/model.js';
import { KEYS, layerRowLines, mount, rowLabel } from './harness.js';

const S = '/work/shared/families/S';
const S_MODELS = ['sft-up', 'sft-shift', 'cpt-code', 'cpt-code-brief'];
// These spawn the built CLI: `npm test` builds first (`npm run build:ts` when running vitest directly).
const CLI = resolve('dist/cli/main.js');
const SMALL = { columns: 80, rows: 24 };

let tmp: string;
let sDir: string;
let famDir: string;
let s: DashboardData;
let fam: DashboardData;
const HOT = 57;

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, DAREKIT_NO_PROGRESS: '1' } });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'darekit-dash-e2e-'));
  sDir = join(tmp, 'S');
  await analyze({ base: `${S}/base`, finetunes: S_MODELS.map((m) => `${S}/${m}`), outDir: sDir, threads: 1 });
  s = await loadDashboardData(sDir);
  const gen = generateFamily({
    outDir: join(tmp, 'fam80'),
    hidden: 16,
    intermediate: 32,
    layers: 80,
    vocab: 32,
    dtype: 'BF16',
    seed: 3,
    models: [
      { name: 'sft-a', kind: 'sft' },
      { name: 'sft-hot', kind: 'sft', hotLayers: [HOT], hotFactor: 10 },
      { name: 'cpt', kind: 'cpt' },
    ],
  });
  famDir = join(tmp, 'fam80-analysis');
  const dirOf = (n: string) => gen.models.find((m) => m.name === n)!.dir;
  await analyze({ base: dirOf('base'), finetunes: ['sft-a', 'sft-hot', 'cpt'].map(dirOf), outDir: famDir, threads: 1 });
  fam = await loadDashboardData(famDir);
});

afterAll(() => {
  cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('family S (real checkpoints)', () => {
  test('layer ρ and mean |Δ| match the shared float64 ground truth (stats.json)', () => {
    const stats = JSON.parse(readFileSync(`${S}/stats.json`, 'utf8')) as Record<
      string,
      Record<string, { delta_l2: number; base_l2: number; mean_abs_delta: number }>
    >;
    const shapes = JSON.parse(readFileSync(`${S}/checksums.json`, 'utf8')) as Record<string, Record<string, { shape: number[] }>>;
    for (const m of s.models) {
      for (const row of m.layers) {
        const names = Object.keys(stats[m.name]!).filter((t) => {
          const hit = /^model\.layers\.(\d+)\./.exec(t);
          return row.layer === null ? hit === null : hit !== null && Number(hit[1]) === row.layer;
        });
        let d2 = 0,
          w2 = 0,
          abs = 0,
          n = 0;
        for (const t of names) {
          const st = stats[m.name]![t]!;
          const numel = shapes.base![t]!.shape.reduce((a, b) => a * b, 1);
          d2 += st.delta_l2 ** 2;
          w2 += st.base_l2 ** 2;
          abs += st.mean_abs_delta * numel;
          n += numel;
        }
        expect(row.rho).toBeCloseTo(d2 / w2, 9);
        expect(Math.abs(row.meanAbsDelta - abs / n) / (abs / n)).toBeLessThan(1e-9);
      }
    }
  });

  test('the dashboard renders S: every fine-tune with kind and verdict, cpt-code flagged CPT, no sft-* flagged', async () => {
    const d = mount(<Dashboard data={s} size={SMALL} />);
    const f = await d.until((x) => x.includes('layer 1/4'));
    const tabs = f.split('\n')[1]!;
    expect(tabs).toMatch(/cpt-code CPT NOT-READY/);
    expect(tabs).toMatch(/sft-up SFT \w/);
    expect(tabs).not.toMatch(/sft-\w+ CPT/);
    expect(layerRowLines(f).map(rowLabel)).toEqual(['L0', 'L1', 'L2', 'other']);
    expect(f).toContain('↔ sft-shift');
    expect(f.split('\n').length).toBeLessThanOrEqual(SMALL.rows);
    await d.press(KEYS.tab, KEYS.tab);
    await d.until((x) => x.includes('▶ cpt-code · cpt · not-ready'));
  });

  test("m on S writes the recipe tune would start from, and darekit merge's config loader accepts it", async () => {
    const d = mount(<Dashboard data={s} size={SMALL} />);
    await d.until((x) => x.includes('layer 1/4'));
    await d.press('m');
    await d.until((x) => x.includes(`wrote ${join(sDir, 'recipe.yml')}`));
    const cfg = loadMergeConfig(join(sDir, 'recipe.yml'));
    expect(cfg.method).toBe(s.recipe.method);
    expect(cfg.baseModel).toBe(resolve(`${S}/base`));
    expect(cfg.models.map((m) => m.path)).toEqual(s.models.map((m) => resolve(m.path)));
    rmSync(join(sDir, 'recipe.yml'));
  });

  test('readAnalysis without histograms (what the dashboard loads) equals the full read minus histograms; model scope keeps only model rows', async () => {
    const full = await readAnalysis(sDir);
    const light = await readAnalysis(sDir, { histograms: 'none' });
    expect(full.histograms.length).toBeGreaterThan(0);
    expect(light).toEqual({ ...full, histograms: [] });
    const modelOnly = await readAnalysis(sDir, { histograms: 'model' });
    expect(modelOnly).toEqual({ ...full, histograms: full.histograms.filter((h) => h.scope === 'model') });
  });

  test("the dashboard follows the stored predictions' tolerance; --tolerance overrides it", async () => {
    const copy = join(tmp, 'S-tol');
    cpSync(sDir, copy, { recursive: true });
    await writePredictions(copy, predict(await readAnalysis(copy), { tolerance: 0.9 }));
    const stored = await loadDashboardData(copy);
    expect(stored.tolerance).toBe(0.9);
    const expected = predict(await readAnalysis(copy), { tolerance: 0.9 });
    expect(stored.models.map((m) => m.recommendedDropRate)).toEqual(expected.models.map((m) => m.recommendedDropRate));
    expect((await loadDashboardData(copy, { tolerance: 0.99 })).tolerance).toBe(0.99);
  });

  test('darekit dash DIR | cat prints the static summary and exits 0', () => {
    const r = cli('dash', sDir);
    expect(r.status).toBe(0);
    for (const part of ['models:', 'riskiest layers', 'pairs:', 'recipe:', 'run: npx darekit tune --analysis', 'then: npx darekit merge'])
      expect(r.stdout).toContain(part);
    for (const m of S_MODELS) expect(r.stdout).toContain(m);
    expect(r.stdout).toMatch(/cpt-code\s+cpt\s+NOT-READY/);
    expect(r.stdout).toContain('sft-up ↔ sft-shift');
  });

  test('darekit dash DIR --json prints the dashboard data', () => {
    const r = cli('dash', sDir, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as DashboardData;
    expect(j.models.map((m) => m.name)).toEqual(s.models.map((m) => m.name));
    expect(j.models[0]!.layers).toHaveLength(4);
    expect(j.pairs).toHaveLength(6);
    expect(j.recipe.recipePath).toBe(join(sDir, 'recipe.yml'));
  });

  test('darekit dash --base B FT… --out DIR analyzes first, then shows the result', () => {
    const out = join(tmp, 'via-base');
    const r = cli('dash', '--base', `${S}/base`, `${S}/sft-up`, `${S}/sft-shift`, '--out', out, '--json');
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'analysis.duckdb'))).toBe(true);
    const j = JSON.parse(r.stdout) as DashboardData;
    expect(j.models.map((m) => m.name)).toEqual(['sft-up', 'sft-shift']);
    expect(j.pairs).toEqual([expect.objectContaining({ a: 'sft-up', b: 'sft-shift' })]);
    // on exit it says where the analysis stays and how to reopen it
    expect(r.stderr).toContain(`dash: the analysis stays in ${out}`);
  });

  test('darekit dash --base without --out keeps its temp analysis and says so on exit, with the commands to reopen and remove it', () => {
    const r = cli('dash', '--base', `${S}/base`, `${S}/sft-up`, `${S}/sft-shift`);
    expect(r.status, r.stderr).toBe(0);
    const m = /dash: the analysis stays in (\S+) \(reopen it: (?:npx )?darekit dash \S+; remove it: rm -r (\S+)\)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(existsSync(join(m![1]!, 'analysis.duckdb'))).toBe(true);
    expect(m![1]!.startsWith(m![2]!)).toBe(true);
    rmSync(m![2]!, { recursive: true, force: true });
  });

  test('bad usage and bad input exit 2 with a one-line message', () => {
    const none = cli('dash');
    expect(none.status).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    const missing = cli('dash', join(tmp, 'no-such-dir'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no analysis\.duckdb here/);
    expect(cli('dash', sDir, '--tolerance', '2').status).toBe(2);
  });
});

describe('generated 80-layer family', () => {
  test("81 layer rows; the generator's hot layer is marked risky and sorts first by ρ", async () => {
    const hot = fam.models.find((m) => m.name === 'sft-hot')!;
    expect(hot.layers).toHaveLength(81);
    expect(hot.layers.find((r) => r.layer === HOT)!.risky).toBe(true);
    const d = mount(<Dashboard data={fam} size={SMALL} />);
    await d.until((x) => x.includes('layer 1/81'));
    await d.press(KEYS.right, 's');
    const f = await d.until((x) => x.includes('▶ sft-hot') && x.includes('sort ρ ↓'));
    const first = layerRowLines(f)[0]!;
    expect(rowLabel(first)).toBe(`L${HOT}`);
    expect(first.startsWith('! ')).toBe(true);
    expect(f.split('\n').length).toBeLessThanOrEqual(SMALL.rows);
  });

  test("the / filter on real tensor names narrows to one layer's 9 tensors", async () => {
    const d = mount(<Dashboard data={fam} size={SMALL} />);
    await d.until((x) => x.includes('layer 1/81'));
    await d.press('/', ...`layers.${HOT}.`.split(''), KEYS.enter);
    const f = await d.until((x) => x.includes('tensor 1/9'));
    const rows = f.split('\n').filter((l) => /^[! ] layers\./.test(l));
    expect(rows).toHaveLength(9);
    for (const r of rows) expect(r).toContain(`layers.${HOT}.`);
  });
});
