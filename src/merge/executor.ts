import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { inputError, runtimeError, usageError } from '../errors.js';
import type { VocabAdjustment } from '../io/homology.js';
import type { Model } from '../io/model.js';
import { checkFreeSpace, OutputDir, type SideFileEdits } from '../io/output-dir.js';
import { assertOutputApartFromInputs } from '../io/output-guard.js';
import { readRegularFileText } from '../io/regular-file.js';
import { indexJson, planShards, SAFETENSORS_INDEX_NAME, type PlannedTensor } from '../io/writer.js';
import { recipeYaml, type MergeConfig } from './config.js';
import { engineBytes, type ChunkResult, type OutputOverflow } from './engine.js';
import { jobChunkElements, needsPrep, type TensorJob, type TermPrep } from './job.js';
import type { NonfiniteAt } from './engine.js';
import type { KernelKind } from './kernel-factory.js';
import { mergeTask, type MergeResult } from './merge-task.js';
import { modelCard, type CardVerdict } from './model-card.js';
import { planMerge, type MergePlan } from './plan.js';
import { TaskPool } from '../exec/pool.js';
import { defaultThreads, MAX_THREADS } from '../limits.js';

/** Options of merge(). */
export interface MergeOptions {
  /** Output dir (written atomically). */
  out: string;
  /** Replace an existing output dir. */
  force?: boolean;
  /** Worker threads (default: the number of cores); 1 runs in the calling thread. */
  threads?: number;
  /** Elements per chunk (default 2^20); the output does not depend on it. */
  chunkElements?: number;
  /** Accept NaN/Inf in the input weights (refused by default). */
  allowNonfinite?: boolean;
  /** The math implementation: the wasm SIMD kernel (default) or the scalar TypeScript reference. */
  kernel?: KernelKind;
  /** Split the output into shards of at most this many bytes (default 5 GB, as Hugging Face does). */
  maxShardBytes?: number;
  /** Called as chunks finish: input bytes merged so far, all input bytes, and "k/n tensors". */
  onProgress?: (doneBytes: number, totalBytes: number, detail: string) => void;
  /** Copy the layout model's tokenizer files (default true, as mergekit's --copy-tokenizer). */
  copyTokenizer?: boolean;
  /** The readiness verdict to print in the output's model card (README.md), when the caller knows it. */
  verdict?: CardVerdict;
}

/** What a merge did. */
export interface MergeSummary {
  outDir: string;
  method: string;
  seed: number;
  rescale: string[];
  tensors: number;
  inputBytes: number;
  outputBytes: number;
  files: string[];
  threads: number;
  chunkElements: number;
  kernel: KernelKind;
  seconds: number;
  notes: string[];
  /** Fine-tune embedding/lm_head tensors cut or padded to the base's vocabulary rows (truncateVocab). */
  vocab: VocabAdjustment[];
}

/** The default chunk size in elements: 4 MiB of f32 per buffer. */
export const DEFAULT_CHUNK_ELEMENTS = 1 << 20;

/** Kernel memory one engine may use: the chunk buffers grow with the number of models, so the default chunk shrinks to fit. */
export const ENGINE_MEMORY_BUDGET = 512 * 2 ** 20;

// The default chunk halves until one engine's buffers fit ENGINE_MEMORY_BUDGET (the output does not depend on
// the chunk size); an explicit --chunk-elements that needs more than wasm's 4 GiB is a usage error.
function fitChunk(plan: MergePlan, chunk: number, explicit: boolean): number {
  const k = Math.max(1, ...plan.jobs.map((j) => j.terms.length));
  const maxRow = Math.max(0, ...plan.jobs.map((j) => j.rowLen ?? 0));
  if (explicit) {
    if (engineBytes(chunk, k, maxRow) > 4 * 2 ** 30 - 2 ** 26)
      throw usageError(
        `--chunk-elements ${chunk} with ${k} models needs ${Math.ceil(engineBytes(chunk, k, maxRow) / 2 ** 20)} MiB of kernel memory per thread, beyond WebAssembly's 4 GiB; lower it`,
      );
    return chunk;
  }
  let s = chunk;
  while (s > 4096 && s / 2 >= maxRow && engineBytes(s, k, maxRow) > ENGINE_MEMORY_BUDGET) s /= 2;
  return s;
}

/** Every path a merge config reads: the base, each model and each `base+adapter` base. */
function mergeInputs(config: MergeConfig): string[] {
  return [config.baseModel, ...config.models.flatMap((m) => [m.path, m.loraBase])].filter((p): p is string => p !== undefined);
}

/** A model's dir and every file it reads (shards may be links into a Hugging Face cache's blobs). */
function modelPaths(m: Model): string[] {
  return [m.layout === 'file' ? m.path : m.dir, ...m.files, ...(m.adapter ? [m.adapter.dir] : [])];
}

/** Merge models as the config says and write the result atomically to opts.out. */
export async function merge(config: MergeConfig, opts: MergeOptions): Promise<MergeSummary> {
  const t0 = performance.now();
  const threads = opts.threads ?? defaultThreads();
  let chunkElements = opts.chunkElements ?? DEFAULT_CHUNK_ELEMENTS;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw usageError(`threads: ${threads} is not a thread count (1–${MAX_THREADS})`);
  if (!Number.isInteger(chunkElements) || chunkElements < 16 || chunkElements > 1 << 26)
    throw usageError(`--chunk-elements: ${chunkElements} is outside 16–${1 << 26}`);
  const kernel = opts.kernel ?? 'wasm';
  // refused before any model is opened: an output over an input would destroy it
  assertOutputApartFromInputs(opts.out, mergeInputs(config));
  const plan = planMerge(config);
  chunkElements = fitChunk(plan, chunkElements, opts.chunkElements !== undefined);
  const wide = plan.jobs.find((j) => (j.rowLen ?? 0) > chunkElements);
  if (wide)
    throw usageError(
      `tensor "${wide.name}": ${config.method} works on whole rows of ${wide.rowLen} elements, more than the chunk of ${chunkElements}; raise --chunk-elements to at least ${wide.rowLen}`,
    );
  const recipe = recipeYaml(config);
  const metadata: Record<string, string> = {
    format: 'pt',
    'darekit.method': config.method,
    'darekit.seed': String(config.seed),
    'darekit.recipe': recipe,
  };
  const planned: PlannedTensor[] = plan.jobs.map((j, i) => ({ name: j.name, dtype: plan.outDtypes[i]!, shape: plan.shapes[i]! }));
  const shards = planShards(planned, { maxShardBytes: opts.maxShardBytes ?? 5e9, metadata });
  const outputBytes = shards.reduce((s, p) => s + p.fileSize, 0);
  const outDir = resolve(opts.out);
  checkFreeSpace(dirname(outDir), outputBytes);
  const dir = OutputDir.create(outDir, {
    force: opts.force ?? false,
    inputs: [...mergeInputs(config), ...plan.models.flatMap(modelPaths), ...(plan.base ? modelPaths(plan.base) : [])],
  });
  try {
    const shardOf = new Map<string, { fd: number; byteOffset: number }>();
    for (const s of shards) {
      const fd = dir.openShard(s);
      for (const [name, r] of s.tensors) shardOf.set(name, { fd, byteOffset: r.byteOffset });
    }
    for (const j of plan.jobs) {
      const at = shardOf.get(j.name)!;
      j.out.fd = at.fd;
      j.out.byteOffset = at.byteOffset;
    }
    // write back as the merge goes, so commit's fsync has little left to do
    const flusher = setInterval(() => dir.flushInBackground(), 250);
    try {
      await execute(plan, { threads, chunkElements, kernel, allowNonfinite: opts.allowNonfinite ?? false, onProgress: opts.onProgress });
    } finally {
      clearInterval(flusher);
    }
    if (shards.length > 1)
      dir.writeFile(SAFETENSORS_INDEX_NAME, indexJson(shards, { 'darekit.method': config.method, 'darekit.seed': String(config.seed) }));
    dir.copySideFiles(plan.layoutModel.dir, config.outDtype, {
      ...sideFileEdits(config, plan),
      skipTokenizer: opts.copyTokenizer === false,
    });
    dir.writeFile('mergekit_config.yml', recipe);
    dir.writeFile('README.md', modelCard(config, recipe, opts.verdict));
    dir.commit();
  } catch (err) {
    dir.abort();
    throw err;
  }
  return {
    outDir,
    method: config.method,
    seed: config.seed,
    rescale: plan.rescaleModes,
    tensors: plan.jobs.length,
    inputBytes: plan.inputBytes,
    outputBytes,
    files: shards.map((s) => s.fileName),
    threads,
    chunkElements,
    kernel,
    seconds: (performance.now() - t0) / 1000,
    notes: [...config.notes, ...plan.notes],
    vocab: plan.vocab,
  };
}

/** What the output's config.json and tokenizer_config.json change: num_hidden_layers of a frankenmerge, chat_template. */
function sideFileEdits(config: MergeConfig, plan: MergePlan): SideFileEdits {
  const edits: SideFileEdits = {};
  if (config.slices) edits.config = { num_hidden_layers: plan.outputLayers };
  if (config.chatTemplate !== undefined) {
    const template = config.chatTemplate === 'auto' ? autoChatTemplate(plan) : config.chatTemplate;
    if (template !== undefined) edits.tokenizerConfig = { chat_template: template };
  }
  const vp = plan.vocabPlan;
  if (vp) {
    // mergekit's _update_config_vocab and tokenizer.save_pretrained: the new vocabulary's size and its tokenizer files
    edits.config = { ...edits.config, vocab_size: vp.tokens.length };
    edits.replace = { 'tokenizer.json': JSON.stringify(vp.tokenizerJson, null, 2) + '\n' };
    const tcFile = join(plan.layoutModel.dir, 'tokenizer_config.json');
    if (existsSync(tcFile)) {
      const tc = JSON.parse(readRegularFileText(tcFile, 'tokenizer_config.json')) as Record<string, unknown>;
      if (tc.added_tokens_decoder !== undefined && typeof tc.added_tokens_decoder === 'object') {
        const dec: Record<string, unknown> = { ...(tc.added_tokens_decoder as Record<string, unknown>) };
        for (const a of (vp.tokenizerJson.added_tokens as { id: number; content: string }[] | undefined) ?? []) {
          const { id, ...rest } = a;
          dec[String(id)] = rest;
        }
        edits.tokenizerConfig = { ...edits.tokenizerConfig, added_tokens_decoder: dec };
      }
    }
  }
  return edits;
}

/** mergekit's `chat_template: auto`: the most common template among the input models' tokenizer_config.json (first seen wins a tie). */
function autoChatTemplate(plan: MergePlan): string | undefined {
  const counts = new Map<string, number>();
  for (const m of [...(plan.base ? [plan.base] : []), ...plan.models]) {
    try {
      const tc = JSON.parse(readRegularFileText(join(m.dir, 'tokenizer_config.json'), 'tokenizer_config.json')) as {
        chat_template?: unknown;
      };
      let t = tc.chat_template;
      if (Array.isArray(t)) t = (t as { name?: string; template?: string }[]).find((x) => x.name === 'default')?.template;
      if (typeof t === 'string' && t.trim() !== '') counts.set(t.trim(), (counts.get(t.trim()) ?? 0) + 1);
    } catch {
      // a model without a readable tokenizer_config.json has no template to vote with
    }
  }
  let best: string | undefined;
  let bestN = 0;
  for (const [t, n] of counts)
    if (n > bestN) {
      best = t;
      bestN = n;
    }
  return best;
}

interface ExecOptions {
  threads: number;
  chunkElements: number;
  kernel: KernelKind;
  allowNonfinite: boolean;
  onProgress: MergeOptions['onProgress'];
}

/** The refusal of NaN/Inf input weights, naming the model that holds them, the tensor and where. */
function nonfiniteError(job: TensorJob, at: NonfiniteAt | undefined): Error {
  const model =
    at === undefined
      ? 'an input model'
      : at.input < 0
        ? `base ${job.baseModel ?? 'model'}`
        : `model ${job.terms[at.input]?.model ?? at.input}`;
  const where = at === undefined ? '' : ` (${at.count} in elements [${at.start}, ${at.end}), the first at element ${at.firstElement})`;
  if (at?.f64Value !== undefined) {
    return inputError(
      `${model}: tensor "${job.name}" holds ${at.f64Value} at element ${at.firstElement}, beyond float32 range (darekit merges in float32); the merge was stopped and nothing was written (fix that model, or pass --allow-nonfinite to merge it as ±Inf)`,
    );
  }
  return inputError(
    `${model}: tensor "${job.name}" holds NaN or Inf values${where}; the merge was stopped and nothing was written (fix that model, or pass --allow-nonfinite to merge anyway)`,
  );
}

/** The refusal of merged values the output dtype cannot hold (they would be written as ±Inf). */
function overflowError(job: TensorJob, o: OutputOverflow): Error {
  const value = Number.isFinite(o.value)
    ? `${o.value}`
    : Number.isNaN(o.value)
      ? 'NaN'
      : `a value beyond float32 range (${o.value > 0 ? '+' : '-'}Inf)`;
  return inputError(
    `tensor "${job.name}": the merged value at element ${o.element} is ${value}, which ${job.out.dtype} cannot hold (${o.count} such values in that chunk); nothing was written (lower the weights, use --out-dtype float32, or pass --allow-nonfinite to write ±Inf)`,
  );
}

/** The refusal a merged chunk calls for (NaN/Inf inputs, values the output dtype cannot hold), unless allowed. */
function chunkRefusal(job: TensorJob, r: ChunkResult, allowNonfinite: boolean): Error | undefined {
  if (allowNonfinite) return undefined;
  if (r.nonfinite > 0) return nonfiniteError(job, r.nonfiniteAt);
  if (r.overflow) return overflowError(job, r.overflow);
  return undefined;
}

function prepsOf(r: MergeResult): TermPrep[] {
  if ('preps' in r) return r.preps;
  throw runtimeError('internal: a pre-pass task answered with a chunk');
}

function chunkOf(r: MergeResult): ChunkResult {
  if ('chunk' in r) return r.chunk;
  throw runtimeError('internal: a chunk task answered with a pre-pass');
}

/** Run every job's chunks (and pre-passes) on the pool; chunks land at planned offsets, so order does not matter. */
async function execute(plan: MergePlan, o: ExecOptions): Promise<void> {
  const maxTerms = Math.max(1, ...plan.jobs.map((j) => j.terms.length));
  const maxRow = Math.max(0, ...plan.jobs.map((j) => j.rowLen ?? 0));
  const chunksOf = (j: TensorJob): number => Math.ceil(j.numel / jobChunkElements(j, o.chunkElements));
  let doneBytes = 0;
  let doneTensors = 0;
  const remaining = plan.jobs.map((j) => chunksOf(j));
  const finishChunk = (j: TensorJob, bytes: number): void => {
    doneBytes += bytes;
    if (--remaining[j.index]! === 0) doneTensors++;
    o.onProgress?.(doneBytes, plan.inputBytes, `${doneTensors}/${plan.jobs.length} tensors`);
  };
  const emptyDone = (j: TensorJob): void => {
    if (j.numel === 0) {
      doneTensors++;
      remaining[j.index] = 0;
    }
  };

  const pool = new TaskPool(
    mergeTask,
    { kernel: o.kernel, chunkElements: o.chunkElements, maxTerms, maxRow },
    // two chunks per worker: a worker finishing one starts the next at once instead of waiting for the main
    // thread to be scheduled on a busy core to hand it over (−0.1 s of 2.7 s on the bench family, 2 cores)
    { workers: o.threads === 1 ? 0 : o.threads, name: 'merge', depth: 2 },
  );
  try {
    if (o.threads === 1) {
      // the calling thread, in plan order: the first refused chunk stops the merge before the next one is read
      for (const j of plan.jobs) {
        emptyDone(j);
        const prep = needsPrep(j) ? prepsOf(await pool.run({ type: 'prep', job: j })) : undefined;
        for (let c = 0; c < chunksOf(j); c++) {
          const r = chunkOf(await pool.run({ type: 'chunk', job: j, prep, chunk: c }));
          const refusal = chunkRefusal(j, r, o.allowNonfinite);
          if (refusal) throw refusal;
          finishChunk(j, r.bytesRead);
        }
      }
      return;
    }
    // worker threads: every chunk queued at once, a tensor's pre-pass ahead of the queue (its chunks wait for it)
    const all: Promise<void>[] = [];
    for (const j of plan.jobs) {
      emptyDone(j);
      const runChunks = (prep: TermPrep[] | undefined): Promise<void> => {
        const parts: Promise<void>[] = [];
        for (let c = 0; c < chunksOf(j); c++) {
          parts.push(
            pool.run({ type: 'chunk', job: j, prep, chunk: c }).then((res) => {
              const r = chunkOf(res);
              const refusal = chunkRefusal(j, r, o.allowNonfinite);
              if (refusal) {
                pool.cancel(refusal);
                throw refusal;
              }
              finishChunk(j, r.bytesRead);
            }),
          );
        }
        return Promise.all(parts).then(() => undefined);
      };
      if (needsPrep(j)) all.push(pool.run({ type: 'prep', job: j }, { urgent: true }).then((r) => runChunks(prepsOf(r))));
      else all.push(runChunks(undefined));
    }
    const results = await Promise.allSettled(all);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : runtimeError(String(failed.reason));
    if (doneTensors !== plan.jobs.length) throw runtimeError(`internal: ${plan.jobs.length - doneTensors} tensors were not finished`);
  } finally {
    await pool.close();
  }
}
