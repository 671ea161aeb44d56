import { runtimeError } from '../errors.js';
import { bytesPerElement } from '../io/dtypes.js';
import { ReadContext } from '../io/read-context.js';
import { readTensorBytes } from '../io/tensor-bytes.js';
import type { TensorSource } from '../io/tensor-source.js';
import type { MergeKernelExports } from '../kernel/exports.js';
import { Arena } from '../exec/arena.js';
import { decodeInArena, readPlace } from '../exec/dtype.js';
import type { ChunkResult, EngineContext, EngineLayout, NonfiniteAt, OutputOverflow } from './chunk.js';
import { combineChunk, combinePrep, combinerOf } from './combiners/index.js';
import { jobChunkElements, type TensorJob, type TermPrep } from './job.js';
import { CUT_ALL, CUT_NONE, RadixSelect, SELECT_HIST_BYTES, type ChunkPass, type SelectRequest } from './radix-select.js';
import type { OutputSink } from './sink.js';
import { applySparsifier, sparsifierOf, sparsifierSelection } from './sparsifiers/index.js';

export type { ChunkResult, NonfiniteAt, OutputOverflow } from './chunk.js';

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
/** Elements per read of a blocked merge's 16-bit inputs (128 KiB each, like `cat`'s reads; a multiple of SUB_BLOCK). */
const READ_PIECE = 65536;

/** Bytes of kernel memory one engine needs for chunks of s elements, k terms and rows of maxRow (what layout() lays out). */
export function engineBytes(s: number, k: number, maxRow: number): number {
  return layout(s, k, maxRow).end;
}

function layout(s: number, k: number, maxRow: number): EngineLayout {
  const arena = new Arena(RESERVED);
  const coef = arena.take(8 * Math.max(k, 1));
  const divw = arena.take(8 * Math.max(k, 1), 8);
  const sums = arena.take(64);
  // fused_merge16's table: a 16-byte header and 16 bytes per model, then its scratch (320 bytes, 1032 per model)
  const table = arena.take(16 + 16 * Math.max(k, 1) + 15 + 320 + 1032 * Math.max(k, 1));
  const raw = arena.take(8 * s);
  const base = arena.take(4 * s);
  const deltas = arena.take(4 * s * k);
  const out = arena.take(4 * s);
  const hist = arena.take(SELECT_HIST_BYTES * k);
  const scratch = arena.take(maxRow > 0 ? 16 * maxRow + 4 * 2048 : 0);
  // the raw 16-bit bytes of every input (base and k terms) of one read piece of a chunk, for the blocked merge
  const rawIn = arena.take(2 * Math.min(s, READ_PIECE) * (Math.max(k, 1) + 1));
  const end = arena.size(64);
  return { coef, divw, sums, table, raw, base, deltas, out, hist, scratch, rawIn, end };
}

const F32_MAX = 3.4028234663852886e38;
/** fused_merge16's flags: an input or an output value is NaN/Inf. */
const FUSED_NONFINITE = (1 << 30) | (1 << 29);

/**
 * Runs the merge of one tensor chunk (or a tensor's selection pre-pass) through a kernel: reads inputs straight
 * into the kernel's memory, decodes, takes deltas, sparsifies, combines in f64, encodes and writes the result at
 * its planned offset. One engine per thread; it owns its input descriptors.
 */
export class ChunkEngine implements EngineContext {
  private readonly files = new ReadContext();
  readonly at: EngineLayout;
  // The first finite F64 value beyond float32 in the last F64 load (element offset in that load, and the value).
  private f64Overflow: { offset: number; value: number } | undefined;
  /** Whether blocked merges of 16-bit inputs run the fused kernel op (false: the stages one by one; benchmarks compare both). */
  useFused = true;
  /** Sub-block elements the fused op merged, and how many of them it recomputed in f64 (its f32 result not certain). */
  readonly fusedStats = { positions: 0, fallbacks: 0 };

  constructor(
    readonly k: MergeKernelExports,
    readonly memory: WebAssembly.Memory,
    readonly chunkElements: number,
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
  load(input: TensorSource, start: number, n: number, dst: number): number {
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

  /** Where term i's float32 delta of the current chunk is. */
  deltaPtr(i: number): number {
    return this.at.deltas + 4 * this.chunkElements * i;
  }

  /** Load chunk c of the given terms as deltas (or weights when the job has no base); returns bytes read and non-finite count. */
  loadDeltas(job: TensorJob, c: number, which: number[], check: boolean): ChunkResult {
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

  /** Load chunk c of every term (and the base), NaN/Inf counted. */
  loadAll(job: TensorJob, c: number): ChunkResult {
    return this.loadDeltas(
      job,
      c,
      job.terms.map((_, i) => i),
      true,
    );
  }

  /** Sparsify term i's delta of chunk c in place, through its sparsifier. */
  sparsify(job: TensorJob, prep: TermPrep[] | undefined, i: number, c: number): void {
    const { start, n } = this.range(job, c);
    applySparsifier(this.k, job.terms[i]!.sparse, {
      ptr: this.deltaPtr(i),
      n,
      start,
      chunk: c,
      rowLen: job.rowLen,
      scratch: this.at.scratch,
      keep: prep?.[i]?.keep ?? CUT_ALL,
      drop: prep?.[i]?.drop ?? CUT_NONE,
    });
  }

  /** A float64 view of kernel memory. */
  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, length);
  }

  /** How many chunks the job's tensor has. */
  chunks(job: TensorJob): number {
    return Math.ceil(job.numel / jobChunkElements(job, this.chunkElements));
  }

  /** Where term i's radix-select histograms are. */
  histOf(i: number): number {
    return this.at.hist + SELECT_HIST_BYTES * i;
  }

  /** A radix select over the job's tensor. */
  select(job: TensorJob): RadixSelect {
    return new RadixSelect(this.k, this.memory, job.numel);
  }

  /** A pass over the job's chunks in order that runs load(c) before each visit. */
  pass(job: TensorJob, load: (c: number) => void): ChunkPass {
    return (visit) => {
      for (let c = 0; c < this.chunks(job); c++) {
        load(c);
        visit(c, this.range(job, c).n);
      }
    };
  }

  /** Elements [start, start + n) of chunk c of a job (whole rows for per-row methods). */
  range(job: TensorJob, c: number): { start: number; n: number } {
    const cs = jobChunkElements(job, this.chunkElements);
    const start = c * cs;
    return { start, n: Math.min(cs, job.numel - start) };
  }

  /**
   * Whether chunk-wide stages can run sub-block by sub-block: every stage is then elementwise (random or no
   * sparsification, no SLERP, no per-row method) and every input is 16-bit or F32, so the result is the same.
   */
  private blockable(job: TensorJob): boolean {
    // only the generic task-arithmetic sum with elementwise sparsifiers: every other combiner has its own chunk
    const inputs = job.base ? [job.base, ...job.terms.map((t) => t.input)] : job.terms.map((t) => t.input);
    return (
      combinerOf(job.combine).blockable === true &&
      !job.rowLen &&
      job.terms.every((t) => sparsifierOf(t.sparse).elementwiseMask !== undefined) &&
      inputs.every((i) => i.dtype !== 'F64')
    );
  }

  /**
   * mergeChunk for blockable jobs: read every input's chunk (16-bit inputs raw), then decode, check, delta, mask,
   * combine and encode one sub-block at a time while it is in cache. The same kernels on the same elements as the
   * chunk-wide path (each stage is elementwise and the mask a function of the element index), so the output bytes
   * are identical; it saves the memory traffic of running each stage over the whole chunk.
   */
  private mergeChunkBlocked(job: TensorJob, prep: TermPrep[] | undefined, c: number, sink: OutputSink): ChunkResult {
    const { start, n } = this.range(job, c);
    const S = Math.min(SUB_BLOCK, this.chunkElements); // the f32 areas below hold chunkElements per input
    const inputs = job.base ? [job.base, ...job.terms.map((t) => t.input)] : job.terms.map((t) => t.input);
    const first = job.base ? 1 : 0; // inputs[first + i] is term i
    // f32 working buffers of one sub-block, reused for every sub-block (so they stay in cache): the base at the
    // start of its area, the terms' deltas S apart at the start of theirs, the combined result at the start of out
    const dst = (m: number): number => (job.base && m === 0 ? this.at.base : this.at.deltas + 4 * S * (m - first));
    // 16-bit inputs are read a piece at a time into buffers of one piece, so what the read copies is still in L2
    // when the kernel decodes it, and each output piece is written while in cache
    const P = Math.min(READ_PIECE, this.chunkElements);
    const raw = (m: number): number => this.at.rawIn + 2 * P * m;
    const bytesRead = inputs.reduce((sum, input) => sum + n * bytesPerElement(input.dtype), 0);
    const outBpe = bytesPerElement(job.out.dtype);
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
    for (let p0 = 0; p0 < n; p0 += P) {
      const pn = Math.min(P, n - p0);
      inputs.forEach((input, m) => {
        if (input.dtype !== 'F32')
          readTensorBytes(input, start + p0, pn, new Uint8Array(this.memory.buffer, raw(m), pn * bytesPerElement(input.dtype)), this.files);
      });
      for (let po = 0; po < pn; po += S) {
        const off = p0 + po; // in the chunk; po: in the piece (the raw inputs)
        const len = Math.min(S, pn - po);
        if (fused) {
          // every stage in one pass; on NaN/Inf (in or out) the stages below redo the sub-block and say where
          const r = this.k.fused_merge16(
            this.at.table,
            job.terms.length,
            po,
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
          else decodeInArena(this.k, this.memory, input.dtype, raw(m) + 2 * po, d, len);
          counts[m]! += this.k.count_nonfinite_f32(d, len);
        });
        job.terms.forEach((t, i) => {
          const p = dst(first + i);
          if (job.base) this.k.delta_f32(p, this.at.base, p, len);
          // elementwise sparsifiers only (blockable): the op sees the sub-block at its element offset
          applySparsifier(this.k, t.sparse, {
            ptr: p,
            n: len,
            start: start + off,
            chunk: c,
            rowLen: undefined,
            scratch: this.at.scratch,
            keep: CUT_ALL,
            drop: CUT_NONE,
          });
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
      this.write(job, start + p0, pn, this.at.raw + outBpe * p0, sink);
    }
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
      // the term's elementwise mask, as dare_mask_f32's cases: a threshold of 2^32 drops all, 0 keeps all
      const mask = sparsifierOf(term.sparse).elementwiseMask!(term.sparse);
      const thr = mask.threshold;
      const mode = thr >= 2 ** 32 ? 2 : Math.trunc(thr) >>> 0 === 0 ? 0 : 1;
      t.set([rawAt[first + i]!, f16(term.input.dtype) | (mode << 1), mask.key >>> 0, mode === 1 ? Math.trunc(thr) >>> 0 : 0], 4 + 4 * i);
    });
  }

  /** Hand n encoded elements at src (the chunk's output in its dtype) to the sink, at their offset in the tensor. */
  private write(job: TensorJob, start: number, n: number, src: number, sink: OutputSink): void {
    const bpe = bytesPerElement(job.out.dtype);
    sink.write(start * bpe, new Uint8Array(this.memory.buffer, src, n * bpe));
  }

  /** Merge chunk c of a job and hand it to the tensor's sink (the output file, or memory for the probe). */
  mergeChunk(job: TensorJob, prep: TermPrep[] | undefined, c: number, sink: OutputSink): ChunkResult {
    if (this.blockable(job)) return this.mergeChunkBlocked(job, prep, c, sink);
    const { res, bytes, start, n } = this.computeChunk(job, prep, c);
    this.write(job, start, n, bytes.byteOffset, sink);
    return res;
  }

  /** Chunk c of a job merged and encoded to the output dtype; the bytes are a view of kernel memory. */
  private computeChunk(
    job: TensorJob,
    prep: TermPrep[] | undefined,
    c: number,
  ): { res: ChunkResult; bytes: Uint8Array; start: number; n: number; bpe: number } {
    const { start, n } = this.range(job, c);
    const res = combineChunk(this, job, prep, c);
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

  /** The generic task-arithmetic merge of chunk c into `out`: each term sparsified, then the weighted or TIES sum. */
  sumChunk(job: TensorJob, prep: TermPrep[] | undefined, c: number): ChunkResult {
    const { n } = this.range(job, c);
    const k = job.terms.length;
    const res = this.loadAll(job, c);
    job.terms.forEach((t, i) => {
      this.sparsify(job, prep, i, c);
      this.f64(this.at.coef, k)[i] = t.coef * (prep?.[i]?.l1Scale ?? 1);
      this.f64(this.at.divw, k)[i] = t.divw;
    });
    const combine = job.elect ? this.k.ties_sum_f32 : this.k.weighted_sum_f32;
    combine(
      this.at.base,
      job.base ? 1 : 0,
      this.at.deltas,
      4 * this.chunkElements,
      k,
      n,
      this.at.coef,
      this.at.divw,
      job.normalize ? 1 : 0,
      job.lambda,
      this.at.out,
    );
    return res;
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
   * The pre-pass of one tensor, streamed over its chunks in order: the exact radix select of each magnitude cut
   * the terms' sparsifiers want, then L1 sums when rescale is l1, then the combiner's own pass. Sums run in
   * element order, so the results do not depend on the chunk size.
   */
  prep(job: TensorJob): TermPrep[] {
    const terms = job.terms;
    const preps: TermPrep[] = terms.map(() => ({ keep: CUT_ALL, drop: CUT_NONE, l1Scale: 1 }));
    const windows = terms.map((t) => sparsifierSelection(t.sparse, job.numel));
    const magnitude = terms.map((_, i) => i).filter((i) => windows[i] !== undefined);
    if (magnitude.length > 0) {
      const sources = magnitude.map((i) => ({ values: this.deltaPtr(i), hist: this.histOf(i) }));
      const requests: SelectRequest[] = magnitude.flatMap((i, s) => [
        { source: s, rank: windows[i]!.keepRank, lo: 0 as const },
        { source: s, rank: windows[i]!.dropRank, lo: 1 as const },
      ]);
      const select = this.select(job);
      const pass = this.pass(job, (c) => this.loadDeltas(job, c, magnitude, false));
      select.high(sources, pass);
      const cuts = select.cuts(sources, requests, pass);
      magnitude.forEach((i, s) => {
        preps[i]!.keep = cuts[2 * s]!;
        preps[i]!.drop = cuts[2 * s + 1]!;
      });
    }
    const l1 = terms.map((_, i) => i).filter((i) => terms[i]!.l1);
    if (l1.length > 0) {
      const before = l1.map(() => 0);
      const after = l1.map(() => 0);
      for (let c = 0; c < this.chunks(job); c++) {
        this.loadDeltas(job, c, l1, false);
        const { n } = this.range(job, c);
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
    combinePrep(this, job, preps);
    return preps;
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
