import { OpenFiles } from './open-files.js';
import type { TensorSource } from './tensor-source.js';

/** Decoded side data a reader keeps between reads (LoRA A matrices), bounded to 64 MiB. */
export class MathCache {
  private readonly arrays = new Map<string, Float32Array | Float64Array>();
  private bytes = 0;

  /** A cached array, or make() it and keep it while the cache stays under 64 MiB (then start over). */
  get<T extends Float32Array | Float64Array>(key: string, make: () => T): T {
    let v = this.arrays.get(key) as T | undefined;
    if (v === undefined) {
      v = make();
      if (this.bytes + v.byteLength > 64 * 1024 * 1024) this.clear();
      this.arrays.set(key, v);
      this.bytes += v.byteLength;
    }
    return v;
  }

  /** Drop every array. */
  clear(): void {
    this.arrays.clear();
    this.bytes = 0;
  }
}

/**
 * What one reader (a merge engine, an analyzer chunk processor, a TensorReader) holds across reads: its file
 * descriptors, and apart from them the math caches of the virtual tensors it computes.
 */
export class ReadContext {
  readonly files = new OpenFiles();
  readonly math = new MathCache();

  /** Close every descriptor and drop the caches. */
  close(): void {
    this.files.close();
    this.math.clear();
  }
}

/** The one read entry point (io/tensor-bytes.ts), handed to the readers of views that read other sources. */
export type ReadTensor = (src: TensorSource, start: number, count: number, dst: Uint8Array, ctx: ReadContext) => number;
