// Issue 16, point 6 at the CLI: a FIFO where darekit expects a file ends the run at once with exit 2 and one
// line (it used to block for ever with SIGTERM and Ctrl-C ignored), and a run that waits (an --eval command)
// still ends promptly on SIGTERM, leaving neither its temp dirs nor the eval's processes behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, makeFamily, oneLineError, runCliAndSignal, waitFor } from './cli-harness.js';

const root = mkdtempSync(join(tmpdir(), 'darekit-fifo-'));
const fam = join(root, 'fam');

beforeAll(() => {
  makeFamily(fam, ['--preset', 'tiny']);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Run the CLI, killing it with SIGKILL if it has not ended in 30 s (a hang then fails the test, never the suite). */
function runBounded(args: string[]): { code: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stderr: r.stderr };
}

/** A copy of a family model dir with `name` replaced by a FIFO. */
function withFifo(model: string, name: string, rename?: string): string {
  const dir = join(root, `${model}-${(rename ?? name).replace(/[^a-z]/gi, '')}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(join(fam, model), dir, { recursive: true });
  unlinkSync(join(dir, name));
  execFileSync('mkfifo', [join(dir, rename ?? name)]);
  return dir;
}

describe('a FIFO in place of a file is refused at once (exit 2, one line), never read', () => {
  const cases: [string, () => string[], RegExp][] = [
    [
      'as model.safetensors (inspect)',
      () => ['inspect', withFifo('base', 'model.safetensors')],
      /model\.safetensors: the safetensors file is a FIFO/,
    ],
    [
      'as the only *.safetensors (inspect)',
      () => ['inspect', withFifo('base', 'model.safetensors', 'weights.safetensors')],
      /weights\.safetensors: .*FIFO/,
    ],
    [
      "as a fine-tune's weights (analyze)",
      () => ['analyze', withFifo('sft-a', 'model.safetensors'), '--base', join(fam, 'base'), '--out', join(root, `an-${Math.random()}`)],
      /FIFO/,
    ],
    [
      "as the base's config.json (merge copies it)",
      () => [
        'merge',
        '--method',
        'task_arithmetic',
        '--base',
        withFifo('base', 'config.json'),
        '--model',
        `${join(fam, 'sft-a')}:1`,
        '--out',
        join(root, `m-${Math.random()}`),
      ],
      /config\.json: .*FIFO/,
    ],
  ];
  for (const [what, args, pattern] of cases) {
    it(
      what,
      () => {
        const r = runBounded(args());
        expect(r.signal, 'the CLI hung and was killed').toBeNull();
        expect(r.code, r.stderr).toBe(2);
        expect(oneLineError(r.stderr)).toBeUndefined();
        expect(r.stderr).toMatch(pattern);
      },
      60_000,
    );
  }

  it('as the merge config file', () => {
    const cfg = join(root, 'config-fifo.yml');
    execFileSync('mkfifo', [cfg]);
    const r = runBounded(['merge', cfg, '--out', join(root, 'never')]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(r.stderr).toMatch(/config-fifo\.yml: the merge config is a FIFO/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  }, 60_000);

  it('as the config of darekit check', () => {
    const cfg = join(root, 'check-fifo.yml');
    execFileSync('mkfifo', [cfg]);
    const r = runBounded(['check', cfg]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(r.stderr).toMatch(/check-fifo\.yml: the merge config is a FIFO/);
  }, 60_000);

  it('as a shard of a sharded model', () => {
    const dir = join(root, 'sharded');
    makeFamily(join(root, 'shfam'), ['--preset', 'tiny', '--shard-mb', '0.02']);
    cpSync(join(root, 'shfam', 'base'), dir, { recursive: true });
    const shard = readdirSync(dir)
      .filter((e) => e.endsWith('.safetensors'))
      .sort()[1]!;
    unlinkSync(join(dir, shard));
    execFileSync('mkfifo', [join(dir, shard)]);
    const r = runBounded(['inspect', dir]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toBeUndefined();
    expect(r.stderr).toContain(`shard "${shard}"`);
    expect(r.stderr).toContain('FIFO');
  }, 60_000);
});

describe('SIGTERM while darekit waits', () => {
  it('ends a tune blocked on its --eval command promptly (143), removing its temp dirs and the eval processes', async () => {
    const tmp = join(root, 'tmp');
    mkdirSync(tmp);
    const pidFile = join(root, 'eval.pid');
    const evalCmd = `echo $$ > ${pidFile}; sleep 600; echo 1 {model}`;
    const out = join(root, 'tuned');
    const r = await runCliAndSignal(
      ['tune', join(fam, 'sft-a'), join(fam, 'sft-hot'), '--base', join(fam, 'base'), '--out', out, '--eval', evalCmd, '--budget', '2'],
      'SIGTERM',
      async () => {
        await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 6000);
      },
      { env: { ...process.env, TMPDIR: tmp } },
    );
    expect(r.code, r.stderr).toBe(143);
    expect(existsSync(pidFile)).toBe(true);
    const evalPid = Number(readFileSync(pidFile, 'utf8'));
    // the eval's process group is gone (reaped by init once killed)
    const alive = (): boolean => {
      try {
        process.kill(evalPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !alive(), 500);
    expect(alive()).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((e) => e.startsWith('.tuned'))).toEqual([]);
  }, 120_000);
});
