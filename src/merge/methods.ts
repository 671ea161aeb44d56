/**
 * The merge methods, declared as data: every method is a combiner (./combiners/) fed by a sparsifier
 * (./sparsifiers/), with TIES sign election and its defaults of normalize and rescale, as in mergekit's registry.
 * A method's parameters are its combiner's and its sparsifier's declarations. No registration side effects: this
 * table is the registry.
 */
import { COMBINERS, type Combiner } from './combiners/index.js';
import { describeParamDecl, type ParamDecl, type RescaleMode } from './param-decl.js';
import { SPARSIFIERS, type Sparsifier } from './sparsifiers/index.js';

/** One method of the registry. */
export interface MethodSpec {
  /** Whether the method works on deltas from a base model (all but linear and slerp). */
  usesBase: boolean;
  combine: Combiner;
  sparsify: Sparsifier;
  /** TIES sign election and agreement-weighted sum. */
  elect: boolean;
  /** Default of `normalize` (divide by the summed weights, of the agreeing models when electing). */
  normalize: boolean;
  /** Default rescale of sparsified deltas. */
  rescale: RescaleMode;
  /** base_model not among the models joins them as one more source (as mergekit), with this note. */
  baseJoinsModels?: string;
  summary: string;
}

/** ram and ramplus_tl: one combiner (ramplus_tl adds its per-model gain), no sparsifier. */
const RAM = { combine: 'ram', usesBase: true, sparsify: 'none', elect: false, normalize: false, rescale: 'none' } as const;

/** The registry: method name → its combiner, sparsifier and defaults. */
export const METHODS = {
  linear: {
    combine: 'sum',
    usesBase: false,
    sparsify: 'none',
    elect: false,
    normalize: true,
    rescale: 'none',
    baseJoinsModels: 'linear: base_model is averaged in as one more model (as mergekit does), with the default weight under parameters',
    summary: 'Σ wᵢθᵢ / Σ wᵢ on the weights themselves',
  },
  task_arithmetic: {
    combine: 'sum',
    usesBase: true,
    sparsify: 'none',
    elect: false,
    normalize: false,
    rescale: 'none',
    summary: 'base + λ·Σ wᵢδᵢ',
  },
  ties: {
    combine: 'sum',
    usesBase: true,
    sparsify: 'magnitude',
    elect: true,
    normalize: true,
    rescale: 'none',
    summary: 'top-k |δ| trim, sign election, agreement-weighted mean',
  },
  dare_linear: {
    combine: 'sum',
    usesBase: true,
    sparsify: 'random',
    elect: false,
    normalize: false,
    rescale: 'inverse',
    summary: 'random drop with rescale, weighted sum',
  },
  dare_ties: {
    combine: 'sum',
    usesBase: true,
    sparsify: 'random',
    elect: true,
    normalize: false,
    rescale: 'inverse',
    summary: 'random drop with rescale, sign election',
  },
  breadcrumbs: {
    combine: 'sum',
    usesBase: true,
    sparsify: 'breadcrumbs',
    elect: false,
    normalize: false,
    rescale: 'none',
    summary: 'drop the top γ and the smallest |δ|, weighted sum',
  },
  breadcrumbs_ties: {
    combine: 'sum',
    usesBase: true,
    sparsify: 'breadcrumbs',
    elect: true,
    normalize: false,
    rescale: 'none',
    summary: 'breadcrumbs trim, sign election',
  },
  della: {
    combine: 'sum',
    usesBase: true,
    sparsify: 'della',
    elect: true,
    normalize: true,
    rescale: 'inverse',
    summary: 'per-row magnitude-ranked random drop (density ± ε), 1/p rescale, sign election',
  },
  della_linear: {
    combine: 'sum',
    usesBase: true,
    sparsify: 'della',
    elect: false,
    normalize: false,
    rescale: 'inverse',
    summary: 'per-row magnitude-ranked random drop (density ± ε), 1/p rescale, weighted sum',
  },
  slerp: {
    combine: 'slerp',
    usesBase: false,
    sparsify: 'random',
    elect: false,
    normalize: false,
    rescale: 'inverse',
    summary: 'spherical interpolation of two models at t (DARE-SLERP with a separate base_model and densities)',
  },
  nuslerp: {
    combine: 'nuslerp',
    usesBase: false,
    sparsify: 'none',
    elect: false,
    normalize: false,
    rescale: 'none',
    summary: 'spherical interpolation of two models (or of their deltas from base_model) at t = w₁/(w₀ + w₁)',
  },
  model_stock: {
    combine: 'model_stock',
    usesBase: true,
    sparsify: 'none',
    elect: false,
    normalize: false,
    rescale: 'none',
    summary: 'base + t·mean δᵢ, t = N·cos/(1 + (N − 1)·cos) from the mean pairwise cosine of the deltas',
  },
  multislerp: {
    combine: 'multislerp',
    usesBase: false,
    sparsify: 'none',
    elect: false,
    normalize: false,
    rescale: 'none',
    summary: 'barycentric SLERP of N models on the hypersphere (of their deltas from base_model when given)',
  },
  karcher: {
    combine: 'karcher',
    usesBase: false,
    sparsify: 'none',
    elect: false,
    normalize: false,
    rescale: 'none',
    baseJoinsModels: 'karcher: base_model is one more model of the mean (as mergekit does)',
    summary: 'Riemannian (Karcher) mean of the models on the hypersphere, scaled by their mean norm',
  },
  nearswap: {
    combine: 'nearswap',
    usesBase: true,
    sparsify: 'none',
    elect: false,
    normalize: false,
    rescale: 'none',
    summary: 'per element w = clamp(t/|θ − base|, 0, 1): θ where the two are within t, nearer the base farther apart',
  },
  sce: {
    combine: 'sce',
    usesBase: true,
    sparsify: 'none',
    elect: true,
    normalize: true,
    rescale: 'none',
    summary: "keep the top select_topk of elements by variance across the deltas, sign election, mean weighted by each delta's mean square",
  },
  ram: { ...RAM, summary: 'base + per element the mean of the deltas with |δ| > epsilon (a delta alone is kept whole)' },
  ramplus_tl: { ...RAM, summary: "ram with each model's unique entries scaled by 1 + r·clamp(shared/unique, 0, alpha)" },
  arcee_fusion: {
    combine: 'arcee_fusion',
    usesBase: true,
    sparsify: 'none',
    elect: false,
    normalize: false,
    rescale: 'none',
    summary: 'base + δ where |δ|·KL(softmax rows) ≥ median + 1.5·IQR of that importance',
  },
  passthrough: {
    combine: 'passthrough',
    usesBase: false,
    sparsify: 'none',
    elect: false,
    normalize: false,
    rescale: 'none',
    summary: 'each output tensor copied from its one source (optionally × scale); with slices, a frankenmerge',
  },
} as const satisfies Record<string, MethodSpec>;

/** mergekit methods darekit refuses, with the reason (said as "not supported yet: <reason>"). */
export const REFUSED_METHODS: Readonly<Record<string, string>> = {
  // every method of mergekit 0.1.4's registry is implemented; this table is where a new one is refused with its reason
};

/** A method name darekit knows. */
export type MethodName = keyof typeof METHODS;

/** A method's parameters: its combiner's model-scope ones, its sparsifier's, then its combiner's merge-wide ones. */
export function methodParams(name: MethodName): readonly ParamDecl[] {
  const m: MethodSpec = METHODS[name];
  const own = COMBINERS[m.combine].params({
    method: name,
    usesBase: m.usesBase,
    sparsified: SPARSIFIERS[m.sparsify].inverse !== undefined,
    normalize: m.normalize,
    rescale: m.rescale,
  });
  return [...own.filter((d) => d.scope === 'model'), ...SPARSIFIERS[m.sparsify].params, ...own.filter((d) => d.scope === 'global')];
}

/** The declaration of a method's parameter, or undefined when the method does not take it. */
export function methodParam(name: MethodName, param: string): ParamDecl | undefined {
  return methodParams(name).find((d) => d.name === param);
}

/**
 * The methods and their parameters for `darekit merge --help`: one line a method (its parameter names and
 * summary), then each distinct declaration once with the methods that take it.
 */
export function methodHelp(): string {
  const names = Object.keys(METHODS) as MethodName[];
  const width = Math.max(...names.map((n) => n.length));
  const lines = ['Methods (merge_method), the parameters each takes, and what it does:'];
  for (const n of names)
    lines.push(
      `  ${n.padEnd(width)}  ${
        methodParams(n)
          .map((d) => d.name)
          .join(', ') || '–'
      }: ${METHODS[n].summary}`,
    );
  lines.push('', 'Parameters (per model: under models[i].parameters, or a default under parameters; merge-wide: under parameters):');
  const seen = new Map<string, MethodName[]>();
  for (const n of names)
    for (const d of methodParams(n)) {
      const line = describeParamDecl(d);
      seen.set(line, [...(seen.get(line) ?? []), n]);
    }
  for (const [line, ms] of seen) lines.push(`  ${line} [${ms.length === names.length ? 'all' : ms.join(', ')}]`);
  return lines.join('\n');
}

/** Every parameter name some registered method takes (to tell "ignored here" from "unknown anywhere"). */
export const ALL_PARAM_NAMES: readonly string[] = [
  ...new Set(Object.keys(METHODS).flatMap((m) => methodParams(m as MethodName).map((d) => d.name))),
];

/** True when name is a registered method. */
export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** The method's spec (typed as the general MethodSpec). */
export function methodSpec(name: MethodName): MethodSpec {
  return METHODS[name];
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest known name to a misspelled one (case, '-' and ' ' folded to '_'), or undefined when nothing is close. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const folded = name
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '_');
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(folded, k);
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return bestD <= Math.max(2, Math.floor(folded.length / 3)) ? best : undefined;
}
