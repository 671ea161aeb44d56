// The exact streaming radix select of darekit's magnitude cuts (TIES/breadcrumbs trimming, sce's variance cut,
// arcee_fusion's quantiles): the top `rank` of |x| by float32 bits, ties to the lower index, over a tensor that
// is only ever in memory one chunk at a time. A 15-bit pass over the high half of the bits picks a bucket, a
// 16-bit pass inside it picks the value, and a tie-count pass (only when the cut splits a run of equal values)
// says how many of those ties each chunk may keep.

/** One radix-select cut: in top ⇔ |x| bits > bits, or equal and among the first `quota` equal ones (index order). */
export interface Cut {
  bits: number;
  quota: number;
  /** Per chunk: ties at `bits` in all earlier chunks (only when the ties are split by the cut). */
  tiesBefore?: number[];
}

/** The cut that keeps everything, and the one that keeps nothing. */
export const CUT_ALL: Cut = { bits: 0, quota: Number.MAX_SAFE_INTEGER };
export const CUT_NONE: Cut = { bits: 0xffffffff, quota: 0 };

/** The tie quota of a cut inside chunk c. */
export function chunkQuota(cut: Cut, c: number): number {
  if (!cut.tiesBefore) return Math.min(cut.quota, 0x7fffffff);
  return Math.max(0, Math.min(0x7fffffff, cut.quota - cut.tiesBefore[c]!));
}

/** Buckets of the high pass (|x| bits >>> 16: the sign bit is clear) and of the low pass. */
export const HI_BUCKETS = 32768;
export const LO_BUCKETS = 65536;
/** Bytes of kernel memory one selected sequence needs: its high histogram and two low ones (two cuts). */
export const SELECT_HIST_BYTES = 4 * (HI_BUCKETS + 2 * LO_BUCKETS);

/** The kernel ops the select runs (histograms and tie counts over float32 |x| bits). */
export interface RadixKernel {
  hist_abs_hi16_f32(ptr: number, n: number, hist: number): void;
  hist_abs_lo16_f32(ptr: number, n: number, hi: number, hist: number): void;
  count_abs_eq_f32(ptr: number, n: number, bits: number): number;
}

/** One pass over the tensor: load each chunk c in order (its values at the sources' pointers), then visit(c, n). */
export type ChunkPass = (visit: (c: number, n: number) => void) => void;

/** A sequence to select in: where its chunk's values are after a pass loads them, and its histogram area. */
export interface SelectSource {
  values: number;
  /** SELECT_HIST_BYTES of kernel memory: the high histogram, then two low ones. */
  hist: number;
}

/** A cut to find: the top `rank` of source `source`, counted in its low histogram `lo` (0 or 1). */
export interface SelectRequest {
  source: number;
  rank: number;
  lo: 0 | 1;
}

/** The bucket (scanning down from the top) where the running count reaches rank, and the count above it. */
function scanDown(h: Uint32Array, at: number, buckets: number, rank: number, above: number): { bucket: number; above: number } {
  let b = buckets - 1;
  for (; b >= 0; b--) {
    const cnt = h[at + b]!;
    if (above + cnt >= rank) break;
    above += cnt;
  }
  return { bucket: b, above };
}

/** The float32 whose bits a cut stands at (a selected value, e.g. a quantile). */
export function cutValue(cut: Cut): number {
  return new Float32Array(new Uint32Array([cut.bits >>> 0]).buffer)[0]!;
}

/** Exact radix select over chunks of float32 values in kernel memory. */
export class RadixSelect {
  constructor(
    private readonly k: RadixKernel,
    private readonly memory: WebAssembly.Memory,
    private readonly numel: number,
  ) {}

  private u32(): Uint32Array {
    return new Uint32Array(this.memory.buffer);
  }

  /** The high pass: every source's high histogram cleared, then filled over one pass. */
  high(sources: readonly SelectSource[], pass: ChunkPass): void {
    for (const s of sources) this.u32().fill(0, s.hist >>> 2, (s.hist >>> 2) + HI_BUCKETS);
    pass((_c, n) => {
      for (const s of sources) this.k.hist_abs_hi16_f32(s.values, n, s.hist);
    });
  }

  /**
   * The cuts of the requests, after high(): CUT_NONE for rank ≤ 0, CUT_ALL for rank ≥ numel (unless `values`:
   * then the cut stands at the smallest value), else one low pass for all requests and, unless `values`, when a
   * cut splits a run of equal values a pass counting those ties per chunk. `values`: only each cut's bits matter.
   */
  cuts(sources: readonly SelectSource[], requests: readonly SelectRequest[], pass: ChunkPass, values = false): Cut[] {
    const out: Cut[] = requests.map((r) => (r.rank <= 0 ? CUT_NONE : CUT_ALL));
    const ties = !values;
    const loOf = (r: SelectRequest): number => sources[r.source]!.hist + 4 * (HI_BUCKETS + LO_BUCKETS * r.lo);
    const pending = requests
      .map((r, j) => ({ r, j }))
      .filter(({ r }) => r.rank > 0 && (values ? r.rank <= this.numel : r.rank < this.numel))
      .map(({ r, j }) => {
        const { bucket, above } = scanDown(this.u32(), sources[r.source]!.hist >>> 2, HI_BUCKETS, r.rank, 0);
        this.u32().fill(0, loOf(r) >>> 2, (loOf(r) >>> 2) + LO_BUCKETS);
        return { r, j, hi: bucket, above };
      });
    if (pending.length === 0) return out;
    pass((_c, n) => {
      for (const p of pending) this.k.hist_abs_lo16_f32(sources[p.r.source]!.values, n, p.hi, loOf(p.r));
    });
    const split: { source: number; cut: Cut }[] = [];
    for (const p of pending) {
      const { bucket: l, above } = scanDown(this.u32(), loOf(p.r) >>> 2, LO_BUCKETS, p.r.rank, p.above);
      const equal = this.u32()[(loOf(p.r) >>> 2) + l]!;
      const cut: Cut = { bits: ((p.hi << 16) | l) >>> 0, quota: p.r.rank - above };
      if (ties && cut.quota < equal) {
        cut.tiesBefore = [];
        split.push({ source: p.r.source, cut });
      }
      out[p.j] = cut;
    }
    if (split.length > 0) {
      const seen = split.map(() => 0);
      pass((_c, n) => {
        split.forEach((s, j) => {
          s.cut.tiesBefore!.push(seen[j]!);
          seen[j]! += this.k.count_abs_eq_f32(sources[s.source]!.values, n, s.cut.bits);
        });
      });
    }
    return out;
  }
}
