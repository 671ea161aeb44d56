import { maskHash } from './mask.js';
import type { Views } from './memory.js';

/**
 * Reference of della_mask_f32, written the plain way: per row, sort column indices by (|x| bits, column) with
 * Array.prototype.sort, then keep rank j with p = (density − epsilon) + (j / (cols − 1))·(2·epsilon).
 */
export function dellaMaskF32(
  v: Views,
  ptr: number,
  n: number,
  cols: number,
  key: number,
  start: number,
  density: number,
  epsilon: number,
  inverse: number,
): void {
  const base = ptr >>> 2;
  for (let r0 = 0; r0 < n; r0 += cols) {
    const bits = (j: number): number => (v.u32[base + r0 + j]! & 0x7fffffff) >>> 0;
    const order = Array.from({ length: cols }, (_, j) => j).sort((x, y) => bits(x) - bits(y) || x - y);
    order.forEach((col, j) => {
      const p = cols === 1 ? density : density - epsilon + (j / (cols - 1)) * (2 * epsilon);
      const threshold = Math.floor((1 - p) * 4294967296 + 0.5);
      const at = base + r0 + col;
      if (maskHash(key >>> 0, (start + r0 + col) >>> 0) >= threshold) {
        if (inverse) v.f32[at] = v.f32[at]! / p;
      } else {
        v.u32[at] = 0;
      }
    });
  }
}
