/** Typed views over a kernel memory, re-derived per call so they stay valid after memory.grow. */
export interface Views {
  u8: Uint8Array;
  u16: Uint16Array;
  u32: Uint32Array;
  f32: Float32Array;
  f64: Float64Array;
}

/** Fresh views over the memory's current buffer (all kernel pointers are aligned to their element size). */
export function views(memory: WebAssembly.Memory): Views {
  const b = memory.buffer;
  return { u8: new Uint8Array(b), u16: new Uint16Array(b), u32: new Uint32Array(b), f32: new Float32Array(b), f64: new Float64Array(b) };
}
