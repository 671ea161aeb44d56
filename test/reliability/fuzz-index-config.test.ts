import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMergeConfig } from '../../src/merge/config.js';
import { describeFailures, runFuzz } from '../../tools/reliability/fuzz-loop.js';
import { runCase } from '../../tools/reliability/oracle.js';
import { configTarget, indexTarget } from '../../tools/reliability/targets.js';

const RUN_SEED = Number(process.env.DAREKIT_FUZZ_SEED ?? 20240601);
const FAMILY = resolve('fixtures/families/S');

describe('sharded index fuzzing', () => {
  it('1,000 sharded dirs with traversal, duplicates, missing shards, wrong types and escaping symlinks end in a typed input error or a model that stays inside its dir', () => {
    const target = indexTarget();
    try {
      const stats = runFuzz(target, { runSeed: RUN_SEED, maxCases: 1_000 });
      expect(describeFailures(stats.failures)).toBe('');
      const kinds = new Set(Object.keys(stats.byKind).map((k) => k.split(':')[0]));
      for (const k of ['traversal', 'duplicate', 'missing-shard', 'wrong-type', 'symlink-outside', 'symlink-inside', 'index-is-dir'])
        expect(kinds.has(k), k).toBe(true);
      expect(stats.byKind['symlink-outside']?.accepted ?? 0).toBe(0);
      expect(stats.accepted).toBeGreaterThan(50);
    } finally {
      target.close?.();
    }
  });
});

describe('merge config fuzzing', () => {
  it('2,000 mutated mergekit YAML configs end in a parsed config or a one-line input error', () => {
    const stats = runFuzz(configTarget(FAMILY), { runSeed: RUN_SEED, maxCases: 2_000 });
    expect(describeFailures(stats.failures)).toBe('');
    expect(stats.byKind.valid?.rejected ?? 0).toBe(0);
    expect(stats.accepted).toBeGreaterThan(200);
    expect(stats.rejected).toBeGreaterThan(500);
  });

  it('a self-referencing YAML alias is an input error, not a crash', () => {
    const text = `merge_method: ties\nbase_model: base\nmodels:\n  - model: sft-up\n    parameters:\n      weight: 1\n      density: &a [*a]\n`;
    const outcome = runCase('invalid', undefined, () => {
      parseMergeConfig(text, { configDir: FAMILY, cwd: FAMILY }, 'cyclic.yml');
      return undefined;
    });
    expect(outcome).toMatchObject({ status: 'rejected' });
  });

  it('YAML tags that other loaders execute (!!python/object/apply, !!js/function) never run and never pass as values', () => {
    for (const tag of ['!!python/object/apply:os.system ["touch /tmp/darekit-pwned"]', '!!js/function "function(){ return 1 }"']) {
      const text = `merge_method: ties\nbase_model: base\nmodels:\n  - model: sft-up\n    parameters:\n      weight: ${tag}\n      density: 0.5\n`;
      const outcome = runCase('invalid', undefined, () => {
        parseMergeConfig(text, { configDir: FAMILY, cwd: FAMILY }, 'tag.yml');
        return undefined;
      });
      expect(outcome, tag).toMatchObject({ status: 'rejected' });
    }
  });
});
