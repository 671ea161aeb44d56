import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { openModel } from '../io/model.js';
import { parseMergeConfig } from '../merge/config.js';
import { generateConfigCase } from './config-cases.js';
import type { FuzzTarget } from './fuzz-loop.js';
import { tinyShard, writeIndexCase } from './index-cases.js';
import { runCase } from './oracle.js';
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
  writeFileSync(outside, tinyShard(['model.layers.0.mlp.up_proj.weight', 'model.layers.1.mlp.up_proj.weight', 'model.layers.2.mlp.up_proj.weight', 'model.layers.3.mlp.up_proj.weight']));
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
