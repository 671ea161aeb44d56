import { existsSync } from 'node:fs';
import { resolveModelLocation } from '../hub/cache.js';
import { parseRepoRef } from '../hub/repo-ref.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import { readRegularFileText } from '../io/regular-file.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { inputError } from '../errors.js';
import { parseOutDtype, type OutDtype } from '../io/dtypes.js';
import { isAdapterDir, splitModelPlusLora } from '../io/lora.js';
import { closestName, isMethodName, METHODS, methodSpec, type GlobalParamName, type MethodName, type ModelParamName } from './methods.js';
import { paramLeaves, parseParamValue, type ParamScalar, type ParamValue } from './params.js';

/** One model entry of a merge config. */
export interface ModelEntry {
  /** The path as written in the config. */
  spec: string;
  /** Absolute path (for `base+adapter`, the adapter's). */
  path: string;
  /** mergekit's `base+adapter` syntax: the absolute path of the model the LoRA adapter at `path` applies to. */
  loraBase?: string;
  parameters: Partial<Record<ModelParamName, ParamValue>>;
}

/** A validated merge config (mergekit YAML or CLI flags), paths resolved. */
export interface MergeConfig {
  method: MethodName;
  /** Absolute base model path (required by every method but linear). */
  baseModel?: string;
  baseSpec?: string;
  models: ModelEntry[];
  /** Global parameters: the method's own and per-model defaults. */
  parameters: Partial<Record<ModelParamName | GlobalParamName, ParamValue>>;
  outDtype?: OutDtype;
  /** mergekit's compute dtype: accepted, but darekit always computes in float32 (sums in float64). */
  dtype?: string;
  seed: number;
  /** Accept embedding/lm_head row-count (vocabulary) mismatches: the output keeps the base's rows (truncate_vocab: true). */
  truncateVocab?: boolean;
  /** Things accepted but ignored or changed, said once in the merge summary. */
  notes: string[];
}

/** Where relative model paths are resolved: the config file's dir first, then the working directory. */
export interface ConfigLocation {
  configDir: string;
  cwd?: string;
}

const TOP_KEYS = ['merge_method', 'base_model', 'models', 'parameters', 'dtype', 'out_dtype', 'tokenizer_source', 'seed', 'truncate_vocab'] as const;
const GLOBAL_ONLY: readonly GlobalParamName[] = ['lambda', 'normalize', 'rescale', 'int8_mask', 't'];

/** Most models one merge takes (each adds a chunk buffer and selection histograms to every worker's memory). */
export const MAX_MERGE_MODELS = 128;

/** Read and validate a mergekit YAML config file (no tensor data is read). */
export function loadMergeConfig(file: string): MergeConfig {
  // refused by type before any read: a FIFO or device never blocks
  const text = readRegularFileText(file, 'merge config');
  return parseMergeConfig(text, { configDir: dirname(resolve(file)) }, file);
}

/** Parse and validate mergekit YAML text (or an already-parsed object); every problem is a one-line input error naming the key. */
export function parseMergeConfig(source: string | Record<string, unknown>, loc: ConfigLocation, label = 'config'): MergeConfig {
  let raw: unknown = source;
  if (typeof source === 'string') {
    try {
      // logLevel 'error': unknown tags (!!python/object…) would otherwise print multi-line warnings to stderr
      raw = parseYaml(source, { logLevel: 'error' });
      // an alias inside its own anchor (`&a [*a]`) builds a cyclic object that later code cannot walk
      JSON.stringify(raw);
    } catch (err) {
      throw inputError(`${label}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(`${label}: a merge config must be a YAML mapping with merge_method and models`);
  const doc = raw as Record<string, unknown>;
  for (const k of Object.keys(doc)) {
    if (!(TOP_KEYS as readonly string[]).includes(k)) {
      const hint = closestName(k, TOP_KEYS);
      throw inputError(`${k}: unknown key in the merge config${hint ? ` (did you mean ${hint}?)` : ''}; known keys: ${TOP_KEYS.join(', ')}`);
    }
  }
  const method = parseMethod(doc.merge_method);
  const spec = methodSpec(method);
  const notes: string[] = [];

  let baseModel: string | undefined;
  let baseSpec: string | undefined;
  if (doc.base_model !== undefined && doc.base_model !== null) {
    if (typeof doc.base_model !== 'string') throw inputError(`base_model: must be a model path (a string)`);
    baseSpec = doc.base_model;
    baseModel = resolveModelPath(doc.base_model, 'base_model', loc);
  } else if (spec.usesBase) {
    throw inputError(`base_model: ${method} merges deltas from a base model; add base_model: PATH`);
  }

  if (!Array.isArray(doc.models) || doc.models.length === 0) throw inputError(`models: a non-empty list of {model: PATH, parameters: {...}} is required`);
  if (doc.models.length > MAX_MERGE_MODELS) throw inputError(`models: ${doc.models.length} models listed; darekit merges at most ${MAX_MERGE_MODELS} at once (its memory grows with each); merge them in groups`);
  const models: ModelEntry[] = [];
  doc.models.forEach((m: unknown, i: number) => {
    const at = `models[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw inputError(`${at}: must be a mapping with "model" (and optional "parameters")`);
    const entry = m as Record<string, unknown>;
    for (const k of Object.keys(entry)) if (k !== 'model' && k !== 'parameters') throw inputError(`${at}.${k}: unknown key; a model entry has "model" and "parameters"`);
    if (typeof entry.model !== 'string') throw inputError(`${at}.model: must be a model path (a string)`);
    const { path, loraBase } = resolveModelSpec(entry.model, `${at}.model`, loc);
    const parameters = parseParams(entry.parameters, `${at}.parameters`, method, 'model');
    if (baseModel !== undefined && path === baseModel && spec.usesBase) {
      if (Object.keys(parameters).length > 0) notes.push(`${at}: the base model is listed among the models; its delta is zero, so it is not merged (its parameters are ignored)`);
      return;
    }
    const me: ModelEntry = { spec: entry.model, path, parameters: parameters as ModelEntry['parameters'] };
    if (loraBase !== undefined) me.loraBase = loraBase;
    models.push(me);
  });
  if (models.length === 0) throw inputError(`models: no model to merge besides the base model`);

  const parameters = parseParams(doc.parameters, 'parameters', method, 'global');
  let seed = 0;
  const seedRaw = doc.seed ?? (doc.parameters as Record<string, unknown> | undefined)?.seed;
  if (doc.seed !== undefined && (doc.parameters as Record<string, unknown> | undefined)?.seed !== undefined) throw inputError(`seed: given both at the top level and in parameters; keep one`);
  if (seedRaw !== undefined) seed = parseSeed(seedRaw, doc.seed !== undefined ? 'seed' : 'parameters.seed');

  let outDtype: OutDtype | undefined;
  if (doc.out_dtype !== undefined && doc.out_dtype !== null) {
    outDtype = typeof doc.out_dtype === 'string' ? parseOutDtype(doc.out_dtype) : undefined;
    if (!outDtype) throw inputError(`out_dtype: ${JSON.stringify(doc.out_dtype)} is not an output dtype (use float32, bfloat16 or float16)`);
  }
  let dtype: string | undefined;
  if (doc.dtype !== undefined && doc.dtype !== null) {
    if (typeof doc.dtype !== 'string' || !parseOutDtype(doc.dtype)) throw inputError(`dtype: ${JSON.stringify(doc.dtype)} is not a dtype (float32, bfloat16, float16)`);
    dtype = doc.dtype;
    notes.push(`dtype: ${dtype} accepted; darekit always computes in float32 with float64 sums (the output dtype is out_dtype, else the base model's)`);
  }
  if (doc.tokenizer_source !== undefined && doc.tokenizer_source !== null && doc.tokenizer_source !== 'base') {
    throw inputError(`tokenizer_source: ${JSON.stringify(doc.tokenizer_source)} is not supported; darekit copies the tokenizer of the base model (tokenizer_source: base)`);
  }
  let truncateVocab = false;
  if (doc.truncate_vocab !== undefined && doc.truncate_vocab !== null) {
    if (typeof doc.truncate_vocab !== 'boolean') throw inputError(`truncate_vocab: ${JSON.stringify(doc.truncate_vocab)} is not true or false`);
    truncateVocab = doc.truncate_vocab;
  }
  const int8 = [parameters.int8_mask, ...models.map((m) => (m.parameters as Record<string, ParamValue | undefined>).int8_mask)].some((p) => p !== undefined);
  if (int8) notes.push('int8_mask: ignored; darekit keeps masks implicit (a pure function of seed, model, tensor and index), so no mask is stored');
  checkWeights(models, parameters, method);
  if (spec.combine === 'slerp') checkSlerp(models, parameters, baseModel);
  const cfg: MergeConfig = { method, models, parameters: parameters as MergeConfig['parameters'], seed, notes };
  if (baseModel !== undefined) { cfg.baseModel = baseModel; cfg.baseSpec = baseSpec!; }
  if (outDtype) cfg.outDtype = outDtype;
  if (dtype) cfg.dtype = dtype;
  if (truncateVocab) cfg.truncateVocab = true;
  return cfg;
}

function parseMethod(raw: unknown): MethodName {
  if (raw === undefined || raw === null) throw inputError(`merge_method: missing; one of ${Object.keys(METHODS).join(', ')}`);
  if (typeof raw !== 'string') throw inputError(`merge_method: must be a method name (one of ${Object.keys(METHODS).join(', ')})`);
  if (isMethodName(raw)) return raw;
  const hint = closestName(raw, Object.keys(METHODS));
  throw inputError(`merge_method: unknown method "${raw}"${hint ? ` (did you mean ${hint}?)` : ''}; known: ${Object.keys(METHODS).join(', ')}`);
}

/** Parse a seed: an integer in [0, 2^32). */
export function parseSeed(raw: unknown, path: string): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw inputError(`${path}: ${JSON.stringify(raw)} is not a seed (an integer from 0 to 4294967295)`);
  return n;
}

/** A model path, or mergekit's `base+adapter` (used when the whole spec is not itself an existing path). */
function resolveModelSpec(p: string, path: string, loc: ConfigLocation): { path: string; loraBase?: string } {
  const plus = splitModelPlusLora(p);
  if (plus && !existsSync(resolve(loc.configDir, p)) && !existsSync(resolve(loc.cwd ?? process.cwd(), p))) {
    const adapter = resolveModelPath(plus.adapter, `${path} (the adapter after "+")`, loc);
    if (!isAdapterDir(adapter)) throw inputError(`${path}: ${plus.adapter} (after "+") is not a LoRA adapter dir (no adapter_config.json)`);
    return { path: adapter, loraBase: resolveModelPath(plus.base, `${path} (the model before "+")`, loc) };
  }
  return { path: resolveModelPath(p, path, loc) };
}

function resolveModelPath(p: string, path: string, loc: ConfigLocation): string {
  if (p.trim() === '') throw inputError(`${path}: empty model path`);
  if (isAbsolute(p)) {
    if (!existsSync(p)) throw inputError(`${path}: ${p} does not exist`);
    return resolve(p);
  }
  const fromConfig = resolve(loc.configDir, p);
  if (existsSync(fromConfig)) return fromConfig;
  const fromCwd = resolve(loc.cwd ?? process.cwd(), p);
  if (existsSync(fromCwd)) return fromCwd;
  const ref = parseRepoRef(p);
  if (ref) return resolveModelLocation(p); // a Hub repo id: its cached snapshot (or a clear "not cached" error)
  throw inputError(`${path}: ${p} not found (looked in ${fromConfig} and ${fromCwd}); paths are relative to the config file's dir, then the working dir`);
}

function parseParams(raw: unknown, at: string, method: MethodName, scope: 'model' | 'global'): Record<string, ParamValue> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw inputError(`${at}: must be a mapping of parameter names to values`);
  const spec = methodSpec(method);
  const allowed: string[] = scope === 'model' ? [...spec.modelParams, 'int8_mask'] : [...spec.modelParams, ...spec.globalParams, 'seed'];
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const path = `${at}.${k}`;
    if (!allowed.includes(k)) {
      const all = [...spec.modelParams, ...spec.globalParams];
      const hint = closestName(k, all);
      const where = scope === 'model' && (GLOBAL_ONLY as readonly string[]).includes(k) ? ` (${k} is a merge-wide parameter: put it under the top-level parameters)` : '';
      throw inputError(`${path}: ${method} has no parameter "${k}"${where}${hint && hint !== k ? ` (did you mean ${hint}?)` : ''}; it takes ${all.join(', ')}`);
    }
    if (k === 'seed') continue; // read by the caller
    const value = parseParamValue(v, path);
    for (const leaf of paramLeaves(value, path)) checkLeaf(k, leaf.value, leaf.path);
    out[k] = value;
  }
  return out;
}

/** Check one leaf value of a parameter: the ranges of mergekit's parameters. */
export function checkLeaf(name: string, v: ParamScalar, path: string): void {
  const num = (): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw inputError(`${path}: ${JSON.stringify(v)} is not a finite number`);
    return v;
  };
  switch (name) {
    case 'weight':
    case 'lambda':
      num();
      return;
    case 'density': {
      const d = num();
      if (!(d > 0 && d <= 1)) throw inputError(`${path}: ${d} is outside (0, 1]`);
      return;
    }
    case 't': {
      const t = num();
      if (!(t >= 0 && t <= 1)) throw inputError(`${path}: ${t} is outside [0, 1] (0 = the first model, 1 = the second)`);
      return;
    }
    case 'epsilon': {
      const e = num();
      if (!(e >= 0 && e < 1)) throw inputError(`${path}: ${e} is outside [0, 1)`);
      return;
    }
    case 'gamma': {
      const g = num();
      if (!(g >= 0 && g < 1)) throw inputError(`${path}: ${g} is outside [0, 1)`);
      return;
    }
    case 'normalize':
    case 'int8_mask':
      if (typeof v !== 'boolean') throw inputError(`${path}: ${JSON.stringify(v)} is not true or false`);
      return;
    case 'rescale':
      parseRescale(v, path);
      return;
    default:
      throw inputError(`${path}: unknown parameter`);
  }
}

/** A rescale leaf: inverse | l1 | none, mergekit's true (= l1) / false (= none), or a positive factor q. */
export function parseRescale(v: ParamScalar, path: string): 'inverse' | 'l1' | 'none' | number {
  if (v === true || v === 'l1') return 'l1';
  if (v === false || v === 'none') return 'none';
  if (v === 'inverse') return 'inverse';
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  throw inputError(`${path}: ${JSON.stringify(v)} is not a rescale mode (inverse, l1, none, true = l1, false = none, or a positive factor)`);
}

function checkWeights(models: ModelEntry[], global: Record<string, ParamValue>, method: MethodName): void {
  if (global.weight !== undefined || !methodSpec(method).modelParams.includes('weight')) return;
  models.forEach((m, i) => {
    if (m.parameters.weight === undefined) throw inputError(`models[${i}].parameters.weight: missing; ${method} needs a weight per model (or a default under the top-level parameters)`);
  });
}

/**
 * SLERP takes two models and a t. With base_model one of them (mergekit's form) it is the t = 0 end; with a
 * separate base_model the two models' deltas are DARE-sparsified first (DARE-SLERP); densities need that base.
 */
function checkSlerp(models: ModelEntry[], global: Record<string, ParamValue>, baseModel: string | undefined): void {
  if (models.length !== 2) throw inputError(`models: slerp interpolates exactly two models, got ${models.length}`);
  if (global.t === undefined) throw inputError(`parameters.t: slerp needs t (0 = the first model, or base_model when it is one of the two; 1 = the other)`);
  const separateBase = baseModel !== undefined && !models.some((m) => m.path === baseModel);
  const density = global.density !== undefined || models.some((m) => m.parameters.density !== undefined);
  if (density && !separateBase) throw inputError(`density: DARE-SLERP sparsifies deltas from a base, so base_model must be a third model (not one of the two being interpolated)`);
}

/** The recipe as canonical mergekit YAML (paths as written, seed included): stored in the output and its metadata. */
export function recipeYaml(cfg: MergeConfig): string {
  const toYaml = (p: ParamValue): unknown => (p.kind === 'scalar' ? p.value : p.kind === 'gradient' ? p.values : p.rules.map((r) => (r.filter === undefined ? { value: toYaml(r.value) } : { filter: r.filter, value: toYaml(r.value) })));
  const params = (ps: Record<string, ParamValue | undefined>): Record<string, unknown> => Object.fromEntries(Object.entries(ps).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toYaml(v!)]));
  const doc: Record<string, unknown> = { merge_method: cfg.method };
  if (cfg.baseSpec !== undefined) doc.base_model = cfg.baseSpec;
  doc.models = cfg.models.map((m) => (Object.keys(m.parameters).length > 0 ? { model: m.spec, parameters: params(m.parameters) } : { model: m.spec }));
  const global = params(cfg.parameters);
  global.seed = cfg.seed;
  doc.parameters = global;
  if (cfg.dtype) doc.dtype = cfg.dtype;
  if (cfg.outDtype) doc.out_dtype = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' }[cfg.outDtype];
  doc.tokenizer_source = 'base';
  if (cfg.truncateVocab) doc.truncate_vocab = true;
  return stringifyYaml(doc);
}
