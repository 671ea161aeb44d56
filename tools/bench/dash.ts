// npm run bench:dash — key-press-to-frame latency of the ink dashboard on a synthetic 1,000-layer set (the issue's
// target: a redraw within 100 ms of a key press), the initial render, and optionally (--load) the load of a real
// 80-layer analysis dir made with `darekit fixtures` + `darekit analyze`.
import { EventEmitter } from 'node:events';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importRunDashboard } from '../../src/dash/launch.js';
import { loadDashboardData } from '../../src/app/dashboard.js';
import { syntheticDashboard } from '../../src/dash/synthetic.js';
import type { DashboardData } from '../../src/dash/model.js';
import { PACKAGE_ROOT, machineFacts } from './family.js';

/** Layers of the synthetic set (`-- --layers N` to compare; the target is stated for 1,000). */
const LAYERS = layersArg();
const TARGET_MS = 100;
/**
 * A key with no frame within this is counted apart, not timed: ink writes nothing when the frame is unchanged (↓ on
 * the last row of a small set). At 1,000 layers every key in the sequence changes the frame, so any is a failure.
 */
const FRAME_TIMEOUT_MS = 1000;
/** Pause after each frame before the next key: longer than ink's 30 fps render throttle, like a person typing. */
const PAUSE_MS = 40;

function layersArg(): number {
  const i = process.argv.indexOf('--layers');
  if (i < 0) return 1000;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--layers must be a positive integer; got "${process.argv[i + 1] ?? ''}"`);
  return n;
}

/** Terminal sequences of the keys the benchmark presses. */
const KEY = { down: '\u001B[B', pageDown: '\u001B[6~', right: '\u001B[C', tab: '\t', enter: '\r', escape: '\u001B' };

/** A fake TTY stdout of a fixed size that notes when each write (a frame) arrives. */
class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  writes = 0;
  private waiter: (() => void) | null = null;
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  write = (_chunk: string): boolean => {
    this.writes++;
    const w = this.waiter;
    this.waiter = null;
    w?.();
    return true;
  };
  /** Resolves with true at the next write, false after timeoutMs. Set it up before causing the write. */
  nextWrite(timeoutMs: number): Promise<boolean> {
    return new Promise((res) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        res(false);
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        res(true);
      };
    });
  }
}

/** A fake TTY stdin that ink reads key sequences from (the shape ink's App uses: readable + read()). */
class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  /** Deliver one key sequence as one read. */
  press(seq: string): void {
    this.data = seq;
    this.emit('readable');
    this.emit('data', seq);
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** The key sequence: [kind, sequence]. */
function keySequence(): Array<[string, string]> {
  const seq: Array<[string, string]> = [];
  const add = (kind: string, key: string, n = 1) => {
    for (let i = 0; i < n; i++) seq.push([kind, key]);
  };
  add('↓', KEY.down, 50);
  add('PgDn', KEY.pageDown, 10);
  add('→', KEY.right, 3);
  add('tab', KEY.tab, 3);
  add('s (sort)', 's', 10);
  add('/ (open filter)', '/');
  for (const ch of 'down_proj') add('filter typing', ch);
  add('Enter (keep filter)', KEY.enter);
  add('↓', KEY.down, 10);
  add('Esc (clear filter)', KEY.escape);
  add('s (sort)', 's', 5);
  return seq;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

function quantile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** Per-kind statistics of latencies (ms). */
export interface KeyStats {
  kind: string;
  n: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  timeouts: number;
}

function stats(kind: string, samples: Array<{ ms: number; ok: boolean }>): KeyStats {
  const s = samples
    .filter((x) => x.ok)
    .map((x) => x.ms)
    .sort((a, b) => a - b);
  const r = (x: number | undefined) => (x === undefined ? NaN : +x.toFixed(2));
  return {
    kind,
    n: s.length,
    medianMs: r(quantile(s, 0.5)),
    p95Ms: r(quantile(s, 0.95)),
    maxMs: r(s[s.length - 1]),
    timeouts: samples.length - s.length,
  };
}

const sleep = (t: number) => new Promise((res) => setTimeout(res, t));

/** Render the dashboard (the same runDashboard `darekit dash` calls) at a size, press the keys, time each frame. */
async function benchSize(data: DashboardData, columns: number, rows: number) {
  const runDashboard = await importRunDashboard(); // as `darekit dash` loads it (React's production build)
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const first = stdout.nextWrite(10_000);
  const t0 = process.hrtime.bigint();
  const done = runDashboard(data, { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream });
  await first;
  const initialMs = ms(t0);
  await sleep(200); // let ink settle (raw mode, listeners) before the first key
  const samples = new Map<string, Array<{ ms: number; ok: boolean }>>();
  for (const [kind, key] of keySequence()) {
    const frame = stdout.nextWrite(FRAME_TIMEOUT_MS);
    const k0 = process.hrtime.bigint();
    stdin.press(key);
    const ok = await frame;
    const t = ms(k0);
    if (!samples.has(kind)) samples.set(kind, []);
    samples.get(kind)!.push({ ms: t, ok });
    await sleep(PAUSE_MS);
  }
  stdin.press('q');
  await done;
  const perKind = [...samples].map(([kind, s]) => stats(kind, s));
  const all = stats('all keys', [...samples.values()].flat());
  return { columns, rows, initialRenderMs: +initialMs.toFixed(1), frames: stdout.writes, perKind, all };
}

/** Build an 80-layer family and its analysis in a temp dir with the CLI, then time loadDashboardData (3 runs). */
async function benchLoad(): Promise<{ layers: number; loadMs: number[]; setupSeconds: number }> {
  const tmp = mkdtempSync(join(tmpdir(), 'darekit-bench-dash-'));
  try {
    const cli = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, DAREKIT_NO_PROGRESS: '1' } });
      if (r.status !== 0) throw new Error(`darekit ${args[0]} failed (exit ${r.status}): ${r.stderr.trim()}`);
    };
    const s0 = process.hrtime.bigint();
    const fam = join(tmp, 'fam');
    run('fixtures', '--out', fam, '--layers', '80', '--hidden', '32', '--intermediate', '64', '--vocab', '64');
    const fts = readdirSync(fam, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== 'base')
      .map((e) => join(fam, e.name));
    const adir = join(tmp, 'analysis');
    run('analyze', '--base', join(fam, 'base'), ...fts, '--out', adir);
    const setupSeconds = +(ms(s0) / 1000).toFixed(1);
    const loadMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      await loadDashboardData(adir);
      loadMs.push(+ms(t0).toFixed(1));
    }
    return { layers: 80, loadMs, setupSeconds };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const b0 = process.hrtime.bigint();
  const data = syntheticDashboard(LAYERS);
  const buildMs = +ms(b0).toFixed(1);
  const tensors = data.models.reduce((n, m) => n + m.tensors.length, 0);
  const sizes = [];
  for (const [c, r] of [
    [80, 24],
    [200, 60],
  ] as const)
    sizes.push(await benchSize(data, c, r));
  const load = process.argv.includes('--load') ? await benchLoad() : null;
  const worstP95 = Math.max(...sizes.flatMap((s) => s.perKind.map((k) => k.p95Ms)).filter((v) => !Number.isNaN(v)));
  const result = {
    machine: {
      ...machineFacts(),
      nodeEnv: process.env.NODE_ENV ?? 'unset',
    },
    data: { layers: LAYERS, finetunes: data.models.length, pairs: data.pairs.length, tensorRows: tensors, buildMs },
    pauseBetweenKeysMs: PAUSE_MS,
    targetP95Ms: TARGET_MS,
    sizes,
    worstP95Ms: worstP95,
    targetMet: worstP95 <= TARGET_MS && sizes.every((s) => s.all.timeouts === 0),
    /** Keys after which no frame came within the timeout (not in the latencies). */
    keysWithoutFrame: sizes.reduce((n, s) => n + s.all.timeouts, 0),
    load,
  };
  const md: string[] = [
    `Dashboard on a synthetic ${LAYERS}-layer set (${data.models.length} fine-tunes, ${tensors} tensor rows, ${data.pairs.length} pairs): ms from writing a key to stdin to the next frame on stdout (${PAUSE_MS} ms pause after each frame).`,
    '',
    '| terminal | key | n | median ms | p95 ms | max ms |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of sizes) {
    md.push(`| ${s.columns}×${s.rows} | initial render | 1 | ${s.initialRenderMs} | | |`);
    for (const k of [...s.perKind, s.all])
      md.push(
        `| ${s.columns}×${s.rows} | ${k.kind} | ${k.n} | ${k.medianMs} | ${k.p95Ms} | ${k.maxMs}${k.timeouts ? ` (+${k.timeouts} without a frame in ${FRAME_TIMEOUT_MS} ms)` : ''} |`,
      );
  }
  md.push(
    '',
    `worst p95 ${worstP95} ms; target ≤ ${TARGET_MS} ms with a frame for every key: ${result.targetMet ? 'met' : 'NOT met'}${result.keysWithoutFrame ? ` (${result.keysWithoutFrame} keys without a frame)` : ''}.`,
  );
  if (load)
    md.push(
      `loadDashboardData on an ${load.layers}-layer analysis (3 fine-tunes): ${load.loadMs.join(', ')} ms (fixtures + analyze took ${load.setupSeconds} s).`,
    );
  md.push(
    `machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, NODE_ENV=${result.machine.nodeEnv} (React build); 1-min load average ${result.machine.loadAverage1m} at the end.`,
  );
  const dir = join(PACKAGE_ROOT, 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dash.json'), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(dir, 'dash.md'), md.join('\n') + '\n');
  process.stdout.write(md.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:dash failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
