/**
 * Where a task's buffers lie in a worker's kernel memory: a bump layout from a start address (past what the
 * module itself uses), each buffer at the next multiple of its alignment (default 64 bytes, a cache line).
 * Analysis, merge and the forward pass each describe their buffers with it; the kernel then takes byte addresses.
 */
export class Arena {
  /** The first byte past the last buffer placed. */
  end: number;

  constructor(start: number) {
    this.end = start;
  }

  /** Place a buffer of `bytes` at the next multiple of `align` and return its byte address. */
  take(bytes: number, align = 64): number {
    const at = Math.ceil(this.end / align) * align;
    this.end = at + bytes;
    return at;
  }

  /** The bytes the layout spans, rounded up to a multiple of `align`. */
  size(align = 1): number {
    return Math.ceil(this.end / align) * align;
  }
}
