// `darekit probe` from the command line: the JSON contract, the probe table it stores and what predict then
// says, and one-line exit-2 errors for bad inputs. Uses the built CLI (npm run build first).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProbeTable } from '../../src/store/probe-table.js';
import { runCli } from '../reliability/cli-harness.js';
import { familyS } from '../helpers/shared.js';

const S = familyS();
const BASE = join(S, 'base');
const UP = join(S, 'sft-up');
const work = mkdtempSync(join(tmpdir(), 'darekit-probe-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
}

const FEW =
  readFileSync(join(S, 'examples', 'sft-up.jsonl'), 'utf8')
    .split('\n')
    .slice(0, 16)
    .join('\n') + '\n';

function expectInputError(args: string[], pattern: RegExp): void {
  const r = runCli(['probe', '--base', BASE, ...args]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(pattern);
}

describe('darekit probe (CLI)', () => {
  it('prints the JSON contract and stores the probe table; predict then uses the measured rate', () => {
    const ex = file('up.jsonl', FEW);
    const out = join(work, 'analysis');
    const a = runCli(['analyze', '--base', BASE, UP, join(S, 'sft-shift'), '--out', out, '--json']);
    expect(a.code, a.stderr).toBe(0);
    const r = runCli([
      'probe',
      '--base',
      BASE,
      UP,
      '--examples',
      `sft-up=${ex}`,
      '--drop-rates',
      '0,0.5,0.9',
      '--seeds',
      '2',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/probe: 1\/7 forward passes/);
    const j = JSON.parse(r.stdout) as {
      models: {
        path: string;
        metric: string;
        baseScore: number;
        ftScore: number;
        safeDropRate: number;
        sweep: { dropRate: number; loss: number; exactMatch: number; retained: number; retainedLow: number; retainedHigh: number }[];
      }[];
    };
    expect(j.models.length).toBe(1);
    const m = j.models[0]!;
    expect(m.metric).toBe('exact_match');
    expect(m.sweep.map((s) => s.dropRate)).toEqual([0, 0.5, 0.9]);
    expect(m.sweep[0]!.exactMatch).toBe(m.ftScore);
    for (const s of m.sweep)
      for (const k of ['loss', 'exactMatch', 'retained', 'retainedLow', 'retainedHigh'] as const) expect(typeof s[k]).toBe('number');
    const safe = m.sweep.filter((s) => s.retained >= 0.95).map((s) => s.dropRate);
    expect(m.safeDropRate).toBe(Math.max(...safe));
    expect(existsSync(join(out, 'probe.parquet'))).toBe(true);
    const p = runCli(['predict', out, '--json']);
    expect(p.code, p.stderr).toBe(0);
    const pred = JSON.parse(p.stdout) as { models: { path: string; recommendedDropRate: number; basis: string; reasons: string[] }[] };
    const up = pred.models.find((x) => x.path.endsWith('sft-up'))!;
    const shift = pred.models.find((x) => x.path.endsWith('sft-shift'))!;
    expect(up.recommendedDropRate).toBe(m.safeDropRate);
    expect(up.basis).toBe('measured');
    expect(up.reasons[0]).toMatch(new RegExp(`^measured: keeps ≥ 95% of its gain up to drop rate ${m.safeDropRate} .*by the probe`));
    expect(shift.basis).toBe('predicted');
    // at another tolerance the measured rate is re-read from the stored sweep, not the stored safe_drop_rate
    const p9 = runCli(['predict', out, '--tolerance', '0.5', '--json']);
    expect(p9.code, p9.stderr).toBe(0);
    const up9 = (JSON.parse(p9.stdout) as { models: { path: string; recommendedDropRate: number }[] }).models.find((x) =>
      x.path.endsWith('sft-up'),
    )!;
    expect(up9.recommendedDropRate).toBe(Math.max(...m.sweep.filter((s) => s.retained >= 0.5).map((s) => s.dropRate)));
    // dash (static summary off a terminal) and report show the measured rate beside the predicted one
    const d = runCli(['dash', out]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/sft-up .*drop p [0-9.]+ measured \(predicted [0-9.]+\)/);
    expect(d.stdout).toMatch(/sft-shift .*drop p [0-9.]+ predicted/);
    const rep = runCli(['report', out, '--out', join(work, 'report')]);
    expect(rep.code, rep.stderr).toBe(0);
    const md = readFileSync(join(work, 'report', 'report.md'), 'utf8');
    expect(md).toMatch(/## Measured DARE tolerance \(darekit probe\)/);
    // drop rate, range (basis), density, the weights' prediction, the measured rate
    expect(md).toMatch(/\| sft-up \| sft \| \*\*[\w-]+\*\* \| [0-9.]+ \| measured [0-9.]+–[0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|/);
    expect(readFileSync(join(work, 'report', 'report.html'), 'utf8')).toMatch(/id="probe-retained"/);
    return readProbeTable(out).then((rows) => {
      expect(rows.map((x) => x.dropRate)).toEqual([0, 0.5, 0.9]);
      expect(rows.every((x) => x.model === 'sft-up' && x.safeDropRate === m.safeDropRate)).toBe(true);
    });
  }, 300_000);

  it('refuses a model dir without tokenizer.json, saying what to add', () => {
    const dir = join(work, 'no-tok');
    cpSync(UP, dir, { recursive: true });
    rmSync(join(dir, 'tokenizer.json'));
    expectInputError([dir, '--examples', `no-tok=${file('a.jsonl', FEW)}`], /no-tok: no tokenizer\.json; copy the model's tokenizer\.json/);
  });

  it('refuses an unsupported model_type by name', () => {
    const dir = join(work, 'gpt');
    cpSync(UP, dir, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'gpt2' }));
    expectInputError([dir, '--examples', `gpt=${file('b.jsonl', FEW)}`], /gpt2/);
  });

  it('refuses an example longer than max_position_embeddings, naming the line', () => {
    const long = FEW + JSON.stringify({ prompt: 'up:' + 'a'.repeat(600), completion: 'A\n' }) + '\n';
    expectInputError(
      [UP, '--examples', `sft-up=${file('long.jsonl', long)}`],
      /long\.jsonl:17: the example is \d+ tokens long, more than the model's max_position_embeddings \(512\)/,
    );
  });

  it('refuses an empty examples file', () => {
    expectInputError([UP, '--examples', `sft-up=${file('empty.jsonl', '\n')}`], /empty\.jsonl: the examples file is empty/);
  });

  it('refuses a malformed JSONL line, naming file and line', () => {
    expectInputError([UP, '--examples', `sft-up=${file('bad.jsonl', FEW + '{"prompt": "x"\n')}`], /bad\.jsonl:17: not a JSON object/);
    expectInputError(
      [UP, '--examples', `sft-up=${file('bad2.jsonl', '{"prompt": "x", "completion": 3}\n')}`],
      /bad2\.jsonl:1: expected \{"prompt": "\.\.\.", "completion": "\.\.\."\}/,
    );
  });

  it('refuses --examples for a model that is not among the fine-tunes', () => {
    expectInputError([UP, '--examples', `sft-shift=${file('c.jsonl', FEW)}`], /sft-shift is not one of the fine-tunes \(sft-up\)/);
  });
});
