// The host side of the kernel's hashing (README "Numeric contracts"): the DARE mask's per-tensor key and keep threshold,
// used by the merge planner, the probe and the fixtures, and the stats pass's sampling key; the wasm kernel hashes the same way.

/** murmur3's 32-bit finalizer (unsigned result). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a 32-bit hash of the UTF-8 bytes of s. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/** The per-(seed, model position, tensor name) key of the DARE mask: fmix32(seed ^ fmix32(fnv1a32(name) ^ pos·0x9E3779B9)). */
export function maskKey(seed: number, modelPos: number, tensorName: string): number {
  return fmix32((seed >>> 0) ^ fmix32(fnv1a32(tensorName) ^ Math.imul(modelPos, 0x9e3779b9)));
}

/** The mask hash of element `index` under `key`: fmix32(fmix32(index ^ key) ^ key). Kept ⇔ hash ≥ threshold. */
export function maskHash(key: number, index: number): number {
  return fmix32(fmix32((index ^ key) >>> 0) ^ key);
}

/** round(p · 2^32): the keep threshold for drop probability p (2^32 when p = 1: nothing is kept). */
export function dropThreshold(p: number): number {
  return Math.round(p * 4294967296);
}

/** The stats pass's sampling key of a tensor: fmix32(FNV-1a(name) ⊕ 0x53544154) (README "Analysis tables", histogram). */
export function sampleKey(nameHash: number): number {
  return fmix32((nameHash ^ 0x53544154) >>> 0);
}
