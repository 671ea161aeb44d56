import { spawn } from 'node:child_process';
import { registerCleanup } from '../io/cleanup.js';
import type { TrialStatus } from './trials.js';

/** Quote a string for a POSIX shell: one single-quoted word. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line with every `{model}` replaced by the quoted candidate dir. */
export function fillCommand(template: string, modelDir: string): string {
  return template.split('{model}').join(shellQuote(modelDir));
}

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g;

/** The score in an eval command's stdout: the last number printed, or the value at a dotted JSON key. */
export function parseScore(stdout: string, jsonKey?: string): number | null {
  if (jsonKey === undefined) {
    const all = stdout.match(NUMBER);
    if (!all) return null;
    const v = Number(all[all.length - 1]);
    return Number.isFinite(v) ? v : null;
  }
  // The last line that parses as a JSON object wins (so logs may precede it); else the whole output.
  const candidates = [...stdout.split('\n').reverse(), stdout];
  for (const c of candidates) {
    let obj: unknown;
    try {
      obj = JSON.parse(c);
    } catch {
      continue;
    }
    let v: unknown = obj;
    for (const k of jsonKey.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    if (obj !== null && typeof obj === 'object') return null;
  }
  return null;
}

/** What one eval run gave. */
export interface EvalOutcome {
  score: number | null;
  status: TrialStatus;
  seconds: number;
  stderrTail: string;
}

/** Options of runEval. */
export interface EvalOptions {
  jsonKey?: string;
  /** Kill the command (and its process group) after this many ms; 0 = no limit. */
  timeoutMs?: number;
  cwd?: string;
}

const TAIL = 2000;
const STDOUT_CAP = 1 << 20;

/** Run the eval command through `sh -c` on one candidate model dir and read its score; never throws for the command's own failures. */
export function runEval(template: string, modelDir: string, opts: EvalOptions = {}): Promise<EvalOutcome> {
  const t0 = performance.now();
  return new Promise((resolvePromise) => {
    // detached: the command gets its own process group, so a timeout kills its children too.
    const child = spawn('sh', ['-c', fillCommand(template, modelDir)], {
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // an interrupted darekit (SIGINT/SIGTERM/SIGHUP via the CLI) takes the eval's whole process group with it
    const unregister = registerCleanup(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => {
      if (stdout.length < STDOUT_CAP) stdout += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-TAIL * 2);
    });
    const timer =
      opts.timeoutMs && opts.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              /* already gone */
            }
          }, opts.timeoutMs)
        : null;
    const finish = (status: TrialStatus, score: number | null, extra = '') => {
      if (timer) clearTimeout(timer);
      unregister();
      const tail = (stderr.trimEnd() + (extra ? `\n${extra}` : '')).trim().slice(-TAIL);
      resolvePromise({ score, status, seconds: (performance.now() - t0) / 1000, stderrTail: tail });
    };
    child.on('error', (err) => finish('failed', null, `could not start the eval command: ${err.message}`));
    child.on('close', (code, signal) => {
      if (timedOut) return finish('timeout', null, `timed out after ${opts.timeoutMs} ms`);
      if (code !== 0) return finish('failed', null, `exit ${code ?? signal}`);
      const score = parseScore(stdout, opts.jsonKey);
      if (score === null)
        return finish('no-score', null, opts.jsonKey ? `no numeric "${opts.jsonKey}" in a JSON object on stdout` : 'no number on stdout');
      finish('ok', score);
    });
  });
}
