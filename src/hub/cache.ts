// The local Hugging Face cache (the layout huggingface_hub and @huggingface/hub write): where a repo id resolves
// offline. `<cache>/models--org--name/{blobs/<etag>, snapshots/<commit>/<file> → ../../blobs/<etag>, refs/<rev>}`.
import { existsSync, statSync } from 'node:fs';
import { readRegularFileText } from '../io/regular-file.js';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { inputError } from '../errors.js';
import { isCommitHash, parseRepoRef, type RepoRef } from './repo-ref.js';

const INDEX_NAME = 'model.safetensors.index.json';

/** The Hub cache dir: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return resolve(env.HF_HUB_CACHE);
  return join(env.HF_HOME ? resolve(env.HF_HOME) : join(homedir(), '.cache', 'huggingface'), 'hub');
}

/** The cache folder of a model repo: `models--org--name`. */
export function repoCacheDir(cache: string, repo: string): string {
  return join(cache, `models--${repo.split('/').join('--')}`);
}

/** The commit a revision points to in the cache (a commit hash is itself), or undefined when unknown there. */
export function cachedCommit(repoDir: string, revision: string): string | undefined {
  if (isCommitHash(revision)) return revision;
  const ref = join(repoDir, 'refs', ...revision.split('/'));
  if (!existsSync(ref) || !statSync(ref).isFile()) return undefined;
  const commit = readRegularFileText(ref, 'cache ref').trim();
  return isCommitHash(commit) ? commit : undefined;
}

/** Whether a snapshot dir holds a complete model or adapter (every weight file present, links resolving). */
function snapshotComplete(dir: string): boolean {
  if (existsSync(join(dir, 'adapter_config.json'))) return existsSync(join(dir, 'adapter_model.safetensors'));
  if (existsSync(join(dir, INDEX_NAME))) {
    try {
      const index = JSON.parse(readRegularFileText(join(dir, INDEX_NAME), 'sharded index')) as { weight_map?: Record<string, unknown> };
      const shards = new Set(Object.values(index.weight_map ?? {}).filter((v): v is string => typeof v === 'string'));
      return shards.size > 0 && [...shards].every((s) => !s.includes('/') && existsSync(join(dir, s)));
    } catch {
      return true; // let the model reader report the broken index with its own message
    }
  }
  return existsSync(join(dir, 'model.safetensors'));
}

/** The snapshot dir of a cached repo revision holding complete weights, or undefined. */
export function cachedSnapshot(ref: RepoRef, cache = hubCacheDir()): string | undefined {
  const repoDir = repoCacheDir(cache, ref.repo);
  const commit = cachedCommit(repoDir, ref.revision);
  if (commit === undefined) return undefined;
  const dir = join(repoDir, 'snapshots', commit);
  return existsSync(dir) && statSync(dir).isDirectory() && snapshotComplete(dir) ? dir : undefined;
}

/** The error for a repo id that is neither a local path nor cached. */
export function notCachedError(ref: RepoRef, cache = hubCacheDir()): Error {
  return inputError(
    `${ref.text}: not a local path, and ${ref.repo}@${ref.revision} is not in the Hugging Face cache (${cache}); ` +
      `pass --download (or set DAREKIT_DOWNLOAD=1) to fetch it, or set HF_HUB_CACHE to the cache that holds it`,
  );
}

/**
 * Resolve a model reference offline: an existing local path is itself; a repo id (`org/name[@rev]`) is its cached
 * snapshot dir; anything else is returned unchanged for the model reader to report.
 */
export function resolveModelLocation(path: string, cache?: string): string {
  if (existsSync(path)) return path;
  const ref = parseRepoRef(path);
  if (!ref) return path;
  const snap = cachedSnapshot(ref, cache ?? hubCacheDir());
  if (snap === undefined) throw notCachedError(ref, cache ?? hubCacheDir());
  return snap;
}

/** The repo id of a path inside a Hub cache snapshot (`…/models--org--name/snapshots/<commit>/…`), if it is one. */
export function repoIdOfCachePath(path: string): string | undefined {
  const p = resolve(path);
  for (let dir = p; dirname(dir) !== dir; dir = dirname(dir)) {
    const parent = dirname(dir);
    if (basename(parent) === 'snapshots' && basename(dirname(parent)).startsWith('models--')) {
      const parts = basename(dirname(parent)).slice('models--'.length).split('--');
      return parts.length === 2 ? parts.join('/') : undefined;
    }
  }
  return undefined;
}
