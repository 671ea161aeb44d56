// Fuzz cases for LoRA adapter configs: a genuine small adapter whose adapter_config.json is mutated (keys
// dropped, values of the wrong type or range, PEFT variants darekit refuses, rank/alpha patterns, broken JSON).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeLoraAdapter } from '../../src/fixtures/lora-adapter.js';
import { openModel, type Model } from '../../src/io/model.js';
import { writeSafetensorsFile } from '../../src/io/writer.js';
import type { Expectation } from './oracle.js';
import type { Rng } from './rng.js';

const TARGET = 'model.layers.0.mlp.up_proj.weight';

/** A base model with one 2-D tensor and a rank-4 adapter over it, written under root. */
export function writeAdapterFixture(root: string): { adapter: string; base: () => Model; config: Record<string, unknown> } {
  const base = join(root, 'base');
  mkdirSync(base, { recursive: true });
  writeSafetensorsFile(join(base, 'model.safetensors'), [{ name: TARGET, dtype: 'F32', shape: [8, 8], data: new Uint8Array(256) }]);
  writeFileSync(join(base, 'config.json'), '{}');
  const adapter = join(root, 'adapter');
  writeLoraAdapter({ dir: adapter, base: openModel(base), targets: [TARGET], rank: 4, alpha: 8 });
  const config = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  return { adapter, base: () => openModel(base), config };
}

/** One mutated adapter_config.json and what it must end in. */
export interface AdapterConfigCase {
  kind: string;
  text: string;
  expect: Expectation;
}

const KEYS = [
  'r',
  'lora_alpha',
  'peft_type',
  'use_rslora',
  'use_dora',
  'fan_in_fan_out',
  'bias',
  'lora_bias',
  'layer_replication',
  'target_modules',
  'rank_pattern',
  'alpha_pattern',
  'base_model_name_or_path',
  'modules_to_save',
];
const VALUES: unknown[] = [
  0,
  -1,
  1,
  3,
  4,
  4.5,
  8,
  1e308,
  -1e308,
  2 ** 53 + 1,
  65_537,
  'four',
  '',
  null,
  true,
  false,
  [],
  {},
  [4],
  { up_proj: 4 },
  'LORA',
  'lora',
  'DORA',
  'ADALORA',
  'IA3',
  'none',
  'all',
  '\u001b[2J\u202e',
];
const PATTERN_KEYS = [
  'up_proj',
  'mlp.up_proj',
  'layers.0.mlp.up_proj',
  'down_proj',
  'model.layers.0.mlp.up_proj',
  '.*up_proj',
  'up_(proj|x)',
  '[',
  '(',
  'up_proj$',
  '',
  '\u202e',
];

/** Generate one mutation of `config` (the adapter's genuine config). */
export function generateAdapterConfigCase(rng: Rng, config: Record<string, unknown>): AdapterConfigCase {
  const c: Record<string, unknown> = { ...config };
  const text = (): string => JSON.stringify(c, null, rng.chance(0.5) ? 2 : 0);
  switch (rng.int(9)) {
    case 0:
      return { kind: 'valid', text: text(), expect: 'valid' };
    case 1: {
      const k = rng.pick(KEYS);
      delete c[k];
      return { kind: `drop:${k}`, text: text(), expect: 'either' };
    }
    case 2: {
      const k = rng.pick(KEYS);
      c[k] = rng.pick(VALUES);
      return { kind: `set:${k}`, text: text(), expect: 'either' };
    }
    case 3: {
      const which = rng.pick(['rank_pattern', 'alpha_pattern']);
      c[which] = Object.fromEntries(Array.from({ length: rng.range(1, 4) }, () => [rng.pick(PATTERN_KEYS), rng.pick(VALUES)]));
      return { kind: `pattern:${which}`, text: text(), expect: 'either' };
    }
    case 4: {
      const t = text();
      return { kind: 'truncated', text: t.slice(0, rng.int(t.length)), expect: 'invalid' };
    }
    case 5:
      return { kind: 'not-object', text: rng.pick(['[]', '"x"', 'null', '1', 'true', '[{}]']), expect: 'invalid' };
    case 6: {
      const k = rng.pick(['use_dora', 'fan_in_fan_out', 'lora_bias']);
      c[k] = true;
      return { kind: `refused:${k}`, text: text(), expect: 'invalid' };
    }
    case 7: {
      const t = text();
      const at = rng.int(t.length + 1);
      const junk = String.fromCharCode(...Array.from(rng.bytes(rng.range(1, 6)), (b) => b));
      return { kind: 'junk', text: t.slice(0, at) + junk + t.slice(at), expect: 'either' };
    }
    default: {
      c.r = rng.pick([1, 2, 3, 5, 8, 16]);
      return { kind: 'rank-mismatch', text: text(), expect: 'invalid' };
    }
  }
}
