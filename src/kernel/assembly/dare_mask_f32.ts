import { fmix32, fmix32x4Mid } from './hash';

/**
 * DARE's random drop, counter-based: element i (absolute index start + j inside its tensor) is kept when
 * h(i) = fmix32(fmix32(i ^ key) ^ key) >= threshold, else set to +0. `key` = the (seed, model position, tensor name)
 * key computed on the host (see README "Merging"); threshold = round(p * 2^32) as f64, and >= 2^32 drops all.
 * The rescale is not applied here: the host folds it into the f64 coefficient of the combine step.
 */
export function dare_mask_f32(ptr: usize, n: i32, key: u32, start: u32, threshold: f64): void {
  if (threshold >= 4294967296.0) {
    memory.fill(ptr, 0, <usize>n << 2);
    return;
  }
  const t = <u32>threshold;
  if (t == 0) return;
  const vt = i32x4.splat(t);
  const vk = i32x4.splat(key);
  // the two steps folded as hash.ts explains: between the fmix32s, y ^ key ^ (key >>> 16); the last xorshift,
  // into the compare as y ^ (t >>> 16) ≥ t
  const vk2 = i32x4.splat(key ^ (key >>> 16));
  const vth = i32x4.splat(t >>> 16);
  const c1 = i32x4.splat(0x85ebca6b);
  const c2 = i32x4.splat(0xc2b2ae35);
  let idx = i32x4(start, start + 1, start + 2, start + 3);
  const four = i32x4.splat(4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = v128.xor(idx, vk);
    const y = fmix32x4Mid(v128.xor(fmix32x4Mid(v128.xor(x, i32x4.shr_u(x, 16)), c1, c2), vk2), c1, c2);
    const keep = i32x4.ge_u(v128.xor(y, vth), vt);
    const p = ptr + (<usize>i << 2);
    v128.store(p, v128.and(v128.load(p), keep));
    idx = i32x4.add(idx, four);
  }
  for (; i < n; i++) {
    const h = fmix32(fmix32((start + <u32>i) ^ key) ^ key);
    if (h < t) store<u32>(ptr + (<usize>i << 2), 0);
  }
}

