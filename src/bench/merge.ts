// npm run bench:merge [-- --scale 2] [-- --skip-js] — dare_ties merge of base + 3 fine-tunes (BF16, ~1.1 GB each) against
// the I/O floor, with peak RSS, and the same merge through the scalar TypeScript kernel reference for comparison.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../io/model.js';
import { parseMergeConfig } from '../merge/config.js';
import { merge } from '../merge/executor.js';
import type { KernelKind } from '../merge/kernel-factory.js';
import { PACKAGE_ROOT, benchShape, ensureBenchFamily, ioFloorSeconds } from './family.js';

const root = PACKAGE_ROOT;
const scale = Number(argValue('--scale') ?? 1);
const threads = Number(argValue('--threads') ?? 2);
const SHAPE = benchShape(scale);

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}


async function timedMerge(base: string, fts: string[], kernel: KernelKind, work: string): Promise<{ seconds: number; sampledRssMiB: number; outBytes: number }> {
  const cfg = parseMergeConfig({
    merge_method: 'dare_ties', base_model: base,
    models: fts.map((m) => ({ model: m, parameters: { weight: 1 / fts.length, density: 0.3 } })),
    parameters: { seed: 1 },
  }, { configDir: root });
  let sampled = 0;
  const timer = setInterval(() => { sampled = Math.max(sampled, process.memoryUsage().rss); }, 50);
  const out = join(work, `merged-${kernel}`);
  try {
    const s = await merge(cfg, { out, threads, kernel });
    return { seconds: s.seconds, sampledRssMiB: Math.round(sampled / 2 ** 20), outBytes: s.outputBytes };
  } finally {
    clearInterval(timer);
    rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { dir: familyDir, base, fts } = ensureBenchFamily(scale);
  if (process.argv.includes('--generate-only')) return;
  const files = [base, ...fts].flatMap((d) => openModel(d).files);
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  const perModel = statSync(openModel(base).files[0]!).size;
  const work = mkdtempSync(join(tmpdir(), 'darekit-bench-merge-'));
  try {
    ioFloorSeconds(files, bytes); // warm the page cache
    const floor = Math.min(ioFloorSeconds(files, bytes, perModel, work), ioFloorSeconds(files, bytes, perModel, work));
    const wasm = await timedMerge(base, fts, 'wasm', work);
    const wasm2 = await timedMerge(base, fts, 'wasm', work);
    const best = Math.min(wasm.seconds, wasm2.seconds);
    const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024); // whole process, workers included
    const js = process.argv.includes('--skip-js') ? undefined : await timedMerge(base, fts, 'js', work);
    const result = {
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
      family: { dir: familyDir, ...SHAPE, dtype: 'BF16', finetunes: fts.length, bytesPerModel: perModel, totalBytes: bytes, scale },
      method: 'dare_ties', density: 0.3, threads,
      ioFloorSeconds: +floor.toFixed(3),
      mergeSeconds: [wasm.seconds, wasm2.seconds].map((s) => +s.toFixed(3)),
      bestSeconds: +best.toFixed(3),
      inputGbPerSecond: +(bytes / best / 1e9).toFixed(2),
      ratioToFloor: +(best / floor).toFixed(2),
      peakRssMiB,
      sampledMainRssMiB: Math.max(wasm.sampledRssMiB, wasm2.sampledRssMiB),
      jsSeconds: js ? +js.seconds.toFixed(3) : null,
      jsRatioToWasm: js ? +(js.seconds / best).toFixed(2) : null,
      peakRssWithJsMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      targets: { ratioToFloor: 2, peakRssMiB: 1024 },
    };
    const md = [
      '| workload | threads | merge s (best of 2) | input GB/s | I/O floor s | merge/floor | peak RSS MiB | plain-JS s | JS/wasm |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| dare_ties, base + ${fts.length} FT, ${(perModel / 2 ** 30).toFixed(2)} GiB/model BF16 (${(bytes / 1e9).toFixed(2)} GB read) | ${threads} | ${result.bestSeconds} | ${result.inputGbPerSecond} | ${result.ioFloorSeconds} | ${result.ratioToFloor}× | ${peakRssMiB} | ${result.jsSeconds ?? '–'} | ${result.jsRatioToWasm ?? '–'}${result.jsRatioToWasm ? '×' : ''} |`,
      '',
      `machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memGiB} GiB, Node ${result.machine.node}; page cache warm; floor = read every input once + write and fsync one output-sized file.`,
    ].join('\n');
    const dir = join(root, 'reports', 'bench');
    mkdirSync(dir, { recursive: true });
    const suffix = scale === 1 ? '' : `-x${scale}`;
    writeFileSync(join(dir, `merge${suffix}.json`), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(dir, `merge${suffix}.md`), md + '\n');
    process.stdout.write(md + '\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:merge failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
