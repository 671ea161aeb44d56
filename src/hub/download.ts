// Download what a repo revision needs into the local Hugging Face cache, in its own layout, so that every later
// run (and every other tool that reads the cache) finds it offline. Resumable and verified (see remote.ts).
import { existsSync, lstatSync, mkdirSync, readlinkSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { runtimeError } from '../errors.js';
import { lexists } from '../io/output-guard.js';
import { hubCacheDir, repoCacheDir } from './cache.js';
import { downloadRemoteFile, listRemoteFiles, remoteCommit, readRemoteFile, type HubClient, type RemoteFile } from './remote.js';
import { isCommitHash, type RepoRef } from './repo-ref.js';

/** The files a model dir needs besides its weights (absent ones are skipped). */
export const SIDE_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
  'chat_template.jinja',
  'adapter_config.json',
  'adapter_model.safetensors',
  'model.safetensors',
  'model.safetensors.index.json',
];

/** Progress of a download, in bytes over all files of the repo. */
export type DownloadProgress = (doneBytes: number, totalBytes: number, file: string) => void;

/** The files of a revision to fetch: side files, plus the shards its index names. */
async function wantedFiles(client: HubClient, ref: RepoRef): Promise<RemoteFile[]> {
  const top = await listRemoteFiles(client, ref, SIDE_FILES);
  const index = top.find((f) => f.path === 'model.safetensors.index.json');
  if (!index) return top;
  const weightMap =
    (JSON.parse(new TextDecoder().decode(await readRemoteFile(client, ref, index))) as { weight_map?: Record<string, string> })
      .weight_map ?? {};
  const shards = [...new Set(Object.values(weightMap))].filter((s) => typeof s === 'string' && /^[^/\\]+\.safetensors$/.test(s));
  return [...top, ...(await listRemoteFiles(client, ref, shards))];
}

function linkInto(snapshotDir: string, file: string, blob: string): void {
  const link = join(snapshotDir, file);
  mkdirSync(dirname(link), { recursive: true });
  const target = relative(dirname(link), blob);
  if (lexists(link)) {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === target) return;
    unlinkSync(link);
  }
  symlinkSync(target, link);
}

/** Make sure a repo revision is complete in the cache, downloading what is missing; returns its snapshot dir. */
export async function downloadToCache(
  client: HubClient,
  ref: RepoRef,
  opts: { cache?: string; onProgress?: DownloadProgress } = {},
): Promise<string> {
  const cache = opts.cache ?? hubCacheDir();
  const files = await wantedFiles(client, ref);
  if (files.length === 0) throw runtimeError(`${ref.text}: nothing to download (no config.json or weights at ${ref.revision})`);
  const commit = isCommitHash(ref.revision) ? ref.revision : await remoteCommit(client, ref, files[0]!.path);
  const repoDir = repoCacheDir(cache, ref.repo);
  const snapshotDir = join(repoDir, 'snapshots', commit);
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(snapshotDir, { recursive: true });
  const total = files.reduce((s, f) => s + f.size, 0);
  let done = 0;
  for (const f of files) {
    if (!/^[0-9a-zA-Z]+$/.test(f.etag)) throw runtimeError(`${ref.text}: the Hub gave ${f.path} an invalid blob id "${f.etag}"`);
    const blob = join(repoDir, 'blobs', f.etag);
    if (!(existsSync(blob) && statSync(blob).size === f.size)) {
      const part = `${blob}.incomplete`;
      if (existsSync(part)) done += Math.min(statSync(part).size, f.size);
      await downloadRemoteFile(client, ref, f, part, (n) => {
        done += n;
        opts.onProgress?.(done, total, f.path);
      });
      renameSync(part, blob);
    } else {
      done += f.size;
      opts.onProgress?.(done, total, f.path);
    }
    linkInto(snapshotDir, f.path, blob);
  }
  if (!isCommitHash(ref.revision)) {
    const refFile = join(repoDir, 'refs', ...ref.revision.split('/'));
    mkdirSync(dirname(refFile), { recursive: true });
    writeFileSync(refFile, commit);
  }
  return snapshotDir;
}
