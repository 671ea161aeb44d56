// `darekit tune --examples`: the built-in eval scores candidate merges in memory on each specialist's own
// examples. On family S no recipe keeps 90% of both SFT skills (truth.json's merges are all near 0), so tune
// must say so and still write its best recipe with the measured numbers.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../reliability/cli-harness.js';
import { familyS } from '../helpers/shared.js';

const S = familyS();
const work = mkdtempSync(join(tmpdir(), 'darekit-tune-examples-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
type Measured = {
  keepsTolerance: boolean;
  candidates: number;
  specialists: { model: string; retained: number; score: number; ftScore: number; baseScore: number }[];
};

describe('darekit tune --examples on the two SFT models of S', () => {
  it('reports that no recipe keeps 90% of both and writes its best recipe with the measured numbers', () => {
    const out = join(work, 'merged');
    const r = runCli([
      'tune',
      '--base',
      join(S, 'base'),
      join(S, 'sft-up'),
      join(S, 'sft-shift'),
      '--examples',
      `sft-up=${join(S, 'examples', 'sft-up.jsonl')}`,
      `sft-shift=${join(S, 'examples', 'sft-shift.jsonl')}`,
      '--tolerance',
      '0.9',
      '--budget',
      '4',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no candidate keeps 90% of every specialist's gain: darekit recommends not to merge/);
    const j = JSON.parse(r.stdout) as { measured: Measured; recipePath: string; trials: { score: number }[] };
    expect(j.measured.keepsTolerance).toBe(false);
    expect(j.measured.candidates).toBe(4);
    expect(j.trials.length).toBe(4);
    for (const s of j.measured.specialists) {
      expect(s.ftScore).toBeGreaterThan(0.9);
      expect(s.retained).toBeLessThan(0.9);
      expect(s.retained).toBeCloseTo((s.score - s.baseScore) / (s.ftScore - s.baseScore), 12);
    }
    const yaml = readFileSync(j.recipePath, 'utf8');
    expect(yaml).toMatch(
      /# measured with darekit probe on each specialist's own examples: no candidate of 4 keeps 90% of every specialist's gain .* do not merge/,
    );
    expect(yaml).toMatch(
      /# measured: sft-up keeps \d+% of its gain \(exact match [0-9.]+; alone [0-9.]+, base [0-9.]+, 256 examples\); sft-shift keeps/,
    );
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  }, 900_000);
});
