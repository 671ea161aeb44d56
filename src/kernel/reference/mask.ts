import { maskHash } from '../mask-key.js';
import type { Views } from './memory.js';

export { dropThreshold, fmix32, fnv1a32, maskHash, maskKey } from '../mask-key.js';

/** Reference of dare_mask_f32. */
export function dareMaskF32(v: Views, ptr: number, n: number, key: number, start: number, threshold: number): void {
  const base = ptr >>> 2;
  if (threshold >= 4294967296) {
    v.u32.fill(0, base, base + n);
    return;
  }
  const t = Math.trunc(threshold) >>> 0;
  for (let i = 0; i < n; i++) {
    if (maskHash(key >>> 0, (start + i) >>> 0) < t) v.u32[base + i] = 0;
  }
}
