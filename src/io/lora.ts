import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { inputError } from '../errors.js';
import { isMathDtype } from './dtypes.js';
import type { AdapterInfo, LoraMatrixRef, LoraSource } from './tensor-source.js';
import { openModel, type Model } from './model.js';
import { compileModulePattern, type ModulePattern } from './module-pattern.js';
import { readRegularFileText } from './regular-file.js';
import { readSafetensorsHeader, type TensorInfo } from './safetensors.js';
import { resolveModelLocation } from '../hub/cache.js';

/**
 * LoRA adapters (PEFT) as fine-tunes: an adapter dir over a base model reads as a Model whose adapted tensors
 * are virtual — F32 values base + scale·B·A computed on the fly for any element range, rows of B against A —
 * so the analyzer and the merge engine stream adapters exactly like full fine-tunes. Everything here is plain
 * data (paths, shapes, a scale: a LoraSource), so a virtual tensor can be posted to worker threads; its values are
 * computed by io/readers/lora.ts.
 */

export type { AdapterInfo, LoraMatrixRef, LoraSource } from './tensor-source.js';

const ADAPTER_CONFIG = 'adapter_config.json';
const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** True when path is a PEFT adapter dir (it holds adapter_config.json). */
export function isAdapterDir(path: string): boolean {
  const abs = resolve(path);
  return existsSync(abs) && statSync(abs).isDirectory() && existsSync(join(abs, ADAPTER_CONFIG));
}

/** Open a fine-tune: a full model as openModel does, or a LoRA adapter dir read over the given base. */
export function openFinetune(path: string, base: Model): Model {
  const at = resolveModelLocation(path);
  return isAdapterDir(at) ? openLoraAdapter(at, base) : openModel(at);
}

/** The scale of a LoRA delta: alpha / r, or alpha / √r (rank-stabilized LoRA). */
export function loraScale(alpha: number, rank: number, rslora: boolean): number {
  return rslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

interface AdapterConfig {
  r: number;
  alpha: number;
  rslora: boolean;
  rankPattern: ModulePattern[];
  alphaPattern: ModulePattern[];
  baseName?: string;
}

const UNSUPPORTED_TYPES: Record<string, string> = {
  IA3: 'IA³ scales activations, it has no additive weight delta',
  LOHA: 'LoHa (Hadamard-product factors)',
  LOKR: 'LoKr (Kronecker-product factors)',
  ADALORA: 'AdaLoRA (SVD-parameterized, with rank masks)',
  OFT: 'OFT (orthogonal multiplicative updates)',
  BOFT: 'BOFT (orthogonal multiplicative updates)',
  VERA: 'VeRA (shared frozen random matrices)',
};

function readAdapterConfig(dir: string): AdapterConfig {
  const file = join(dir, ADAPTER_CONFIG);
  const text = readRegularFileText(file, ADAPTER_CONFIG); // refused by type first: a FIFO never blocks
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw inputError(`${file}: not readable JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(`${file}: not a JSON object`);
  const c = raw as Record<string, unknown>;
  const type = typeof c.peft_type === 'string' ? c.peft_type.toUpperCase() : 'LORA';
  if (type !== 'LORA') {
    const why = UNSUPPORTED_TYPES[type] ?? 'not a LoRA adapter';
    throw inputError(
      `${file}: peft_type ${JSON.stringify(c.peft_type)} is not supported (${why}); darekit reads LoRA adapters only — merge the adapter into its base with PEFT (merge_and_unload) and pass the full model`,
    );
  }
  if (c.use_dora === true)
    throw inputError(
      `${file}: use_dora: true (DoRA) is not supported: its weight is a magnitude-normalized update, not base + B·A; merge it with PEFT (merge_and_unload) and pass the full model`,
    );
  if (c.fan_in_fan_out === true)
    throw inputError(
      `${file}: fan_in_fan_out: true (Conv1D / GPT-2-style layers) is not supported; merge it with PEFT (merge_and_unload) and pass the full model`,
    );
  if (c.bias !== undefined && c.bias !== null && c.bias !== 'none')
    throw inputError(`${file}: bias: ${JSON.stringify(c.bias)} (trained biases) is not supported; only bias: "none" adapters can be read`);
  if (c.lora_bias === true) throw inputError(`${file}: lora_bias: true is not supported; only adapters without a LoRA bias can be read`);
  if (c.layer_replication !== undefined && c.layer_replication !== null)
    throw inputError(`${file}: layer_replication is not supported (the adapted model has a different layer stack than the base)`);
  const num = (k: string): number => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw inputError(`${file}: "${k}" must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  const pattern = (k: string): ModulePattern[] => {
    const v = c[k];
    if (v === undefined || v === null) return [];
    if (typeof v !== 'object' || Array.isArray(v)) throw inputError(`${file}: "${k}" must be an object of module patterns to numbers`);
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length > MAX_PATTERNS)
      throw inputError(`${file}: "${k}" has ${entries.length} patterns, more than the ${MAX_PATTERNS} darekit reads`);
    return entries.map(([p, x]) => {
      if (typeof x !== 'number' || !(x > 0)) throw inputError(`${file}: ${k}[${JSON.stringify(p)}] must be a positive number`);
      return compileModulePattern(p, x, `${file}: ${k}`);
    });
  };
  const cfg: AdapterConfig = {
    r: num('r'),
    alpha: num('lora_alpha'),
    rslora: c.use_rslora === true,
    rankPattern: pattern('rank_pattern'),
    alphaPattern: pattern('alpha_pattern'),
  };
  if (typeof c.base_model_name_or_path === 'string') cfg.baseName = c.base_model_name_or_path;
  return cfg;
}

/** The most rank_pattern/alpha_pattern keys read (PEFT writes one per differing module at most). */
const MAX_PATTERNS = 10_000;

/** PEFT's pattern lookup: the first key that matches the module (as a suffix after a dot; see module-pattern.ts). */
function patternValue(patterns: ModulePattern[], module: string): number | undefined {
  return patterns.find((p) => p.matches(module))?.value;
}

type AdapterTensorRole =
  | { kind: 'lora'; module: string; which: 'A' | 'B'; adapterName: string | undefined }
  | { kind: 'full'; name: string; adapterName: string | undefined };

/** Map a PEFT tensor name to the base tensor it belongs to, or refuse what darekit cannot read. */
function classify(name: string, file: string): AdapterTensorRole {
  const n = name.startsWith('base_model.model.') ? name.slice('base_model.model.'.length) : name;
  if (/\.lora_embedding_[AB](\.|$)/.test(n))
    throw inputError(
      `${file}: tensor "${name}" is an embedding LoRA (lora_embedding_A/B), which darekit does not read; merge it with PEFT (merge_and_unload) and pass the full model`,
    );
  if (/\.lora_magnitude_vector(\.|$)/.test(n))
    throw inputError(`${file}: tensor "${name}" is a DoRA magnitude vector; DoRA adapters are not supported`);
  if (/\.(trainable_tokens_delta|token_adapter)(\.|$)/.test(n))
    throw inputError(`${file}: tensor "${name}" is a trainable-tokens delta, which darekit does not read`);
  const m = /^(.*)\.lora_([AB])(?:\.([^.]+))?\.weight$/.exec(n);
  if (m) return { kind: 'lora', module: m[1]!, which: m[2] as 'A' | 'B', adapterName: m[3] };
  if (/\.lora_[A-Za-z_]+(\.|$)/.test(n))
    throw inputError(
      `${file}: tensor "${name}" is a LoRA part darekit does not know; only lora_A/lora_B weights and full replacement tensors are read`,
    );
  const s = /^(.*)\.modules_to_save\.([^.]+)\.([^.]+)$/.exec(n);
  if (s) return { kind: 'full', name: `${s[1]}.${s[3]}`, adapterName: s[2] };
  return { kind: 'full', name: n, adapterName: undefined };
}

function matrixRef(t: TensorInfo): LoraMatrixRef {
  if (!isMathDtype(t.dtype))
    throw inputError(`${t.file}: tensor "${t.name}" has dtype ${t.dtype}; LoRA factors must be F32, F16, BF16 or F64`);
  if (t.shape.length !== 2) throw inputError(`${t.file}: tensor "${t.name}" has shape [${t.shape.join(', ')}]; a LoRA factor is a matrix`);
  const ref: LoraMatrixRef = { name: t.name, file: t.file, byteOffset: t.byteOffset, dtype: t.dtype, rows: t.shape[0]!, cols: t.shape[1]! };
  if (t.fileId !== undefined) ref.fileId = t.fileId;
  return ref;
}

/**
 * Read a PEFT LoRA adapter dir over a base model: a Model with the base's tensor names, shapes and order, whose
 * adapted tensors are virtual (base + scale·B·A), replaced ones read from the adapter, all others the base's own.
 */
export function openLoraAdapter(path: string, base: Model): Model {
  const dir = resolve(path);
  const cfg = readAdapterConfig(dir);
  const weights = join(dir, ADAPTER_WEIGHTS);
  if (!existsSync(weights)) {
    const bin = join(dir, 'adapter_model.bin');
    if (existsSync(bin))
      throw inputError(
        `${bin}: pickle checkpoints are refused: loading a pickle can execute arbitrary code; save the adapter with safe_serialization=True (adapter_model.safetensors)`,
      );
    throw inputError(`${dir}: no ${ADAPTER_WEIGHTS} beside ${ADAPTER_CONFIG}`);
  }
  const header = readSafetensorsHeader(weights);
  const pairs = new Map<string, { A?: TensorInfo; B?: TensorInfo }>();
  const full = new Map<string, TensorInfo>();
  const adapterNames = new Set<string>();
  for (const t of header.tensors) {
    const role = classify(t.name, weights);
    if (role.adapterName !== undefined) adapterNames.add(role.adapterName);
    if (role.kind === 'lora') {
      const p = pairs.get(role.module) ?? {};
      p[role.which] = t;
      pairs.set(role.module, p);
    } else {
      const target = base.tensors.get(role.name);
      if (!target) {
        const hint = role.name.endsWith('.bias') ? ' (trained biases are not supported)' : '';
        throw inputError(
          `${weights}: tensor "${t.name}" matches no base tensor ("${role.name}" is not in ${base.path})${hint}; is this adapter for another base model?`,
        );
      }
      if (!isMathDtype(t.dtype))
        throw inputError(`${weights}: tensor "${t.name}" has dtype ${t.dtype}; darekit computes with F32, F16, BF16 or F64 only`);
      if (t.shape.join(',') !== target.shape.join(',')) {
        throw inputError(
          `${weights}: replacement tensor "${t.name}" has shape [${t.shape.join(', ')}] but base tensor "${role.name}" is [${target.shape.join(', ')}] (a resized vocabulary?); the adapter does not fit this base`,
        );
      }
      full.set(role.name, { ...t, name: role.name });
    }
  }
  if (adapterNames.size > 1)
    throw inputError(`${weights}: holds several adapters (${[...adapterNames].join(', ')}); save one adapter per dir`);

  const tensors = new Map(base.tensors);
  let maxRank = 0;
  for (const [module, p] of pairs) {
    if (!p.A || !p.B)
      throw inputError(
        `${weights}: module "${module}" has lora_${p.A ? 'A' : 'B'} but no lora_${p.A ? 'B' : 'A'}; the adapter file is incomplete`,
      );
    const baseName = `${module}.weight`;
    const target = base.tensors.get(baseName);
    if (!target)
      throw inputError(
        `${weights}: the adapter targets module "${module}", but base ${base.path} has no tensor "${baseName}"; is this adapter for another base model?`,
      );
    if (full.has(baseName)) throw inputError(`${weights}: module "${module}" has both LoRA factors and a full replacement tensor`);
    const a = matrixRef(p.A);
    const b = matrixRef(p.B);
    const baseDtype = target.dtype;
    if (!isMathDtype(baseDtype))
      throw inputError(
        `${target.file}: base tensor "${baseName}" has dtype ${baseDtype}, which darekit cannot compute with; dequantize the base first`,
      );
    if (a.rows !== b.cols)
      throw inputError(
        `${weights}: module "${module}": lora_A is [${a.rows}, ${a.cols}] and lora_B is [${b.rows}, ${b.cols}]; their ranks differ`,
      );
    if (target.shape.length !== 2 || target.shape[0] !== b.rows || target.shape[1] !== a.cols) {
      throw inputError(
        `${weights}: module "${module}": the adapter's delta B·A is [${b.rows}, ${a.cols}] but base tensor "${baseName}" is [${target.shape.join(', ')}]; the adapter does not fit this base`,
      );
    }
    const rank = a.rows;
    checkLoraSize(weights, module, rank, a.cols);
    const declared = patternValue(cfg.rankPattern, module) ?? cfg.r;
    if (declared !== rank)
      throw inputError(
        `${weights}: module "${module}" has rank ${rank} but ${ADAPTER_CONFIG} says r = ${declared}; the config and the weights disagree`,
      );
    const alpha = patternValue(cfg.alphaPattern, module) ?? cfg.alpha;
    const lora: LoraSource = {
      kind: 'lora',
      name: baseName,
      dtype: 'F32',
      adapter: dir,
      a,
      b,
      scale: loraScale(alpha, rank, cfg.rslora),
      base: {
        kind: 'file',
        name: baseName,
        file: target.file,
        ...(target.fileId !== undefined ? { fileId: target.fileId } : {}),
        byteOffset: target.byteOffset,
        dtype: baseDtype,
      },
    };
    tensors.set(baseName, {
      name: baseName,
      dtype: 'F32',
      shape: [...target.shape],
      numel: target.numel,
      byteOffset: 0,
      byteLength: 4 * target.numel,
      file: weights,
      source: lora,
    });
    maxRank = Math.max(maxRank, rank);
  }
  for (const [name, t] of full) tensors.set(name, t);
  if (pairs.size === 0 && full.size === 0) throw inputError(`${weights}: the adapter holds no lora_A/lora_B weights`);

  const adapter: AdapterInfo = { dir, rank: maxRank, alpha: cfg.alpha, rslora: cfg.rslora, loraModules: pairs.size, replaced: full.size };
  if (cfg.baseName !== undefined) adapter.baseName = cfg.baseName;
  const model: Model = {
    path,
    dir,
    layout: base.layout,
    files: [weights, ...base.files],
    tensors,
    names: [...base.names],
    metadata: { ...header.metadata },
    adapter,
  };
  if (base.configPath !== undefined) model.configPath = base.configPath;
  return model;
}

/** Split mergekit's `base+adapter` model syntax; undefined when the spec is not of that form. */
export function splitModelPlusLora(spec: string): { base: string; adapter: string } | undefined {
  const i = spec.lastIndexOf('+');
  if (i <= 0 || i === spec.length - 1) return undefined;
  return { base: spec.slice(0, i), adapter: spec.slice(i + 1) };
}

/**
 * Limits that bound a LoRA adapter's memory whatever its rank: A is decoded once per module and cached (in
 * float32, exact for F32/F16/BF16 factors; float64 for F64), so rank × in_features is capped; B is read a few
 * rows at a time (io/readers/lora.ts).
 */
export const MAX_LORA_RANK = 65_536;
/** Most elements of one lora_A (rank × in_features): 256 MiB as float32. */
export const MAX_LORA_A_ELEMENTS = 64 * 1024 * 1024;

/** Refuse a module whose factors the limits above do not allow (called when the adapter is opened). */
export function checkLoraSize(weights: string, module: string, rank: number, inFeatures: number): void {
  if (rank > MAX_LORA_RANK)
    throw inputError(
      `${weights}: module "${module}" has rank ${rank}; darekit reads LoRA ranks up to ${MAX_LORA_RANK} (merge the adapter into the base with PEFT and pass the merged model instead)`,
    );
  if (rank * inFeatures > MAX_LORA_A_ELEMENTS) {
    throw inputError(
      `${weights}: module "${module}": lora_A is ${rank} × ${inFeatures} = ${rank * inFeatures} elements; darekit holds lora_A in memory up to ${MAX_LORA_A_ELEMENTS} elements (merge the adapter into the base with PEFT and pass the merged model instead)`,
    );
  }
}

/** A short label for an adapter path in messages and model cards. */
export function adapterLabel(path: string): string {
  return basename(resolve(path));
}
