// The benchmark family shared by bench:merge and bench:analyze, and the I/O floor both measure against.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import { generateFamily } from '../../src/fixtures/family.js';
import { PRESETS } from '../../src/fixtures/presets.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';

export { PACKAGE_ROOT };

/** The fine-tunes of the benchmark family (the `bench` preset). */
export const BENCH_FINETUNES = PRESETS.bench!.models;

/** DESIGN "Performance targets": Llama-shaped, hidden 2048, 10 layers (× scale), BF16, seed 1. */
export function benchShape(scale: number): { hidden: number; intermediate: number; layers: number; vocab: number } {
  return { hidden: 2048, intermediate: 5632, layers: 10 * scale, vocab: 32000 };
}

/** The model dirs of the benchmark family at `scale`, generated once under fixtures/generated/ and reused after. */
export function ensureBenchFamily(scale = 1): { dir: string; base: string; fts: string[] } {
  const dir = join(PACKAGE_ROOT, 'fixtures', 'generated', scale === 1 ? 'bench' : `bench-x${scale}`);
  const base = join(dir, 'base');
  const fts = BENCH_FINETUNES.map((m) => join(dir, m.name));
  if ([base, ...fts].every((d) => existsSync(join(d, 'config.json')))) {
    process.stderr.write(`reusing the cached family in ${dir}\n`);
  } else {
    process.stderr.write(`generating the benchmark family in ${dir} (once; several GB)…\n`);
    mkdirSync(dir, { recursive: true });
    generateFamily({
      ...benchShape(scale),
      outDir: dir,
      seed: 1,
      dtype: 'BF16',
      models: BENCH_FINETUNES,
      force: true,
      onProgress: (d, t) => process.stderr.write(`\r  ${(d / 1e9).toFixed(2)} / ${(t / 1e9).toFixed(2)} GB`),
    });
    process.stderr.write('\n');
  }
  return { dir, base, fts };
}

/**
 * Seconds to read every file once, sequentially in 128 KiB reads, then (when outBytes > 0) write and fsync an
 * output of outBytes in outDir: the floor any analysis (read only) or merge (read + write) must pay.
 * Fails on a short read — a floor from a file replaced meanwhile would make every ratio meaningless.
 */
export function ioFloorSeconds(files: string[], expectReadBytes: number, outBytes = 0, outDir?: string): number {
  // 128 KiB reads, like cat: on this machine reads into a multi-MiB Node heap buffer ran up to 4× slower (2.0 s
  // instead of 0.47 s for 5.16 GB) — a floor measured that way would flatter every ratio
  const buf = new Uint8Array(128 << 10);
  let read = 0;
  const t0 = process.hrtime.bigint();
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) read += n;
    } finally {
      closeSync(fd);
    }
  }
  if (read !== expectReadBytes)
    throw new Error(`I/O floor read ${read} bytes, expected ${expectReadBytes}; is another process rewriting the family?`);
  if (outBytes > 0 && outDir !== undefined) {
    const out = join(outDir, 'floor.bin');
    const fd = openSync(out, 'w');
    try {
      for (let done = 0; done < outBytes; done += buf.length) writeSync(fd, buf, 0, Math.min(buf.length, outBytes - done));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      rmSync(out, { force: true });
    }
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Drop the files' pages from the page cache (GNU dd iflag=nocache: posix_fadvise DONTNEED, no root needed), so the
 * next read comes from the disk. Returns false where that is not available.
 */
export function evictFromPageCache(files: string[]): boolean {
  for (const f of files) {
    const r = spawnSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: 'ignore' });
    if (r.status !== 0) return false;
  }
  return true;
}

/** What every benchmark report records of the machine: CPU, cores, memory, Node and the 1-min load average now. */
export function machineFacts(): { cpu: string; cores: number; memGiB: number; node: string; loadAverage1m: number } {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGiB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    loadAverage1m: +loadavg()[0]!.toFixed(2),
  };
}

/** bench:merge's config as parsed YAML (dare_ties, density 0.3, equal weights, seed 1): shared by bench:merge and bench:ab. */
export function benchMergeYaml(base: string, fts: string[]): Record<string, unknown> {
  return {
    merge_method: 'dare_ties',
    base_model: base,
    models: fts.map((m) => ({ model: m, parameters: { weight: 1 / fts.length, density: 0.3 } })),
    parameters: { seed: 1 },
  };
}
