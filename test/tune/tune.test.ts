import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { tune, type TuneResult } from '../../src/tune/tune.js';
import { readTrials } from '../../src/tune/trials-table.js';
import { loadMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { readAnalysis } from '../../src/store/analysis-store.js';
import { predict } from '../../src/predict/predict.js';
import { isDarekitError } from '../../src/errors.js';
import { CLI, familyS } from './family.js';

const S = familyS();
const SCORE = resolve(__dirname, 'scripts/score-distance.mjs');
let work: string;
let sft: TuneResult;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'darekit-tune-test-'));
  sft = await tune({
    base: join(S, 'base'),
    finetunes: [join(S, 'sft-up'), join(S, 'sft-shift')],
    out: join(work, 'merged'),
    seed: 11,
    threads: 1,
  });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tune on family S (sft-up + sft-shift)', () => {
  it('writes a merged model, a commented recipe in OUT and a copy in the analysis dir', () => {
    expect(existsSync(join(work, 'merged', 'model.safetensors'))).toBe(true);
    const yaml = readFileSync(join(work, 'merged', 'recipe.yml'), 'utf8');
    expect(readFileSync(join(work, 'merged-analysis', 'recipe.yml'), 'utf8')).toBe(yaml);
    expect(yaml).toMatch(/# density [01]\.\d+ = 1 − recommended drop rate 0(\.\d+)? \(the conservative end of the predicted range/);
    expect(yaml).toContain('seed: 11');
  });

  it('takes its densities from the predictor and its method from the sign conflict', async () => {
    const pred = predict(await readAnalysis(join(work, 'merged-analysis')));
    const doc = parseYaml(sft.yaml) as {
      merge_method: string;
      models: { model: string; parameters: { weight: number; density: number | { filter?: string; value: number }[] } }[];
    };
    // The pair's sign conflict (≈ 0.47) is what unrelated deltas give (0.5): no sign election.
    expect(pred.pairs[0]!.signConflict).toBeLessThan(0.55);
    expect(doc.merge_method).toBe('dare_linear');
    expect(doc.merge_method).toBe(pred.set.mergeMethod);
    for (const m of pred.models) {
      const entry = doc.models.find((e) => e.model === resolve(m.path))!;
      const d = entry.parameters.density;
      const modelLevel = typeof d === 'number' ? d : d[d.length - 1]!.value;
      expect(modelLevel).toBeCloseTo(1 - m.recommendedDropRate, 6);
      if (typeof d !== 'number') {
        for (const l of m.layers.filter((x) => x.layer !== null))
          expect(d.find((r) => r.filter === `layers.${l.layer}.`)!.value).toBeCloseTo(1 - l.safeDropRate, 6);
      }
    }
  });

  it('`darekit merge recipe.yml` accepts the recipe and reproduces the merge byte for byte', () => {
    const again = join(work, 'again');
    const r = spawnSync(process.execPath, [CLI, 'merge', join(work, 'merged', 'recipe.yml'), '--out', again, '--threads', '2'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(again, 'model.safetensors')).equals(readFileSync(join(work, 'merged', 'model.safetensors')))).toBe(true);
  });

  it('a different seed in the recipe gives a different merge (the seed is really used)', async () => {
    const cfg = loadMergeConfig(join(work, 'merged', 'recipe.yml'));
    const other = join(work, 'seed12');
    await merge({ ...cfg, seed: 12 }, { out: other, threads: 1 });
    expect(readFileSync(join(other, 'model.safetensors')).equals(readFileSync(join(work, 'merged', 'model.safetensors')))).toBe(false);
  });

  it('falls back to magnitude-based ties for a CPT-like fine-tune, and says so', async () => {
    const r = await tune({
      base: join(S, 'base'),
      finetunes: [join(S, 'sft-up'), join(S, 'cpt-code')],
      out: join(work, 'cpt'),
      threads: 1,
    });
    expect(r.recipe.method).toBe('ties');
    expect(r.recipe.notes[0]).toMatch(/cpt-code is CPT-like/);
    expect(r.yaml).toMatch(/# method ties \(magnitude-based trim\), not DARE/);
    expect(r.recipe.models.find((m) => m.model === 'cpt-code')!.density.value).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('refuses an existing output dir without --force, with a usage error', async () => {
    await expect(tune({ analysisDir: join(work, 'merged-analysis'), finetunes: [], out: join(work, 'merged') })).rejects.toThrow(
      /exists; pass --force/,
    );
  });
});

describe('tune --eval: black-box search', () => {
  it('improves on the data-free recipe within the budget, records every trial, and cleans up candidates', async () => {
    // Target: the same dare_ties merge with every density at 1 (nothing dropped). The eval command scores a
    // candidate by minus its L2 distance to it, so keeping more of each delta scores higher.
    const base = loadMergeConfig(join(work, 'merged', 'recipe.yml'));
    const target = join(work, 'target');
    const full = { kind: 'scalar' as const, value: 1 };
    await merge(
      { ...base, models: base.models.map((m) => ({ ...m, parameters: { ...m.parameters, density: full } })) },
      { out: target, threads: 1 },
    );
    // Candidates go under TMPDIR: a space and a quote in it check that {model} is quoted for the shell.
    const odd = join(work, "tmp dir 'q'");
    mkdirSync(odd);
    const log = join(work, 'score.log');
    const saved = { TMPDIR: process.env.TMPDIR, SCORE_LOG: process.env.SCORE_LOG };
    process.env.TMPDIR = odd;
    process.env.SCORE_LOG = log;
    let r: TuneResult;
    try {
      r = await tune({
        analysisDir: join(work, 'merged-analysis'),
        finetunes: [],
        out: join(work, 'tuned'),
        seed: 11,
        threads: 1,
        eval: { command: `node ${SCORE} {model} '${target}'`, budget: 5 },
      });
    } finally {
      process.env.TMPDIR = saved.TMPDIR;
      process.env.SCORE_LOG = saved.SCORE_LOG;
      if (saved.TMPDIR === undefined) delete process.env.TMPDIR;
      if (saved.SCORE_LOG === undefined) delete process.env.SCORE_LOG;
    }
    expect(r.trials).toHaveLength(5);
    expect(r.trials[0]!.densityScale).toBe(1);
    expect(r.trials[0]!.densities).toEqual(Object.fromEntries(sft.recipe.models.map((m) => [m.model, m.density.value])));
    expect(r.trials.every((t) => t.status === 'ok')).toBe(true);
    const best = r.trials.find((t) => t.best)!;
    expect(best.score!).toBeGreaterThan(r.trials[0]!.score!);
    // The table in the analysis dir holds the same trials.
    const stored = await readTrials(join(work, 'merged-analysis'));
    expect(stored.map((t) => t.score)).toEqual(r.trials.map((t) => t.score));
    // Every candidate was under the odd TMPDIR, received as one argument, and removed afterwards.
    const seen = readFileSync(log, 'utf8').trim().split('\n');
    expect(seen).toHaveLength(5);
    for (const p of seen) {
      expect(p.startsWith(odd)).toBe(true);
      expect(existsSync(p)).toBe(false);
    }
    // The best candidate is what was merged into OUT: rescoring OUT gives the best score.
    const out = execFileSync(process.execPath, [SCORE, join(work, 'tuned'), target])
      .toString()
      .trim()
      .split('\n');
    expect(Number(out[out.length - 1])).toBe(best.score);
    expect(r.yaml).toContain(`searched with --eval: trial ${best.trial} of 5`);
  }, 240_000);

  it('when every trial fails: a runtime error (exit 1) quoting the stderr, trials recorded, no output dir', async () => {
    const saved = process.env.SCORE_FAIL;
    process.env.SCORE_FAIL = '1';
    let err: unknown;
    try {
      await tune({
        analysisDir: join(work, 'merged-analysis'),
        finetunes: [],
        out: join(work, 'failed'),
        threads: 1,
        eval: { command: `node ${SCORE} {model} /nowhere`, budget: 3 },
      });
    } catch (e) {
      err = e;
    } finally {
      if (saved === undefined) delete process.env.SCORE_FAIL;
      else process.env.SCORE_FAIL = saved;
    }
    expect(isDarekitError(err) && err.exitCode).toBe(1);
    expect((err as Error).message).toMatch(/all 3 trial\(s\) failed.*deliberate failure/);
    expect(existsSync(join(work, 'failed'))).toBe(false);
    expect((await readTrials(join(work, 'merged-analysis'))).map((t) => t.status)).toEqual(['failed', 'failed', 'failed']);
  }, 120_000);
});
