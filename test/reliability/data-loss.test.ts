// Issue 16, points 1, 2 and 10: darekit never writes over its inputs or a user's files, --force replaces only an
// empty dir or one darekit wrote, and what a killed run leaves is recovered by the next one. Every case checks
// the exit code, the one-line error contract, and that no input or earlier output lost a byte.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hashDir,
  makeFamily,
  oneLineError,
  runCli,
  runCliAndSignal,
  siblings,
  waitFor,
  writeConfig,
  FAMILY_DARE_TIES_YAML,
} from './cli-harness.js';

const root = mkdtempSync(join(tmpdir(), 'darekit-dataloss-'));
const fam = join(root, 'fam');
let config = '';
let reference: Record<string, string> = {};

/** sha256 of every file under dir, recursively (relative path → hash), to prove nothing changed. */
function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p, `${rel}${e}/`);
      else if (st.isSymbolicLink()) out[`${rel}${e}`] = `link`;
      else out[`${rel}${e}`] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

/** A pid that no longer runs (a process that has exited). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

function expectRefused(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(oneLineError(r.stderr)).toBeUndefined();
  expect(r.stderr).toMatch(pattern);
}

beforeAll(() => {
  makeFamily(fam, ['--preset', 'tiny']);
  config = writeConfig(join(root, 'merge.yml'), FAMILY_DARE_TIES_YAML);
  const r = runCli(['merge', config, '--out', join(root, 'reference')]);
  if (r.code !== 0) throw new Error(`reference merge failed: ${r.stderr}`);
  reference = hashDir(join(root, 'reference'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('an output over an input is refused before any work, --force or not (exit 2, inputs untouched)', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['merge --out <the base dir> --force', () => ['merge', config, '--out', join(fam, 'base'), '--force'], /is the input/],
    ['merge --out <the dir holding the models> --force', () => ['merge', config, '--out', fam, '--force'], /contains the input/],
    ['merge --out <a dir inside a fine-tune>', () => ['merge', config, '--out', join(fam, 'sft-a', 'merged')], /lies inside the input/],
    ['merge --out <the config file>', () => ['merge', config, '--out', config, '--force'], /is the input/],
    [
      'merge --out <the parent of everything> with flags',
      () => ['merge', '--method', 'linear', '--model', `${join(fam, 'sft-a')}:1`, '--out', root, '--force'],
      /contains the input/,
    ],
    [
      'analyze --out <the base dir> --force',
      () => ['analyze', join(fam, 'sft-a'), '--base', join(fam, 'base'), '--out', join(fam, 'base'), '--force'],
      /is the input/,
    ],
    [
      'analyze --out <a LoRA adapter dir> --force',
      () => ['analyze', join(fam, 'lora'), '--base', join(fam, 'base'), '--out', join(fam, 'lora'), '--force'],
      /is the input/,
    ],
    [
      'tune --out <the base dir> --force',
      () => ['tune', join(fam, 'sft-a'), join(fam, 'sft-hot'), '--base', join(fam, 'base'), '--out', join(fam, 'base'), '--force'],
      /is the input/,
    ],
    [
      'tune --analysis <a fine-tune dir>',
      () => [
        'tune',
        join(fam, 'sft-a'),
        '--base',
        join(fam, 'base'),
        '--out',
        join(root, 'tuned-x'),
        '--analysis',
        join(fam, 'sft-a'),
        '--force',
      ],
      /--analysis .* is the input/,
    ],
    [
      'tune --recipe <the base weights file>',
      () => [
        'tune',
        join(fam, 'sft-a'),
        '--base',
        join(fam, 'base'),
        '--out',
        join(root, 'tuned-y'),
        '--recipe',
        join(fam, 'base', 'model.safetensors'),
      ],
      /--recipe .* lies inside the input/,
    ],
    [
      'report --out <inside the analysis dir it reads>',
      () => ['report', join(fam, 'base'), '--out', join(fam, 'base', 'reports')],
      /lies inside the input/,
    ],
    [
      'dash --base --out <the base dir> --force',
      () => ['dash', join(fam, 'sft-a'), '--base', join(fam, 'base'), '--out', join(fam, 'base'), '--force', '--json'],
      /is the input/,
    ],
    ['demo --family F --out F --force', () => ['demo', '--family', fam, '--out', fam, '--force'], /is the input/],
    [
      'demo --family F --out F/sub --force',
      () => ['demo', '--family', fam, '--out', join(fam, 'sft-a'), '--force'],
      /lies inside the input/,
    ],
  ];
  for (const [what, args, pattern] of cases) {
    it(
      what,
      () => {
        const before = hashTree(fam);
        const cfg = readFileSync(config, 'utf8');
        const r = runCli(args());
        expectRefused(r, pattern);
        expect(hashTree(fam)).toEqual(before);
        expect(readFileSync(config, 'utf8')).toBe(cfg);
        // nothing was started: no hidden temp dir anywhere in the family, no default analysis dir beside the base
        expect(Object.keys(hashTree(fam)).filter((p) => p.includes('darekit-tmp'))).toEqual([]);
        expect(existsSync(`${join(fam, 'base')}-analysis`)).toBe(false);
      },
      60_000,
    );
  }

  it('compares real paths: an --out that reaches the base through a symlinked parent is refused', () => {
    const link = join(root, 'link-to-fam');
    symlinkSync(fam, link);
    const before = hashTree(fam);
    const r = runCli(['merge', config, '--out', join(link, 'base'), '--force']);
    expectRefused(r, /is the input/);
    expect(hashTree(fam)).toEqual(before);
  }, 60_000);
});

describe('--force replaces only an empty dir or one darekit wrote', () => {
  it("refuses a user's working folder, naming what is there, and leaves it byte for byte", () => {
    const out = join(root, 'my-folder');
    mkdirSync(join(out, 'chapters'), { recursive: true });
    writeFileSync(join(out, 'thesis.tex'), 'years of work');
    writeFileSync(join(out, 'chapters', 'one.tex'), 'chapter one');
    const before = hashTree(out);
    for (const args of [
      ['merge', config, '--out', out, '--force'],
      ['analyze', join(fam, 'sft-a'), '--base', join(fam, 'base'), '--out', out, '--force'],
    ]) {
      const r = runCli(args);
      expectRefused(r, /"chapters", "thesis\.tex"/);
      expect(hashTree(out)).toEqual(before);
      expect(siblings(root, 'my-folder')).toEqual(['my-folder']);
    }
  }, 60_000);

  it('demo --force on a folder it did not write is refused before any work (no rm -rf)', () => {
    const out = join(root, 'demo-mine');
    mkdirSync(out);
    writeFileSync(join(out, 'precious.txt'), 'keep');
    const r = runCli(['demo', '--family', fam, '--out', out, '--force']);
    expectRefused(r, /not an earlier demo output.*"precious\.txt"/);
    expect(hashTree(out)).toEqual({ 'precious.txt': createHash('sha256').update('keep').digest('hex') });
    expect(siblings(root, 'demo-mine')).toEqual(['demo-mine']);
  }, 60_000);

  it('replaces an earlier darekit output, and an empty dir', () => {
    const out = join(root, 'earlier');
    cpSync(join(root, 'reference'), out, { recursive: true });
    writeFileSync(join(out, 'model.safetensors'), 'stale');
    const r = runCli(['merge', config, '--out', out, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(hashDir(out)).toEqual(reference);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(runCli(['merge', config, '--out', empty, '--force']).code).toBe(0);
    expect(hashDir(empty)).toEqual(reference);
  }, 60_000);
});

describe('a symlinked --out (point 10)', () => {
  for (const target of ['an empty dir', 'an earlier output']) {
    it(`to ${target} is refused before the work starts, the target untouched`, () => {
      const real = join(root, `real-${target.length}`);
      if (target === 'an empty dir') mkdirSync(real);
      else cpSync(join(root, 'reference'), real, { recursive: true });
      const before = hashTree(real);
      const link = join(root, `out-link-${target.length}`);
      symlinkSync(real, link);
      const r = runCli(['merge', config, '--out', link, '--force']);
      expectRefused(r, /symlink/);
      expect(hashTree(real)).toEqual(before);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readdirSync(root).filter((e) => e.includes('darekit-tmp'))).toEqual([]);
    }, 60_000);
  }
});

describe('tune refuses its output before analyzing (the merge comes last)', () => {
  it('a symlinked --out, and a --force onto a folder darekit did not write, leave no analysis behind', () => {
    const real = join(root, 'tune-real');
    mkdirSync(real);
    symlinkSync(real, join(root, 'tune-link'));
    const r = runCli([
      'tune',
      join(fam, 'sft-a'),
      join(fam, 'sft-hot'),
      '--base',
      join(fam, 'base'),
      '--out',
      join(root, 'tune-link'),
      '--force',
    ]);
    expectRefused(r, /symlink/);
    expect(existsSync(join(root, 'tune-link-analysis'))).toBe(false);
    writeFileSync(join(real, 'notes.md'), 'mine');
    const r2 = runCli(['tune', join(fam, 'sft-a'), join(fam, 'sft-hot'), '--base', join(fam, 'base'), '--out', real, '--force']);
    expectRefused(r2, /only an empty dir or one darekit wrote.*"notes\.md"/);
    expect(existsSync(join(root, 'tune-real-analysis'))).toBe(false);
    expect(readdirSync(real)).toEqual(['notes.md']);
  }, 60_000);
});

describe("a dead run's hidden leftovers are recovered by the next run for that output", () => {
  it('an old output moved aside (output missing) is restored, a temp dir removed, and the run says so', () => {
    const parent = join(root, 'left1');
    mkdirSync(parent);
    const pid = deadPid();
    cpSync(join(root, 'reference'), join(parent, `.out.darekit-old-${pid}-0a1b2c3d`), { recursive: true });
    mkdirSync(join(parent, `.out.darekit-tmp-${pid}-deadbeef`));
    writeFileSync(join(parent, `.out.darekit-tmp-${pid}-deadbeef`, 'model.safetensors'), 'half');
    // without --force: the earlier output comes back, and the run refuses to replace it
    const r = runCli(['merge', config, '--out', join(parent, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/restored the earlier output/);
    expect(r.stderr).toMatch(/removed \.out\.darekit-tmp-/);
    expect(hashDir(join(parent, 'out'))).toEqual(reference);
    expect(readdirSync(parent)).toEqual(['out']);
  }, 60_000);

  it('an old output left half-deleted beside a complete output is removed', () => {
    const parent = join(root, 'left2');
    mkdirSync(parent);
    cpSync(join(root, 'reference'), join(parent, 'out'), { recursive: true });
    const old = join(parent, `.out.darekit-old-${deadPid()}-00ff00ff`);
    mkdirSync(old);
    writeFileSync(join(old, 'config.json'), '{}');
    const r = runCli(['merge', config, '--out', join(parent, 'out'), '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/removed \.out\.darekit-old-.*not finished deleting/);
    expect(hashDir(join(parent, 'out'))).toEqual(reference);
    expect(readdirSync(parent)).toEqual(['out']);
  }, 60_000);

  it("leaves a live process's leftovers alone", () => {
    const parent = join(root, 'left3');
    mkdirSync(parent);
    const live = join(parent, `.out.darekit-tmp-${process.pid}-12345678`);
    mkdirSync(live);
    const r = runCli(['merge', config, '--out', join(parent, 'out')]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(live)).toBe(true);
  }, 60_000);

  it('SIGKILL inside a --force commit (old moved aside, new not in place): the next run restores, then replaces', async () => {
    const parent = join(root, 'killcommit');
    mkdirSync(parent);
    const out = join(parent, 'out');
    cpSync(join(root, 'reference'), out, { recursive: true });
    writeFileSync(join(out, 'mergekit_config.yml'), 'the earlier output');
    const earlier = hashDir(out);
    const env = { ...process.env, DAREKIT_TEST_COMMIT_PAUSE_MS: '60000' };
    const r = await runCliAndSignal(
      ['merge', config, '--out', out, '--force'],
      'SIGKILL',
      async () => {
        await waitFor(() => readdirSync(parent).some((e) => e.startsWith('.out.darekit-old-')));
      },
      { env },
    );
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    const hidden = readdirSync(parent).sort();
    expect(hidden.some((e) => e.startsWith('.out.darekit-old-'))).toBe(true);
    expect(hidden.some((e) => e.startsWith('.out.darekit-tmp-'))).toBe(true);
    // the next run for this output recovers first
    const again = runCli(['merge', config, '--out', out]);
    expect(again.code).toBe(2); // the earlier output is back, and without --force it is not replaced
    expect(again.stderr).toMatch(/restored the earlier output/);
    expect(hashDir(out)).toEqual(earlier);
    expect(readdirSync(parent)).toEqual(['out']);
    const forced = runCli(['merge', config, '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(hashDir(out)).toEqual(reference);
    expect(readdirSync(parent)).toEqual(['out']);
  }, 120_000);
});
