import { closeSync, readSync } from 'node:fs';
import { inputError } from '../errors.js';
import { DTYPES, isDtype, type Dtype } from './dtypes.js';
import { tensorLayout } from './tensor-layout.js';
import { openRegularFile, type OpenedFile } from './regular-file.js';
import { asNonNegativeInteger, parseStrictJsonEntries, type JsonValue } from './strict-json.js';

/** The largest header the reference implementation accepts. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Most tensors darekit reads from one safetensors file (memory is bounded by design: ~1 KB per catalogued tensor). */
export const MAX_TENSORS_PER_FILE = 200_000;

/** One tensor of a safetensors file, as its header declares it: name, dtype, shape and byte range in `file`. */
export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  numel: number;
  /** Absolute byte offset of the tensor's first byte in `file`. */
  byteOffset: number;
  byteLength: number;
  file: string;
  /** `dev:ino` of the file as validated: every later open must find the same file (a swapped file is refused). */
  fileId?: string;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  file: string;
  fileSize: number;
  headerLength: number;
  /** Absolute offset where the data buffer starts (8 + headerLength). */
  dataOffset: number;
  metadata: Record<string, string>;
  /** Tensors in data order (sorted by offset). */
  tensors: TensorInfo[];
}

function readExactly(fd: number, buf: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw inputError(`${file}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

/**
 * Read and validate the header of a safetensors file without reading its data. The file is opened once
 * (refused by type before any read: a FIFO never blocks) or taken already opened and validated by the caller;
 * the descriptor is closed here either way. Every tensor carries the file's identity (fileId).
 */
export function readSafetensorsHeader(file: string, opened?: OpenedFile): SafetensorsHeader {
  const { fd, size, dev, ino } = opened ?? openRegularFile(file, 'safetensors file');
  try {
    const fileSize = size;
    if (fileSize < 8) throw inputError(`${file}: not a safetensors file: ${fileSize} bytes, shorter than the 8-byte header length`);
    const lenBuf = new Uint8Array(8);
    readExactly(fd, lenBuf, 0, file);
    const headerLen = new DataView(lenBuf.buffer).getBigUint64(0, true);
    if (headerLen > BigInt(MAX_HEADER_BYTES)) {
      throw inputError(`${file}: header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit of the safetensors format`);
    }
    const headerLength = Number(headerLen);
    if (8 + headerLength > fileSize) {
      throw inputError(
        `${file}: header length ${headerLength} runs past the end of the file (${fileSize} bytes); the file is truncated or not safetensors`,
      );
    }
    const headerBytes = new Uint8Array(headerLength);
    readExactly(fd, headerBytes, 8, file);
    const header = parseHeader(file, headerBytes, fileSize);
    for (const t of header.tensors) t.fileId = `${dev}:${ino}`;
    return header;
  } finally {
    closeSync(fd);
  }
}

/** Validate header bytes the way the safetensors reference implementation does. */
export function parseHeader(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes); // keep a BOM: the reference refuses it
  } catch {
    throw inputError(`${file}: header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw inputError(`${file}: header does not start with '{'; not a safetensors file`);
  const dataOffset = 8 + headerBytes.length;
  const dataLength = fileSize - dataOffset;
  const metadata: Record<string, string> = {};
  const raw: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];
  // Entries are checked as they are parsed (never held as one JSON tree), and counted against the limit.
  parseStrictJsonEntries(text, file, (name, value) => {
    if (name === '__metadata__') {
      if (value.t !== 'object') throw inputError(`${file}: __metadata__ must be an object of strings`);
      for (const [k, v] of value.entries) {
        if (v.t !== 'string') throw inputError(`${file}: __metadata__ value for "${k}" is not a string`);
        metadata[k] = v.v;
      }
      return;
    }
    if (raw.length >= MAX_TENSORS_PER_FILE) {
      throw inputError(
        `${file}: more than ${MAX_TENSORS_PER_FILE.toLocaleString('en-US')} tensors in one file, darekit's limit (checkpoints hold a few thousand per file); split it into shards`,
      );
    }
    raw.push(parseTensorEntry(file, name, value));
  });
  raw.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  const tensors: TensorInfo[] = [];
  for (const r of raw) {
    if (r.begin !== expected) {
      const what = r.begin < expected ? 'overlaps the previous tensor' : 'leaves a gap after the previous tensor';
      throw inputError(`${file}: tensor "${r.name}" data_offsets [${r.begin}, ${r.end}] ${what} (expected it to start at ${expected})`);
    }
    if (r.end < r.begin) throw inputError(`${file}: tensor "${r.name}" data_offsets end ${r.end} is before begin ${r.begin}`);
    const { numel, byteLength } = tensorLayout(`${file}: tensor "${r.name}"`, r.dtype, r.shape);
    if (r.end - r.begin !== byteLength) {
      throw inputError(
        `${file}: tensor "${r.name}" has ${r.end - r.begin} bytes but shape [${r.shape.join(', ')}] × ${r.dtype} needs ${byteLength}`,
      );
    }
    tensors.push({ name: r.name, dtype: r.dtype, shape: r.shape, numel, byteOffset: dataOffset + r.begin, byteLength, file });
    expected = r.end;
  }
  if (expected !== dataLength) {
    const last = raw.length > 0 ? ` (last tensor "${raw[raw.length - 1]!.name}")` : '';
    const what =
      expected < dataLength
        ? `${dataLength - expected} trailing bytes after the last tensor${last}; the data buffer must end at the end of the file`
        : `the data is truncated: tensors need ${expected} bytes${last}, the file has ${Math.max(0, dataLength)}`;
    throw inputError(`${file}: ${what}`);
  }
  return { file, fileSize, headerLength: headerBytes.length, dataOffset, metadata, tensors };
}

function parseTensorEntry(
  file: string,
  name: string,
  value: JsonValue,
): { name: string; dtype: Dtype; shape: number[]; begin: number; end: number } {
  if (value.t !== 'object') throw inputError(`${file}: tensor "${name}" entry is not an object`);
  const dt = value.entries.get('dtype');
  const shape = value.entries.get('shape');
  const offsets = value.entries.get('data_offsets');
  if (!dt || dt.t !== 'string') throw inputError(`${file}: tensor "${name}" has no dtype string`);
  if (!isDtype(dt.v)) throw inputError(`${file}: tensor "${name}" has unknown dtype "${dt.v}" (known: ${Object.keys(DTYPES).join(', ')})`);
  if (!shape || shape.t !== 'array') throw inputError(`${file}: tensor "${name}" has no shape array`);
  const dims: number[] = [];
  for (const d of shape.items) {
    const n = asNonNegativeInteger(d);
    if (n === undefined)
      throw inputError(`${file}: tensor "${name}" shape has ${d.t === 'number' ? d.text : d.t}, expected non-negative integers`);
    dims.push(n);
  }
  if (!offsets || offsets.t !== 'array' || offsets.items.length !== 2) {
    throw inputError(`${file}: tensor "${name}" data_offsets must be [begin, end]`);
  }
  const begin = asNonNegativeInteger(offsets.items[0]!);
  const end = asNonNegativeInteger(offsets.items[1]!);
  if (begin === undefined || end === undefined)
    throw inputError(`${file}: tensor "${name}" data_offsets must be non-negative integers below 2^53`);
  return { name, dtype: dt.v, shape: dims, begin, end };
}
