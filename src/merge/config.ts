import { existsSync } from 'node:fs';
import { resolveModelLocation } from '../hub/cache.js';
import { parseRepoRef } from '../hub/repo-ref.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import { readRegularFileText } from '../io/regular-file.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { inputError } from '../errors.js';
import { parseOutDtype, type OutDtype } from '../io/dtypes.js';
import { isAdapterDir, splitModelPlusLora } from '../io/lora.js';
import { combinerOf } from './combiners/index.js';
import {
  ALL_PARAM_NAMES,
  closestName,
  isMethodName,
  METHODS,
  methodParams,
  methodSpec,
  REFUSED_METHODS,
  type MethodName,
} from './methods.js';
import { INT8_MASK } from './combiners/types.js';
import { checkParamLeaf, type ParamDecl } from './param-decl.js';
import { paramLeaves, parseParamValue, type ParamValue } from './params.js';

/** Parameters as written: name → value (the names a method takes are its declarations'). */
export type ParamMap = Partial<Record<string, ParamValue>>;

/** One model entry of a merge config. */
export interface ModelEntry {
  /** The path as written in the config. */
  spec: string;
  /** Absolute path (for `base+adapter`, the adapter's). */
  path: string;
  /** mergekit's `base+adapter` syntax: the absolute path of the model the LoRA adapter at `path` applies to. */
  loraBase?: string;
  parameters: ParamMap;
}

/** One source of a `slices:` entry: a model (index into MergeConfig.models) and a half-open layer range. */
export interface SliceSource {
  model: number;
  layerRange: [number, number];
  parameters: ParamMap;
}

/** One output slice of a frankenmerge: its sources (all with the same number of layers) and slice-wide parameters. */
export interface SliceConfig {
  sources: SliceSource[];
  /** The slice's own base_model (absolute path, as written in baseSpec), overriding the top-level one for its tensors. */
  baseModel?: string;
  baseSpec?: string;
  parameters: ParamMap;
}

/** A validated merge config (mergekit YAML or CLI flags), paths resolved. */
export interface MergeConfig {
  method: MethodName;
  /** Absolute base model path (required by every method but linear). */
  baseModel?: string;
  baseSpec?: string;
  models: ModelEntry[];
  /** Global parameters: the method's own and per-model defaults. */
  parameters: ParamMap;
  outDtype?: OutDtype;
  /** mergekit's compute dtype: accepted, but darekit always computes in float32 (sums in float64). */
  dtype?: string;
  seed: number;
  /** Accept embedding/lm_head row-count (vocabulary) mismatches: the output keeps the base's rows (truncate_vocab: true). */
  truncateVocab?: boolean;
  /** linear: base_model was not among the models and was appended to them as one more source (mergekit). */
  baseAddedAsSource?: boolean;
  /** mergekit's `slices:` form: output layers built slice by slice; `models` then lists every model the slices name. */
  slices?: SliceConfig[];
  /** `tokenizer_source: union | <model>` (or `tokenizer: {source}`): build the output vocabulary and embedding rows as mergekit; absent = the base's files copied. */
  tokenizerSource?: 'union' | { spec: string; path: string };
  /** The tokenizer block's `tokens`: per-token embedding sources (models as absolute paths). */
  tokenizerTokens?: {
    token: string;
    source: { kind: 'zero' | 'model' | 'model_token'; path?: string; spec?: string; tokenId?: number; token?: string };
    force: boolean;
  }[];
  /** `chat_template:` — a Jinja template text, or `auto` (the most common one among the input models). */
  chatTemplate?: string;
  /** Things accepted but ignored or changed, said once in the merge summary. */
  notes: string[];
}

/** Where relative model paths are resolved: the config file's dir first, then the working directory. */
export interface ConfigLocation {
  configDir: string;
  cwd?: string;
}

const TOP_KEYS = [
  'merge_method',
  'base_model',
  'models',
  'slices',
  'parameters',
  'dtype',
  'out_dtype',
  'tokenizer_source',
  'tokenizer',
  'chat_template',
  'modules',
  'seed',
  'truncate_vocab',
] as const;

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
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw inputError(`${label}: a merge config must be a YAML mapping with merge_method and models`);
  let doc = raw as Record<string, unknown>;
  if (doc.modules !== undefined && doc.modules !== null) doc = flattenModules(doc);
  for (const k of Object.keys(doc)) {
    if (!(TOP_KEYS as readonly string[]).includes(k)) {
      const hint = closestName(k, TOP_KEYS);
      throw inputError(
        `${k}: unknown key in the merge config${hint ? ` (did you mean ${hint}?)` : ''}; known keys: ${TOP_KEYS.join(', ')}`,
      );
    }
  }
  const method = parseMethod(doc.merge_method);
  const spec = methodSpec(method);
  const combiner = combinerOf(spec.combine);
  const notes: string[] = [];

  let baseModel: string | undefined;
  let baseSpec: string | undefined;
  if (doc.base_model !== undefined && doc.base_model !== null) {
    if (typeof doc.base_model !== 'string') throw inputError(`base_model: must be a model path (a string)`);
    baseSpec = doc.base_model;
    baseModel = resolveModelPath(doc.base_model, 'base_model', loc);
  } else if (spec.usesBase && (doc.slices === undefined || doc.slices === null)) {
    throw inputError(`base_model: ${method} merges deltas from a base model; add base_model: PATH`);
  }

  const hasSlices = doc.slices !== undefined && doc.slices !== null;
  if (hasSlices && doc.models !== undefined && doc.models !== null)
    throw inputError(`models, slices: give exactly one of them (as mergekit requires)`);
  if (Array.isArray(doc.models) && doc.models.length > MAX_MERGE_MODELS)
    throw inputError(
      `models: ${doc.models.length} models listed; darekit merges at most ${MAX_MERGE_MODELS} at once (its memory grows with each); merge them in groups`,
    );
  const models: ModelEntry[] = [];
  let slices: SliceConfig[] | undefined;
  if (hasSlices) {
    slices = parseSlices(doc.slices, method, loc, models, notes);
    const without = slices.findIndex((sl) => sl.baseModel === undefined);
    if (spec.usesBase && baseModel === undefined && without >= 0)
      throw inputError(
        `base_model: ${method} merges deltas from a base model; add base_model: PATH at the top level or to slices[${without}]`,
      );
  } else if (!Array.isArray(doc.models) || doc.models.length === 0) {
    throw inputError(`models: a non-empty list of {model: PATH, parameters: {...}} is required (or slices:)`);
  }
  if (!hasSlices)
    (doc.models as unknown[]).forEach((m: unknown, i: number) => {
      const at = `models[${i}]`;
      if (m === null || typeof m !== 'object' || Array.isArray(m))
        throw inputError(`${at}: must be a mapping with "model" (and optional "parameters")`);
      const entry = m as Record<string, unknown>;
      for (const k of Object.keys(entry))
        if (k !== 'model' && k !== 'parameters') throw inputError(`${at}.${k}: unknown key; a model entry has "model" and "parameters"`);
      if (typeof entry.model !== 'string') throw inputError(`${at}.model: must be a model path (a string)`);
      const { path, loraBase } = resolveModelSpec(entry.model, `${at}.model`, loc);
      const parameters = parseParams(entry.parameters, `${at}.parameters`, method, 'model', notes);
      if (baseModel !== undefined && path === baseModel && (spec.usesBase || combiner.dropsListedBase)) {
        if (Object.keys(parameters).length > 0)
          notes.push(
            `${at}: the base model is listed among the models; its delta is zero, so it is not merged (its parameters are ignored)`,
          );
        return;
      }
      const me: ModelEntry = { spec: entry.model, path, parameters: parameters as ModelEntry['parameters'] };
      if (loraBase !== undefined) me.loraBase = loraBase;
      models.push(me);
    });
  if (models.length === 0) throw inputError(`models: no model to merge besides the base model`);
  let baseAddedAsSource = false;
  const joinNote = spec.baseJoinsModels;
  if (joinNote !== undefined && !hasSlices && baseModel !== undefined && !models.some((m) => m.path === baseModel)) {
    // mergekit adds a base_model that is not among the models as one more source of the merge
    models.push({ spec: baseSpec!, path: baseModel, parameters: {} });
    baseAddedAsSource = true;
    notes.push(joinNote);
  }

  const parameters = parseParams(doc.parameters, 'parameters', method, 'global', notes);
  let seed = 0;
  const seedRaw = doc.seed ?? (doc.parameters as Record<string, unknown> | undefined)?.seed;
  if (doc.seed !== undefined && (doc.parameters as Record<string, unknown> | undefined)?.seed !== undefined)
    throw inputError(`seed: given both at the top level and in parameters; keep one`);
  if (seedRaw !== undefined) seed = parseSeed(seedRaw, doc.seed !== undefined ? 'seed' : 'parameters.seed');

  let outDtype: OutDtype | undefined;
  if (doc.out_dtype !== undefined && doc.out_dtype !== null) {
    outDtype = typeof doc.out_dtype === 'string' ? parseOutDtype(doc.out_dtype) : undefined;
    if (!outDtype)
      throw inputError(`out_dtype: ${JSON.stringify(doc.out_dtype)} is not an output dtype (use float32, bfloat16 or float16)`);
  }
  let dtype: string | undefined;
  if (doc.dtype !== undefined && doc.dtype !== null) {
    if (typeof doc.dtype !== 'string' || !parseOutDtype(doc.dtype))
      throw inputError(`dtype: ${JSON.stringify(doc.dtype)} is not a dtype (float32, bfloat16, float16)`);
    dtype = doc.dtype;
    // mergekit computes in dtype and saves what it computed unless out_dtype is given: dtype is the output dtype
    if (!outDtype) outDtype = parseOutDtype(dtype);
    if (dtype !== 'float32')
      notes.push(
        `dtype: ${dtype} is the output dtype (as in mergekit); darekit computes in float32 with float64 sums where mergekit computes in ${dtype}, so low bits can differ`,
      );
  }
  let tokenizerSource: MergeConfig['tokenizerSource'];
  let tokenTokens: MergeConfig['tokenizerTokens'];
  let tokSrcRaw: unknown = doc.tokenizer_source;
  let tokAt = 'tokenizer_source';
  if (doc.tokenizer !== undefined && doc.tokenizer !== null) {
    if (tokSrcRaw !== undefined && tokSrcRaw !== null)
      throw inputError(`tokenizer, tokenizer_source: give one of them (as mergekit requires)`);
    if (typeof doc.tokenizer !== 'object' || Array.isArray(doc.tokenizer)) throw inputError(`tokenizer: must be a mapping with source`);
    for (const k of Object.keys(doc.tokenizer)) {
      if (k === 'pad_to_multiple_of')
        throw inputError(`tokenizer.${k}: not supported yet: padding rows (the mean of every row) are not implemented; remove it`);
      if (k === 'tokens') continue;
      if (k !== 'source') throw inputError(`tokenizer.${k}: unknown key; the tokenizer block has source, tokens and pad_to_multiple_of`);
    }
    tokSrcRaw = (doc.tokenizer as Record<string, unknown>).source ?? 'union'; // mergekit's default source
    tokenTokens = parseTokenConfigs((doc.tokenizer as Record<string, unknown>).tokens, loc);
    tokAt = 'tokenizer.source';
  }
  if (tokSrcRaw !== undefined && tokSrcRaw !== null && tokSrcRaw !== 'base') {
    if (typeof tokSrcRaw !== 'string') throw inputError(`${tokAt}: must be union, base or a model path`);
    if (hasSlices) throw inputError(`${tokAt}: not supported yet with slices:; rebuilt vocabularies work with models:`);
    tokenizerSource = tokSrcRaw === 'union' ? 'union' : { spec: tokSrcRaw, path: resolveModelPath(tokSrcRaw, tokAt, loc) };
    if (typeof tokenizerSource === 'object') {
      const p = tokenizerSource.path;
      if (p !== baseModel && !models.some((m) => m.path === p))
        throw inputError(
          `${tokAt}: not supported yet: ${tokSrcRaw} must be base_model or one of the models (a tokenizer from a model outside the merge is not implemented)`,
        );
    }
  }
  let chatTemplate: string | undefined;
  if (doc.chat_template !== undefined && doc.chat_template !== null) {
    chatTemplate = parseChatTemplate(doc.chat_template);
    notes.push(
      `chat_template: written into the output's tokenizer_config.json; mergekit applies it only when it builds a tokenizer (tokenizer_source or tokenizer:) and otherwise copies the base's unchanged`,
    );
  }
  let truncateVocab = false;
  if (doc.truncate_vocab !== undefined && doc.truncate_vocab !== null) {
    if (typeof doc.truncate_vocab !== 'boolean')
      throw inputError(`truncate_vocab: ${JSON.stringify(doc.truncate_vocab)} is not true or false`);
    truncateVocab = doc.truncate_vocab;
  }
  const int8 = [parameters.int8_mask, ...models.map((m) => (m.parameters as Record<string, ParamValue | undefined>).int8_mask)].some(
    (p) => p !== undefined,
  );
  if (int8)
    notes.push('int8_mask: ignored; darekit keeps masks implicit (a pure function of seed, model, tensor and index), so no mask is stored');
  if (!slices) {
    checkWeights(models, parameters, method, baseModel);
    combiner.checkConfig?.({ models, parameters, baseModel });
  }
  combiner.checkOptions?.(parameters);
  const cfg: MergeConfig = { method, models, parameters: parameters as MergeConfig['parameters'], seed, notes };
  if (slices) cfg.slices = slices;
  if (baseAddedAsSource) cfg.baseAddedAsSource = true;
  if (chatTemplate !== undefined) cfg.chatTemplate = chatTemplate;
  if (tokenizerSource !== undefined) cfg.tokenizerSource = tokenizerSource;
  if (tokenTokens !== undefined && tokenTokens.length > 0) {
    if (tokenizerSource === undefined)
      throw inputError(
        `tokenizer.tokens: not supported yet with source: base (the base's tokenizer files are copied as they are); use source: union or a model`,
      );
    for (const t of tokenTokens)
      if (t.source.path !== undefined && t.source.path !== baseModel && !models.some((m) => m.path === t.source.path))
        throw inputError(
          `tokenizer.tokens.${t.token}.source: ${t.source.spec} is not base_model or one of the models (as mergekit requires: "referenced but not part of merge")`,
        );
    cfg.tokenizerTokens = tokenTokens;
  }
  if (baseModel !== undefined) {
    cfg.baseModel = baseModel;
    cfg.baseSpec = baseSpec!;
  }
  if (outDtype) cfg.outDtype = outDtype;
  if (dtype) cfg.dtype = dtype;
  if (truncateVocab) cfg.truncateVocab = true;
  return cfg;
}

function parseMethod(raw: unknown): MethodName {
  if (raw === undefined || raw === null) throw inputError(`merge_method: missing; one of ${Object.keys(METHODS).join(', ')}`);
  if (typeof raw !== 'string') throw inputError(`merge_method: must be a method name (one of ${Object.keys(METHODS).join(', ')})`);
  if (isMethodName(raw)) return raw;
  const refused = REFUSED_METHODS[raw];
  if (refused !== undefined) throw inputError(`merge_method: ${raw} is not supported yet: ${refused}`);
  const hint = closestName(raw, Object.keys(METHODS));
  throw inputError(
    `merge_method: unknown method "${raw}"${hint ? ` (did you mean ${hint}?)` : ''}; known: ${Object.keys(METHODS).join(', ')}`,
  );
}

/** Parse a seed: an integer in [0, 2^32). */
export function parseSeed(raw: unknown, path: string): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw inputError(`${path}: ${JSON.stringify(raw)} is not a seed (an integer from 0 to 4294967295)`);
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
  throw inputError(
    `${path}: ${p} not found (looked in ${fromConfig} and ${fromCwd}); paths are relative to the config file's dir, then the working dir`,
  );
}

/**
 * Parse a `parameters:` mapping. A parameter the method does not use is ignored with a note, as mergekit ignores it
 * (with "did you mean" when it looks like a misspelling); the values of those it uses are checked.
 */
function parseParams(raw: unknown, at: string, method: MethodName, scope: 'model' | 'global', notes: string[]): Record<string, ParamValue> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw inputError(`${at}: must be a mapping of parameter names to values`);
  const decls = methodParams(method);
  // a model entry takes the per-model parameters (and mergekit's int8_mask); `parameters:` all of them, and the seed
  const allowed = (k: string): ParamDecl | undefined =>
    k === 'int8_mask' && scope === 'model' ? INT8_MASK : decls.find((d) => d.name === k && (scope === 'global' || d.scope === 'model'));
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const path = `${at}.${k}`;
    if (k === 'seed' && scope === 'global') continue; // read by the caller
    const decl = allowed(k);
    if (!decl) {
      const all = decls.map((d) => d.name);
      const hint = ALL_PARAM_NAMES.includes(k) ? undefined : closestName(k, all);
      const where = decls.some((d) => d.name === k) ? ` (${k} is a merge-wide parameter: put it under the top-level parameters)` : '';
      notes.push(
        `${path}: ${method} does not use "${k}"; ignored, as mergekit does${where}${hint && hint !== k ? ` (did you mean ${hint}?)` : ''}`,
      );
      continue;
    }
    const value = parseParamValue(v, path);
    for (const leaf of paramLeaves(value, path)) checkParamLeaf(decl, leaf.value, leaf.path);
    out[k] = value;
  }
  return out;
}

function checkWeights(models: ModelEntry[], global: Record<string, ParamValue>, method: MethodName, baseModel: string | undefined): void {
  if (global.weight !== undefined || !methodParams(method).some((d) => d.name === 'weight')) return;
  const spec = methodSpec(method);
  models.forEach((m, i) => {
    if (m.parameters.weight !== undefined) return;
    if (spec.baseJoinsModels !== undefined && m.path === baseModel)
      throw inputError(
        `base_model: ${method} averages base_model in as one more model (as mergekit does), but it has no weight; list it under models with a weight, set a default weight under parameters, or drop base_model`,
      );
    if (combinerOf(spec.combine).optionalBase && m.path === baseModel) return;
    throw inputError(
      `models[${i}].parameters.weight: missing; ${method} needs a weight per model (or a default under the top-level parameters)`,
    );
  });
}

/** The tokenizer block's `tokens:` mapping: token → {source: MODEL | {kind: zero} | {kind: model_token, model, token_id | token}, force}. */
function parseTokenConfigs(raw: unknown, loc: ConfigLocation): MergeConfig['tokenizerTokens'] {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw inputError(`tokenizer.tokens: must be a mapping of tokens to {source, force}`);
  return Object.entries(raw as Record<string, unknown>).map(([token, v]) => {
    const at = `tokenizer.tokens.${token}`;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw inputError(`${at}: must be a mapping with source (and force)`);
    const e = v as Record<string, unknown>;
    for (const k of Object.keys(e))
      if (k !== 'source' && k !== 'force') throw inputError(`${at}.${k}: unknown key; a token entry has source and force`);
    if (e.force !== undefined && typeof e.force !== 'boolean') throw inputError(`${at}.force: must be true or false`);
    const src = e.source;
    type Src = NonNullable<MergeConfig['tokenizerTokens']>[number]['source'];
    let source: Src;
    const obj = src !== null && typeof src === 'object' && !Array.isArray(src) ? (src as Record<string, unknown>) : undefined;
    if (typeof src === 'string') source = { kind: 'model', spec: src, path: resolveModelPath(src, `${at}.source`, loc) };
    else if (obj?.kind === 'zero') source = { kind: 'zero' };
    else if (obj?.kind === 'model_token') {
      if (typeof obj.model !== 'string') throw inputError(`${at}.source.model: must be a model path`);
      if ((obj.token_id === undefined) === (obj.token === undefined))
        throw inputError(`${at}.source: give exactly one of token_id and token (as mergekit requires)`);
      if (obj.token_id !== undefined && !(Number.isInteger(obj.token_id) && (obj.token_id as number) >= 0))
        throw inputError(`${at}.source.token_id: must be a non-negative integer`);
      if (obj.token !== undefined && typeof obj.token !== 'string') throw inputError(`${at}.source.token: must be a string`);
      source = {
        kind: 'model_token',
        spec: obj.model,
        path: resolveModelPath(obj.model, `${at}.source.model`, loc),
        ...(obj.token_id !== undefined ? { tokenId: obj.token_id as number } : { token: obj.token as string }),
      };
    } else
      throw inputError(
        `${at}.source: a model path, {kind: zero} or {kind: model_token, model, token_id | token} (mergekit's TokenEmbeddingConfig)`,
      );
    return { token, source, force: e.force === true };
  });
}

/** chat_template: a Jinja template text or `auto`; mergekit's bundled template names are refused (darekit does not ship them). */
function parseChatTemplate(raw: unknown): string {
  if (typeof raw !== 'string') throw inputError(`chat_template: must be a string (a Jinja template, or auto)`);
  if (raw === 'auto') return raw;
  if (['alpaca', 'chatml', 'llama3', 'mistral', 'exaone'].includes(raw))
    throw inputError(
      `chat_template: ${raw} is one of mergekit's bundled template names; darekit does not ship them: paste the template text, or use auto`,
    );
  if (raw.length < 20 || !raw.includes('{'))
    throw inputError(
      `chat_template: ${JSON.stringify(raw)} is not a chat template (as mergekit: a Jinja template text of at least 20 characters with "{", or auto)`,
    );
  return raw;
}

/**
 * mergekit's `modules:` for a single-module model (its JSON architectures name that module `default`): the module's
 * models or slices become the top-level ones, and its parameters sit between the slices' and the top level's, as in
 * mergekit's ConfigReader (a module rule that does not match a tensor falls through to the top-level value).
 */
function flattenModules(doc: Record<string, unknown>): Record<string, unknown> {
  const mods = doc.modules;
  if (typeof mods !== 'object' || mods === null || Array.isArray(mods))
    throw inputError(`modules: must be a mapping of module names to {models or slices, parameters}`);
  const names = Object.keys(mods);
  if (names.length !== 1)
    throw inputError(
      `modules: not supported yet: darekit merges single-module (decoder-only) models, so modules: takes one module; got ${names.length} (${names.join(', ')})`,
    );
  if (doc.models !== undefined || doc.slices !== undefined)
    throw inputError(`modules, models, slices: give exactly one of them (as mergekit requires)`);
  const m = (mods as Record<string, unknown>)[names[0]!];
  if (typeof m !== 'object' || m === null || Array.isArray(m))
    throw inputError(`modules.${names[0]}: must be a mapping with models or slices`);
  const mod = m as Record<string, unknown>;
  for (const k of Object.keys(mod))
    if (k !== 'models' && k !== 'slices' && k !== 'parameters')
      throw inputError(`modules.${names[0]}.${k}: unknown key; a module has models or slices, and parameters`);
  const out: Record<string, unknown> = { ...doc };
  delete out.modules;
  if (mod.models !== undefined) out.models = mod.models;
  if (mod.slices !== undefined) out.slices = mod.slices;
  if (mod.parameters !== undefined && mod.parameters !== null) {
    if (typeof mod.parameters !== 'object' || Array.isArray(mod.parameters))
      throw inputError(`modules.${names[0]}.parameters: must be a mapping of parameter names to values`);
    const top = (doc.parameters ?? {}) as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...top };
    for (const [k, v] of Object.entries(mod.parameters as Record<string, unknown>)) {
      // a filter list that matches nothing falls through to the top-level value: append it as a rule without filter
      const isRules = Array.isArray(v) && v.length > 0 && v.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r));
      const t = top[k];
      const topRules = Array.isArray(t) && t.length > 0 && t.every((r) => r !== null && typeof r === 'object');
      merged[k] =
        !isRules || t === undefined ? v : topRules ? [...(v as unknown[]), ...(t as unknown[])] : [...(v as unknown[]), { value: t }];
    }
    out.parameters = merged;
  }
  return out;
}

/** Parse mergekit's `slices:`; every model a source names is added once to `models` (in order of first mention). */
function parseSlices(raw: unknown, method: MethodName, loc: ConfigLocation, models: ModelEntry[], notes: string[]): SliceConfig[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw inputError(`slices: a non-empty list of {sources: [{model, layer_range: [FROM, TO]}]} is required`);
  return raw.map((sl: unknown, si: number) => {
    const at = `slices[${si}]`;
    if (sl === null || typeof sl !== 'object' || Array.isArray(sl)) throw inputError(`${at}: must be a mapping with "sources"`);
    const slice = sl as Record<string, unknown>;
    for (const k of Object.keys(slice)) {
      if (k === 'residual_weight') {
        notes.push(`${at}.residual_weight: ignored, as mergekit declares it but never uses it`);
        continue;
      }
      if (k !== 'sources' && k !== 'parameters' && k !== 'base_model')
        throw inputError(`${at}.${k}: unknown key; a slice has "sources", "parameters" and "base_model"`);
    }
    let sliceBase: { spec: string; path: string } | undefined;
    if (slice.base_model !== undefined && slice.base_model !== null) {
      if (typeof slice.base_model !== 'string') throw inputError(`${at}.base_model: must be a model path (a string)`);
      sliceBase = { spec: slice.base_model, path: resolveModelPath(slice.base_model, `${at}.base_model`, loc) };
    }
    if (!Array.isArray(slice.sources) || slice.sources.length === 0)
      throw inputError(`${at}.sources: a non-empty list of {model, layer_range} is required`);
    const sources = slice.sources.map((src: unknown, j: number): SliceSource => {
      const sat = `${at}.sources[${j}]`;
      if (src === null || typeof src !== 'object' || Array.isArray(src))
        throw inputError(`${sat}: must be a mapping with "model" and "layer_range"`);
      const e = src as Record<string, unknown>;
      for (const k of Object.keys(e))
        if (k !== 'model' && k !== 'layer_range' && k !== 'parameters')
          throw inputError(`${sat}.${k}: unknown key; a slice source has "model", "layer_range" and "parameters"`);
      if (typeof e.model !== 'string') throw inputError(`${sat}.model: must be a model path (a string)`);
      const lr = e.layer_range;
      if (
        !Array.isArray(lr) ||
        lr.length !== 2 ||
        !lr.every((x) => Number.isInteger(x) && (x as number) >= 0) ||
        (lr[0] as number) >= (lr[1] as number)
      ) {
        throw inputError(`${sat}.layer_range: ${JSON.stringify(lr)} is not [FROM, TO] with 0 ≤ FROM < TO (integers; TO is exclusive)`);
      }
      const { path, loraBase } = resolveModelSpec(e.model, `${sat}.model`, loc);
      let model = models.findIndex((m) => m.path === path && m.loraBase === loraBase);
      if (model < 0) {
        const me: ModelEntry = { spec: e.model, path, parameters: {} };
        if (loraBase !== undefined) me.loraBase = loraBase;
        models.push(me);
        model = models.length - 1;
      }
      return {
        model,
        layerRange: [lr[0] as number, lr[1] as number],
        parameters: parseParams(e.parameters, `${sat}.parameters`, method, 'model', notes) as SliceSource['parameters'],
      };
    });
    const len = sources[0]!.layerRange[1] - sources[0]!.layerRange[0];
    sources.forEach((s, j) => {
      if (s.layerRange[1] - s.layerRange[0] !== len)
        throw inputError(
          `${at}.sources[${j}].layer_range: [${s.layerRange.join(', ')}] has ${s.layerRange[1] - s.layerRange[0]} layers, the first source ${len}; all sources of a slice must have the same number of layers`,
        );
    });
    const sc: SliceConfig = {
      sources,
      parameters: parseParams(slice.parameters, `${at}.parameters`, method, 'global', notes) as SliceConfig['parameters'],
    };
    if (sliceBase) {
      if (!sources.some((s) => models[s.model]!.path === sliceBase.path))
        throw inputError(
          `${at}.base_model: ${sliceBase.spec} is not one of the slice's sources; a slice's base model must be one of them (as in mergekit, whose tensors come from the sources)`,
        );
      sc.baseModel = sliceBase.path;
      sc.baseSpec = sliceBase.spec;
    }
    return sc;
  });
}

/** The recipe as canonical mergekit YAML (paths as written, seed included): stored in the output and its metadata. */
export function recipeYaml(cfg: MergeConfig): string {
  const toYaml = (p: ParamValue): unknown =>
    p.kind === 'scalar'
      ? p.value
      : p.kind === 'gradient'
        ? p.values
        : p.rules.map((r) => (r.filter === undefined ? { value: toYaml(r.value) } : { filter: r.filter, value: toYaml(r.value) }));
  const params = (ps: Record<string, ParamValue | undefined>): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(ps)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toYaml(v!)]),
    );
  const doc: Record<string, unknown> = { merge_method: cfg.method };
  if (cfg.baseSpec !== undefined) doc.base_model = cfg.baseSpec;
  if (cfg.slices) {
    doc.slices = cfg.slices.map((sl) => {
      const out: Record<string, unknown> = {
        sources: sl.sources.map((s) => {
          const src: Record<string, unknown> = { model: cfg.models[s.model]!.spec, layer_range: [...s.layerRange] };
          if (Object.keys(s.parameters).length > 0) src.parameters = params(s.parameters);
          return src;
        }),
      };
      if (Object.keys(sl.parameters).length > 0) out.parameters = params(sl.parameters);
      if (sl.baseSpec !== undefined) out.base_model = sl.baseSpec;
      return out;
    });
  } else {
    // linear's base_model was added as a source when it is not among the models; the recipe keeps the form as written
    const listed = cfg.baseAddedAsSource ? cfg.models.slice(0, -1) : cfg.models;
    doc.models = listed.map((m) =>
      Object.keys(m.parameters).length > 0 ? { model: m.spec, parameters: params(m.parameters) } : { model: m.spec },
    );
  }
  const global = params(cfg.parameters);
  global.seed = cfg.seed;
  doc.parameters = global;
  if (cfg.dtype) doc.dtype = cfg.dtype;
  if (cfg.outDtype) doc.out_dtype = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' }[cfg.outDtype];
  const tokSource = cfg.tokenizerSource === undefined ? 'base' : cfg.tokenizerSource === 'union' ? 'union' : cfg.tokenizerSource.spec;
  if (cfg.tokenizerTokens) {
    const src = (s: NonNullable<MergeConfig['tokenizerTokens']>[number]['source']): unknown =>
      s.kind === 'zero'
        ? { kind: 'zero' }
        : s.kind === 'model'
          ? s.spec
          : { kind: 'model_token', model: s.spec, ...(s.tokenId !== undefined ? { token_id: s.tokenId } : { token: s.token }) };
    doc.tokenizer = {
      source: tokSource,
      tokens: Object.fromEntries(
        cfg.tokenizerTokens.map((t) => [t.token, t.force ? { source: src(t.source), force: true } : { source: src(t.source) }]),
      ),
    };
  } else doc.tokenizer_source = tokSource;
  if (cfg.chatTemplate !== undefined) doc.chat_template = cfg.chatTemplate;
  if (cfg.truncateVocab) doc.truncate_vocab = true;
  return stringifyYaml(doc);
}
