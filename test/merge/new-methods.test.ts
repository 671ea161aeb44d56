// passthrough with slices (frankenmerges), model_stock and nuslerp on family S, each against a float64 reference
// written here from mergekit's formulas (not from darekit's kernel): whole-tensor sums in float64, rounded once.
// Tolerance: ≤ 1 float32 ulp (the reference sums in another order than the kernel's two parity lanes);
// passthrough copies are byte-exact.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/io/model.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { parseMergeConfig } from '../../src/merge/config.js';
import { merge } from '../../src/merge/executor.js';
import { readWholeTensor } from '../helpers/read.js';
import { familyS } from '../helpers/shared.js';

const S = familyS();
const tmp = mkdtempSync(join(tmpdir(), 'darekit-newmethods-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;

async function run(yaml: string, opts: { threads?: number; chunkElements?: number } = {}): Promise<{ out: string; notes: string[] }> {
  const cfg = parseMergeConfig(yaml, { configDir: S });
  const out = join(tmp, `run${runs++}`);
  const s = await merge(cfg, { out, threads: opts.threads ?? 1, chunkElements: opts.chunkElements ?? 4096, progress: false });
  return { out, notes: s.notes };
}

function rawBytes(dir: string, name: string): Uint8Array {
  const m = openModel(dir);
  const t = m.tensors.get(name)!;
  const b = new Uint8Array(t.byteLength);
  const r = new TensorReader();
  try {
    r.readBytes(t, 0, t.numel, b);
  } finally {
    r.close();
  }
  return b;
}

function ordered(x: number): number {
  const i = new Int32Array(new Float32Array([x]).buffer)[0]!;
  return i < 0 ? -2147483648 - i : i;
}

/** Largest distance in f32 ulps between the output tensor and the reference. */
function maxUlp(got: Float32Array, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(ordered(got[i]!) - ordered(Math.fround(want[i]!))));
  return worst;
}

const f64 = (dir: string, name: string): Float64Array => Float64Array.from(readWholeTensor(dir, name));
const LAYER_ORDER = [
  'input_layernorm',
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.o_proj',
  'post_attention_layernorm',
  'mlp.up_proj',
  'mlp.gate_proj',
  'mlp.down_proj',
];

describe('passthrough with slices (frankenmerge)', () => {
  it("gives mergekit's tensor set, names and planning order, renumbers layers, copies bytes exactly and sets num_hidden_layers", async () => {
    const { out } = await run(`merge_method: passthrough
slices:
  - sources:
      - model: base
        layer_range: [0, 2]
  - sources:
      - model: sft-up
        layer_range: [1, 3]
        parameters:
          scale:
            - filter: o_proj
              value: 0.5
            - value: 1.0
dtype: bfloat16
`);
    // mergekit's MergePlanner: pre weights, then each output layer in llama.json's order, then norm and lm_head
    const want = [
      'model.embed_tokens.weight',
      ...[0, 1, 2, 3].flatMap((l) => LAYER_ORDER.map((w) => `model.layers.${l}.${w}.weight`)),
      'model.norm.weight',
      'lm_head.weight',
    ];
    const got = openModel(out);
    expect(got.names).toEqual(want);
    const src = (outLayer: number): [string, number] => (outLayer < 2 ? ['base', outLayer] : ['sft-up', outLayer - 1]);
    for (const name of want) {
      const m = /layers\.(\d+)\./.exec(name);
      const [model, layer] = m ? src(Number(m[1])) : name.startsWith('model.embed') ? ['base', 0] : ['sft-up', 0];
      const inName = m ? name.replace(`layers.${m[1]}.`, `layers.${layer}.`) : name;
      if (m && Number(m[1]) >= 2 && name.includes('o_proj')) {
        // scale 0.5 (exact in bf16): the source value halved
        const want05 = readWholeTensor(join(S, model), inName).map((v) => v * 0.5);
        expect(Array.from(readWholeTensor(out, name)), name).toEqual(Array.from(want05));
      } else {
        expect(Buffer.from(rawBytes(out, name)).equals(Buffer.from(rawBytes(join(S, model), inName))), name).toBe(true);
      }
    }
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    const baseCfg = JSON.parse(readFileSync(join(S, 'base', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg).toEqual({ ...baseCfg, num_hidden_layers: 4 });
    // the recipe keeps the slices and reproduces the output byte for byte
    const again = await run(readFileSync(join(out, 'mergekit_config.yml'), 'utf8').replace(/model: .*\/(base|sft-up)$/gm, 'model: $1'));
    for (const name of want) expect(Buffer.from(rawBytes(again.out, name)).equals(Buffer.from(rawBytes(out, name))), name).toBe(true);
  });

  it('refuses passthrough with two sources in a slice, and uneven slice lengths', async () => {
    await expect(
      run(
        `merge_method: passthrough\nslices:\n  - sources:\n      - {model: base, layer_range: [0, 2]}\n      - {model: sft-up, layer_range: [0, 2]}\n`,
      ),
    ).rejects.toThrow(/passthrough copies one source per tensor, got 2/);
    expect(() =>
      parseMergeConfig(
        `merge_method: slerp\nslices:\n  - sources:\n      - {model: base, layer_range: [0, 2]}\n      - {model: sft-up, layer_range: [0, 3]}\nparameters: {t: 0.5}\n`,
        { configDir: S },
      ),
    ).toThrow(/all sources of a slice must have the same number of layers/);
    await expect(run(`merge_method: passthrough\nslices:\n  - sources:\n      - {model: base, layer_range: [1, 4]}\n`)).rejects.toThrow(
      /goes past the 3 layers/,
    );
  });
});

/** mergekit's slerp (merge_methods/slerp.py) in float64 on whole tensors. */
function slerpRef(t: number, v0: Float64Array, v1: Float64Array): Float64Array {
  let n0 = 0,
    n1 = 0,
    dot = 0;
  for (let i = 0; i < v0.length; i++) {
    n0 += v0[i]! * v0[i]!;
    n1 += v1[i]! * v1[i]!;
  }
  n0 = Math.sqrt(n0);
  n1 = Math.sqrt(n1);
  for (let i = 0; i < v0.length; i++) dot += (n0 > 1e-8 ? v0[i]! / n0 : v0[i]!) * (n1 > 1e-8 ? v1[i]! / n1 : v1[i]!);
  let s0: number, s1: number;
  if (Math.abs(dot) > 0.9995) {
    s0 = 1 - t;
    s1 = t;
  } else {
    const th = Math.acos(dot);
    s0 = Math.sin(th * (1 - t)) / Math.sin(th);
    s1 = Math.sin(th * t) / Math.sin(th);
  }
  return v0.map((x, i) => s0 * x + s1 * v1[i]!);
}

/** mergekit's gradient evaluation (config.py evaluate_setting). */
function grad(values: number[], t: number): number {
  const scaled = t * (values.length - 1);
  const i0 = Math.floor(scaled);
  const i1 = Math.min(values.length - 1, i0 + 1);
  return (1 - (scaled - i0)) * values[i0]! + (scaled - i0) * values[i1]!;
}

const CANONICAL_SLERP = (dtype: string): string => `slices:
  - sources:
      - model: sft-up
        layer_range: [0, 3]
      - model: sft-shift
        layer_range: [0, 3]
merge_method: slerp
base_model: sft-up
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5
dtype: ${dtype}
`;

describe("mergekit's canonical slerp example (slices:) on models from family S", () => {
  it('equals the float64 slerp reference within 1 ulp with per-layer t from the filtered gradients, and equals the models: form byte for byte', async () => {
    const { out } = await run(CANONICAL_SLERP('float32'));
    const m = openModel(out);
    expect(m.names).toHaveLength(3 * 9 + 3);
    let worst = 0;
    for (const name of m.names) {
      const l = /layers\.(\d+)\./.exec(name);
      const pos = l ? Number(l[1]) / 2 : 0; // 3 layers: idx/(3 − 1); outside the stack t = 0
      const t = name.includes('self_attn')
        ? grad([0, 0.5, 0.3, 0.7, 1], pos)
        : name.includes('mlp')
          ? grad([1, 0.5, 0.7, 0.3, 0], pos)
          : 0.5;
      const want = slerpRef(t, f64(join(S, 'sft-up'), name), f64(join(S, 'sft-shift'), name));
      worst = Math.max(worst, maxUlp(readWholeTensor(out, name), want));
    }
    expect(worst).toBeLessThanOrEqual(1);
    const flat = await run(
      `merge_method: slerp\nbase_model: sft-up\nmodels:\n  - model: sft-up\n  - model: sft-shift\nparameters:\n  t:\n    - filter: self_attn\n      value: [0, 0.5, 0.3, 0.7, 1]\n    - filter: mlp\n      value: [1, 0.5, 0.7, 0.3, 0]\n    - value: 0.5\ndtype: float32\n`,
    );
    for (const name of m.names) expect(Buffer.from(rawBytes(flat.out, name)).equals(Buffer.from(rawBytes(out, name))), name).toBe(true);
  });
  it('runs as written upstream (dtype: float16 → float16 output and config.json torch_dtype)', async () => {
    const { out, notes } = await run(CANONICAL_SLERP('float16'));
    expect(openModel(out).tensors.get('lm_head.weight')!.dtype).toBe('F16');
    expect((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { torch_dtype: string }).torch_dtype).toBe('float16');
    expect(notes.join('\n')).toMatch(/dtype: float16 is the output dtype \(as in mergekit\)/);
  });
});

/** mergekit's model_stock (filter_wise: false) in float64: mean pairwise cosine of the offsets, t·mean(w) + (1 − t)·w0. */
function modelStockRef(w0: Float64Array, ws: Float64Array[]): Float64Array {
  const offs = ws.map((w) => w.map((x, i) => x - w0[i]!));
  const cos: number[] = [];
  for (let i = 0; i < offs.length; i++) {
    for (let j = i + 1; j < offs.length; j++) {
      let a = 0,
        b = 0,
        d = 0;
      for (let e = 0; e < w0.length; e++) {
        a += offs[i]![e]! ** 2;
        b += offs[j]![e]! ** 2;
        d += offs[i]![e]! * offs[j]![e]!;
      }
      cos.push(Math.min(1, Math.max(-1, d / Math.max(Math.sqrt(a) * Math.sqrt(b), 1e-6))));
    }
  }
  const c = cos.reduce((x, y) => x + y, 0) / cos.length;
  const N = ws.length;
  const t = (N * c) / (1 + (N - 1) * c);
  return w0.map((x, e) => t * (ws.reduce((s, w) => s + w[e]!, 0) / N) + (1 - t) * x);
}

describe('model_stock', () => {
  it('equals the float64 reference within 1 ulp, for any chunk size and thread count', async () => {
    const yaml = `merge_method: model_stock\nbase_model: base\nmodels:\n  - model: sft-up\n  - model: sft-shift\n  - model: cpt-code\nout_dtype: float32\n`;
    const a = await run(yaml);
    const b = await run(yaml, { threads: 2, chunkElements: 1000 });
    let worst = 0;
    for (const name of openModel(a.out).names) {
      const want = modelStockRef(
        f64(join(S, 'base'), name),
        ['sft-up', 'sft-shift', 'cpt-code'].map((m) => f64(join(S, m), name)),
      );
      worst = Math.max(worst, maxUlp(readWholeTensor(a.out, name), want));
      expect(Buffer.from(rawBytes(b.out, name)).equals(Buffer.from(rawBytes(a.out, name))), name).toBe(true);
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
  it('refuses fewer than two models besides the base', () => {
    expect(() => parseMergeConfig(`merge_method: model_stock\nbase_model: base\nmodels:\n  - model: sft-up\n`, { configDir: S })).toThrow(
      /model_stock needs at least two models/,
    );
  });
  it('filter_wise: true gives one t per row (a 1-D tensor is one row), within 1 ulp of the float64 reference', async () => {
    const ms = ['sft-up', 'sft-shift', 'cpt-code'];
    const { out } = await run(
      `merge_method: model_stock\nbase_model: base\nmodels:\n${ms.map((m) => `  - model: ${m}`).join('\n')}\nparameters: {filter_wise: true}\nout_dtype: float32\n`,
      { threads: 2, chunkElements: 1000 },
    );
    let worst = 0;
    for (const name of openModel(out).names) {
      const base = f64(join(S, 'base'), name),
        xs = ms.map((m) => f64(join(S, m), name));
      const shape = openModel(join(S, 'base')).tensors.get(name)!.shape;
      const cols = shape[shape.length - 1]!;
      const want = new Float64Array(base.length);
      for (let r = 0; r < base.length / cols; r++)
        want.set(
          modelStockRef(
            base.subarray(r * cols, (r + 1) * cols),
            xs.map((x) => x.subarray(r * cols, (r + 1) * cols)),
          ),
          r * cols,
        );
      worst = Math.max(worst, maxUlp(readWholeTensor(out, name), want));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
});

/** mergekit's nuslerp (nuslerp_flatten: true) in float64. */
function nuslerpRef(t: number, v0: Float64Array, v1: Float64Array): Float64Array {
  let a = 0,
    b = 0;
  for (let i = 0; i < v0.length; i++) {
    a += v0[i]! ** 2;
    b += v1[i]! ** 2;
  }
  const n0 = Math.max(Math.sqrt(a), 1e-7),
    n1 = Math.max(Math.sqrt(b), 1e-7);
  let cos = 0;
  for (let i = 0; i < v0.length; i++) cos += (v0[i]! / n0) * (v1[i]! / n1);
  const th = Math.acos(Math.min(1, Math.max(-1, cos)));
  const s = Math.sin(th);
  if (Math.abs(s) < 1e-8) return v0.map((x, i) => (1 - t) * x + t * v1[i]!);
  return v0.map((x, i) => (Math.sin((1 - t) * th) * x + Math.sin(t * th) * v1[i]!) / s);
}

describe('nuslerp', () => {
  it('without a base: slerp of the weights at t = w1/(w0 + w1), within 1 ulp of the float64 reference', async () => {
    const { out } = await run(
      `merge_method: nuslerp\nmodels:\n  - model: sft-up\n    parameters: {weight: 0.3}\n  - model: sft-shift\n    parameters: {weight: 0.9}\nout_dtype: float32\n`,
    );
    let worst = 0;
    for (const name of openModel(out).names)
      worst = Math.max(
        worst,
        maxUlp(readWholeTensor(out, name), nuslerpRef(0.75, f64(join(S, 'sft-up'), name), f64(join(S, 'sft-shift'), name))),
      );
    expect(worst).toBeLessThanOrEqual(1);
  });
  it('with a base: base + nuslerp of the deltas, within 1 ulp of the float64 reference', async () => {
    const { out } = await run(
      `merge_method: nuslerp\nbase_model: base\nmodels:\n  - model: sft-up\n    parameters: {weight: 1}\n  - model: cpt-code\n    parameters: {weight: 1}\nout_dtype: float32\n`,
      { threads: 2, chunkElements: 777 },
    );
    let worst = 0;
    for (const name of openModel(out).names) {
      const base = f64(join(S, 'base'), name);
      const d = ['sft-up', 'cpt-code'].map((m) => f64(join(S, m), name).map((x, i) => x - base[i]!));
      const r = nuslerpRef(0.5, d[0]!, d[1]!);
      worst = Math.max(
        worst,
        maxUlp(
          readWholeTensor(out, name),
          base.map((x, i) => x + r[i]!),
        ),
      );
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
  it('nuslerp_flatten: false interpolates each row, within 1 ulp of the float64 reference', async () => {
    const { out } = await run(
      `merge_method: nuslerp\nbase_model: base\nmodels:\n  - {model: sft-up, parameters: {weight: 0.4}}\n  - {model: sft-shift, parameters: {weight: 0.6}}\nparameters: {nuslerp_flatten: false}\nout_dtype: float32\n`,
      { threads: 2, chunkElements: 1000 },
    );
    let worst = 0;
    for (const name of openModel(out).names) {
      const base = f64(join(S, 'base'), name);
      const d = ['sft-up', 'sft-shift'].map((m) => f64(join(S, m), name).map((x, i) => x - base[i]!));
      const shape = openModel(join(S, 'base')).tensors.get(name)!.shape;
      const cols = shape[shape.length - 1]!;
      const want = new Float64Array(base.length);
      for (let r = 0; r < base.length / cols; r++) {
        const seg = nuslerpRef(0.6, d[0]!.subarray(r * cols, (r + 1) * cols), d[1]!.subarray(r * cols, (r + 1) * cols));
        for (let j = 0; j < cols; j++) want[r * cols + j] = base[r * cols + j]! + seg[j]!;
      }
      worst = Math.max(worst, maxUlp(readWholeTensor(out, name), want));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
  it('refuses the base among the two models, and per-column SLERP (not supported yet)', () => {
    expect(() =>
      parseMergeConfig(
        `merge_method: nuslerp\nbase_model: base\nmodels:\n  - {model: base, parameters: {weight: 1}}\n  - {model: sft-up, parameters: {weight: 1}}\n`,
        { configDir: S },
      ),
    ).toThrow(/can not be one of the two models/);
    expect(() =>
      parseMergeConfig(
        `merge_method: nuslerp\nmodels:\n  - {model: sft-shift, parameters: {weight: 1}}\n  - {model: sft-up, parameters: {weight: 1}}\nparameters: {nuslerp_flatten: false, nuslerp_row_wise: true}\n`,
        { configDir: S },
      ),
    ).toThrow(/nuslerp_row_wise: not supported yet/);
  });
});

/** mergekit's multislerp in float64, elementwise as written upstream. */
function multislerpRef(xs: Float64Array[], weight: number[], base?: Float64Array): Float64Array {
  const ts = base ? xs.map((x) => x.map((v, i) => v - base[i]!)) : xs;
  const sum = weight.reduce((a, b) => a + b, 0);
  const w = weight.map((x) => x / sum);
  const eps = 1e-8;
  const norms = ts.map((t) => Math.sqrt(t.reduce((s, v) => s + v * v, 0)));
  const units = ts.map((t, k) => t.map((v) => v / (norms[k]! + eps)));
  const n = ts[0]!.length;
  const mean = new Float64Array(n);
  units.forEach((u, k) =>
    u.forEach((v, i) => {
      mean[i]! += v * w[k]!;
    }),
  );
  const mn = Math.sqrt(mean.reduce((s, v) => s + v * v, 0));
  const m = mean.map((v) => v / mn);
  const tan = new Float64Array(n);
  units.forEach((u, k) => {
    const d = u.reduce((s, v, i) => s + v * m[i]!, 0);
    u.forEach((v, i) => {
      tan[i]! += w[k]! * (v - d * m[i]!);
    });
  });
  const tn = Math.sqrt(tan.reduce((s, v) => s + v * v, 0)) + eps;
  const avg = norms.reduce((s, x, k) => s + x * w[k]!, 0);
  return m.map((v, i) => (v * Math.cos(tn) + tan[i]! * (Math.sin(tn) / tn)) * avg + (base ? base[i]! : 0));
}

/** mergekit's karcher (equal weights) in float64, elementwise as written upstream. */
function karcherRef(xs: Float64Array[], maxIter = 10, tol = 1e-5): Float64Array {
  const n = xs[0]!.length;
  const nrm = (v: Float64Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const alphas = xs.map(() => 1 / xs.length);
  const norms = xs.map(nrm);
  const idx = norms.map((x, i) => i).filter((i) => norms[i]! > tol);
  const aS = idx.reduce((s, i) => s + alphas[i]!, 0);
  const a = idx.map((i) => alphas[i]! / aS);
  const units = idx.map((i) => xs[i]!.map((v) => v / norms[i]!));
  let u = new Float64Array(n);
  units.forEach((ui, k) =>
    ui.forEach((v, e) => {
      u[e]! += a[k]! * v;
    }),
  );
  const nu = nrm(u);
  u = nu < tol ? units[0]!.slice() : u.map((v) => v / nu);
  for (let it = 0; it < maxIter; it++) {
    const T = new Float64Array(n);
    units.forEach((ui, k) => {
      const d = Math.min(
        1,
        Math.max(
          -1,
          ui.reduce((s, v, e) => s + v * u[e]!, 0),
        ),
      );
      const th = Math.acos(d);
      if (th < tol) return;
      ui.forEach((v, e) => {
        T[e]! += a[k]! * (th / Math.sin(th)) * (v - d * u[e]!);
      });
    });
    const nT = nrm(T);
    if (nT < tol) break;
    u = u.map((v, e) => Math.cos(nT) * v + Math.sin(nT) * (T[e]! / nT));
    const nn = nrm(u);
    if (nn > tol) u = u.map((v) => v / nn);
  }
  const s = norms.reduce((acc, x, i) => acc + alphas[i]! * x, 0);
  return u.map((v) => s * v);
}

describe('multislerp', () => {
  it('of three models, and of their deltas from base_model, within 1 ulp of the float64 reference', async () => {
    const ms = ['sft-up', 'sft-shift', 'cpt-code'];
    const plain = await run(
      `merge_method: multislerp\nmodels:\n${ms.map((m, i) => `  - {model: ${m}, parameters: {weight: ${[0.5, 0.3, 0.2][i]}}}`).join('\n')}\nout_dtype: float32\n`,
    );
    const based = await run(
      `merge_method: multislerp\nbase_model: base\nmodels:\n${ms.map((m, i) => `  - {model: ${m}, parameters: {weight: ${[1, 2, 1][i]}}}`).join('\n')}\nout_dtype: float32\n`,
      { threads: 2, chunkElements: 999 },
    );
    let worst = 0;
    for (const name of openModel(plain.out).names) {
      const xs = ms.map((m) => f64(join(S, m), name));
      worst = Math.max(worst, maxUlp(readWholeTensor(plain.out, name), multislerpRef(xs, [0.5, 0.3, 0.2])));
      worst = Math.max(worst, maxUlp(readWholeTensor(based.out, name), multislerpRef(xs, [1, 2, 1], f64(join(S, 'base'), name))));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });
});

describe('karcher', () => {
  it('Riemannian mean of four models (base_model averaged in as a model, as mergekit does), within 1 ulp of the float64 reference', async () => {
    const { out, notes } = await run(
      `merge_method: karcher\nbase_model: base\nmodels:\n  - model: sft-up\n  - model: sft-shift\n  - model: cpt-code\nparameters: {max_iter: 20, tol: 1e-7}\nout_dtype: float32\n`,
    );
    expect(notes.join('\n')).toMatch(/karcher: base_model is one more model/);
    let worst = 0;
    for (const name of openModel(out).names)
      worst = Math.max(
        worst,
        maxUlp(
          readWholeTensor(out, name),
          karcherRef(
            ['sft-up', 'sft-shift', 'cpt-code', 'base'].map((m) => f64(join(S, m), name)),
            20,
            1e-7,
          ),
        ),
      );
    expect(worst).toBeLessThanOrEqual(1);
  });
});

describe('nearswap', () => {
  it("equals mergekit's per-element formula in float64 (wasm kernel op), for threads and chunk sizes", async () => {
    const yaml = `merge_method: nearswap\nbase_model: base\nmodels:\n  - model: sft-up\nparameters:\n  t:\n    - filter: mlp\n      value: 0.001\n    - value: 0.01\nout_dtype: float32\n`;
    const a = await run(yaml);
    const b = await run(yaml, { threads: 2, chunkElements: 333 });
    for (const name of openModel(a.out).names) {
      const t = name.includes('mlp') ? 0.001 : 0.01;
      const base = f64(join(S, 'base'), name),
        x = f64(join(S, 'sft-up'), name);
      const want = base.map((v, i) => {
        const w = Math.min(Math.max(t / Math.max(Math.abs(x[i]! - v), 1e-6), 0), 1);
        return w * x[i]! + (1 - w) * v;
      });
      expect(maxUlp(readWholeTensor(a.out, name), want), name).toBe(0);
      expect(Buffer.from(rawBytes(b.out, name)).equals(Buffer.from(rawBytes(a.out, name))), name).toBe(true);
    }
  });
  it('takes base_model and exactly one model, and needs t', () => {
    expect(() =>
      parseMergeConfig(`merge_method: nearswap\nbase_model: base\nmodels: [{model: sft-up}, {model: sft-shift}]\nparameters: {t: 0.1}\n`, {
        configDir: S,
      }),
    ).toThrow(/exactly one other model, got 2/);
    expect(() => parseMergeConfig(`merge_method: nearswap\nbase_model: base\nmodels: [{model: sft-up}]\n`, { configDir: S })).toThrow(
      /nearswap needs t/,
    );
  });
});

/** mergekit's sce in float64: variance across the deltas (rounded to f32), top ⌊nonzero·topk⌋ kept (ties to the lower index), weights mean(δ²) normalized, sign election on Σδ, weighted mean over the agreeing deltas. */
function sceRef(base: Float64Array, xs: Float64Array[], topk: number): Float64Array {
  const n = base.length;
  const d = xs.map((x) => x.map((v, i) => v - base[i]!));
  if (topk < 1) {
    const v = new Float64Array(n).map((_, i) => {
      const m = d.reduce((s, x) => s + x[i]!, 0) / d.length;
      return Math.fround(d.reduce((s, x) => s + (x[i]! - m) ** 2, 0) / d.length);
    });
    const nonzero = v.reduce((c, x) => c + (x !== 0 ? 1 : 0), 0);
    const k = Math.trunc(nonzero * topk);
    const order = Array.from(v.keys()).sort((a, b) => v[b]! - v[a]! || a - b);
    const keep = new Set(order.slice(0, k));
    for (const x of d) for (let i = 0; i < n; i++) if (!keep.has(i)) x[i] = 0;
  }
  const ms = d.map((x) => x.reduce((s, y) => s + y * y, 0) / n);
  const tot = ms.reduce((a, b) => a + b, 0);
  const w = ms.map((m) => (Math.abs(tot) < 1e-6 ? 1 / ms.length : m / tot));
  return base.map((b, i) => {
    const s = d.reduce((a, x) => a + x[i]!, 0);
    let num = 0,
      den = 0;
    d.forEach((x, m) => {
      if (s >= 0 ? x[i]! > 0 : x[i]! < 0) {
        num += w[m]! * x[i]!;
        den += w[m]!;
      }
    });
    return b + num / Math.max(den, 1e-6);
  });
}

describe('sce', () => {
  it('select_topk 0.3 and 1 on three models, within 1 ulp of the float64 reference, for any chunk size and thread count', async () => {
    const ms = ['sft-up', 'sft-shift', 'cpt-code'];
    for (const topk of [0.3, 1]) {
      const yaml = `merge_method: sce\nbase_model: base\nmodels:\n${ms.map((m) => `  - model: ${m}`).join('\n')}\nparameters: {select_topk: ${topk}}\nout_dtype: float32\n`;
      const a = await run(yaml);
      const b = await run(yaml, { threads: 2, chunkElements: 1234 });
      let worst = 0;
      for (const name of openModel(a.out).names) {
        worst = Math.max(
          worst,
          maxUlp(
            readWholeTensor(a.out, name),
            sceRef(
              f64(join(S, 'base'), name),
              ms.map((m) => f64(join(S, m), name)),
              topk,
            ),
          ),
        );
        expect(Buffer.from(rawBytes(b.out, name)).equals(Buffer.from(rawBytes(a.out, name))), name).toBe(true);
      }
      expect(worst, `select_topk ${topk}`).toBeLessThanOrEqual(1);
    }
  });
});

/** mergekit's ram / ramplus_tl in float64: deltas with |δ| > eps contribute; alone ×λ_m, shared divided by the count. */
function ramRef(base: Float64Array, xs: Float64Array[], eps: number, plus?: { r: number; alpha: number }): Float64Array {
  const d = xs.map((x) => x.map((v, i) => v - base[i]!));
  const cnt = base.map((_, i) => d.reduce((c, x) => c + (Math.abs(x[i]!) > eps ? 1 : 0), 0));
  const lambda = d.map((x) => {
    if (!plus) return 1;
    let shared = 0,
      unique = 0;
    x.forEach((v, i) => {
      if (Math.abs(v) > eps) {
        if (cnt[i]! > 1) shared++;
        else unique++;
      }
    });
    return 1 + plus.r * Math.min(plus.alpha, Math.max(0, shared / Math.max(unique, eps)));
  });
  return base.map(
    (b, i) => b + d.reduce((s, x, m) => s + (Math.abs(x[i]!) > eps ? (cnt[i] === 1 ? lambda[m]! * x[i]! : x[i]! / cnt[i]!) : 0), 0),
  );
}

describe('ram and ramplus_tl', () => {
  it('equal the float64 reference within 1 ulp, for any chunk size and thread count', async () => {
    const ms = ['sft-up', 'sft-shift', 'cpt-code'];
    for (const [method, params, plus] of [
      ['ram', '{epsilon: 0.004}', undefined],
      ['ramplus_tl', '{epsilon: 0.004, r: 0.5, alpha: 0.3}', { r: 0.5, alpha: 0.3 }],
    ] as const) {
      const yaml = `merge_method: ${method}\nbase_model: base\nmodels:\n${ms.map((m) => `  - model: ${m}`).join('\n')}\nparameters: ${params}\nout_dtype: float32\n`;
      const a = await run(yaml);
      const b = await run(yaml, { threads: 2, chunkElements: 2000 });
      let worst = 0;
      for (const name of openModel(a.out).names) {
        worst = Math.max(
          worst,
          maxUlp(
            readWholeTensor(a.out, name),
            ramRef(
              f64(join(S, 'base'), name),
              ms.map((m) => f64(join(S, m), name)),
              0.004,
              plus,
            ),
          ),
        );
        expect(Buffer.from(rawBytes(b.out, name)).equals(Buffer.from(rawBytes(a.out, name))), name).toBe(true);
      }
      expect(worst, method).toBeLessThanOrEqual(1);
    }
  });
});

/** mergekit's arcee_fusion in float64, exact quantiles: importance |δ|·KL(softmax rows), threshold median + 1.5·IQR (float32 as torch). */
function fusionRef(base: Float64Array, x: Float64Array, cols: number): Float64Array {
  const n = base.length;
  const imp = new Float32Array(n);
  for (let r = 0; r < n / cols; r++) {
    const row = (v: Float64Array): number[] => Array.from(v.subarray(r * cols, (r + 1) * cols));
    const soft = (v: number[]): number[] => {
      const m = Math.max(...v);
      const e = v.map((y) => Math.exp(y - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((y) => y / s + 1e-8);
    };
    const p = soft(row(x)),
      q = soft(row(base));
    const kl = Math.max(
      0,
      p.reduce((s, pi, j) => s + pi * Math.log(pi / q[j]!), 0),
    );
    for (let j = 0; j < cols; j++) imp[r * cols + j] = Math.abs(x[r * cols + j]! - base[r * cols + j]!) * kl;
  }
  const sorted = Float32Array.from(imp).sort();
  const at = (q: number): number => sorted[Math.trunc(Math.fround(q * (n - 1)))]!;
  const thr = Math.fround(at(0.5) + Math.fround(1.5 * Math.fround(at(0.75) - at(0.25))));
  return base.map((b, i) => (imp[i]! >= thr ? b + (x[i]! - b) : b));
}

describe('arcee_fusion', () => {
  it('equals the float64 reference with exact quantiles bit for bit, for any chunk size and thread count', async () => {
    const yaml = `merge_method: arcee_fusion\nbase_model: base\nmodels:\n  - model: sft-up\nout_dtype: float32\n`;
    const a = await run(yaml);
    const b = await run(yaml, { threads: 2, chunkElements: 1000 });
    let kept = 0;
    for (const name of openModel(a.out).names) {
      const lt = openModel(join(S, 'base')).tensors.get(name)!;
      const base = f64(join(S, 'base'), name);
      const want = fusionRef(base, f64(join(S, 'sft-up'), name), lt.shape[lt.shape.length - 1]!);
      const got = readWholeTensor(a.out, name);
      expect(maxUlp(got, want), name).toBe(0);
      kept += got.filter((v, i) => v !== Math.fround(base[i]!)).length;
      expect(Buffer.from(rawBytes(b.out, name)).equals(Buffer.from(rawBytes(a.out, name))), name).toBe(true);
    }
    expect(kept).toBeGreaterThan(0);
  });
});

describe('slices with a per-slice base_model (a task-arithmetic frankenmerge)', () => {
  it('each slice merges deltas from its own base, at its own layers; residual_weight is ignored with a note', async () => {
    const { out, notes } = await run(`merge_method: task_arithmetic
slices:
  - sources:
      - {model: base, layer_range: [0, 2]}
      - {model: sft-up, layer_range: [0, 2], parameters: {weight: 0.5}}
    base_model: base
  - sources:
      - {model: sft-shift, layer_range: [2, 3]}
      - {model: cpt-code, layer_range: [1, 2], parameters: {weight: 1.0}}
    base_model: sft-shift
    residual_weight: 0.3
out_dtype: float32
`);
    expect(notes.join('\n')).toMatch(/slices\[1\]\.residual_weight: ignored, as mergekit declares it but never uses it/);
    let worst = 0;
    for (const name of openModel(out).names) {
      // output layers 0–1 and the embeddings: slice 0 (base + 0.5·(sft-up − base)); output layer 2 and norm/lm_head:
      // slice 1, whose base is sft-shift's layer 2 and whose model is cpt-code's layer 1
      const l = /layers\.(\d+)\./.exec(name);
      const second = l ? Number(l[1]) === 2 : !name.includes('embed');
      const b = second ? f64(join(S, 'sft-shift'), name) : f64(join(S, 'base'), name);
      const x = second ? f64(join(S, 'cpt-code'), name.replace('layers.2.', 'layers.1.')) : f64(join(S, 'sft-up'), name);
      const w = second ? 1.0 : 0.5;
      worst = Math.max(
        worst,
        maxUlp(
          readWholeTensor(out, name),
          b.map((v, i) => v + w * (x[i]! - v)),
        ),
      );
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(() =>
      parseMergeConfig(`merge_method: ties\nslices:\n  - sources: [{model: sft-up, layer_range: [0, 1]}]\n    base_model: base\n`, {
        configDir: S,
      }),
    ).toThrow(/not one of the slice's sources/);
  });
});
