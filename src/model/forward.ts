import { inputError, runtimeError } from '../errors.js';
import { KERNEL_DATA_BYTES } from '../kernel/exports.js';
import { KERNEL_MAX_PAGES } from '../kernel/wasm.js';
import { Arena } from '../exec/arena.js';
import type { LlamaConfig } from './config.js';
import { KernelPool, laneCount, type KernelCall } from './lanes.js';

export type { KernelPool } from './lanes.js';
import { ropeTables } from './rope.js';
import type { WeightSource } from './weights.js';

/** One sequence to score: its token ids, and the first position whose token is scored. */
export interface ScoreRequest {
  tokens: Int32Array;
  scoreFrom: number;
} // 1 <= scoreFrom < tokens.length

/** The scores of one sequence under teacher forcing. */
export interface SequenceScores {
  /** log p(tokens[k] | tokens[<k]) for k = scoreFrom .. T-1 (natural log, float64 log-sum-exp over f32 logits). */
  logprobs: Float64Array;
  /** 1 where argmax of the logits at position k-1 equals tokens[k] (ties: lowest index, as torch.argmax). */
  argmaxHit: Uint8Array;
}

/** Options of the forward pass. */
export interface ForwardOptions {
  /** Worker threads for the kernels (default 1: this thread). Results are identical for every value. */
  threads?: number;
  /** Called after the embedding, each layer and the head: done of total steps. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * Worker threads to reuse across calls (a probe sweep makes dozens): `threads` is then the pool's size. The caller
   * closes it. Without one, each call starts and stops its own.
   */
  pool?: KernelPool;
  /** Most positions per batch (default: as many as 1 GiB of activations holds); more sequences run in further batches. */
  maxBatchPositions?: number;
}

/** A kernel pool of `threads` worker threads for ForwardOptions.pool (close() it when done). */
export function createKernelPool(threads: number): KernelPool {
  return new KernelPool(threads);
}

const KERNEL_MAX_BYTES = KERNEL_MAX_PAGES * 65536;
// Activations of one batch: sequences beyond this go into the next batch (the weights stream once per batch).
const ACTIVATION_BUDGET = 1 << 30;

// Row blocks for the MLP intermediate and the logits: ~32 MiB each, at least 4 rows.
const BLOCK_BYTES = 32 << 20;

/** Split [0, n) into `parts` contiguous ranges whose bounds are multiples of `align` (the last takes the rest). */
function splitRange(n: number, parts: number, align: number): [number, number][] {
  const out: [number, number][] = [];
  const step = Math.ceil(n / parts / align) * align;
  for (let i = 0; i < parts; i++) {
    const a = Math.min(n, i * step),
      b = i === parts - 1 ? n : Math.min(n, (i + 1) * step);
    out.push([a, b]);
  }
  return out;
}

/** Positions of a batch: where each sequence's rows start in the [P, ·] activations. */
interface Batch {
  sequences: Int32Array[];
  starts: number[];
  rows: number;
  maxLen: number;
}

function makeBatch(cfg: LlamaConfig, sequences: Int32Array[]): Batch {
  const starts: number[] = [];
  let rows = 0,
    maxLen = 0;
  sequences.forEach((s, i) => {
    if (s.length === 0) throw inputError(`sequence ${i} is empty; the forward pass needs at least one token`);
    if (s.length > cfg.maxPositionEmbeddings) {
      throw inputError(
        `sequence ${i} has ${s.length} tokens, more than max_position_embeddings ${cfg.maxPositionEmbeddings} in ${cfg.file}; shorten it`,
      );
    }
    if (cfg.slidingWindow !== undefined && s.length > cfg.slidingWindow) {
      throw inputError(
        `sequence ${i} has ${s.length} tokens, more than sliding_window ${cfg.slidingWindow} in ${cfg.file}; the forward pass has no sliding-window attention, shorten it`,
      );
    }
    for (let t = 0; t < s.length; t++) {
      const id = s[t]!;
      if (!(id >= 0 && id < cfg.vocabSize))
        throw inputError(
          `sequence ${i}: token id ${id} at position ${t} is outside the vocabulary (vocab_size ${cfg.vocabSize} in ${cfg.file})`,
        );
    }
    starts.push(rows);
    rows += s.length;
    maxLen = Math.max(maxLen, s.length);
  });
  return { sequences, starts, rows, maxLen };
}

/** Fetch a tensor and check its element count against the shape the config implies. */
async function weight(source: WeightSource, name: string, shape: number[]): Promise<Float32Array> {
  const t = await source.tensor(name);
  const n = shape.reduce((a, b) => a * b, 1);
  if (t.length !== n)
    throw inputError(`${source.config.file}: tensor "${name}" has ${t.length} elements, the config implies [${shape.join(', ')}] = ${n}`);
  return t;
}

/**
 * Run the model over every sequence at once (batched prefill) and hand the logits of the rows `wanted` selects to
 * `head`, a block of rows at a time ([rows, vocab] f32, valid only during the call).
 */
async function runBatch(
  source: WeightSource,
  sequences: Int32Array[],
  opts: ForwardOptions,
  wanted: (seq: number, pos: number) => boolean,
  head: (logits: Float32Array, rowSeq: Int32Array, rowPos: Int32Array, count: number) => void,
): Promise<void> {
  const cfg = source.config;
  const batch = makeBatch(cfg, sequences);
  if (batch.rows === 0) return;
  const H = cfg.hiddenSize,
    I = cfg.intermediateSize,
    V = cfg.vocabSize,
    hd = cfg.headDim;
  const nH = cfg.numHeads,
    nKV = cfg.numKvHeads,
    QD = nH * hd,
    KD = nKV * hd,
    P = batch.rows;
  const mlpRows = Math.min(P, Math.max(4, Math.floor(BLOCK_BYTES / (8 * I))));
  const headRows = Math.min(P, Math.max(4, Math.floor(BLOCK_BYTES / (4 * V))));
  const lanes = opts.pool ? opts.pool.lanes : laneCount(opts.threads ?? 1);

  // f32/i32 buffers in the kernel memory, from KERNEL_DATA_BYTES on, 16-byte aligned
  const arena = new Arena(KERNEL_DATA_BYTES);
  const L = { take: (elements: number): number => arena.take(4 * elements, 16) };
  const pos = L.take(P),
    cosT = L.take(batch.maxLen * (hd / 2)),
    sinT = L.take(batch.maxLen * (hd / 2));
  const X = L.take(P * H),
    XN = L.take(P * H),
    Q = L.take(P * QD),
    K = L.take(P * KD),
    Vv = L.take(P * KD),
    ATT = L.take(P * QD);
  const G = L.take(mlpRows * I),
    U = L.take(mlpRows * I),
    D = L.take(mlpRows * H);
  const LOG = L.take(headRows * V),
    HIN = L.take(headRows * H);
  const NORM = L.take(H);
  const scratch: number[] = [];
  for (let i = 0; i < lanes; i++) scratch.push(L.take(batch.maxLen));
  const W = L.take(0);
  const wElems = Math.max((QD + 2 * KD) * H, H * QD, 3 * I * H, V * H);
  L.take(wElems);
  if (arena.size(16) > KERNEL_MAX_BYTES) {
    throw runtimeError(
      `the forward pass of this model needs ${(arena.size(16) / 2 ** 30).toFixed(1)} GiB of kernel memory for one layer's weights and the activations, more than wasm's 4 GiB`,
    );
  }

  const pool = opts.pool ?? new KernelPool(lanes);
  try {
    pool.kernel.ensure(arena.size(16));
    const f32 = (): Float32Array => pool.kernel.f32();
    const i32 = new Int32Array(pool.kernel.memory.buffer);
    const { cos, sin } = ropeTables(cfg, batch.maxLen);
    f32().set(cos, cosT >>> 2);
    f32().set(sin, sinT >>> 2);
    sequences.forEach((s, i) => {
      for (let t = 0; t < s.length; t++) i32[(pos >>> 2) + batch.starts[i]! + t] = t;
    });

    const totalSteps = cfg.numLayers + 2;
    let step = 0;
    const progress = (): void => {
      if (opts.signal?.aborted) throw runtimeError('forward pass cancelled');
      opts.onProgress?.(++step, totalSteps);
    };
    const put = (at: number, data: Float32Array): void => f32().set(data, at >>> 2);

    // kernel work split over lanes; each output element belongs to exactly one call
    const gemm = (a: number, w: number, c: number, m: number, n: number, k: number): Promise<void> =>
      pool.run(splitRange(n, lanes, 2).map(([n0, n1]) => (n1 > n0 ? [{ fn: 'gemm_f32', args: [a, w, c, m, n, k, n0, n1] }] : [])));
    const byRows = (rows: number, call: (r0: number, r1: number) => KernelCall): Promise<void> =>
      pool.run(splitRange(rows, lanes, 1).map(([r0, r1]) => (r1 > r0 ? [call(r0, r1)] : [])));
    const rmsnorm = (x: number, w: number, out: number, rows: number): Promise<void> =>
      byRows(rows, (r0, r1) => ({ fn: 'rmsnorm_f32', args: [x + r0 * H * 4, w, out + r0 * H * 4, r1 - r0, H, cfg.rmsNormEps] }));
    const addBias = (c: number, rows: number, n: number, bias: Float32Array): void => {
      const a = f32(),
        o = c >>> 2;
      for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) a[o + r * n + j] = a[o + r * n + j]! + bias[j]!;
    };
    const addInto = (dst: number, src: number, n: number): void => {
      const a = f32(),
        d = dst >>> 2,
        s = src >>> 2;
      for (let i = 0; i < n; i++) a[d + i] = a[d + i]! + a[s + i]!;
    };

    // embedding
    {
      const emb = await weight(source, 'model.embed_tokens.weight', [V, H]);
      const a = f32();
      sequences.forEach((s, i) => {
        for (let t = 0; t < s.length; t++) a.set(emb.subarray(s[t]! * H, (s[t]! + 1) * H), (X >>> 2) + (batch.starts[i]! + t) * H);
      });
    }
    progress();

    // attention items (sequence, head) split into contiguous runs per lane
    const attnLists: KernelCall[][] = [];
    {
      const items = sequences.length * nH;
      for (const [a, b] of splitRange(items, lanes, 1)) {
        const calls: KernelCall[] = [];
        for (let it = a; it < b;) {
          const s = Math.floor(it / nH),
            h0 = it % nH,
            h1 = Math.min(nH, h0 + (b - it));
          const r = batch.starts[s]!,
            T = sequences[s]!.length;
          calls.push({
            fn: 'attention_f32',
            args: [
              Q + r * QD * 4,
              K + r * KD * 4,
              Vv + r * KD * 4,
              ATT + r * QD * 4,
              T,
              h0,
              h1,
              nH,
              nKV,
              hd,
              QD,
              KD,
              QD,
              1 / Math.sqrt(hd),
              scratch[attnLists.length]!,
            ],
          });
          it += h1 - h0;
        }
        attnLists.push(calls);
      }
    }

    for (let l = 0; l < cfg.numLayers; l++) {
      const pre = `model.layers.${l}.`;
      put(NORM, await weight(source, `${pre}input_layernorm.weight`, [H]));
      await rmsnorm(X, NORM, XN, P);
      // q, k, v
      const WQ = W,
        WK = W + QD * H * 4,
        WV = WK + KD * H * 4;
      put(WQ, await weight(source, `${pre}self_attn.q_proj.weight`, [QD, H]));
      put(WK, await weight(source, `${pre}self_attn.k_proj.weight`, [KD, H]));
      put(WV, await weight(source, `${pre}self_attn.v_proj.weight`, [KD, H]));
      await gemm(XN, WQ, Q, P, QD, H);
      await gemm(XN, WK, K, P, KD, H);
      await gemm(XN, WV, Vv, P, KD, H);
      if (cfg.attentionBias) {
        addBias(Q, P, QD, await weight(source, `${pre}self_attn.q_proj.bias`, [QD]));
        addBias(K, P, KD, await weight(source, `${pre}self_attn.k_proj.bias`, [KD]));
        addBias(Vv, P, KD, await weight(source, `${pre}self_attn.v_proj.bias`, [KD]));
      }
      await byRows(P, (r0, r1) => ({ fn: 'rope_f32', args: [Q + r0 * QD * 4, r1 - r0, nH, hd, QD, pos + r0 * 4, cosT, sinT] }));
      await byRows(P, (r0, r1) => ({ fn: 'rope_f32', args: [K + r0 * KD * 4, r1 - r0, nKV, hd, KD, pos + r0 * 4, cosT, sinT] }));
      await pool.run(attnLists);
      // output projection + residual
      put(W, await weight(source, `${pre}self_attn.o_proj.weight`, [H, QD]));
      await gemm(ATT, W, XN, P, H, QD);
      if (cfg.outputBias) addBias(XN, P, H, await weight(source, `${pre}self_attn.o_proj.bias`, [H]));
      addInto(X, XN, P * H);
      // MLP, a block of rows at a time
      put(NORM, await weight(source, `${pre}post_attention_layernorm.weight`, [H]));
      await rmsnorm(X, NORM, XN, P);
      const WG = W,
        WU = W + I * H * 4,
        WD = WU + I * H * 4;
      put(WG, await weight(source, `${pre}mlp.gate_proj.weight`, [I, H]));
      put(WU, await weight(source, `${pre}mlp.up_proj.weight`, [I, H]));
      put(WD, await weight(source, `${pre}mlp.down_proj.weight`, [H, I]));
      const mlpBias = cfg.mlpBias
        ? [
            await weight(source, `${pre}mlp.gate_proj.bias`, [I]),
            await weight(source, `${pre}mlp.up_proj.bias`, [I]),
            await weight(source, `${pre}mlp.down_proj.bias`, [H]),
          ]
        : undefined;
      for (let r0 = 0; r0 < P; r0 += mlpRows) {
        const m = Math.min(mlpRows, P - r0);
        await gemm(XN + r0 * H * 4, WG, G, m, I, H);
        await gemm(XN + r0 * H * 4, WU, U, m, I, H);
        if (mlpBias) {
          addBias(G, m, I, mlpBias[0]!);
          addBias(U, m, I, mlpBias[1]!);
        }
        await pool.run(
          splitRange(m * I, lanes, 4).map(([a, b]) =>
            b > a ? [{ fn: 'silu_mul_f32', args: [G + a * 4, U + a * 4, G + a * 4, b - a] }] : [],
          ),
        );
        await gemm(G, WD, D, m, H, I);
        if (mlpBias) addBias(D, m, H, mlpBias[2]!);
        addInto(X + r0 * H * 4, D, m * H);
      }
      progress();
    }

    // final norm and the head, over the wanted rows only, a block at a time
    put(NORM, await weight(source, 'model.norm.weight', [H]));
    await rmsnorm(X, NORM, XN, P);
    const lmName = cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    if (!cfg.tieWordEmbeddings && !source.has(lmName)) {
      throw inputError(
        `${cfg.file}: tie_word_embeddings is false but the model has no "lm_head.weight"; set tie_word_embeddings to true if the embedding doubles as the head`,
      );
    }
    put(W, await weight(source, lmName, [V, H]));
    const rowSeq = new Int32Array(headRows),
      rowPos = new Int32Array(headRows);
    let count = 0;
    const flush = async (): Promise<void> => {
      if (count === 0) return;
      await gemm(HIN, W, LOG, count, V, H);
      head(new Float32Array(pool.kernel.memory.buffer, LOG, count * V), rowSeq, rowPos, count);
      count = 0;
    };
    for (let s = 0; s < sequences.length; s++) {
      for (let t = 0; t < sequences[s]!.length; t++) {
        if (!wanted(s, t)) continue;
        const a = f32(),
          from = (XN >>> 2) + (batch.starts[s]! + t) * H;
        a.copyWithin((HIN >>> 2) + count * H, from, from + H);
        rowSeq[count] = s;
        rowPos[count] = t;
        if (++count === headRows) await flush();
      }
    }
    await flush();
    progress();
  } finally {
    if (!opts.pool) await pool.close();
  }
}

/** Bytes of activations per position (the [P, ·] buffers of runBatch). */
function bytesPerPosition(cfg: LlamaConfig): number {
  return 4 * (2 * cfg.hiddenSize + 2 * cfg.numHeads * cfg.headDim + 2 * cfg.numKvHeads * cfg.headDim + 1);
}

/**
 * runBatch over consecutive groups of sequences whose activations fit ACTIVATION_BUDGET (every sequence is computed
 * the same way whatever group it is in, so the grouping never changes a number); progress counts over all groups.
 */
async function run(
  source: WeightSource,
  sequences: Int32Array[],
  opts: ForwardOptions,
  wanted: (seq: number, pos: number) => boolean,
  head: (logits: Float32Array, rowSeq: Int32Array, rowPos: Int32Array, count: number) => void,
): Promise<void> {
  makeBatch(source.config, sequences); // validate every sequence before any work
  const perPos = opts.maxBatchPositions
    ? ACTIVATION_BUDGET / Math.max(1, Math.floor(opts.maxBatchPositions))
    : bytesPerPosition(source.config);
  const groups: [number, number][] = [];
  for (let a = 0; a < sequences.length;) {
    let b = a + 1,
      bytes = sequences[a]!.length * perPos;
    while (b < sequences.length && bytes + sequences[b]!.length * perPos <= ACTIVATION_BUDGET) bytes += sequences[b++]!.length * perPos;
    groups.push([a, b]);
    a = b;
  }
  const steps = source.config.numLayers + 2;
  for (let g = 0; g < groups.length; g++) {
    const [a, b] = groups[g]!;
    const onProgress = opts.onProgress;
    const sub: ForwardOptions = {
      ...opts,
      ...(onProgress ? { onProgress: (d: number) => onProgress(g * steps + d, groups.length * steps) } : {}),
    };
    await runBatch(
      source,
      sequences.slice(a, b),
      sub,
      (s, t) => wanted(s + a, t),
      (logits, rowSeq, rowPos, count) => head(logits, a === 0 ? rowSeq : rowSeq.map((s) => s + a), rowPos, count),
    );
  }
}

/** Batched prefill of every request at once (no KV cache, causal attention per sequence), streaming weights layer by layer. */
export async function scoreSequences(source: WeightSource, requests: ScoreRequest[], opts: ForwardOptions = {}): Promise<SequenceScores[]> {
  requests.forEach((r, i) => {
    if (!(Number.isInteger(r.scoreFrom) && r.scoreFrom >= 1 && r.scoreFrom < r.tokens.length)) {
      throw inputError(`request ${i}: scoreFrom ${r.scoreFrom} must be at least 1 and below the sequence length ${r.tokens.length}`);
    }
  });
  const out: SequenceScores[] = requests.map((r) => ({
    logprobs: new Float64Array(r.tokens.length - r.scoreFrom),
    argmaxHit: new Uint8Array(r.tokens.length - r.scoreFrom),
  }));
  const V = source.config.vocabSize;
  await run(
    source,
    requests.map((r) => r.tokens),
    opts,
    (s, t) => t >= requests[s]!.scoreFrom - 1 && t < requests[s]!.tokens.length - 1,
    (logits, rowSeq, rowPos, count) => {
      for (let r = 0; r < count; r++) {
        const s = rowSeq[r]!,
          t = rowPos[r]!,
          o = r * V;
        let best = 0,
          mx = logits[o]!;
        for (let j = 1; j < V; j++)
          if (logits[o + j]! > mx) {
            mx = logits[o + j]!;
            best = j;
          }
        let sum = 0;
        for (let j = 0; j < V; j++) sum += Math.exp(logits[o + j]! - mx);
        const target = requests[s]!.tokens[t + 1]!;
        const k = t + 1 - requests[s]!.scoreFrom;
        out[s]!.logprobs[k] = logits[o + target]! - mx - Math.log(sum);
        out[s]!.argmaxHit[k] = best === target ? 1 : 0;
      }
    },
  );
  return out;
}

/** Full logits per sequence ([T * vocab] row-major), for tests and small models. */
export async function forwardLogits(source: WeightSource, sequences: Int32Array[], opts: ForwardOptions = {}): Promise<Float32Array[]> {
  const V = source.config.vocabSize;
  const out = sequences.map((s) => new Float32Array(s.length * V));
  await run(
    source,
    sequences,
    opts,
    () => true,
    (logits, rowSeq, rowPos, count) => {
      for (let r = 0; r < count; r++) out[rowSeq[r]!]!.set(logits.subarray(r * V, (r + 1) * V), rowPos[r]! * V);
    },
  );
  return out;
}
