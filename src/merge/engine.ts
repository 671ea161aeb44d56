import { writeSync } from 'node:fs';
import { runtimeError } from '../errors.js';
import { decodeToF32 } from '../io/codec.js';
import { bytesPerElement } from '../io/dtypes.js';
import { ReadContext } from '../io/read-context.js';
import { readTensorBytes } from '../io/tensor-bytes.js';
import type { TensorSource } from '../io/tensor-source.js';
import type { MergeKernelExports } from '../kernel/exports.js';
import { Arena } from '../exec/arena.js';
import { decodeInArena, readPlace } from '../exec/dtype.js';
import { CUT_ALL, CUT_NONE, chunkQuota, jobChunkElements, type Cut, type TensorJob, type TermPrep } from './job.js';
import { modelStockCoefficient, nuslerpCoefficients, slerpCoefficients } from './slerp.js';
import { karcherCoefficients, multislerpCoefficients } from './spherical.js';
import { fusionThreshold, quantileIndices, rowKl } from './fusion.js';

/** Bytes of linear memory a chunk engine lays out for `chunkElements`, up to `maxTerms` models and per-row work on rows of up to `maxRow` elements. */
export function engineMemoryBytes(chunkElements: number, maxTerms: number, maxRow = 0): number {
  return layout(chunkElements, maxTerms, maxRow).end;
}

const RESERVED = 64;
/**
 * Elements per sub-block of the blocked merge: every stage runs on one sub-block before the next, in f32 buffers
 * of one sub-block reused for every sub-block, so the inputs, deltas and output (~160 KiB) stay in the core's L2.
 */
const SUB_BLOCK = 8192;
const HI_BUCKETS = 32768;
const LO_BUCKETS = 65536;

/** Bytes of kernel memory one engine needs for chunks of s elements, k terms and rows of maxRow (what layout() lays out). */
export function engineBytes(s: number, k: number, maxRow: number): number {
  return layout(s, k, maxRow).end;
}

function layout(
  s: number,
  k: number,
  maxRow: number,
): {
  coef: number;
  divw: number;
  sums: number;
  table: number;
  raw: number;
  base: number;
  deltas: number;
  out: number;
  hist: number;
  scratch: number;
  rawIn: number;
  end: number;
} {
  const arena = new Arena(RESERVED);
  const coef = arena.take(8 * Math.max(k, 1));
  const divw = arena.take(8 * Math.max(k, 1), 8);
  const sums = arena.take(64);
  // fused_merge16's table: a 16-byte header and 16 bytes per model, then its scratch (1032 bytes per model)
  const table = arena.take(16 + 16 * Math.max(k, 1) + 15 + 1032 * Math.max(k, 1));
  const raw = arena.take(8 * s);
  const base = arena.take(4 * s);
  const deltas = arena.take(4 * s * k);
  const out = arena.take(4 * s);
  const hist = arena.take(4 * (HI_BUCKETS + 2 * LO_BUCKETS) * k);
  const scratch = arena.take(maxRow > 0 ? 16 * maxRow + 4 * 2048 : 0);
  // the raw 16-bit bytes of every input of a chunk (base and k terms), for the blocked merge
  const rawIn = arena.take(2 * s * (Math.max(k, 1) + 1));
  const end = arena.size(64);
  return { coef, divw, sums, table, raw, base, deltas, out, hist, scratch, rawIn, end };
}

/** Result of merging one chunk. */
export interface ChunkResult {
  nonfinite: number;
  bytesRead: number;
  /** When nonfinite > 0: the first input holding NaN/Inf (-1 the base, else the term index), its count in this chunk and the first element index. */
  nonfiniteAt?: NonfiniteAt;
  /** Merged values the output dtype cannot hold (they were written as ±Inf): how many, and the first. */
  overflow?: OutputOverflow;
}

/** The first merged value of a chunk beyond the output dtype's range. */
export interface OutputOverflow {
  count: number;
  element: number;
  /** The merged value in float32 (±Infinity when it was beyond float32 itself). */
  value: number;
}

/** Where a chunk's first NaN/Inf input values are. */
export interface NonfiniteAt {
  input: number;
  count: number;
  firstElement: number;
  start: number;
  end: number;
  /** Set when the first bad element is a finite F64 value beyond float32's range (it became ±Inf on decoding). */
  f64Value?: number;
}

const F32_MAX = 3.4028234663852886e38;
/** fused_merge16's flags: an input or an output value is NaN/Inf. */
const FUSED_NONFINITE = (1 << 30) | (1 << 29);

/**
 * Runs the merge of one tensor chunk (or a tensor's selection pre-pass) through a kernel: reads inputs straight
 * into the kernel's memory, decodes, takes deltas, sparsifies, combines in f64, encodes and writes the result at
 * its planned offset. One engine per thread; it owns its input descriptors.
 */
export class ChunkEngine {
  private readonly files = new ReadContext();
  private readonly at: ReturnType<typeof layout>;
  // The first finite F64 value beyond float32 in the last F64 load (element offset in that load, and the value).
  private f64Overflow: { offset: number; value: number } | undefined;
  /** Whether blocked merges of 16-bit inputs run the fused kernel op (false: the stages one by one; benchmarks compare both). */
  useFused = true;
  /** Sub-block elements the fused op merged, and how many of them it recomputed in f64 (its f32 result not certain). */
  readonly fusedStats = { positions: 0, fallbacks: 0 };

  constructor(
    private readonly k: MergeKernelExports,
    private readonly memory: WebAssembly.Memory,
    private readonly chunkElements: number,
    maxTerms: number,
    maxRow = 0,
  ) {
    this.at = layout(chunkElements, maxTerms, maxRow);
    const have = memory.buffer.byteLength;
    try {
      if (this.at.end > have) memory.grow(Math.ceil((this.at.end - have) / 65536));
    } catch (err) {
      throw runtimeError(
        `the merge kernel could not get ${Math.ceil(this.at.end / 2 ** 20)} MiB of memory for ${maxTerms} models × chunks of ${chunkElements} elements (${err instanceof Error ? err.message : String(err)}); lower --chunk-elements or --threads`,
        err,
      );
    }
  }

  /** Read elements [start, start+n) of an input and decode them to f32 at dst; returns bytes read. */
  private load(input: TensorSource, start: number, n: number, dst: number): number {
    const bpe = bytesPerElement(input.dtype);
    const len = n * bpe;
    readTensorBytes(input, start, n, new Uint8Array(this.memory.buffer, readPlace(input.dtype, dst, this.at.raw), len), this.files);
    if (input.dtype === 'F64') {
      const src = new Float64Array(this.memory.buffer, this.at.raw, n);
      // F64 is read at float32 precision; note a finite value beyond float32 so the refusal can say so
      this.f64Overflow = undefined;
      for (let e = 0; e < n; e++) {
        const v = src[e]!;
        if (Math.abs(v) > F32_MAX && Number.isFinite(v)) {
          this.f64Overflow = { offset: e, value: v };
          break;
        }
      }
    }
    decodeInArena(this.k, this.memory, input.dtype, this.at.raw, dst, n);
    return len;
  }

  private deltaPtr(i: number): number {
    return this.at.deltas + 4 * this.chunkElements * i;
  }

  /** Load chunk c of the given terms as deltas (or weights when the job has no base); returns bytes read and non-finite count. */
  private loadDeltas(job: TensorJob, c: number, which: number[], check: boolean): ChunkResult {
    const { start, n } = this.range(job, c);
    let bytesRead = 0;
    let nonfinite = 0;
    let at: NonfiniteAt | undefined;
    const count = (input: number, ptr: number): void => {
      const c = this.k.count_nonfinite_f32(ptr, n);
      nonfinite += c;
      if (c > 0 && !at) {
        // rare path (the merge stops): find the first bad element in plain TS
        const v = new Float32Array(this.memory.buffer, ptr, n);
        let e = 0;
        while (e < n && Number.isFinite(v[e]!)) e++;
        at = { input, count: c, firstElement: start + e, start, end: start + n };
        if (this.f64Overflow?.offset === e) at.f64Value = this.f64Overflow.value;
      }
    };
    if (job.base) {
      this.f64Overflow = undefined;
      bytesRead += this.load(job.base, start, n, this.at.base);
      if (check) count(-1, this.at.base);
    }
    for (const i of which) {
      const p = this.deltaPtr(i);
      this.f64Overflow = undefined;
      bytesRead += this.load(job.terms[i]!.input, start, n, p);
      if (check) count(i, p);
      if (job.base) this.k.delta_f32(p, this.at.base, p, n);
    }
    return at ? { bytesRead, nonfinite, nonfiniteAt: at } : { bytesRead, nonfinite };
  }

  private sparsify(job: TensorJob, prep: TermPrep[] | undefined, i: number, c: number): void {
    const t = job.terms[i]!;
    const { start, n } = this.range(job, c);
    const p = this.deltaPtr(i);
    if (t.sparsify === 'random') {
      this.k.dare_mask_f32(p, n, t.maskKey, start, t.dropThreshold);
    } else if (t.sparsify === 'della') {
      if (t.density < 1)
        this.k.della_mask_f32(p, n, job.rowLen!, t.maskKey, start, t.density, t.epsilon, t.dellaInverse ? 1 : 0, this.at.scratch);
    } else if (t.sparsify === 'magnitude' || t.sparsify === 'breadcrumbs') {
      const keep = prep?.[i]?.keep ?? CUT_ALL;
      const drop = prep?.[i]?.drop ?? CUT_NONE;
      if (keep === CUT_ALL && drop === CUT_NONE) return;
      this.k.trim_window_f32(p, n, keep.bits, chunkQuota(keep, c), drop.bits, chunkQuota(drop, c));
    }
  }

  /** Elements [start, start + n) of chunk c of a job (whole rows for per-row methods). */
  private range(job: TensorJob, c: number): { start: number; n: number } {
    const cs = jobChunkElements(job, this.chunkElements);
    const start = c * cs;
    return { start, n: Math.min(cs, job.numel - start) };
  }

  /**
   * SLERP endpoints of chunk c in the delta buffers: the two models' weights, or with a base (DARE-SLERP) the
   * sparsified deltas added back, w = f32(base + coef·δ̂).
   */
  private loadSlerpEndpoints(job: TensorJob, prep: TermPrep[] | undefined, c: number, check: boolean): ChunkResult {
    const res = this.loadDeltas(job, c, [0, 1], check);
    if (job.base) {
      const { n } = this.range(job, c);
      for (let i = 0; i < 2; i++) {
        this.sparsify(job, prep, i, c);
        this.k.axpy_f32(this.at.base, this.deltaPtr(i), job.terms[i]!.coef * (prep?.[i]?.l1Scale ?? 1), this.deltaPtr(i), n);
      }
    }
    return res;
  }

  /**
   * Whether chunk-wide stages can run sub-block by sub-block: every stage is then elementwise (random or no
   * sparsification, no SLERP, no per-row method) and every input is 16-bit or F32, so the result is the same.
   */
  private blockable(job: TensorJob): boolean {
    // only the generic task-arithmetic branch of mergeChunk: every method with its own branch is excluded
    const special = job.slerp || job.sce || job.ram || job.fusion || job.rowPass || job.nearswap || job.coefPass || job.rowLen;
    const inputs = job.base ? [job.base, ...job.terms.map((t) => t.input)] : job.terms.map((t) => t.input);
    return !special && job.terms.every((t) => t.sparsify === 'random' || t.sparsify === 'none') && inputs.every((i) => i.dtype !== 'F64');
  }

  /**
   * mergeChunk for blockable jobs: read every input's chunk (16-bit inputs raw), then decode, check, delta, mask,
   * combine and encode one sub-block at a time while it is in cache. The same kernels on the same elements as the
   * chunk-wide path (each stage is elementwise and the mask a function of the element index), so the output bytes
   * are identical; it saves the memory traffic of running each stage over the whole chunk.
   */
  private mergeChunkBlocked(job: TensorJob, prep: TermPrep[] | undefined, c: number): ChunkResult {
    const { start, n } = this.range(job, c);
    const S = Math.min(SUB_BLOCK, this.chunkElements); // the f32 areas below hold chunkElements per input
    const inputs = job.base ? [job.base, ...job.terms.map((t) => t.input)] : job.terms.map((t) => t.input);
    const first = job.base ? 1 : 0; // inputs[first + i] is term i
    // f32 working buffers of one sub-block, reused for every sub-block (so they stay in cache): the base at the
    // start of its area, the terms' deltas S apart at the start of theirs, the combined result at the start of out
    const dst = (m: number): number => (job.base && m === 0 ? this.at.base : this.at.deltas + 4 * S * (m - first));
    const raw = (m: number): number => this.at.rawIn + 2 * this.chunkElements * m;
    let bytesRead = 0;
    inputs.forEach((input, m) => {
      const bpe = bytesPerElement(input.dtype);
      if (input.dtype !== 'F32') readTensorBytes(input, start, n, new Uint8Array(this.memory.buffer, raw(m), n * bpe), this.files);
      bytesRead += n * bpe;
    });
    const coef = new Float64Array(this.memory.buffer, this.at.coef, job.terms.length);
    const divw = new Float64Array(this.memory.buffer, this.at.divw, job.terms.length);
    job.terms.forEach((t, i) => {
      coef[i] = t.coef * (prep?.[i]?.l1Scale ?? 1);
      divw[i] = t.divw;
    });
    const counts = inputs.map(() => 0);
    let overflow: OutputOverflow | undefined;
    const combine = job.elect ? this.k.ties_sum_f32 : this.k.weighted_sum_f32;
    const dtype = job.out.dtype;
    let fused = this.useFused && (dtype === 'BF16' || dtype === 'F16') && inputs.every((i) => i.dtype === 'BF16' || i.dtype === 'F16');
    if (fused)
      this.writeFusedTable(
        job,
        inputs.map((_, m) => raw(m)),
      );
    for (let off = 0; off < n; off += S) {
      const len = Math.min(S, n - off);
      if (fused) {
        // every stage in one pass; on NaN/Inf (in or out) the stages below redo the sub-block and say where
        const r = this.k.fused_merge16(
          this.at.table,
          job.terms.length,
          off,
          len,
          start + off,
          this.at.coef,
          this.at.divw,
          job.lambda,
          this.at.raw + 2 * off,
        );
        if (r < 0) fused = false;
        else if ((r & FUSED_NONFINITE) === 0) {
          this.fusedStats.positions += len;
          this.fusedStats.fallbacks += r;
          continue;
        }
      }
      inputs.forEach((input, m) => {
        const d = dst(m);
        if (input.dtype === 'F32') readTensorBytes(input, start + off, len, new Uint8Array(this.memory.buffer, d, 4 * len), this.files);
        else decodeInArena(this.k, this.memory, input.dtype, raw(m) + 2 * off, d, len);
        counts[m]! += this.k.count_nonfinite_f32(d, len);
      });
      job.terms.forEach((t, i) => {
        const p = dst(first + i);
        if (job.base) this.k.delta_f32(p, this.at.base, p, len);
        if (t.sparsify === 'random') this.k.dare_mask_f32(p, len, t.maskKey, start + off, t.dropThreshold);
      });
      combine(
        this.at.base,
        job.base ? 1 : 0,
        this.at.deltas,
        4 * S,
        job.terms.length,
        len,
        this.at.coef,
        this.at.divw,
        job.normalize ? 1 : 0,
        job.lambda,
        this.at.out,
      );
      // the chunk's encoded output collects in raw (8 bytes per element: room for any output dtype)
      if (dtype === 'BF16') this.k.encode_bf16(this.at.out, this.at.raw + 2 * off, len);
      else if (dtype === 'F16') this.k.encode_f16(this.at.out, this.at.raw + 2 * off, len);
      else new Uint8Array(this.memory.buffer).copyWithin(this.at.raw + 4 * off, this.at.out, this.at.out + 4 * len);
      // values the output dtype cannot hold: the encoded sub-block decoded back into a free delta area and counted
      let probe = this.at.out;
      if (dtype === 'BF16' || dtype === 'F16') {
        probe = this.at.deltas;
        decodeInArena(this.k, this.memory, dtype, this.at.raw + 2 * off, probe, len);
      }
      const bad = this.k.count_nonfinite_f32(probe, len);
      if (bad > 0) {
        if (!overflow) {
          const v = new Float32Array(this.memory.buffer, probe, len);
          let e = 0;
          while (e < len && Number.isFinite(v[e]!)) e++;
          overflow = { count: 0, element: start + off + e, value: new Float32Array(this.memory.buffer, this.at.out, len)[e]! };
        }
        overflow.count += bad;
      }
    }
    this.write(job, start, n, this.at.raw);
    const nonfinite = counts.reduce((a, b) => a + b, 0);
    if (nonfinite === 0) return overflow ? { bytesRead, nonfinite, overflow } : { bytesRead, nonfinite };
    // rare path (the merge stops): the first input with NaN/Inf, read and decoded again, and its first bad element
    const m = counts.findIndex((x) => x > 0);
    this.load(inputs[m]!, start, n, this.at.out);
    const v = new Float32Array(this.memory.buffer, this.at.out, n);
    let e = 0;
    while (e < n && Number.isFinite(v[e]!)) e++;
    return { bytesRead, nonfinite, nonfiniteAt: { input: m - first, count: counts[m]!, firstElement: start + e, start, end: start + n } };
  }

  /** fused_merge16's table for a chunk of a blocked job: the inputs' raw chunks, dtypes, mask keys and thresholds. */
  private writeFusedTable(job: TensorJob, rawAt: number[]): void {
    const t = new Uint32Array(this.memory.buffer, this.at.table, 4 + 4 * job.terms.length);
    const f16 = (d: string): number => (d === 'F16' ? 1 : 0);
    t[0] = job.base ? rawAt[0]! : 0;
    t[1] =
      (job.base ? 1 : 0) |
      (job.base ? f16(job.base.dtype) << 1 : 0) |
      (job.elect ? 4 : 0) |
      (job.normalize ? 8 : 0) |
      (job.out.dtype === 'F16' ? 16 : 0);
    const first = job.base ? 1 : 0;
    job.terms.forEach((term, i) => {
      // dare_mask_f32's cases: a threshold of 2^32 drops all, 0 keeps all (as no sparsification does)
      const thr = term.sparsify === 'random' ? term.dropThreshold : 0;
      const mode = thr >= 2 ** 32 ? 2 : Math.trunc(thr) >>> 0 === 0 ? 0 : 1;
      t.set(
        [rawAt[first + i]!, f16(term.input.dtype) | (mode << 1), term.maskKey >>> 0, mode === 1 ? Math.trunc(thr) >>> 0 : 0],
        4 + 4 * i,
      );
    });
  }

  /** Write n encoded elements at src (the chunk's output in its dtype) at their place in the output. */
  private write(job: TensorJob, start: number, n: number, src: number): void {
    const bpe = bytesPerElement(job.out.dtype);
    const bytes = new Uint8Array(this.memory.buffer, src, n * bpe);
    const pos = job.out.byteOffset + start * bpe;
    let done = 0;
    while (done < bytes.length) done += writeSync(job.out.fd, bytes, done, bytes.length - done, pos + done);
  }

  /** Merge chunk c of a job and write it at its place in the output. */
  mergeChunk(job: TensorJob, prep: TermPrep[] | undefined, c: number): ChunkResult {
    if (this.blockable(job)) return this.mergeChunkBlocked(job, prep, c);
    const { res, bytes, start, n } = this.computeChunk(job, prep, c);
    this.write(job, start, n, bytes.byteOffset);
    return res;
  }

  /**
   * Merge chunk c of a job in memory: the values a written merge would hold (encoded to the job's output dtype),
   * decoded back to float32 into dst at the chunk's element offset. For the probe, which scores merges unwritten.
   */
  mergeChunkInto(job: TensorJob, prep: TermPrep[] | undefined, c: number, dst: Float32Array): ChunkResult {
    const { res, bytes, start, n } = this.computeChunk(job, prep, c);
    decodeToF32(job.out.dtype, bytes, dst.subarray(start, start + n), n);
    return res;
  }

  /** Chunk c of a job merged and encoded to the output dtype; the bytes are a view of kernel memory. */
  private computeChunk(
    job: TensorJob,
    prep: TermPrep[] | undefined,
    c: number,
  ): { res: ChunkResult; bytes: Uint8Array; start: number; n: number; bpe: number } {
    const { start, n } = this.range(job, c);
    const coef = (): Float64Array => new Float64Array(this.memory.buffer, this.at.coef, job.terms.length);
    const divw = (): Float64Array => new Float64Array(this.memory.buffer, this.at.divw, job.terms.length);
    let res: ChunkResult;
    if (job.rowPass) {
      res = this.loadDeltas(
        job,
        c,
        job.terms.map((_, i) => i),
        true,
      );
      const k = job.terms.length;
      const cols = job.rowLen!;
      const sums = (): Float64Array => new Float64Array(this.memory.buffer, this.at.sums, 3);
      const dots = (i: number, j: number, at: number): { sumSqA: number; sumSqB: number; dot: number } => {
        this.k.row_dots_f32(this.deltaPtr(i) + at, this.deltaPtr(j) + at, cols, cols, this.at.sums);
        const s = sums();
        return { sumSqA: s[0]!, sumSqB: s[1]!, dot: s[2]! };
      };
      divw().set(job.terms.map(() => 0));
      for (let r = 0; r < n / cols; r++) {
        const at = 4 * r * cols;
        if (job.rowPass.kind === 'nuslerp') {
          const d = dots(0, 1, at);
          const s = nuslerpCoefficients(job.rowPass.t, d.sumSqA, d.sumSqB, d.dot);
          coef().set([s.s0, s.s1]);
        } else {
          const pairs: { sumSqA: number; sumSqB: number; dot: number }[] = [];
          for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) pairs.push(dots(i, j, at));
          const t = modelStockCoefficient(k, pairs, `${job.name}" row "${r + start / cols}`);
          coef().set(job.terms.map(() => t / k));
        }
        this.k.weighted_sum_f32(
          this.at.base + at,
          job.base ? 1 : 0,
          this.at.deltas + at,
          4 * this.chunkElements,
          k,
          cols,
          this.at.coef,
          this.at.divw,
          0,
          1,
          this.at.out + at,
        );
      }
    } else if (job.fusion) {
      res = this.fusionImportance(job, c, true);
      this.k.delta_f32(this.deltaPtr(0), this.at.base, this.deltaPtr(0), n);
      this.k.fusion_mask_f32(this.deltaPtr(0), this.at.out, prep?.[0]?.slerpCoef ?? NaN, n);
      coef().set([1]);
      divw().set([0]);
      this.k.weighted_sum_f32(this.at.base, 1, this.at.deltas, 4 * this.chunkElements, 1, n, this.at.coef, this.at.divw, 0, 1, this.at.out);
    } else if (job.ram) {
      res = this.loadDeltas(
        job,
        c,
        job.terms.map((_, i) => i),
        true,
      );
      coef().set(job.terms.map((_, i) => prep?.[i]?.slerpCoef ?? 1));
      this.k.ram_sum_f32(this.at.base, this.at.deltas, 4 * this.chunkElements, job.terms.length, n, job.ram.eps, this.at.coef, this.at.out);
    } else if (job.sce) {
      res = this.loadDeltas(
        job,
        c,
        job.terms.map((_, i) => i),
        true,
      );
      const k = job.terms.length;
      if (job.sce.topk < 1) {
        const cut = prep?.[0]?.keep ?? CUT_NONE;
        this.k.sce_var_f32(this.at.deltas, 4 * this.chunkElements, k, n, this.at.out);
        this.k.trim_window_f32(this.at.out, n, cut.bits, chunkQuota(cut, c), CUT_NONE.bits, 0);
        for (let i = 0; i < k; i++) this.k.mask_zero_f32(this.at.out, this.deltaPtr(i), n);
      }
      coef().set(job.terms.map((_, i) => prep?.[i]?.slerpCoef ?? NaN));
      this.k.sce_sum_f32(this.at.base, this.at.deltas, 4 * this.chunkElements, k, n, this.at.coef, this.at.out);
    } else if (job.nearswap) {
      // the two models' own values (not a delta): base in `base`, the other model in the first delta buffer
      let bytesRead = this.load(job.base!, start, n, this.at.base);
      bytesRead += this.load(job.terms[0]!.input, start, n, this.deltaPtr(0));
      const nonfinite = this.k.count_nonfinite_f32(this.at.base, n) + this.k.count_nonfinite_f32(this.deltaPtr(0), n);
      this.k.nearswap_f32(this.at.base, this.deltaPtr(0), job.nearswap.t, this.at.out, n);
      res = { bytesRead, nonfinite };
    } else if (job.coefPass) {
      res = this.loadDeltas(
        job,
        c,
        job.terms.map((_, i) => i),
        true,
      );
      coef().set(job.terms.map((_, i) => prep?.[i]?.slerpCoef ?? NaN));
      divw().set(job.terms.map(() => 0));
      this.k.weighted_sum_f32(
        this.at.base,
        job.base ? 1 : 0,
        this.at.deltas,
        4 * this.chunkElements,
        job.terms.length,
        n,
        this.at.coef,
        this.at.divw,
        0,
        1,
        this.at.out,
      );
    } else if (job.slerp) {
      res = this.loadSlerpEndpoints(job, prep, c, true);
      coef().set([prep?.[0]?.slerpCoef ?? NaN, prep?.[1]?.slerpCoef ?? NaN]);
      divw().set([0, 0]);
      this.k.weighted_sum_f32(this.at.base, 0, this.at.deltas, 4 * this.chunkElements, 2, n, this.at.coef, this.at.divw, 0, 1, this.at.out);
    } else {
      res = this.loadDeltas(
        job,
        c,
        job.terms.map((_, i) => i),
        true,
      );
      job.terms.forEach((t, i) => {
        this.sparsify(job, prep, i, c);
        coef()[i] = t.coef * (prep?.[i]?.l1Scale ?? 1);
        divw()[i] = t.divw;
      });
      const combine = job.elect ? this.k.ties_sum_f32 : this.k.weighted_sum_f32;
      combine(
        this.at.base,
        job.base ? 1 : 0,
        this.at.deltas,
        4 * this.chunkElements,
        job.terms.length,
        n,
        this.at.coef,
        this.at.divw,
        job.normalize ? 1 : 0,
        job.lambda,
        this.at.out,
      );
    }
    const dtype = job.out.dtype;
    let src = this.at.out;
    if (dtype === 'BF16') {
      this.k.encode_bf16(this.at.out, this.at.raw, n);
      src = this.at.raw;
    } else if (dtype === 'F16') {
      this.k.encode_f16(this.at.out, this.at.raw, n);
      src = this.at.raw;
    }
    const bpe = bytesPerElement(dtype);
    const overflow = this.outputOverflow(dtype, start, n);
    return { res: overflow ? { ...res, overflow } : res, bytes: new Uint8Array(this.memory.buffer, src, n * bpe), start, n, bpe };
  }

  /**
   * Merged values of this chunk that the output dtype stores as ±Inf or NaN: the f32 result itself (a sum beyond
   * float32), or its F16/BF16 encoding decoded back into the first delta buffer (no longer needed) and counted
   * with the SIMD kernel, so finite chunks cost two vector passes.
   */
  private outputOverflow(dtype: string, start: number, n: number): OutputOverflow | undefined {
    let probe = this.at.out;
    if (dtype === 'BF16' || dtype === 'F16') {
      probe = this.deltaPtr(0);
      decodeInArena(this.k, this.memory, dtype, this.at.raw, probe, n);
    }
    const count = this.k.count_nonfinite_f32(probe, n);
    if (count === 0) return undefined;
    const v = new Float32Array(this.memory.buffer, probe, n);
    let e = 0;
    while (e < n && Number.isFinite(v[e]!)) e++;
    return { count, element: start + e, value: new Float32Array(this.memory.buffer, this.at.out, n)[e]! };
  }

  /**
   * The selection pre-pass of one tensor, streamed over its chunks in order: an exact radix select of each
   * magnitude cut (|δ| bits: a 16-bit histogram pass, a 16-bit pass inside the chosen bucket, and a tie-count
   * pass when the cut splits the ties), then L1 sums when rescale is l1. Sums run in element order, so the
   * results do not depend on the chunk size.
   */
  prep(job: TensorJob): TermPrep[] {
    const cs = jobChunkElements(job, this.chunkElements);
    const nChunks = Math.ceil(job.numel / cs);
    const terms = job.terms;
    const preps: TermPrep[] = terms.map(() => ({ keep: CUT_ALL, drop: CUT_NONE, l1Scale: 1 }));
    const magnitude = terms
      .map((t, i) => ({ t, i }))
      .filter(({ t }) => (t.sparsify === 'magnitude' || t.sparsify === 'breadcrumbs') && (t.keepRank < job.numel || t.dropRank > 0))
      .map(({ i }) => i);
    const u32 = (): Uint32Array => new Uint32Array(this.memory.buffer);
    const hiHist = (i: number): number => this.at.hist + 4 * (HI_BUCKETS + 2 * LO_BUCKETS) * i;
    const loHist = (i: number, which: 0 | 1): number => hiHist(i) + 4 * (HI_BUCKETS + LO_BUCKETS * which);
    const chunkLen = (c: number): number => Math.min(cs, job.numel - c * cs);
    if (magnitude.length > 0) {
      for (const i of magnitude) u32().fill(0, hiHist(i) >>> 2, (hiHist(i) >>> 2) + HI_BUCKETS + 2 * LO_BUCKETS);
      for (let c = 0; c < nChunks; c++) {
        this.loadDeltas(job, c, magnitude, false);
        for (const i of magnitude) this.k.hist_abs_hi16_f32(this.deltaPtr(i), chunkLen(c), hiHist(i));
      }
      // pending cuts: [term, which (0 keep, 1 drop), rank, hi bucket, count above the bucket]
      const pending: { i: number; which: 0 | 1; rank: number; hi: number; above: number }[] = [];
      for (const i of magnitude) {
        const t = terms[i]!;
        const ranks: [number, number] = [t.keepRank, t.dropRank];
        ([0, 1] as const).forEach((which) => {
          const r = ranks[which];
          if (r <= 0) {
            preps[i]![which === 0 ? 'keep' : 'drop'] = CUT_NONE;
            return;
          }
          if (r >= job.numel) {
            preps[i]![which === 0 ? 'keep' : 'drop'] = CUT_ALL;
            return;
          }
          const h = u32();
          let above = 0;
          let b = HI_BUCKETS - 1;
          for (; b >= 0; b--) {
            const cnt = h[(hiHist(i) >>> 2) + b]!;
            if (above + cnt >= r) break;
            above += cnt;
          }
          pending.push({ i, which, rank: r, hi: b, above });
        });
      }
      if (pending.length > 0) {
        for (let c = 0; c < nChunks; c++) {
          this.loadDeltas(job, c, magnitude, false);
          for (const p of pending) this.k.hist_abs_lo16_f32(this.deltaPtr(p.i), chunkLen(c), p.hi, loHist(p.i, p.which));
        }
        const split: { p: (typeof pending)[number]; cut: Cut }[] = [];
        for (const p of pending) {
          const h = u32();
          let above = p.above;
          let l = LO_BUCKETS - 1;
          for (; l >= 0; l--) {
            const cnt = h[(loHist(p.i, p.which) >>> 2) + l]!;
            if (above + cnt >= p.rank) break;
            above += cnt;
          }
          const ties = h[(loHist(p.i, p.which) >>> 2) + l]!;
          const cut: Cut = { bits: ((p.hi << 16) | l) >>> 0, quota: p.rank - above };
          if (cut.quota < ties) {
            cut.tiesBefore = [];
            split.push({ p, cut });
          }
          preps[p.i]![p.which === 0 ? 'keep' : 'drop'] = cut;
        }
        if (split.length > 0) {
          const seen = split.map(() => 0);
          for (let c = 0; c < nChunks; c++) {
            this.loadDeltas(job, c, magnitude, false);
            split.forEach((s, j) => {
              s.cut.tiesBefore!.push(seen[j]!);
              seen[j]! += this.k.count_abs_eq_f32(this.deltaPtr(s.p.i), chunkLen(c), s.cut.bits);
            });
          }
        }
      }
    }
    const l1 = terms
      .map((t, i) => ({ t, i }))
      .filter(({ t }) => t.l1)
      .map(({ i }) => i);
    if (l1.length > 0) {
      const before = l1.map(() => 0);
      const after = l1.map(() => 0);
      for (let c = 0; c < nChunks; c++) {
        this.loadDeltas(job, c, l1, false);
        const n = chunkLen(c);
        l1.forEach((i, j) => {
          const v = new Float32Array(this.memory.buffer, this.deltaPtr(i), n);
          let s = before[j]!;
          for (let e = 0; e < n; e++) s += Math.abs(v[e]!);
          before[j] = s;
          this.sparsify(job, preps, i, c);
          let s2 = after[j]!;
          for (let e = 0; e < n; e++) s2 += Math.abs(v[e]!);
          after[j] = s2;
        });
      }
      // mergekit's rescale_sum: scale by org/new when both are meaningfully non-zero
      l1.forEach((i, j) => {
        if (before[j]! >= 1e-8 && after[j]! >= 1e-8) preps[i]!.l1Scale = before[j]! / after[j]!;
      });
    }
    if (job.ram?.plus) {
      // ramplus_tl: per model, elements shared with another contributor and elements it alone contributes
      const k = terms.length;
      const counts = (): Float64Array => new Float64Array(this.memory.buffer, this.at.coef, 2 * k);
      const keep = new Float64Array(2 * k);
      const all = terms.map((_, i) => i);
      for (let c = 0; c < nChunks; c++) {
        this.loadDeltas(job, c, all, false);
        counts().set(keep);
        this.k.ram_counts_f32(this.at.deltas, 4 * this.chunkElements, k, chunkLen(c), job.ram.eps, this.at.coef);
        keep.set(counts());
      }
      const { r, alpha } = job.ram.plus;
      terms.forEach((_, m) => {
        preps[m]!.slerpCoef = 1 + r * Math.min(alpha, Math.max(0, keep[m]! / Math.max(keep[k + m]!, job.ram!.eps)));
      });
    }
    if (job.fusion) {
      // exact order statistics of the importance at mergekit's quantile positions (mergekit samples 10⁶ values above that size)
      const hi = hiHist(0),
        lo = loHist(0, 0);
      const u32 = (): Uint32Array => new Uint32Array(this.memory.buffer);
      u32().fill(0, hi >>> 2, (hi >>> 2) + HI_BUCKETS);
      for (let c = 0; c < nChunks; c++) {
        this.fusionImportance(job, c, false);
        this.k.hist_abs_hi16_f32(this.at.out, chunkLen(c), hi);
      }
      const value = (rank: number): number => {
        let above = 0;
        let b = HI_BUCKETS - 1;
        for (; b >= 0; b--) {
          const cnt = u32()[(hi >>> 2) + b]!;
          if (above + cnt >= rank) break;
          above += cnt;
        }
        u32().fill(0, lo >>> 2, (lo >>> 2) + LO_BUCKETS);
        for (let c = 0; c < nChunks; c++) {
          this.fusionImportance(job, c, false);
          this.k.hist_abs_lo16_f32(this.at.out, chunkLen(c), b, lo);
        }
        let l = LO_BUCKETS - 1;
        for (; l >= 0; l--) {
          const cnt = u32()[(lo >>> 2) + l]!;
          if (above + cnt >= rank) break;
          above += cnt;
        }
        return new Float32Array(new Uint32Array([((b << 16) | l) >>> 0]).buffer)[0]!;
      };
      // ascending position p is the (n − p)-th largest
      const [q1, med, q3] = quantileIndices(job.numel).map((p) => value(job.numel - p));
      preps[0]!.slerpCoef = fusionThreshold(q1!, med!, q3!);
    }
    if (job.sce) this.scePrep(job, preps, nChunks, cs, chunkLen, hiHist(0), loHist(0, 0));
    if (job.coefPass) {
      // whole-tensor Σxᵢ·xⱼ for every pair (and Σxᵢ²) in float64, each pair's two parity lanes carried across
      // chunks exactly as one long run of the kernel would, so the sums do not depend on the chunk size
      const k = terms.length;
      const pairs: [number, number][] = [];
      for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) pairs.push([i, j]);
      if (k === 1) pairs.push([0, 0]);
      const acc = pairs.map(() => new Float64Array(6));
      const sums = (): Float64Array => new Float64Array(this.memory.buffer, this.at.sums, 6);
      const all = terms.map((_, i) => i);
      for (let c = 0; c < nChunks; c++) {
        this.loadDeltas(job, c, all, false);
        pairs.forEach(([i, j], p) => {
          sums().set(acc[p]!);
          this.k.slerp_dots_f32(this.deltaPtr(i), this.deltaPtr(j), chunkLen(c), c * cs, this.at.sums);
          acc[p]!.set(sums());
        });
      }
      const sq = terms.map(() => NaN);
      const dot = pairs.map((_, p) => acc[p]![4]! + acc[p]![5]!);
      pairs.forEach(([i, j], p) => {
        sq[i] = acc[p]![0]! + acc[p]![1]!;
        sq[j] = acc[p]![2]! + acc[p]![3]!;
      });
      const gram = terms.map((_, i) =>
        Float64Array.from(terms, (_t, j) =>
          i === j ? sq[i]! : dot[pairs.findIndex(([a, b]) => a === Math.min(i, j) && b === Math.max(i, j))]!,
        ),
      );
      const set = (c: number[]): void =>
        c.forEach((v, i) => {
          preps[i]!.slerpCoef = v;
        });
      if (job.coefPass.kind === 'multislerp')
        set(multislerpCoefficients(gram, job.coefPass.weights, job.coefPass.normalizeWeights, job.coefPass.eps, job.name));
      else if (job.coefPass.kind === 'karcher') set(karcherCoefficients(gram, job.coefPass.maxIter, job.coefPass.tol));
      else if (job.coefPass.kind === 'nuslerp') {
        const s = nuslerpCoefficients(job.coefPass.t, sq[0]!, sq[1]!, dot[0]!);
        preps[0]!.slerpCoef = s.s0;
        preps[1]!.slerpCoef = s.s1;
      } else {
        const t = modelStockCoefficient(
          k,
          pairs.map(([i, j], p) => ({ sumSqA: sq[i]!, sumSqB: sq[j]!, dot: dot[p]! })),
          job.name,
        );
        terms.forEach((_, i) => {
          preps[i]!.slerpCoef = t / k;
        });
      }
    }
    if (job.slerp) {
      // first pass of SLERP: whole-tensor Σw0², Σw1², Σw0·w1 in float64, chunk by chunk in element order
      const sums = (): Float64Array => new Float64Array(this.memory.buffer, this.at.sums, 6);
      sums().fill(0);
      for (let c = 0; c < nChunks; c++) {
        this.loadSlerpEndpoints(job, preps, c, false);
        this.k.slerp_dots_f32(this.deltaPtr(0), this.deltaPtr(1), chunkLen(c), c * cs, this.at.sums);
      }
      const s = sums();
      const k = slerpCoefficients(job.slerp.t, s[0]! + s[1]!, s[2]! + s[3]!, s[4]! + s[5]!);
      preps[0]!.slerpCoef = k.s0;
      preps[1]!.slerpCoef = k.s1;
    }
    return preps;
  }

  /**
   * sce's pre-pass: with select_topk < 1, the exact cut of the top ⌊nonzero·topk⌋ variances across the deltas
   * (a radix select over the variance of each chunk, as for magnitudes; ties to the lower index), kept in
   * preps[0].keep; then each masked delta's Σδ² in float64 (parity lanes carried across chunks) for its weight
   * mean(δ²)/Σ mean(δ²) (1/k each when that sum is under 1e-6), kept in slerpCoef.
   */
  private scePrep(
    job: TensorJob,
    preps: TermPrep[],
    nChunks: number,
    cs: number,
    chunkLen: (c: number) => number,
    hi: number,
    lo: number,
  ): void {
    const k = job.terms.length;
    const all = job.terms.map((_, i) => i);
    const stride = 4 * this.chunkElements;
    const u32 = (): Uint32Array => new Uint32Array(this.memory.buffer);
    const variance = (c: number): void => {
      this.loadDeltas(job, c, all, false);
      this.k.sce_var_f32(this.at.deltas, stride, k, chunkLen(c), this.at.out);
    };
    let cut: Cut = CUT_ALL;
    if (job.sce!.topk < 1) {
      u32().fill(0, hi >>> 2, (hi >>> 2) + HI_BUCKETS);
      let zeros = 0;
      for (let c = 0; c < nChunks; c++) {
        variance(c);
        this.k.hist_abs_hi16_f32(this.at.out, chunkLen(c), hi);
        zeros += this.k.count_abs_eq_f32(this.at.out, chunkLen(c), 0);
      }
      const rank = Math.trunc((job.numel - zeros) * job.sce!.topk);
      if (rank <= 0) cut = CUT_NONE;
      else {
        let above = 0;
        let b = HI_BUCKETS - 1;
        for (; b >= 0; b--) {
          const cnt = u32()[(hi >>> 2) + b]!;
          if (above + cnt >= rank) break;
          above += cnt;
        }
        u32().fill(0, lo >>> 2, (lo >>> 2) + LO_BUCKETS);
        for (let c = 0; c < nChunks; c++) {
          variance(c);
          this.k.hist_abs_lo16_f32(this.at.out, chunkLen(c), b, lo);
        }
        let l = LO_BUCKETS - 1;
        for (; l >= 0; l--) {
          const cnt = u32()[(lo >>> 2) + l]!;
          if (above + cnt >= rank) break;
          above += cnt;
        }
        const ties = u32()[(lo >>> 2) + l]!;
        cut = { bits: ((b << 16) | l) >>> 0, quota: rank - above };
        if (cut.quota < ties) {
          cut.tiesBefore = [];
          let seen = 0;
          for (let c = 0; c < nChunks; c++) {
            variance(c);
            cut.tiesBefore.push(seen);
            seen += this.k.count_abs_eq_f32(this.at.out, chunkLen(c), cut.bits);
          }
        }
      }
      preps[0]!.keep = cut;
    }
    const acc = all.map(() => new Float64Array(6));
    const sums = (): Float64Array => new Float64Array(this.memory.buffer, this.at.sums, 6);
    for (let c = 0; c < nChunks; c++) {
      const n = chunkLen(c);
      this.loadDeltas(job, c, all, false);
      if (job.sce!.topk < 1) {
        this.k.sce_var_f32(this.at.deltas, stride, k, n, this.at.out);
        this.k.trim_window_f32(this.at.out, n, cut.bits, chunkQuota(cut, c), CUT_NONE.bits, 0);
        for (let i = 0; i < k; i++) this.k.mask_zero_f32(this.at.out, this.deltaPtr(i), n);
      }
      for (let i = 0; i < k; i++) {
        sums().set(acc[i]!);
        this.k.slerp_dots_f32(this.deltaPtr(i), this.deltaPtr(i), n, c * cs, this.at.sums);
        acc[i]!.set(sums());
      }
    }
    const means = acc.map((a) => (a[0]! + a[1]!) / job.numel);
    const total = means.reduce((s, x) => s + x, 0);
    means.forEach((m, i) => {
      preps[i]!.slerpCoef = Math.abs(total) < 1e-6 ? 1 / k : m / total;
    });
  }

  /**
   * arcee_fusion's importance of chunk c into `out`: the base into `base`, the model's own values into the first
   * delta buffer, each row's KL from the host into `raw` (free once the inputs are decoded), then |x − base|·KL.
   */
  private fusionImportance(job: TensorJob, c: number, check: boolean): ChunkResult {
    const { start, n } = this.range(job, c);
    let bytesRead = this.load(job.base!, start, n, this.at.base);
    bytesRead += this.load(job.terms[0]!.input, start, n, this.deltaPtr(0));
    const nonfinite = check ? this.k.count_nonfinite_f32(this.at.base, n) + this.k.count_nonfinite_f32(this.deltaPtr(0), n) : 0;
    const cols = job.fusion!.cols;
    rowKl(
      new Float32Array(this.memory.buffer, this.deltaPtr(0), n),
      new Float32Array(this.memory.buffer, this.at.base, n),
      cols,
      new Float64Array(this.memory.buffer, this.at.raw, n / cols),
    );
    this.k.fusion_importance_f32(this.deltaPtr(0), this.at.base, n, cols, this.at.raw, this.at.out);
    return { bytesRead, nonfinite };
  }

  /** Close the input descriptors. */
  close(): void {
    this.files.close();
  }
}

/** Guard for tensors the u32 element counter of the mask cannot address. */
export function assertAddressable(name: string, numel: number): void {
  if (numel > 0xffffffff)
    throw runtimeError(`tensor "${name}" has ${numel} elements; darekit's mask counter addresses at most 2^32 per tensor`);
}
