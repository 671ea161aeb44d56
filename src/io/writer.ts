import { writeFileSync } from 'node:fs';
import { inputError, runtimeError } from '../errors.js';
import type { OutDtype } from './dtypes.js';
import { tensorLayout } from './tensor-layout.js';

/** A tensor to be written: its name, output dtype and shape (the data comes later, by positional writes). */
export interface PlannedTensor {
  name: string;
  dtype: OutDtype;
  shape: number[];
}

/** The layout of one output safetensors file, fully decided before any data is written. */
export interface ShardPlan {
  /** 'model.safetensors' or 'model-00001-of-00003.safetensors'. */
  fileName: string;
  /** 8-byte LE length + JSON header padded with spaces to a multiple of 8. */
  header: Uint8Array;
  /** Where the data buffer starts (= header.length). */
  dataOffset: number;
  fileSize: number;
  /** Tensor name → absolute byte range in this file. */
  tensors: Map<string, { byteOffset: number; byteLength: number }>;
}

/** Options of planShards. */
export interface PlanOptions {
  /** Start a new shard when the next tensor would push a shard's data past this many bytes (default: one file). */
  maxShardBytes?: number;
  /** `__metadata__` strings written into every shard's header. */
  metadata?: Record<string, string>;
}

const SINGLE_FILE = 'model.safetensors';
const INDEX_FILE = 'model.safetensors.index.json';

/** The file name of an index for sharded output. */
export const SAFETENSORS_INDEX_NAME = INDEX_FILE;

/** Byte length of a tensor's data, refusing shapes that are not non-negative integers or overflow (tensorLayout). */
export function tensorByteLength(t: PlannedTensor): number {
  return tensorLayout(`tensor "${t.name}"`, t.dtype, t.shape).byteLength;
}

/** The shard file name for shard i (0-based) of n, as Hugging Face names them. */
export function shardFileName(i: number, n: number): string {
  if (n === 1) return SINGLE_FILE;
  const pad = (k: number): string => String(k).padStart(5, '0');
  return `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
}

/**
 * Split tensors (kept in the given order, never split across files) into shards of at most maxShardBytes of
 * data each (a single tensor larger than the limit gets a shard of its own), and build every header.
 */
export function planShards(tensors: PlannedTensor[], opts: PlanOptions = {}): ShardPlan[] {
  const max = opts.maxShardBytes ?? Number.POSITIVE_INFINITY;
  if (!(max > 0)) throw inputError(`maxShardBytes must be positive, got ${max}`);
  const seen = new Set<string>();
  const groups: { t: PlannedTensor; bytes: number }[][] = [[]];
  let groupBytes = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name.length === 0) throw inputError(`tensor name "${t.name}" cannot be written to safetensors`);
    if (seen.has(t.name)) throw inputError(`tensor "${t.name}" is planned twice; tensor names must be unique`);
    seen.add(t.name);
    const bytes = tensorByteLength(t);
    let current = groups[groups.length - 1]!;
    if (current.length > 0 && groupBytes + bytes > max) {
      current = [];
      groups.push(current);
      groupBytes = 0;
    }
    current.push({ t, bytes });
    groupBytes += bytes;
  }
  return groups.map((g, i) => buildPlan(shardFileName(i, groups.length), g, opts.metadata));
}

function buildPlan(
  fileName: string,
  group: { t: PlannedTensor; bytes: number }[],
  metadata: Record<string, string> | undefined,
): ShardPlan {
  // Build the JSON by hand so the key order is exactly the data order (JSON.stringify would move
  // integer-like names such as "0" to the front).
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw inputError(`__metadata__ value for "${k}" must be a string`);
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  const relative: { name: string; begin: number; bytes: number }[] = [];
  for (const { t, bytes } of group) {
    parts.push(
      `${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`,
    );
    relative.push({ name: t.name, begin: offset, bytes });
    offset += bytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + padded);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.length);
  const dataOffset = header.length;
  const tensors = new Map<string, { byteOffset: number; byteLength: number }>();
  for (const r of relative) tensors.set(r.name, { byteOffset: dataOffset + r.begin, byteLength: r.bytes });
  return { fileName, header, dataOffset, fileSize: dataOffset + offset, tensors };
}

/** The text of model.safetensors.index.json for sharded output, with metadata.total_size (bytes of tensor data). */
export function indexJson(plans: ShardPlan[], metadata: Record<string, string> = {}): string {
  let totalSize = 0;
  const weightMap: Record<string, string> = {};
  for (const p of plans) {
    for (const [name, r] of p.tensors) {
      weightMap[name] = p.fileName;
      totalSize += r.byteLength;
    }
  }
  return JSON.stringify({ metadata: { ...metadata, total_size: totalSize }, weight_map: weightMap }, null, 2) + '\n';
}

/** A tensor with its encoded little-endian bytes, for writeSafetensorsFile. */
export interface EncodedTensor extends PlannedTensor {
  data: Uint8Array;
}

/** Write a small safetensors file from in-memory tensors in one go (tests, tiny fixtures). */
export function writeSafetensorsFile(path: string, tensors: EncodedTensor[], metadata?: Record<string, string>): void {
  const [plan] = planShards(tensors, metadata ? { metadata } : {});
  const out = new Uint8Array(plan!.fileSize);
  out.set(plan!.header, 0);
  for (const t of tensors) {
    const r = plan!.tensors.get(t.name)!;
    if (t.data.length !== r.byteLength)
      throw inputError(`tensor "${t.name}": ${t.data.length} data bytes given, shape × ${t.dtype} needs ${r.byteLength}`);
    out.set(t.data, r.byteOffset);
  }
  try {
    writeFileSync(path, out);
  } catch (err) {
    throw runtimeError(`${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
}
