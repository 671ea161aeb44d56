// The Hub over HTTP: file metadata (sizes and LFS sha256 through @huggingface/hub's paths-info API, the revision's
// commit from `resolve/`'s X-Repo-Commit), byte ranges of a file, and resumable, verified downloads. Only called
// when the user asked for the network (`check`, `--download`).
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, rmSync, statSync, truncateSync } from 'node:fs';
import { pathsInfo } from '@huggingface/hub';
import { inputError, runtimeError } from '../errors.js';
import { writeAllAt } from '../io/write-all.js';
import type { RepoRef } from './repo-ref.js';

/** How to reach the Hub: $HF_ENDPOINT (default https://huggingface.co) and $HF_TOKEN. */
export interface HubClient {
  endpoint: string;
  token?: string;
}

/** The client the environment describes. */
export function hubClient(env: NodeJS.ProcessEnv = process.env): HubClient {
  const endpoint = (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  return env.HF_TOKEN ? { endpoint, token: env.HF_TOKEN } : { endpoint };
}

/** One file of a repo revision as the Hub lists it. */
export interface RemoteFile {
  path: string;
  size: number;
  /** The LFS object's sha256 (hex) for large files; undefined for small git files. */
  sha256?: string;
  /** The cache's blob name: the LFS sha256, else the git blob id. */
  etag: string;
}

function authHeaders(client: HubClient): Record<string, string> {
  return client.token ? { Authorization: `Bearer ${client.token}` } : {};
}

function resolveUrl(client: HubClient, ref: RepoRef, path: string): string {
  return `${client.endpoint}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function networkError(what: string, err: unknown): Error {
  const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
  return runtimeError(`${what}: ${cause}`, err);
}

/** Sizes and blob ids of the given paths at ref (absent paths are left out). */
export async function listRemoteFiles(client: HubClient, ref: RepoRef, paths: string[]): Promise<RemoteFile[]> {
  let infos;
  try {
    infos = await pathsInfo({
      repo: { type: 'model', name: ref.repo },
      paths,
      revision: ref.revision,
      hubUrl: client.endpoint,
      ...(client.token ? { accessToken: client.token } : {}),
    });
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404) throw inputError(`${ref.text}: no such model repo or revision on ${client.endpoint} (HTTP 404)`);
    if (status === 401 || status === 403)
      throw inputError(`${ref.text}: the Hub refused access (HTTP ${status}); set HF_TOKEN to a token that can read this repo`);
    throw networkError(`${ref.text}: cannot list files on ${client.endpoint}`, err);
  }
  return infos
    .filter((i) => i.type === 'file')
    .map((i) => {
      const sha256 = i.lfs?.oid;
      if (!Number.isSafeInteger(i.size) || i.size < 0)
        throw runtimeError(`${ref.text}: the Hub listed ${i.path} with an invalid size (${String(i.size)})`);
      return { path: i.path, size: i.lfs?.size ?? i.size, ...(sha256 ? { sha256 } : {}), etag: sha256 ?? i.oid ?? '' };
    });
}

/** The commit the revision points to (the `X-Repo-Commit` header of resolve/). */
export async function remoteCommit(client: HubClient, ref: RepoRef, path: string): Promise<string> {
  let resp: Response;
  try {
    resp = await fetch(resolveUrl(client, ref, path), { method: 'HEAD', redirect: 'manual', headers: authHeaders(client) });
  } catch (err) {
    throw networkError(`${ref.text}: cannot reach ${client.endpoint}`, err);
  }
  const commit = resp.headers.get('x-repo-commit') ?? '';
  if (!/^[0-9a-f]{40}$/.test(commit)) throw runtimeError(`${ref.text}: the Hub sent no commit id for ${path} (HTTP ${resp.status})`);
  return commit;
}

/** Bytes [start, end] (inclusive) of a file, with an HTTP range request; the Hub must answer exactly those bytes. */
export async function readRemoteRange(client: HubClient, ref: RepoRef, path: string, start: number, end: number): Promise<Uint8Array> {
  let resp: Response;
  try {
    resp = await fetch(resolveUrl(client, ref, path), { headers: { ...authHeaders(client), Range: `bytes=${start}-${end}` } });
  } catch (err) {
    throw networkError(`${ref.text}/${path}: range request failed`, err);
  }
  if (resp.status !== 206)
    throw runtimeError(`${ref.text}/${path}: asked for bytes ${start}-${end}, the Hub answered HTTP ${resp.status} instead of 206`);
  const bytes = new Uint8Array(await resp.arrayBuffer());
  if (bytes.length !== end - start + 1)
    throw runtimeError(`${ref.text}/${path}: asked for ${end - start + 1} bytes at ${start}, got ${bytes.length}`);
  return bytes;
}

/** The whole (small) file as bytes. */
export async function readRemoteFile(client: HubClient, ref: RepoRef, file: RemoteFile): Promise<Uint8Array> {
  return file.size === 0 ? new Uint8Array(0) : readRemoteRange(client, ref, file.path, 0, file.size - 1);
}

async function sha256OfPrefix(path: string, bytes: number): Promise<ReturnType<typeof createHash>> {
  const hash = createHash('sha256');
  if (bytes === 0) return hash;
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  return hash;
}

/**
 * Download `file` into `dest` (a `.incomplete` path), resuming from the bytes already there with a Range request,
 * then check its size and (for LFS files) its sha256. A broken connection keeps the partial file for the next run;
 * a size or hash mismatch deletes it.
 */
export async function downloadRemoteFile(
  client: HubClient,
  ref: RepoRef,
  file: RemoteFile,
  dest: string,
  onBytes?: (n: number) => void,
): Promise<void> {
  let have = existsSync(dest) ? statSync(dest).size : 0;
  if (have > file.size) {
    truncateSync(dest, 0);
    have = 0;
  }
  const label = `${ref.text}/${file.path}`;
  let resp: Response;
  try {
    resp = await fetch(resolveUrl(client, ref, file.path), {
      headers: { ...authHeaders(client), ...(have > 0 ? { Range: `bytes=${have}-` } : {}) },
    });
  } catch (err) {
    throw networkError(`${label}: download failed (${have} of ${file.size} bytes kept; run again to resume)`, err);
  }
  if (have > 0 && resp.status === 200)
    have = 0; // the server ignored the range: start over
  else if (have > 0 && resp.status === 416 && have === file.size) resp = new Response(new Uint8Array(0));
  else if (!(resp.status === 200 || resp.status === 206)) throw runtimeError(`${label}: download failed with HTTP ${resp.status}`);
  const served =
    resp.status === 206
      ? Number(/\/(\d+)$/.exec(resp.headers.get('content-range') ?? '')?.[1] ?? Number.NaN)
      : resp.status === 200
        ? Number(resp.headers.get('content-length') ?? Number.NaN)
        : file.size;
  if (Number.isFinite(served) && served !== file.size) {
    rmSync(dest, { force: true });
    throw runtimeError(
      `${label}: the Hub listed ${file.size} bytes but serves a ${served}-byte file; nothing was kept (the repo listing and its files disagree: try again later)`,
    );
  }
  const hash = await sha256OfPrefix(dest, have);
  const fd = openSync(dest, have > 0 ? 'r+' : 'w');
  let pos = have;
  try {
    if (resp.body) {
      const reader = resp.body.getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw networkError(
            `${label}: connection lost at ${pos} of ${file.size} bytes (the partial file is kept; run again to resume)`,
            err,
          );
        }
        if (chunk.done) break;
        if (pos + chunk.value.length > file.size)
          throw runtimeError(`${label}: the Hub sent more than the ${file.size} bytes it listed; the partial file was deleted`);
        writeAllAt(fd, chunk.value, pos);
        hash.update(chunk.value);
        pos += chunk.value.length;
        onBytes?.(chunk.value.length);
      }
    }
  } catch (err) {
    closeSync(fd);
    if (/sent more than/.test((err as Error).message)) rmSync(dest, { force: true });
    throw err;
  }
  closeSync(fd);
  if (pos !== file.size) {
    if (pos > have)
      throw runtimeError(`${label}: the download stopped at ${pos} of ${file.size} bytes (the partial file is kept; run again to resume)`);
    rmSync(dest, { force: true });
    throw runtimeError(`${label}: the Hub listed ${file.size} bytes but sent ${pos}; the partial file was deleted`);
  }
  if (file.sha256 !== undefined) {
    const got = hash.digest('hex');
    if (got !== file.sha256) {
      rmSync(dest, { force: true });
      throw runtimeError(
        `${label}: sha256 ${got} does not match the Hub's ${file.sha256}; the download was deleted (try again; if it repeats, the mirror at ${client.endpoint} serves corrupt data)`,
      );
    }
  }
}
