import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openModel } from '../../src/io/model.js';
import { parseHeader, readSafetensorsHeader, type SafetensorsHeader } from '../../src/io/safetensors.js';
import { TensorReader } from '../../src/io/tensor-reader.js';
import { runCase, trackAllocations, type Outcome, type Violation } from './oracle.js';
import { SPEC_DTYPE_BITS, splitHeader, type SafetensorsCase } from './safetensors-cases.js';

const MATH = new Set(['F16', 'BF16', 'F32', 'F64']);

/**
 * Invariants of an accepted header, checked against the raw bytes with JSON.parse (an independent parser):
 * the catalog names exactly the JSON's tensors with their dtypes and shapes, and the tensors tile the data
 * buffer from its start to the end of the file.
 */
export function checkAcceptedHeader(h: SafetensorsHeader, headerBytes: Uint8Array, fileSize: number): Violation | undefined {
  const fail = (detail: string): Violation => ({ reason: 'bad-catalog', detail });
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(headerBytes)) as Record<string, unknown>;
  } catch (err) {
    return fail(`accepted a header JSON.parse refuses: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('accepted a non-object header');
  const names = Object.keys(json).filter((k) => k !== '__metadata__');
  if (names.length !== h.tensors.length) return fail(`catalog has ${h.tensors.length} tensors, the JSON ${names.length}`);
  if (h.dataOffset !== 8 + headerBytes.length) return fail(`dataOffset ${h.dataOffset} != 8 + ${headerBytes.length}`);
  let expected = h.dataOffset;
  const sorted = [...h.tensors].sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  for (const t of sorted) {
    const entry = json[t.name] as { dtype?: unknown; shape?: unknown } | undefined;
    if (!entry || entry.dtype !== t.dtype || JSON.stringify(entry.shape) !== JSON.stringify(t.shape))
      return fail(`tensor ${JSON.stringify(t.name)} differs from its JSON entry`);
    const bits = SPEC_DTYPE_BITS[t.dtype];
    if (bits === undefined) return fail(`accepted unknown dtype ${t.dtype}`);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.numel || (numel * bits) / 8 !== t.byteLength)
      return fail(`tensor ${JSON.stringify(t.name)} size ${t.byteLength} != ${numel} × ${bits} bits`);
    if (t.byteOffset !== expected) return fail(`tensor ${JSON.stringify(t.name)} starts at ${t.byteOffset}, expected ${expected}`);
    expected += t.byteLength;
  }
  if (expected !== fileSize) return fail(`tensors end at ${expected}, the file at ${fileSize}`);
  return undefined;
}

/** Run a case through parseHeader on in-memory bytes; undefined when the length field does not fit (file-only case). */
export function checkSafetensorsInMemory(c: SafetensorsCase): Outcome | undefined {
  const split = splitHeader(c.bytes);
  if (!split) return undefined;
  const where = 'fuzz.safetensors';
  return runCase(c.expect, where, () =>
    checkAcceptedHeader(parseHeader(where, split.header, split.fileSize), split.header, split.fileSize),
  );
}

// A reader may allocate the header (≤ file size) plus bounded scratch; never what a length field claims.
const ALLOCATION_SLACK = 1 << 20;

/**
 * Write a case to dir and run it through the real entry points: readSafetensorsHeader (with allocations
 * tracked), openModel, and a chunked read of every tensor compared with the bytes written.
 */
export function checkSafetensorsFile(c: SafetensorsCase, dir: string, index: number): Outcome {
  const file = join(dir, `case-${index}.safetensors`);
  writeFileSync(file, c.bytes);
  return runCase(c.expect, file, () => {
    const { value: h, maxBytes } = trackAllocations(() => readSafetensorsHeader(file));
    if (maxBytes > c.bytes.length + ALLOCATION_SLACK)
      return { reason: 'unchecked-allocation', detail: `allocated ${maxBytes} bytes for a ${c.bytes.length}-byte file` };
    const bad = checkAcceptedHeader(h, c.bytes.subarray(8, h.dataOffset), c.bytes.length);
    if (bad) return bad;
    const model = openModel(file);
    const reader = new TensorReader();
    try {
      const chunk = new Uint8Array(24);
      for (const name of model.names) {
        const t = model.tensors.get(name)!;
        if (!MATH.has(t.dtype)) continue;
        const bpe = SPEC_DTYPE_BITS[t.dtype]! / 8;
        const per = Math.floor(chunk.length / bpe);
        for (let start = 0; start < t.numel; start += per) {
          const count = Math.min(per, t.numel - start);
          const len = reader.readBytes(t, start, count, chunk);
          const from = t.byteOffset + start * bpe;
          for (let k = 0; k < len; k++) {
            if (chunk[k] !== c.bytes[from + k])
              return { reason: 'bad-read', detail: `tensor ${JSON.stringify(name)} byte ${from + k} differs` };
          }
        }
        reader.readF32(t, 0, t.numel, new Float32Array(t.numel));
      }
    } finally {
      reader.close();
    }
    return undefined;
  });
}
