import { closeSync, existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { inputError } from '../errors.js';
import type { AdapterInfo } from './tensor-source.js';
import { openRegularFile, readRegularFileText, type OpenedFile } from './regular-file.js';
import { readSafetensorsHeader, type TensorInfo } from './safetensors.js';
import type { LoraSource, RowsSource, VocabSource } from './tensor-source.js';
import { parseStrictJson } from './strict-json.js';
import { resolveModelLocation } from '../hub/cache.js';

/** A model on disk: one or more validated safetensors files and the tensors they hold. */
/**
 * A tensor of a model: as its safetensors header declares it, or a virtual one (dtype and shape as read) whose
 * values come from `source`: a LoRA adapter's tensor, a vocabulary-aligned view or a row gather.
 */
export interface ModelTensor extends TensorInfo {
  source?: LoraSource | VocabSource | RowsSource;
}

export interface Model {
  /** The path the user gave. */
  path: string;
  /** The directory holding the model (for a single file, its directory). */
  dir: string;
  layout: 'file' | 'single' | 'sharded';
  files: string[];
  /** Tensor name → where it is. */
  tensors: Map<string, ModelTensor>;
  /** Tensor names in a stable order: by file, then by data offset. */
  names: string[];
  /** config.json beside the weights, if any. */
  configPath?: string;
  /** Merged __metadata__ of the files. */
  metadata: Record<string, string>;
  /** Set when this is a LoRA adapter read over a base (openFinetune): its rank and what it adapts. */
  adapter?: AdapterInfo;
}

const PICKLE_PATTERN = /\.(bin|pt|pth|ckpt|pkl|pickle)$/i;
const INDEX_NAME = 'model.safetensors.index.json';

function pickleRefusal(path: string): Error {
  return inputError(
    `${path}: pickle checkpoints are refused: loading a pickle can execute arbitrary code. ` +
      `Convert it to safetensors in a sandbox you trust (e.g. transformers: model.save_pretrained(dir, safe_serialization=True)) and pass that dir`,
  );
}

/** Resolve a user path (a .safetensors file, a dir with model.safetensors, or a sharded dir) and validate every file. */
export function openModel(path: string): Model {
  const abs = resolve(resolveModelLocation(path));
  if (!existsSync(abs)) throw inputError(`${path}: no such file or directory`);
  const st = statSync(abs);
  if (st.isFile()) {
    if (PICKLE_PATTERN.test(abs)) throw pickleRefusal(path);
    if (basename(abs) === INDEX_NAME) return openSharded(path, dirname(abs));
    if (!abs.endsWith('.safetensors')) throw inputError(`${path}: not a .safetensors file or a model dir`);
    return fromFiles(path, dirname(abs), 'file', [abs]);
  }
  if (!st.isDirectory()) throw inputError(`${path}: not a file or directory`);
  if (existsSync(join(abs, INDEX_NAME))) return openSharded(path, abs);
  if (existsSync(join(abs, 'model.safetensors'))) return fromFiles(path, abs, 'single', [join(abs, 'model.safetensors')]);
  if (existsSync(join(abs, 'adapter_config.json'))) {
    throw inputError(`${path}: this is a LoRA/PEFT adapter dir; give it where a fine-tune goes together with --base, not as a full model`);
  }
  const entries = readdirSync(abs);
  const pickles = entries.filter((e) => PICKLE_PATTERN.test(e));
  if (pickles.length > 0) throw pickleRefusal(join(path, pickles[0]!));
  const sts = entries.filter((e) => e.endsWith('.safetensors'));
  if (sts.length === 1) return fromFiles(path, abs, 'single', [join(abs, sts[0]!)]);
  if (sts.length > 1)
    throw inputError(`${path}: ${sts.length} .safetensors files but no ${INDEX_NAME}; name the file to use or add the index`);
  throw inputError(`${path}: no model.safetensors, ${INDEX_NAME} or .safetensors file in this directory`);
}

/**
 * Where a shard may really be: inside the model dir, or — for a Hugging Face cache snapshot
 * (`models--org--name/snapshots/<rev>/`) — inside that repo's `blobs/` folder, where the cache keeps the bytes.
 * The blobs folder counts only as a real directory (not a symlink) whose real path lies inside the repo's dir.
 */
function allowedShardRoots(dir: string): string[] {
  const realDir = realpathSync(dir);
  const roots = [realDir];
  const snapshots = dirname(realDir);
  const repo = dirname(snapshots);
  if (basename(snapshots) === 'snapshots' && basename(repo).startsWith('models--')) {
    const blobs = join(repo, 'blobs');
    let st;
    try {
      st = lstatSync(blobs);
    } catch {
      return roots;
    }
    if (st.isDirectory() && !st.isSymbolicLink()) {
      const realBlobs = realpathSync(blobs);
      if (realBlobs === join(realpathSync(repo), 'blobs')) roots.push(realBlobs);
    }
  }
  return roots;
}

/** The real path of an opened descriptor (from /proc/self/fd where the system has it, else of the name). */
function realPathOfOpened(fd: number, name: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return realpathSync(name);
  }
}

/**
 * Check that a shard name from an index is a plain file inside dir (no traversal), open it once and validate
 * the opened descriptor, not the name: a regular file (a FIFO is refused without blocking) whose real path lies
 * in the model dir or its cache's blobs. The caller reads the header from this same descriptor.
 */
function openShard(indexFile: string, dir: string, shard: string): { path: string; opened: OpenedFile } {
  if (
    shard.length === 0 ||
    isAbsolute(shard) ||
    shard.includes('/') ||
    shard.includes('\\') ||
    shard === '.' ||
    shard === '..' ||
    shard.includes('\0')
  ) {
    throw inputError(`${indexFile}: shard "${shard}" is not a plain file name inside the model dir; refusing to read outside it`);
  }
  if (PICKLE_PATTERN.test(shard)) throw pickleRefusal(join(dir, shard));
  if (!shard.endsWith('.safetensors')) throw inputError(`${indexFile}: shard "${shard}" is not a .safetensors file`);
  const p = join(dir, shard);
  if (!existsSync(p)) throw inputError(`${indexFile}: shard "${shard}" is missing from ${dir}`);
  const opened = openRegularFile(p, `shard "${shard}" of ${indexFile}`);
  const real = realPathOfOpened(opened.fd, p);
  if (!allowedShardRoots(dir).some((root) => real.startsWith(root + sep))) {
    closeSync(opened.fd);
    throw inputError(`${indexFile}: shard "${shard}" is really ${real}, outside the model dir; refusing to follow it`);
  }
  return { path: p, opened };
}

function openSharded(path: string, dir: string): Model {
  const indexFile = join(dir, INDEX_NAME);
  const text = readRegularFileText(indexFile, 'sharded index');
  const index = parseStrictJson(text, indexFile);
  if (index.t !== 'object') throw inputError(`${indexFile}: not a JSON object`);
  const wm = index.entries.get('weight_map');
  if (!wm || wm.t !== 'object') throw inputError(`${indexFile}: no "weight_map" object`);
  const shardOf = new Map<string, string>();
  const shards = new Map<string, { path: string; opened: OpenedFile }>();
  let model: Model;
  try {
    for (const [name, v] of wm.entries) {
      if (v.t !== 'string') throw inputError(`${indexFile}: weight_map entry for "${name}" is not a file name`);
      if (!shards.has(v.v)) shards.set(v.v, openShard(indexFile, dir, v.v));
      shardOf.set(name, v.v);
    }
    if (shardOf.size === 0) throw inputError(`${indexFile}: weight_map is empty`);
    model = fromFiles(
      path,
      dir,
      'sharded',
      [...shards.values()].map((x) => x.path),
      [...shards.values()].map((x) => x.opened),
    );
  } finally {
    // fromFiles closes each descriptor it reads; close the rest (an error stopped it early)
    for (const x of shards.values()) closeQuietly(x.opened);
  }
  for (const [name, shard] of shardOf) {
    const t = model.tensors.get(name);
    if (!t) throw inputError(`${indexFile}: tensor "${name}" is listed in shard "${shard}" but no shard holds it`);
    if (basename(t.file) !== shard)
      throw inputError(`${indexFile}: tensor "${name}" is mapped to "${shard}" but is stored in "${basename(t.file)}"`);
  }
  for (const name of model.names) {
    if (!shardOf.has(name))
      throw inputError(`${indexFile}: tensor "${name}" in ${basename(model.tensors.get(name)!.file)} is not in weight_map`);
  }
  return model;
}

function closeQuietly(o: OpenedFile): void {
  if (o.fd < 0) return;
  try {
    closeSync(o.fd);
  } catch {
    /* already closed */
  }
  o.fd = -1;
}

/** Most tensors darekit catalogs for one model across all its shards. */
export const MAX_TENSORS_PER_MODEL = 500_000;

/** Read every file's header (from the already opened and validated descriptors when given, which are closed). */
function fromFiles(path: string, dir: string, layout: Model['layout'], files: string[], opened?: OpenedFile[]): Model {
  const tensors = new Map<string, ModelTensor>();
  const names: string[] = [];
  const metadata: Record<string, string> = {};
  for (const [i, f] of files.entries()) {
    const o = opened?.[i];
    let h;
    if (o) {
      const fd = o.fd;
      o.fd = -1; // readSafetensorsHeader closes it
      h = readSafetensorsHeader(f, { ...o, fd });
    } else {
      h = readSafetensorsHeader(f);
    }
    Object.assign(metadata, h.metadata);
    for (const t of h.tensors) {
      const prev = tensors.get(t.name);
      if (prev) throw inputError(`${path}: tensor "${t.name}" appears in both ${basename(prev.file)} and ${basename(f)}`);
      tensors.set(t.name, t);
      names.push(t.name);
      if (names.length > MAX_TENSORS_PER_MODEL)
        throw inputError(
          `${path}: more than ${MAX_TENSORS_PER_MODEL.toLocaleString('en-US')} tensors across its shards, darekit's limit (memory grows with the catalog)`,
        );
    }
  }
  const configPath = join(dir, 'config.json');
  const model: Model = { path, dir, layout, files, tensors, names, metadata };
  if (existsSync(configPath)) model.configPath = configPath;
  return model;
}
