// The child process of bench:ab: `node ab-runs.js <checkout> merge|analyze <runs> <base> <ft>...` runs the workload
// `runs` times on that checkout's build (its build/src, loaded by path) and prints one JSON line: the best wall time
// and the process CPU seconds of that run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchMergeYaml } from './family.js';

/** What one child process reports. */
export interface RunsReport {
  bestSeconds: number;
  cpuSecondsOfBest: number;
}

interface MergeModule {
  merge: (config: unknown, opts: { out: string; threads: number }) => Promise<unknown>;
}
interface ConfigModule {
  parseMergeConfig: (raw: unknown, opts: { configDir: string }) => unknown;
}
interface AnalyzeModule {
  analyze: (opts: { base: string; finetunes: string[]; outDir: string; threads: number }) => Promise<unknown>;
}

async function load<T>(root: string, file: string): Promise<T> {
  return (await import(pathToFileURL(join(root, 'build', 'src', file)).href)) as T;
}

async function main(): Promise<void> {
  const [root, what, runsArg, base, ...fts] = process.argv.slice(2);
  if (!root || !base || fts.length === 0 || (what !== 'merge' && what !== 'analyze'))
    throw new Error('usage: ab-runs <checkout> merge|analyze <runs> <base> <ft>...');
  const runs = Number(runsArg);
  const work = mkdtempSync(join(tmpdir(), 'darekit-bench-ab-'));
  let best = Infinity;
  let cpuOfBest = 0;
  try {
    const once =
      what === 'merge'
        ? await (async () => {
            const { merge } = await load<MergeModule>(root, 'merge/executor.js');
            const { parseMergeConfig } = await load<ConfigModule>(root, 'merge/config.js');
            const cfg = parseMergeConfig(benchMergeYaml(base, fts), { configDir: root });
            return (out: string) => merge(cfg, { out, threads: 2 });
          })()
        : await (async () => {
            const { analyze } = await load<AnalyzeModule>(root, 'app/analyze.js');
            return (out: string) => analyze({ base, finetunes: fts, outDir: out, threads: 2 });
          })();
    for (let r = 0; r < runs; r++) {
      const out = join(work, `run-${r}`);
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await once(out);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = process.cpuUsage(c0);
      if (seconds < best) {
        best = seconds;
        cpuOfBest = (c.user + c.system) / 1e6;
      }
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const report: RunsReport = { bestSeconds: +best.toFixed(3), cpuSecondsOfBest: +cpuOfBest.toFixed(2) };
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`ab-runs failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
