// The pre-flight check: a remote model's safetensors headers read over HTTP range requests (the index, then 8 bytes
// + the header of each shard), validated like local files, so that names, shapes and dtypes can be checked against
// the base before any weights are downloaded.
import { inputError } from '../errors.js';
import type { Model } from '../io/model.js';
import { MAX_HEADER_BYTES, parseHeader, type TensorInfo } from '../io/safetensors.js';
import { parseStrictJson } from '../io/strict-json.js';
import { listRemoteFiles, readRemoteFile, readRemoteRange, type HubClient, type RemoteFile } from './remote.js';
import type { RepoRef } from './repo-ref.js';

const INDEX_NAME = 'model.safetensors.index.json';

/** The weight files of a remote model: the index's shards, or model.safetensors. */
async function remoteWeightFiles(
  client: HubClient,
  ref: RepoRef,
): Promise<{ files: RemoteFile[]; index?: RemoteFile; shardOf?: Map<string, string> }> {
  const top = await listRemoteFiles(client, ref, [INDEX_NAME, 'model.safetensors', 'adapter_config.json']);
  const index = top.find((f) => f.path === INDEX_NAME);
  if (index) {
    const label = `${ref.text}/${INDEX_NAME}`;
    const json = parseStrictJson(new TextDecoder().decode(await readRemoteFile(client, ref, index)), label);
    const wm = json.t === 'object' ? json.entries.get('weight_map') : undefined;
    if (!wm || wm.t !== 'object' || wm.entries.size === 0) throw inputError(`${label}: no non-empty "weight_map" object`);
    const shardOf = new Map<string, string>();
    for (const [name, v] of wm.entries) {
      if (v.t !== 'string' || !/^[^/\\]+\.safetensors$/.test(v.v) || v.v === '..')
        throw inputError(`${label}: weight_map entry for "${name}" is not a plain .safetensors file name`);
      shardOf.set(name, v.v);
    }
    const names = [...new Set(shardOf.values())];
    const files = await listRemoteFiles(client, ref, names);
    for (const n of names) if (!files.some((f) => f.path === n)) throw inputError(`${label}: shard "${n}" is not in the repo`);
    return { files: names.map((n) => files.find((f) => f.path === n)!), index, shardOf };
  }
  const single = top.find((f) => f.path === 'model.safetensors');
  if (single) return { files: [single] };
  if (top.some((f) => f.path === 'adapter_config.json')) return { files: [] };
  throw inputError(`${ref.text}: the repo has no model.safetensors or ${INDEX_NAME} at ${ref.revision} (pickle-only repos are refused)`);
}

/** A remote model's tensor catalog from its headers (no weights read); `files` are pseudo paths `hub:org/name@rev/file`. */
export async function remoteModel(client: HubClient, ref: RepoRef): Promise<Model | undefined> {
  const { files, shardOf } = await remoteWeightFiles(client, ref);
  if (files.length === 0) return undefined; // a LoRA adapter repo: checked when read over its base
  const tensors = new Map<string, TensorInfo>();
  const names: string[] = [];
  const metadata: Record<string, string> = {};
  for (const f of files) {
    const label = `hub:${ref.repo}@${ref.revision}/${f.path}`;
    if (f.size < 8) throw inputError(`${label}: not a safetensors file: ${f.size} bytes`);
    const lenBytes = await readRemoteRange(client, ref, f.path, 0, 7);
    const n = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
    if (n > MAX_HEADER_BYTES) throw inputError(`${label}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    if (8 + n > f.size) throw inputError(`${label}: header length ${n} runs past the end of the ${f.size}-byte file`);
    const header = parseHeader(label, await readRemoteRange(client, ref, f.path, 8, 8 + n - 1), f.size);
    Object.assign(metadata, header.metadata);
    for (const t of header.tensors) {
      if (tensors.has(t.name)) throw inputError(`${ref.text}: tensor "${t.name}" appears in two shards`);
      if (shardOf && shardOf.get(t.name) !== f.path)
        throw inputError(
          `${ref.text}/${INDEX_NAME}: tensor "${t.name}" is stored in "${f.path}" but mapped to "${shardOf.get(t.name) ?? '(nothing)'}"`,
        );
      tensors.set(t.name, t);
      names.push(t.name);
    }
  }
  if (shardOf)
    for (const name of shardOf.keys())
      if (!tensors.has(name)) throw inputError(`${ref.text}/${INDEX_NAME}: tensor "${name}" is listed but no shard holds it`);
  return {
    path: ref.text,
    dir: `hub:${ref.repo}@${ref.revision}`,
    layout: shardOf ? 'sharded' : 'single',
    files: files.map((f) => `hub:${ref.repo}@${ref.revision}/${f.path}`),
    tensors,
    names,
    metadata,
  };
}
