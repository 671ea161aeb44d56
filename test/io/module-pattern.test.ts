// Issue 16, point 6: rank_pattern/alpha_pattern keys are matched as PEFT does (the module name, or its part
// after any dot, fully matching the key), by a matcher without backtracking: a catastrophic key returns at once.
import { execFileSync } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileModulePattern } from '../../src/io/module-pattern.js';
import { openModel } from '../../src/io/model.js';
import { openLoraAdapter } from '../../src/io/lora.js';
import { writeAdapter, writeBase } from '../lora/helpers.js';
import { catchDarekit } from './helpers.js';

const MODULES = [
  'model.layers.0.self_attn.q_proj',
  'model.layers.0.self_attn.k_proj',
  'model.layers.12.self_attn.q_proj',
  'model.layers.1.mlp.down_proj',
  'model.layers.1.mlp.gate_proj',
  'lm_head',
  'model.embed_tokens',
  'q_proj',
  'x.kq_proj',
];
// keys as PEFT users write them: plain names, dotted paths, and regular expressions
const KEYS = [
  'q_proj',
  'self_attn.q_proj',
  'layers.0.self_attn.q_proj',
  'model.layers.0.self_attn.q_proj',
  '^model.layers.0.self_attn.q_proj',
  '^layers.0.self_attn.q_proj',
  'layers\\.[0-9]+\\.self_attn\\.(q|k)_proj',
  'layers\\.\\d\\.mlp\\..*',
  'mlp\\.\\w+_proj$',
  '.*_proj',
  '(?:gate|down)_proj',
  'layers.1[0-9].self_attn.q_proj',
  '[^.]+_head',
  'layers\\.1\\.mlp\\.down_proj{1,2}',
  'k?q_proj',
];

describe('compileModulePattern', () => {
  it("agrees with Python's re.match((.*\\.)?(key)$) semantics (checked with an independent engine) on every key × module", () => {
    for (const key of KEYS) {
      // the reference: JavaScript's own regex engine on PEFT's expression (safe here: these keys do not backtrack badly)
      const reference = new RegExp(`^(?:.*\\.)?(?:${key})$`);
      const p = compileModulePattern(key, 1, 'test');
      for (const m of MODULES) expect(p.matches(m), `${key} on ${m}`).toBe(reference.test(m));
    }
  });

  it('returns promptly on the catastrophic key ([a-z_.0-9]+)+! (a backtracking engine spins for ever)', () => {
    const p = compileModulePattern('([a-z_.0-9]+)+!', 8, 'test');
    const long = `model.${'layers.0.'.repeat(20)}self_attn.q_proj_${'x'.repeat(200)}`;
    for (let i = 0; i < 50; i++) expect(p.matches(long)).toBe(false);
    expect(p.matches('model.layers.0.q_proj!')).toBe(true);
  }, 10_000);

  it('refuses what is not a regular language or too large, naming the key', () => {
    for (const [key, why] of [
      ['(?=q)q_proj', /lookaround/],
      ['(q)\\1', /escape "\\1"/],
      ['q{1,1000}', /repeat/],
      ['[z-a]', /bad range/],
      ['(q', /unbalanced/],
      ['x'.repeat(2000), /longer than/],
    ] as const) {
      const err = catchDarekit(() => compileModulePattern(key, 1, 'cfg: rank_pattern'));
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(why);
      expect(err.message).toContain('cfg: rank_pattern');
    }
  });
});

describe('an adapter_config.json with hostile patterns or a FIFO', () => {
  const made: (() => void)[] = [];
  afterEach(() => {
    while (made.length) made.pop()!();
  });

  function adapter(extraConfig?: Record<string, unknown>): { base: string; dir: string } {
    const b = writeBase();
    made.push(b.cleanup);
    const dir = join(b.root, 'adapter');
    writeAdapter(b.base, dir, extraConfig ? { extraConfig } : {});
    return { base: b.base, dir };
  }

  it('opens at once with the catastrophic key in rank_pattern and alpha_pattern (it matches no module)', () => {
    const { base, dir } = adapter({ rank_pattern: { '([a-z_.0-9]+)+!': 8 }, alpha_pattern: { '([a-z_.0-9]+)+!': 3 } });
    const m = openLoraAdapter(dir, openModel(base));
    expect(m.adapter?.rank).toBe(4);
  }, 10_000);

  it('applies a regex rank_pattern to the modules it matches (a mismatching rank is reported for them)', () => {
    const { base, dir } = adapter({ rank_pattern: { 'layers\\.1\\.mlp\\.(down|up)_proj': 16 } });
    const err = catchDarekit(() => openLoraAdapter(dir, openModel(base)));
    expect(err.message).toMatch(/module "model\.layers\.1\.mlp\.down_proj" has rank 4 but adapter_config\.json says r = 16/);
  });

  it('refuses a FIFO as adapter_config.json or adapter_model.safetensors by type, without blocking', () => {
    for (const name of ['adapter_config.json', 'adapter_model.safetensors']) {
      const { base, dir } = adapter();
      const keep = readFileSync(join(dir, name));
      unlinkSync(join(dir, name));
      execFileSync('mkfifo', [join(dir, name)]);
      const err = catchDarekit(() => openLoraAdapter(dir, openModel(base)));
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(`${name}: the `);
      expect(err.message).toContain('FIFO');
      unlinkSync(join(dir, name));
      writeFileSync(join(dir, name), keep);
    }
  });
});
