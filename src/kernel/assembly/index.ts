// The kernel's entry points: one file per op family. Pointer + length calling convention, imported memory,
// no allocation inside kernels (the caller lays out buffers in linear memory).
export * from './decode';
