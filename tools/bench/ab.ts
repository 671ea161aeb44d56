// npm run bench:ab -- --against <checkout> [--what merge|analyze] [--rounds 3] [--runs 3] — this build and another
// darekit checkout (built with `npm run build && npm run build:tools`) run the same benchmark workload alternately, in
// separate processes, round by round: on a machine whose speed drifts, only alternating runs compare two builds.
// Prints and writes reports/bench/ab-<what>.{json,md}: per round and build, the best wall time of `--runs` calls in one
// process and the process CPU seconds of that call.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT, ensureBenchFamily, machineFacts } from './family.js';
import type { RunsReport } from './ab-runs.js';

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fail(message: string): never {
  process.stderr.write(`bench:ab: ${message}\n`);
  process.exit(2);
}

const against = argValue('--against');
if (against === undefined) fail('give --against <path of another darekit checkout> (built: npm run build && npm run build:tools)');
const other = resolve(against);
const what = argValue('--what') ?? 'merge';
if (what !== 'merge' && what !== 'analyze') fail(`--what ${what}: use merge or analyze`);
const rounds = Number(argValue('--rounds') ?? 3);
const runs = Number(argValue('--runs') ?? 3);
if (!(Number.isInteger(rounds) && rounds >= 1 && Number.isInteger(runs) && runs >= 1)) fail('--rounds and --runs take whole numbers ≥ 1');
for (const f of ['build/src/merge/executor.js', 'build/src/app/analyze.js'])
  if (!existsSync(join(other, f))) fail(`${other}: ${f} is missing; run npm run build && npm run build:tools there first`);

const { base, fts } = ensureBenchFamily(1);
const runner = join(PACKAGE_ROOT, 'build', 'tools', 'bench', 'ab-runs.js');
const builds = [
  { name: 'this', root: PACKAGE_ROOT },
  { name: 'other', root: other },
];

/** One process of `runs` calls of the workload on the given checkout's build. */
function measure(root: string): RunsReport {
  const r = spawnSync(process.execPath, [runner, root, what, String(runs), base, ...fts], { encoding: 'utf8' });
  if (r.status !== 0) fail(`the ${what} runs on ${root} failed: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as RunsReport;
}

const loadAtStart = +loadavg()[0]!.toFixed(2);
const table: { round: number; build: string; best: number; cpu: number }[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const b of round % 2 === 1 ? builds : [...builds].reverse()) {
    const m = measure(b.root);
    table.push({ round, build: b.name, best: m.bestSeconds, cpu: m.cpuSecondsOfBest });
    process.stderr.write(`round ${round}, ${b.name}: ${m.bestSeconds.toFixed(3)} s (CPU ${m.cpuSecondsOfBest.toFixed(2)} s)\n`);
  }
}
const best = (name: string): number => Math.min(...table.filter((t) => t.build === name).map((t) => t.best));
const mean = (name: string): number => {
  const xs = table.filter((t) => t.build === name).map((t) => t.best);
  return xs.reduce((a, b) => a + b, 0) / xs.length;
};
const result = {
  what,
  this: PACKAGE_ROOT,
  other,
  rounds,
  runsPerProcess: runs,
  table,
  bestSeconds: { this: +best('this').toFixed(3), other: +best('other').toFixed(3) },
  meanOfBestSeconds: { this: +mean('this').toFixed(3), other: +mean('other').toFixed(3) },
  change: +((mean('this') / mean('other') - 1) * 100).toFixed(1),
  machine: { ...machineFacts(), loadAverage1mAtStart: loadAtStart },
};
const md = [
  `| round | build | ${what} s (best of ${runs} in one process) | process CPU s of that run |`,
  '| --- | --- | --- | --- |',
  ...table.map((t) => `| ${t.round} | ${t.build === 'this' ? 'this checkout' : other} | ${t.best.toFixed(3)} | ${t.cpu.toFixed(2)} |`),
  '',
  `Mean of the rounds' best: this ${result.meanOfBestSeconds.this} s, other ${result.meanOfBestSeconds.other} s (${result.change > 0 ? '+' : ''}${result.change}%). 1-min load ${loadAtStart} → ${result.machine.loadAverage1m}.`,
].join('\n');
const dir = join(PACKAGE_ROOT, 'reports', 'bench');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `ab-${what}.json`), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(dir, `ab-${what}.md`), md + '\n');
process.stdout.write(md + '\n');
