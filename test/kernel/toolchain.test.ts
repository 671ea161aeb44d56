import { describe, expect, it } from 'vitest';
import { decodeToF32 } from '../../src/io/codec.js';
import { instantiateKernel } from '../../src/kernel/wasm.js';

describe('kernel toolchain', () => {
  it('decodes BF16 in wasm exactly like the scalar codec, including a tail not divisible by 8', () => {
    const k = instantiateKernel<{ decode_bf16(src: number, dst: number, n: number): void }>();
    const n = 19;
    k.ensure(4096);
    const src = new Uint16Array(k.memory.buffer, 0, n);
    for (let i = 0; i < n; i++) src[i] = (i * 2654435761) & 0xffff;
    k.exports.decode_bf16(0, 1024, n);
    const ref = new Float32Array(n);
    decodeToF32('BF16', new Uint8Array(k.memory.buffer, 0, 2 * n), ref, n);
    const got = new Uint32Array(k.memory.buffer, 1024, n);
    expect([...got]).toEqual([...new Uint32Array(ref.buffer)]);
  });
});
