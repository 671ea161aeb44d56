#!/usr/bin/env node
/**
 * Long fuzz runs: `npm run fuzz -- --minutes N [--seed S] [--targets a,b]`. Rotates through every target in
 * rounds, prints the count of cases tried, and writes each failure with its reproducer (run seed, case
 * index, case seed, mutation and the exact input) under reports/fuzz/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz, type FuzzFailure, type FuzzTarget } from '../reliability/fuzz-loop.js';
import {
  adapterConfigTarget,
  analysisDirTarget,
  configTarget,
  indexTarget,
  safetensorsFileTarget,
  safetensorsMemoryTarget,
} from '../reliability/targets.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';

const ROOT = PACKAGE_ROOT;

// Share of each round per target: the in-memory parser is cheap, the on-disk targets cost more per case.
const ROUND_MS: Record<string, number> = {
  'safetensors-memory': 6000,
  'safetensors-file': 3000,
  index: 3000,
  config: 3000,
  'adapter-config': 3000,
  'analysis-dir': 6000,
};

function writeFailure(dir: string, f: FuzzFailure): string {
  const base = join(dir, `${f.target}-${f.runSeed}-${f.index}`);
  const isText = typeof f.input === 'string';
  writeFileSync(`${base}.input${isText ? (f.target === 'config' ? '.yml' : '.json') : '.bin'}`, f.input);
  const meta = {
    target: f.target,
    runSeed: f.runSeed,
    index: f.index,
    caseSeed: f.caseSeed,
    kind: f.kind,
    violation: f.violation,
    rerun: `npm run fuzz -- --targets ${f.target} --seed ${f.runSeed} --start ${f.index} --cases 1`,
  };
  writeFileSync(`${base}.json`, JSON.stringify(meta, null, 2) + '\n');
  return base;
}

function main(): void {
  // the yaml parser reports unknown tags as process warnings; thousands of them would bury the results
  process.removeAllListeners('warning');
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '1' },
      seed: { type: 'string' },
      targets: { type: 'string' },
      start: { type: 'string', default: '0' },
      cases: { type: 'string' },
    },
  });
  const minutes = Number(values.minutes);
  const runSeed = values.seed !== undefined ? Number(values.seed) >>> 0 : (Date.now() & 0x7fffffff) >>> 0;
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  // targets are made lazily: the analysis-dir target runs `darekit analyze` once to build its genuine dir
  const makers: [string, () => FuzzTarget][] = [
    ['safetensors-memory', safetensorsMemoryTarget],
    ['safetensors-file', safetensorsFileTarget],
    ['index', indexTarget],
    ['config', () => configTarget(join(ROOT, 'fixtures', 'families', 'S'))],
    ['adapter-config', adapterConfigTarget],
    ['analysis-dir', analysisDirTarget],
  ];
  const wanted = values.targets?.split(',');
  const targets = makers.filter(([name]) => !wanted || wanted.includes(name)).map(([, make]) => make());
  const reportDir = join(ROOT, 'reports', 'fuzz');
  mkdirSync(reportDir, { recursive: true });
  const deadline = performance.now() + minutes * 60_000;
  const next = new Map(targets.map((t) => [t.name, Number(values.start)]));
  const counts = new Map(targets.map((t) => [t.name, { cases: 0, accepted: 0, rejected: 0, failures: 0 }]));
  const oneShot = values.cases !== undefined ? Number(values.cases) : undefined;
  process.stdout.write(`darekit fuzz: seed ${runSeed}, ${minutes} min, targets ${targets.map((t) => t.name).join(', ')}\n`);
  try {
    let lastPrint = performance.now();
    do {
      for (const t of targets) {
        const left = deadline - performance.now();
        if (left <= 0 && oneShot === undefined) break;
        const stats = runFuzz(t, {
          runSeed,
          startIndex: next.get(t.name)!,
          maxMs: Math.min(ROUND_MS[t.name] ?? 3000, Math.max(left, 0)),
          ...(oneShot !== undefined ? { maxCases: oneShot } : {}),
        });
        next.set(t.name, next.get(t.name)! + stats.cases);
        const c = counts.get(t.name)!;
        c.cases += stats.cases;
        c.accepted += stats.accepted;
        c.rejected += stats.rejected;
        c.failures += stats.failures.length;
        for (const f of stats.failures) {
          const where = writeFailure(reportDir, f);
          process.stdout.write(
            `FAIL ${f.target} case ${f.index} (caseSeed ${f.caseSeed}, ${f.kind}): ${f.violation.reason}: ${f.violation.detail}\n  reproducer: ${where}.json\n`,
          );
        }
        if (stats.slowest.ms > 2000)
          process.stdout.write(
            `slow: ${t.name} case ${stats.slowest.index} (${stats.slowest.kind}) took ${stats.slowest.ms.toFixed(0)} ms\n`,
          );
      }
      if (performance.now() - lastPrint > 30_000) {
        lastPrint = performance.now();
        const total = [...counts.values()].reduce((a, c) => a + c.cases, 0);
        process.stdout.write(`… ${total} cases so far\n`);
      }
    } while (oneShot === undefined && performance.now() < deadline);
  } finally {
    for (const t of targets) t.close?.();
  }
  let total = 0;
  let failures = 0;
  for (const [name, c] of counts) {
    total += c.cases;
    failures += c.failures;
    process.stdout.write(
      `${name.padEnd(20)} ${String(c.cases).padStart(9)} cases  ${String(c.accepted).padStart(8)} accepted  ${String(c.rejected).padStart(8)} rejected  ${c.failures} failures\n`,
    );
  }
  process.stdout.write(`total ${total} cases, ${failures} failures (seed ${runSeed})\n`);
  writeFileSync(
    join(reportDir, `summary-${runSeed}.json`),
    JSON.stringify({ runSeed, minutes, total, failures, targets: Object.fromEntries(counts) }, null, 2) + '\n',
  );
  if (failures > 0) process.exitCode = 1;
}

main();
