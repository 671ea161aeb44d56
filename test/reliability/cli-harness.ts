import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The built CLI (npm test builds before vitest runs). */
export const CLI = resolve('dist/cli/main.js');

/** How a CLI run ended. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI to completion (optionally under `ulimit -f` in KiB blocks). */
export function runCli(args: string[], opts: { env?: Record<string, string>; fileLimitKb?: number } = {}): CliResult {
  const env = { ...process.env, ...opts.env };
  const r =
    opts.fileLimitKb !== undefined
      ? spawnSync('bash', ['-c', `ulimit -f ${opts.fileLimitKb}; exec node "$@"`, 'bash', CLI, ...args], {
          env,
          encoding: 'utf8',
          maxBuffer: 1 << 28,
        })
      : spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Start the CLI and deliver `signal` once `when` resolves (a delay or a condition); resolves with how it ended. */
export function runCliAndSignal(
  args: string[],
  signal: NodeJS.Signals,
  when: (child: { pid: number }) => Promise<void>,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code, sig) => done({ code, signal: sig, stdout, stderr }));
    void when({ pid: child.pid! }).then(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  });
}

/** Resolve after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll until pred() holds (or give up after maxPolls × 10 ms, resolving anyway). */
export async function waitFor(pred: () => boolean, maxPolls = 2000): Promise<boolean> {
  for (let i = 0; i < maxPolls; i++) {
    if (pred()) return true;
    await sleep(10);
  }
  return false;
}

/** The error contract of the CLI: exactly one line on stderr, prefixed "darekit:", no stack trace. */
export function oneLineError(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((l) => l.length > 0 && !l.startsWith('\r'));
  // progress bars redraw with \r on one line; only whole lines count
  const text = lines.filter((l) => !/^\s*\[?[#=>\- ]*\]?\s*\d+%/.test(l));
  if (text.length !== 1) return `expected one error line, got ${text.length}: ${JSON.stringify(stderr.slice(-800))}`;
  if (!text[0]!.includes('darekit: ')) return `error line lacks "darekit: ": ${text[0]}`;
  if (/\n\s+at /.test(stderr)) return `stack trace on stderr: ${stderr.slice(0, 500)}`;
  return undefined;
}

/** sha256 of every file in dir (names → hash), to compare outputs byte for byte. */
export function hashDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort())
    out[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  return out;
}

/** Entries of parent whose name mentions `name` (the output and any hidden temp sibling). */
export function siblings(parent: string, name: string): string[] {
  return existsSync(parent) ? readdirSync(parent).filter((e) => e.includes(name)) : [];
}

/** Generate a synthetic family with the CLI; returns the family dir. */
export function makeFamily(dir: string, args: string[]): string {
  const r = runCli(['fixtures', '--out', dir, ...args]);
  if (r.code !== 0) throw new Error(`fixtures failed: ${r.stderr}`);
  return dir;
}

/** Write a mergekit config beside the family and return its path. */
export function writeConfig(path: string, yaml: string): string {
  writeFileSync(path, yaml);
  return path;
}

/** The dare_ties config both reliability suites merge: two fine-tunes of the family in `fam/` beside the config. */
export const FAMILY_DARE_TIES_YAML = [
  'merge_method: dare_ties',
  'base_model: fam/base',
  'models:',
  '  - model: fam/sft-a',
  '    parameters: {weight: 1.0, density: 0.5}',
  '  - model: fam/sft-hot',
  '    parameters: {weight: 0.5, density: 0.7}',
  'seed: 3',
  '',
].join('\n');
