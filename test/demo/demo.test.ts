import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');

describe('darekit demo', () => {
  it('runs the main job on the bundled family and says where everything went', () => {
    const dir = mkdtempSync(join(tmpdir(), 'darekit-demo-'));
    try {
      const out = join(dir, 'demo');
      const r = spawnSync(process.execPath, [CLI, 'demo', '--out', out, '--json'], { encoding: 'utf8', cwd: dir });
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as {
        models: {
          model: string;
          kind: string;
          verdict: string;
          basis: string;
          recommendedDropRate: number;
          probedSafeDropRate: number | null;
          measuredSafeDropRate: number | null;
        }[];
        probe: { forwardPasses: number; seeds: number } | null;
        tune: { outDir: string; recipePath: string; method: string; models: { model: string }[] };
        report: string[];
        analysisDir: string;
      };
      expect(j.models.map((m) => m.model).sort()).toEqual(['cpt-code', 'cpt-code-brief', 'sft-shift', 'sft-up']);
      for (const m of j.models) expect(['ready', 'caution', 'not-ready']).toContain(m.verdict);
      // the probe measured every fine-tune (family S has examples for all four) and its rate is the one used,
      // within one step of the grid of the independent measurement in truth.json
      expect(j.probe?.seeds).toBe(3);
      const GRID = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99];
      for (const m of j.models) {
        expect(m.basis, m.model).toBe('measured');
        expect(m.recommendedDropRate, m.model).toBe(m.probedSafeDropRate);
        expect(Math.abs(GRID.indexOf(m.probedSafeDropRate!) - GRID.indexOf(m.measuredSafeDropRate!)), m.model).toBeLessThanOrEqual(1);
      }
      expect(j.tune.models.map((m) => m.model).sort()).toEqual(['sft-shift', 'sft-up']);
      expect(existsSync(join(j.tune.outDir, 'model.safetensors'))).toBe(true);
      expect(readFileSync(j.tune.recipePath, 'utf8')).toContain(`merge_method: ${j.tune.method}`);
      for (const f of j.report) expect(existsSync(f)).toBe(true);
      expect(existsSync(join(j.analysisDir, 'analysis.duckdb'))).toBe(true);
      // A second run replaces its own earlier output without --force.
      const again = spawnSync(process.execPath, [CLI, 'demo', '--out', out, '--no-probe'], { encoding: 'utf8', cwd: dir });
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/1\. analyze.*\n2\. probe +skipped \(--no-probe\)[^\n]*\n3\. predict[\s\S]*4\. tune[\s\S]*5\. report/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('every "Next:" command it prints runs as written from the repo root (npx darekit, no download)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'darekit-demo-next-'));
    try {
      const r = spawnSync(process.execPath, [CLI, 'demo', '--out', join(dir, 'demo'), '--no-probe'], { encoding: 'utf8', cwd: ROOT });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      const at = lines.findIndex((l) => /Next:$/.test(l));
      expect(at, r.stdout).toBeGreaterThan(0);
      const commands = lines
        .slice(at + 1)
        .filter((l) => l.startsWith('  '))
        .map((l) => l.replace(/\s+# [^']*$/, '').trim());
      expect(commands.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
        'npx darekit dash',
        'npx darekit query',
        'npx darekit merge',
      ]);
      for (const command of commands) {
        // As a user would paste it: through a shell, from the repo root, stdout not a terminal.
        const run = spawnSync('sh', ['-c', command], {
          encoding: 'utf8',
          cwd: ROOT,
          env: { ...process.env, npm_config_update_notifier: 'false' },
          timeout: 120_000,
        });
        expect(run.status, `${command}\n${run.stderr}`).toBe(0);
        expect(run.stdout.length, command).toBeGreaterThan(0);
        // The dashboard's summary prints a run: command of its own; it runs as written too.
        const dashRun = command.includes(' dash ') ? /^run: (.+)$/m.exec(run.stdout)?.[1] : undefined;
        if (command.includes(' dash ')) {
          expect(dashRun, run.stdout).toMatch(/^npx darekit tune --analysis \S+ --out \S+$/);
          const r2 = spawnSync('sh', ['-c', dashRun!], {
            encoding: 'utf8',
            cwd: ROOT,
            env: { ...process.env, npm_config_update_notifier: 'false' },
            timeout: 120_000,
          });
          expect(r2.status, `${dashRun}\n${r2.stderr}`).toBe(0);
        }
      }
      expect(existsSync(join(dir, 'demo', 'merged-again', 'model.safetensors'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('refuses to overwrite a dir it did not write (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'darekit-demo-'));
    try {
      mkdirSync(join(dir, 'mine'));
      writeFileSync(join(dir, 'mine', 'precious.txt'), 'keep');
      const r = spawnSync(process.execPath, [CLI, 'demo', '--out', join(dir, 'mine')], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/not an earlier demo output/);
      expect(readFileSync(join(dir, 'mine', 'precious.txt'), 'utf8')).toBe('keep');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
