import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../tools/reliability/rng.js';
import {
  hashDir,
  makeFamily,
  oneLineError,
  runCli,
  runCliAndSignal,
  siblings,
  sleep,
  waitFor,
  writeConfig,
  FAMILY_DARE_TIES_YAML,
} from './cli-harness.js';

// A family big enough that a merge takes about a second, so kills land at every stage.
const root = mkdtempSync(join(tmpdir(), 'darekit-crash-'));
let config = '';
let reference: Record<string, string> = {};
/** Wall time of an uninterrupted merge here, so kill points scale with this machine's speed. */
let mergeMs = 1000;

beforeAll(() => {
  makeFamily(join(root, 'fam'), ['--preset', 'small', '--hidden', '512', '--layers', '6', '--vocab', '4096']);
  config = writeConfig(join(root, 'merge.yml'), FAMILY_DARE_TIES_YAML);
  const started = Date.now();
  const r = runCli(['merge', config, '--out', join(root, 'reference')]);
  mergeMs = Date.now() - started;
  if (r.code !== 0) throw new Error(`reference merge failed: ${r.stderr}`);
  reference = hashDir(join(root, 'reference'));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** After any interruption: the output is absent or complete and identical; only hidden temp siblings may remain. */
function expectNoPartialOutput(parent: string, name: string): void {
  const out = join(parent, name);
  if (existsSync(out)) expect(hashDir(out)).toEqual(reference);
  for (const e of siblings(parent, name)) if (e !== name) expect(e.startsWith('.'), `visible leftover ${e}`).toBe(true);
}

describe('a merge killed with SIGKILL at random points', () => {
  it('never leaves a visible partial output, and a rerun succeeds with the same bytes', async () => {
    const rng = createRng(7);
    const parent = join(root, 'kill');
    mkdirSync(parent);
    let killedMidway = 0;
    for (let round = 0; round < 6; round++) {
      const name = `out${round}`;
      const out = join(parent, name);
      // kill somewhere between process start-up and three quarters of an uninterrupted run
      const delay = Math.round((rng.range(5, 75) / 100) * mergeMs);
      const r = await runCliAndSignal(['merge', config, '--out', out], 'SIGKILL', () => sleep(delay));
      expectNoPartialOutput(parent, name);
      // a kill that lands after the atomic rename leaves the complete output (checked above); count the others
      if (r.signal === 'SIGKILL' && !existsSync(out)) killedMidway++;
      if (!existsSync(out)) {
        const again = runCli(['merge', config, '--out', out]);
        expect(again.code, again.stderr).toBe(0);
      }
      expect(hashDir(out)).toEqual(reference);
      // the successful run removed the dead run's temp sibling
      expect(siblings(parent, name)).toEqual([name]);
    }
    expect(killedMidway).toBeGreaterThanOrEqual(3);
  }, 120_000);
});

describe('SIGINT, SIGTERM and SIGHUP during a merge', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} exits ${code} and leaves neither the output nor its temp dir`, async () => {
      const parent = join(root, signal);
      mkdirSync(parent);
      const name = 'out';
      const r = await runCliAndSignal(['merge', config, '--out', join(parent, name)], signal, async () => {
        // signal once the temp sibling exists, i.e. while the output is being written
        await waitFor(() => siblings(parent, name).some((e) => e.startsWith('.')));
      });
      expect(r.code, r.stderr).toBe(code);
      expect(siblings(parent, name)).toEqual([]);
    }, 60_000);
  }
});

describe('an existing output dir', () => {
  it('is refused untouched without --force (exit 2, one line); with --force, only when darekit wrote it', () => {
    const out = join(root, 'existing');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'earlier work');
    const r = runCli(['merge', config, '--out', out]);
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(r.stderr).toContain('--force');
    expect(readdirSync(out)).toEqual(['keep.txt']);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('earlier work');
    expect(siblings(root, 'existing')).toEqual(['existing']);
    // a dir darekit did not write is never replaced, --force or not
    const refused = runCli(['merge', config, '--out', out, '--force']);
    expect(refused.code).toBe(2);
    expect(oneLineError(refused.stderr)).toBeUndefined();
    expect(refused.stderr).toContain('"keep.txt"');
    expect(readdirSync(out)).toEqual(['keep.txt']);
    // an earlier darekit output is replaced with --force
    const earlier = join(root, 'earlier-output');
    cpSync(join(root, 'reference'), earlier, { recursive: true });
    writeFileSync(join(earlier, 'README.md'), 'an earlier merge');
    const forced = runCli(['merge', config, '--out', earlier, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(hashDir(earlier)).toEqual(reference);
    expect(siblings(root, 'earlier-output')).toEqual(['earlier-output']);
  }, 60_000);

  it('survives a failed --force run: the earlier output stays when the new one cannot be written', () => {
    const out = join(root, 'forced-fail');
    cpSync(join(root, 'reference'), out, { recursive: true });
    writeFileSync(join(out, 'README.md'), 'an earlier merge');
    const before = hashDir(out);
    const r = runCli(['merge', config, '--out', out, '--force'], { fileLimitKb: 1024 });
    expect(r.code).toBe(1);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(hashDir(out)).toEqual(before);
    expect(siblings(root, 'forced-fail')).toEqual(['forced-fail']);
  }, 60_000);
});

describe('a write failure mid-merge (RLIMIT_FSIZE)', () => {
  for (const limitKb of [64, 8192, 40_000]) {
    it(`with files capped at ${limitKb} KiB the merge fails with exit 1, one line, and no output`, () => {
      const out = join(root, `fsize-${limitKb}`);
      const r = runCli(['merge', config, '--out', out], { fileLimitKb: limitKb });
      expect(r.signal).toBeNull();
      expect(r.code).toBe(1);
      expect(oneLineError(r.stderr)).toBeUndefined();
      expect(siblings(root, `fsize-${limitKb}`)).toEqual([]);
    }, 60_000);
  }
});

describe('the free-space check', () => {
  it('refuses a merge that cannot fit before writing anything (exit 1, one line naming the sizes)', () => {
    const out = join(root, 'nospace');
    const r = runCli(['merge', config, '--out', out], { env: { DAREKIT_FREE_BYTES_OVERRIDE: '1000000' } });
    expect(r.code).toBe(1);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(r.stderr).toMatch(/free/);
    expect(siblings(root, 'nospace')).toEqual([]);
  }, 60_000);

  it('lets the same merge through when the space suffices', () => {
    const out = join(root, 'space');
    const r = runCli(['merge', config, '--out', out], { env: { DAREKIT_FREE_BYTES_OVERRIDE: String(10 ** 12) } });
    expect(r.code, r.stderr).toBe(0);
    expect(hashDir(out)).toEqual(reference);
  }, 60_000);
});
