import { fmix32 } from './hash';

/**
 * DELLA's magnitude-ranked random drop (mergekit's della_magprune), per row of `cols` elements. The chunk at ptr
 * holds whole rows (n is a multiple of cols) and starts at absolute element index `start`. In each row, elements
 * are ranked by |x| ascending (ties: lower column first) with a stable LSD radix sort of the |x| bit patterns;
 * rank j (0-based) gets the keep probability p = (density − epsilon) + (j / (cols − 1))·(2·epsilon) (p = density
 * for a one-element row). Element i is kept ⇔ h(i) ≥ floor((1 − p)·2³² + 0.5), with h the DARE mask hash
 * fmix32(fmix32(i ^ key) ^ key); survivors become f32(x / p) when `inverse` is 1, dropped ones +0.
 * scratch: 4·cols u32 (keys and column indices, double-buffered) + 2048 u32 counters; no allocation.
 */
export function della_mask_f32(ptr: usize, n: i32, cols: i32, key: u32, start: u32, density: f64, epsilon: f64, inverse: i32, scratch: usize): void {
  const keysA = scratch;
  const idxA = keysA + (<usize>cols << 2);
  const keysB = idxA + (<usize>cols << 2);
  const idxB = keysB + (<usize>cols << 2);
  const count = idxB + (<usize>cols << 2);
  const low = density - epsilon;
  const span = 2 * epsilon;
  for (let r0 = 0; r0 < n; r0 += cols) {
    const row = ptr + (<usize>r0 << 2);
    for (let j = 0; j < cols; j++) {
      store<u32>(keysA + (<usize>j << 2), load<u32>(row + (<usize>j << 2)) & 0x7fffffff);
      store<u32>(idxA + (<usize>j << 2), <u32>j);
    }
    // three stable counting passes of 11, 11 and 9 bits: A → B → A → B
    radixPass(keysA, idxA, keysB, idxB, cols, 0, count);
    radixPass(keysB, idxB, keysA, idxA, cols, 11, count);
    radixPass(keysA, idxA, keysB, idxB, cols, 22, count);
    for (let j = 0; j < cols; j++) {
      const col = load<u32>(idxB + (<usize>j << 2));
      const p = cols == 1 ? density : low + (<f64>j / <f64>(cols - 1)) * span;
      const threshold = Math.floor((1 - p) * 4294967296.0 + 0.5);
      const index = start + <u32>r0 + col;
      const h = fmix32(fmix32(index ^ key) ^ key);
      const at = row + (<usize>col << 2);
      if (<f64>h >= threshold) {
        if (inverse) store<f32>(at, <f32>(<f64>load<f32>(at) / p));
      } else {
        store<u32>(at, 0);
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function radixPass(keys: usize, idx: usize, outKeys: usize, outIdx: usize, n: i32, shift: u32, count: usize): void {
  memory.fill(count, 0, 2048 << 2);
  for (let j = 0; j < n; j++) {
    const d = (load<u32>(keys + (<usize>j << 2)) >>> shift) & 2047;
    const c = count + (<usize>d << 2);
    store<u32>(c, load<u32>(c) + 1);
  }
  let sum: u32 = 0;
  for (let d = 0; d < 2048; d++) {
    const c = count + (<usize>d << 2);
    const v = load<u32>(c);
    store<u32>(c, sum);
    sum += v;
  }
  for (let j = 0; j < n; j++) {
    const k = load<u32>(keys + (<usize>j << 2));
    const c = count + (<usize>((k >>> shift) & 2047) << 2);
    const pos = load<u32>(c);
    store<u32>(c, pos + 1);
    store<u32>(outKeys + (<usize>pos << 2), k);
    store<u32>(outIdx + (<usize>pos << 2), load<u32>(idx + (<usize>j << 2)));
  }
}
