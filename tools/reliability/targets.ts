import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  openSync,
  closeSync,
  realpathSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { openModel } from '../../src/io/model.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { generateAnalysisDirCase, type AnalysisDirCase } from './analysis-dir-cases.js';
import { generateConfigCase } from './config-cases.js';
import { generateAdapterConfigCase, writeAdapterFixture } from './adapter-config-cases.js';
import { openFinetune } from '../../src/io/lora.js';
import type { FuzzTarget } from './fuzz-loop.js';
import { tinyShard, writeIndexCase } from './index-cases.js';
import { checkMessage, runCase, type Outcome } from './oracle.js';
import { generateSafetensorsCase } from './safetensors-cases.js';
import { checkSafetensorsFile, checkSafetensorsInMemory } from './safetensors-check.js';

/** parseHeader on in-memory bytes: the bulk of the cases. */
export function safetensorsMemoryTarget(): FuzzTarget {
  return {
    name: 'safetensors-memory',
    runCase(rng) {
      const c = generateSafetensorsCase(rng);
      const outcome = checkSafetensorsInMemory(c);
      return outcome && { kind: c.kind, outcome, input: c.bytes };
    },
  };
}

/** The same cases written to files and read through readSafetensorsHeader, openModel and TensorReader. */
export function safetensorsFileTarget(): FuzzTarget {
  const dir = mkdtempSync(join(tmpdir(), 'darekit-fuzz-st-'));
  return {
    name: 'safetensors-file',
    runCase(rng, index) {
      const c = generateSafetensorsCase(rng);
      const outcome = checkSafetensorsFile(c, dir, index % 64);
      return { kind: c.kind, outcome, input: c.bytes };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Sharded dirs with mutated indexes and shards, opened with openModel; accepted models must stay inside their dir. */
export function indexTarget(): FuzzTarget {
  const base = mkdtempSync(join(tmpdir(), 'darekit-fuzz-idx-'));
  const outside = join(base, 'outside.safetensors');
  writeFileSync(
    outside,
    tinyShard([
      'model.layers.0.mlp.up_proj.weight',
      'model.layers.1.mlp.up_proj.weight',
      'model.layers.2.mlp.up_proj.weight',
      'model.layers.3.mlp.up_proj.weight',
    ]),
  );
  const dir = join(base, 'model');
  return {
    name: 'index',
    runCase(rng) {
      const c = writeIndexCase(rng, dir, outside);
      const outcome = runCase(c.expect, dir, () => {
        const model = openModel(dir);
        const root = realpathSync(dir) + sep;
        for (const f of model.files) {
          if (!realpathSync(f).startsWith(root)) return { reason: 'read-outside', detail: `accepted shard ${f} resolving outside ${dir}` };
        }
        return undefined;
      });
      return { kind: c.kind, outcome, input: c.index };
    },
    close: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** Mutated mergekit YAML configs through parseMergeConfig; model paths resolve inside `familyDir`. */
export function configTarget(familyDir: string): FuzzTarget {
  const models = ['base', 'sft-up', 'sft-shift', 'cpt-code'];
  return {
    name: 'config',
    runCase(rng) {
      const c = generateConfigCase(rng, models);
      // config errors name the key (the CLI adds the file), so only the one-line rule is checked here
      const outcome = runCase(c.expect, undefined, () => {
        parseMergeConfig(c.text, { configDir: familyDir, cwd: familyDir }, 'fuzz.yml');
        return undefined;
      });
      return { kind: c.kind, outcome, input: c.text };
    },
  };
}

// The built CLI (dist/) and the tools build (build/tools/, `npm run build:tools`), also when this module runs from
// its source under the test runner.
const DIST = join(PACKAGE_ROOT, 'dist');
const TOOLS_BUILD = join(PACKAGE_ROOT, 'build', 'tools');

/** The oracle for a CLI run: exit 0 (accepted), or exit 2 with one clean `darekit:` line; anything else (exit 1, a signal, a hang) is a violation. */
export function cliOutcome(r: { status: number | null; signal: NodeJS.Signals | null; stderr: string; error?: Error }): Outcome {
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    return { status: 'violation', violation: { reason: 'hang', detail: 'no exit within the time limit' } };
  if (r.signal !== null)
    return { status: 'violation', violation: { reason: 'crash', detail: `killed by ${r.signal}: ${r.stderr.slice(-300)}` } };
  if (r.status === 0) return { status: 'accepted' };
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  if (r.status !== 2) return { status: 'violation', violation: { reason: `exit-${r.status}`, detail: r.stderr.slice(-400) } };
  if (lines.length !== 1 || !lines[0]!.startsWith('darekit: '))
    return { status: 'violation', violation: { reason: 'not-one-line', detail: JSON.stringify(r.stderr.slice(-400)) } };
  if (/internal error/.test(lines[0]!))
    return { status: 'violation', violation: { reason: 'internal-error', detail: lines[0]!.slice(0, 400) } };
  const bad = checkMessage(lines[0]!);
  return bad ? { status: 'violation', violation: bad } : { status: 'rejected', message: lines[0]! };
}

function damageBytes(file: string, b: NonNullable<AnalysisDirCase['bytes']>): void {
  if (b.op === 'truncate') truncateSync(file, Math.floor(statSync(file).size * b.share));
  else if (b.op === 'append') appendFileSync(file, Uint8Array.from(b.data));
  else if (b.op === 'wal') writeFileSync(`${file}.wal`, Uint8Array.from(b.data));
  else {
    const fd = openSync(file, 'r+');
    try {
      writeSync(fd, Uint8Array.from(b.data), 0, b.data.length, b.at % statSync(file).size);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Damaged and hostile analysis dirs through the CLI (report, predict, dash --json, query): a genuine small
 * analysis (the tiny fixture family) is copied per case, changed with DuckDB or byte by byte, and opened.
 */
export function analysisDirTarget(): FuzzTarget {
  const base = mkdtempSync(join(tmpdir(), 'darekit-fuzz-an-'));
  const cli = join(DIST, 'cli', 'main.js');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  const fam = join(base, 'fam');
  const pristine = join(base, 'pristine');
  for (const args of [
    ['fixtures', '--out', fam, '--preset', 'tiny'],
    ['analyze', '--base', join(fam, 'base'), join(fam, 'sft-a'), join(fam, 'sft-hot'), '--out', pristine],
  ]) {
    const r = run(args);
    if (r.status !== 0) throw new Error(`analysis-dir fuzz setup failed: darekit ${args[0]}: ${r.stderr}`);
  }
  return {
    name: 'analysis-dir',
    runCase(rng, index) {
      const c = generateAnalysisDirCase(rng);
      const dir = join(base, `case-${index}`);
      rmSync(dir, { recursive: true, force: true });
      cpSync(pristine, dir, { recursive: true });
      try {
        const db = join(dir, 'analysis.duckdb');
        if (c.sql.length > 0) {
          const applied = spawnSync(process.execPath, [join(TOOLS_BUILD, 'reliability', 'apply-sql.js'), db, JSON.stringify(c.sql)], {
            encoding: 'utf8',
            timeout: 60_000,
          });
          if (applied.status !== 0) return undefined; // DuckDB refused the change itself: the case does not apply
        }
        if (c.bytes) damageBytes(db, c.bytes);
        const args =
          c.command === 'report'
            ? ['report', dir, '--out', `${dir}-report`]
            : c.command === 'dash'
              ? ['dash', dir, '--json']
              : c.command === 'query'
                ? ['query', dir, 'SELECT * FROM models']
                : ['predict', dir];
        return { kind: `${c.command}:${c.kind}`, outcome: cliOutcome(run(args)), input: JSON.stringify(c) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
        rmSync(`${dir}-report`, { recursive: true, force: true });
      }
    },
    close: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** Mutated adapter_config.json files over a small genuine LoRA adapter, opened with openFinetune. */
export function adapterConfigTarget(): FuzzTarget {
  const root = mkdtempSync(join(tmpdir(), 'darekit-fuzz-lora-'));
  const fixture = writeAdapterFixture(root);
  return {
    name: 'adapter-config',
    runCase(rng) {
      const c = generateAdapterConfigCase(rng, fixture.config);
      writeFileSync(join(fixture.adapter, 'adapter_config.json'), c.text);
      const outcome = runCase(c.expect, undefined, () => {
        openFinetune(fixture.adapter, fixture.base());
        return undefined;
      });
      return { kind: c.kind, outcome, input: c.text };
    },
    close: () => rmSync(root, { recursive: true, force: true }),
  };
}
