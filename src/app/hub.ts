// Composition for Hub repo ids: find the inputs that name repos, check their headers against the base over HTTP
// range requests before anything large moves, then download them into the local cache (only when asked).
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { inputError } from '../errors.js';
import { cachedSnapshot, hubCacheDir, notCachedError } from '../hub/cache.js';
import { downloadToCache, type DownloadProgress } from '../hub/download.js';
import { remoteModel } from '../hub/preflight.js';
import { hubClient, type HubClient } from '../hub/remote.js';
import { parseRepoRef, type RepoRef } from '../hub/repo-ref.js';
import { assertHomologous } from '../io/homology.js';
import { openModel, type Model } from '../io/model.js';
import { isAdapterDir } from '../io/lora.js';

/** The models of a job: the base (when there is one) and the others, each a local path or a repo id. */
export interface ModelInputs {
  base?: string;
  models: string[];
  /** Relative local paths are looked up here first (a merge config's dir), then in the working dir. */
  dir?: string;
}

/** Where one input is read from. */
export type InputSource = 'local' | 'cache' | 'hub';

/** One input as the pre-flight check saw it. */
export interface CheckedInput {
  input: string;
  source: InputSource;
  /** Tensor count and parameter count from the headers (undefined for LoRA adapter repos). */
  tensors?: number;
  parameters?: number;
  dtypes?: string[];
}

/** What `check` found: every input and the homology verdict. */
export interface CheckReport {
  inputs: CheckedInput[];
  homology: string;
}

/** Options of the Hub steps. */
export interface HubOptions {
  /** Fetch repos that are not cached (--download / DAREKIT_DOWNLOAD=1). */
  download?: boolean;
  truncateVocab?: boolean;
  cache?: string;
  client?: HubClient;
  onProgress?: (repo: string, ...rest: Parameters<DownloadProgress>) => void;
  onNote?: (line: string) => void;
}

/** Whether the environment asks for downloads (DAREKIT_DOWNLOAD=1). */
export function downloadRequested(flag: unknown, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag === true || env.DAREKIT_DOWNLOAD === '1' || env.DAREKIT_DOWNLOAD === 'true';
}

function isLocal(p: string, dir: string | undefined): boolean {
  if (isAbsolute(p)) return existsSync(p);
  return (dir !== undefined && existsSync(resolve(dir, p))) || existsSync(resolve(p));
}

/** Split mergekit's `model+adapter` into its parts when the whole text is not itself a local path. */
function parts(p: string, dir: string | undefined): string[] {
  if (isLocal(p, dir) || !p.includes('+')) return [p];
  return p.split('+').filter((s) => s.length > 0);
}

/** The repo ids among the inputs that are not local paths. */
function repoInputs(inputs: ModelInputs): RepoRef[] {
  const all = [...(inputs.base !== undefined ? [inputs.base] : []), ...inputs.models].flatMap((p) => parts(p, inputs.dir));
  const refs = new Map<string, RepoRef>();
  for (const p of all) {
    if (isLocal(p, inputs.dir)) continue;
    const ref = parseRepoRef(p);
    if (ref) refs.set(`${ref.repo}@${ref.revision}`, ref);
  }
  return [...refs.values()];
}

/** The model references in a mergekit YAML config: every `base_model` and `model` string (slices included). */
export function configModelInputs(yamlText: string, dir: string): ModelInputs {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch {
    return { models: [], dir }; // the config parser reports YAML errors with its own message
  }
  const models: string[] = [];
  let base: string | undefined;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (k === 'base_model' && typeof x === 'string') base ??= x;
        else if (k === 'model' && typeof x === 'string') models.push(x);
        else walk(x);
      }
    }
  };
  walk(doc);
  return { ...(base !== undefined ? { base } : {}), models: [...new Set(models)].filter((m) => m !== base), dir };
}

async function headerModel(
  p: string,
  inputs: ModelInputs,
  client: HubClient,
  cache: string,
): Promise<{ model?: Model; source: InputSource }> {
  if (isLocal(p, inputs.dir)) {
    const at = isAbsolute(p) || inputs.dir === undefined || !existsSync(resolve(inputs.dir, p)) ? resolve(p) : resolve(inputs.dir, p);
    return isAdapterDir(at) ? { source: 'local' } : { model: openModel(at), source: 'local' };
  }
  const ref = parseRepoRef(p);
  if (!ref) throw inputError(`${p}: not a local path and not a Hub repo id (org/name[@revision])`);
  const snap = cachedSnapshot(ref, cache);
  if (snap !== undefined) return isAdapterDir(snap) ? { source: 'cache' } : { model: openModel(snap), source: 'cache' };
  const model = await remoteModel(client, ref);
  return model ? { model, source: 'hub' } : { source: 'hub' };
}

/** The pre-flight check: every input's headers (remote ones over range requests) and the homology of the set. */
export async function checkInputs(inputs: ModelInputs, opts: HubOptions = {}): Promise<CheckReport> {
  const client = opts.client ?? hubClient();
  const cache = opts.cache ?? hubCacheDir();
  const list = [...(inputs.base !== undefined ? [inputs.base] : []), ...inputs.models];
  const seen = await Promise.all(list.map(async (p) => ({ p, ...(await headerModel(p, inputs, client, cache)) })));
  const checked: CheckedInput[] = seen.map(({ p, model, source }) => {
    if (!model) return { input: p, source };
    const tensors = [...model.tensors.values()];
    return {
      input: p,
      source,
      tensors: tensors.length,
      parameters: tensors.reduce((s, t) => s + t.numel, 0),
      dtypes: [...new Set(tensors.map((t) => t.dtype))].sort(),
    };
  });
  const base = inputs.base !== undefined ? seen[0]?.model : undefined;
  const others = seen.slice(inputs.base !== undefined ? 1 : 0).flatMap((s) => (s.model ? [s.model] : []));
  let homology = 'no base given: homology not checked';
  if (base) {
    const h = { allowVocabMismatch: opts.truncateVocab ?? false };
    const report = assertHomologous(base, others, h);
    const vocab = report.models.flatMap((m) =>
      m.shapeMismatches
        .filter((x) => x.vocabRows)
        .map((x) => `${m.path}: "${x.name}" ${x.shape[0]} rows vs base ${x.baseShape[0]} (--truncate-vocab)`),
    );
    homology = `${others.length} model(s) homologous with the base${vocab.length > 0 ? `; vocabulary differences: ${vocab.join('; ')}` : ''}`;
  }
  return { inputs: checked, homology };
}

/**
 * Make every repo-id input readable offline. Cached ones need nothing. Others are an error unless downloads were
 * asked for; then the whole set is checked from headers first, and only then downloaded into the cache.
 */
export async function prepareHubInputs(inputs: ModelInputs, opts: HubOptions = {}): Promise<void> {
  const cache = opts.cache ?? hubCacheDir();
  const missing = repoInputs(inputs).filter((r) => cachedSnapshot(r, cache) === undefined);
  if (missing.length === 0) return;
  if (!opts.download) throw notCachedError(missing[0]!, cache);
  const client = opts.client ?? hubClient();
  opts.onNote?.(`pre-flight: reading the safetensors headers of ${missing.map((r) => r.text).join(', ')} from ${client.endpoint}`);
  await checkInputs(inputs, { ...opts, client, cache });
  for (const ref of missing) {
    const dir = await downloadToCache(client, ref, { cache, onProgress: (d, t, f) => opts.onProgress?.(ref.text, d, t, f) });
    opts.onNote?.(`downloaded ${ref.text} into ${dir}`);
  }
}
