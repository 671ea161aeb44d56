// The six places where darekit used to differ from current mergekit silently (issue 15): each now matches
// mergekit by default, or keeps darekit's behaviour and says so in the merge summary. References are float64
// sums written here from mergekit's formulas, rounded once to f32 (tolerance ≤ 1 ulp).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { readWholeTensor } from '../helpers/read.js';
import { familyS, REPO_ROOT } from '../helpers/shared.js';

const S = familyS();
const tmp = mkdtempSync(join(tmpdir(), 'darekit-mkdiff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;

async function run(yaml: string): Promise<{ out: string; notes: string[] }> {
  const out = join(tmp, `run${runs++}`);
  const s = await merge(parseMergeConfig(yaml, { configDir: S }), { out, threads: 1, chunkElements: 4096, progress: false });
  return { out, notes: s.notes };
}

const f64 = (model: string, name: string): Float64Array => Float64Array.from(readWholeTensor(join(S, model), name));

function ordered(x: number): number {
  const i = new Int32Array(new Float32Array([x]).buffer)[0]!;
  return i < 0 ? -2147483648 - i : i;
}

/** Largest f32-ulp distance of every output tensor from want(name). */
function worstUlp(out: string, want: (name: string) => ArrayLike<number>): number {
  let worst = 0;
  for (const name of openModel(out).names) {
    const got = readWholeTensor(out, name);
    const w = want(name);
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(ordered(got[i]!) - ordered(Math.fround(w[i]!))));
  }
  return worst;
}

describe('1. linear with a base_model: the base is averaged in as one more model (mergekit)', () => {
  it('normalize: false gives Σ wθ (not task arithmetic), normalize: true Σ wθ / Σ w, with the base weighted by the default weight', async () => {
    const doc = (normalize: boolean): string =>
      `merge_method: linear\nbase_model: base\nmodels:\n  - {model: sft-up, parameters: {weight: 0.5}}\n  - {model: sft-shift, parameters: {weight: 0.3}}\nparameters: {weight: 0.2, normalize: ${normalize}}\nout_dtype: float32\n`;
    const raw = await run(doc(false));
    const want =
      (div: number) =>
      (name: string): Float64Array => {
        const [a, b, c] = [f64('sft-up', name), f64('sft-shift', name), f64('base', name)];
        return a.map((x, i) => (0.5 * x + 0.3 * b[i]! + 0.2 * c[i]!) / div);
      };
    expect(worstUlp(raw.out, want(1))).toBeLessThanOrEqual(1);
    expect(raw.notes.join('\n')).toMatch(/linear: base_model is averaged in as one more model/);
    const norm = await run(doc(true));
    expect(worstUlp(norm.out, want(0.5 + 0.3 + 0.2))).toBeLessThanOrEqual(1);
  });
  it('fails without a weight for the base, as mergekit does', () => {
    expect(() =>
      parseMergeConfig(`merge_method: linear\nbase_model: base\nmodels:\n  - {model: sft-up, parameters: {weight: 0.5}}\n`, {
        configDir: S,
      }),
    ).toThrow(/^base_model: linear averages base_model in as one more model \(as mergekit does\), but it has no weight/);
  });
});

describe('2. filter "*" is mergekit\'s match-all', () => {
  it('a "*" rule applies to every tensor, before a later default', async () => {
    const { out } = await run(
      `merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: sft-up\n    parameters:\n      weight:\n        - filter: "*"\n          value: 0.25\n        - value: 1.0\nout_dtype: float32\n`,
    );
    expect(
      worstUlp(out, (n) => {
        const b = f64('base', n);
        return f64('sft-up', n).map((x, i) => b[i]! + 0.25 * (x - b[i]!));
      }),
    ).toBeLessThanOrEqual(1);
  });
});

describe('3. gradients: model.norm and lm_head sit at t = 0, like the embeddings (current mergekit)', () => {
  it('a gradient [0.2, 1.0] gives weight 0.2 on embed_tokens, model.norm and lm_head and i/(L−1) inside the stack', async () => {
    const { out } = await run(
      `merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: sft-up\n    parameters: {weight: [0.2, 1.0]}\nout_dtype: float32\n`,
    );
    // mergekit's evaluate_setting: (1 − f)·v[i0] + f·v[i1] at t = layer/(L − 1)
    const w = (n: string): number => {
      const l = /layers\.(\d+)\./.exec(n);
      const t = l ? Number(l[1]) / 2 : 0;
      return (1 - t) * 0.2 + t * 1.0;
    };
    expect(
      worstUlp(out, (n) => {
        const b = f64('base', n);
        return f64('sft-up', n).map((x, i) => b[i]! + w(n) * (x - b[i]!));
      }),
    ).toBeLessThanOrEqual(1);
  });
});

describe("4. DARE/DELLA rescale: darekit's 1/density default is kept and said on every merge where it changes the result", () => {
  it('notes the difference when rescale is left at its default with density < 1, not with rescale: l1 or density 1', async () => {
    const doc = (extra: string, density: number): string =>
      `merge_method: dare_ties\nbase_model: base\nmodels:\n  - {model: sft-up, parameters: {weight: 1, density: ${density}}}\n  - {model: sft-shift, parameters: {weight: 1, density: ${density}}}\n${extra}`;
    const note = /rescale: inverse \(darekit's default.*mergekit's default \(rescale: true\) matches the L1 norm/;
    expect((await run(doc('', 0.5))).notes.join('\n')).toMatch(note);
    expect((await run(doc('parameters: {rescale: l1}\n', 0.5))).notes.join('\n')).not.toMatch(note);
    expect((await run(doc('', 1))).notes.join('\n')).not.toMatch(note);
    const della = await run(
      `merge_method: della\nbase_model: base\nmodels:\n  - {model: sft-up, parameters: {weight: 1, density: 0.5, epsilon: 0.1}}\n  - {model: sft-shift, parameters: {weight: 1, density: 0.5, epsilon: 0.1}}\n`,
    );
    expect(della.notes.join('\n')).toMatch(/survivors × 1\/p\)/);
  });
});

describe('5. breadcrumbs without density leaves the delta unchanged (mergekit), instead of refusing γ > 0', () => {
  it('equals task arithmetic with the same weights', async () => {
    const { out } = await run(
      `merge_method: breadcrumbs\nbase_model: base\nmodels:\n  - {model: sft-up, parameters: {weight: 0.7, gamma: 0.05}}\n  - {model: sft-shift, parameters: {weight: 0.4}}\nout_dtype: float32\n`,
    );
    expect(
      worstUlp(out, (n) => {
        const b = f64('base', n),
          u = f64('sft-up', n),
          s = f64('sft-shift', n);
        return b.map((x, i) => x + (0.7 * (u[i]! - x) + 0.4 * (s[i]! - x)));
      }),
    ).toBeLessThanOrEqual(1);
  });
});

describe('6. seeds: README says what mergekit does (--random-seed; a YAML seed is ignored there)', () => {
  it('the merge section states it, and no longer claims mergekit masks are unseeded', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('<!-- section:merge -->'), readme.indexOf('<!-- /section:merge -->'));
    expect(section).toMatch(/--random-seed/);
    expect(section).not.toMatch(/not seeded/);
  });
});

describe('modules: for a single-module model', () => {
  it('is the models: form with the module parameters before the top level ones (a module rule that misses falls through)', async () => {
    const a = await run(
      `merge_method: task_arithmetic\nbase_model: base\nmodules:\n  default:\n    models:\n      - model: sft-up\n    parameters:\n      weight:\n        - filter: mlp\n          value: 0.2\nparameters: {weight: 0.7}\nout_dtype: float32\n`,
    );
    const b = await run(
      `merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: sft-up\nparameters:\n  weight:\n    - filter: mlp\n      value: 0.2\n    - value: 0.7\nout_dtype: float32\n`,
    );
    for (const name of openModel(a.out).names)
      expect(Array.from(readWholeTensor(a.out, name)), name).toEqual(Array.from(readWholeTensor(b.out, name)));
    expect(() =>
      parseMergeConfig(
        `merge_method: ties\nbase_model: base\nmodules:\n  text: {models: [{model: sft-up}]}\n  vision: {models: [{model: sft-up}]}\n`,
        { configDir: S },
      ),
    ).toThrow(/^modules: not supported yet: .* got 2 \(text, vision\)/);
  });
});
