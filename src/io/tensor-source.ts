// Where a tensor's values come from, as plain data (posted to worker threads): one discriminated union
// (TensorSource) of a range of a file, a virtual LoRA tensor (base + scale·B·A), a vocabulary-aligned view, or a
// row gather. Types only, so that the model reader, the adapter reader and the readers of each kind share them
// without importing each other.
import type { MathDtype } from './dtypes.js';

/** One LoRA factor in the adapter file: a row-major matrix. */
export interface LoraMatrixRef {
  /** The adapter's tensor name (for messages). */
  name: string;
  file: string;
  /** The adapter file's validated `dev:ino` (TensorInfo.fileId). */
  fileId?: string;
  byteOffset: number;
  dtype: MathDtype;
  rows: number;
  cols: number;
}

/** A range of a safetensors file: the tensor's stored bytes. */
export interface FileSource {
  kind: 'file';
  name: string;
  file: string;
  /** The validated file's `dev:ino` (TensorInfo.fileId): a read finding another file there is refused. */
  fileId?: string;
  byteOffset: number;
  dtype: MathDtype;
}

/** A virtual LoRA tensor (dtype F32): W = f32(base + f32(scale · B·A)), with B·A summed in float64 over the rank. */
export interface LoraSource {
  kind: 'lora';
  name: string;
  dtype: 'F32';
  /** The adapter dir (for messages). */
  adapter: string;
  /** The base tensor's bytes. */
  base: FileSource;
  /** A: rank × in_features. */
  a: LoraMatrixRef;
  /** B: out_features × rank. */
  b: LoraMatrixRef;
  /** lora_alpha / r, or lora_alpha / √r with use_rslora. */
  scale: number;
}

/** What an adapter dir holds, in summary (Model.adapter). */
export interface AdapterInfo {
  dir: string;
  /** The largest rank among the adapted modules. */
  rank: number;
  alpha: number;
  rslora: boolean;
  /** Base tensors with a LoRA delta. */
  loraModules: number;
  /** Base tensors replaced whole (modules_to_save, saved embeddings). */
  replaced: number;
  /** adapter_config.json's base_model_name_or_path, when given. */
  baseName?: string;
}

/**
 * A fine-tune's embedding/lm_head seen with the base's row count (--truncate-vocab). Rows are contiguous in
 * row-major order, so the fine-tune's own rows are the element prefix [0, ownElements) of `own` (more rows than
 * the base: only the first base-count rows are ever read); elements past it come from the base's tensor, a zero
 * delta. The view's dtype is the fine-tune's own when it equals the base's (bytes copied as stored), else F32
 * (both decoded).
 */
export interface VocabSource {
  kind: 'vocab';
  name: string;
  dtype: MathDtype;
  ownElements: number;
  own: TensorSource;
  base: TensorSource;
}

/**
 * An embedding or lm_head seen with another vocabulary's rows (dtype F32; tokenizer_source): output row r is row
 * `rows[r]` of `own` when that is ≥ 0, else the mean (float64 sum, divided once, rounded to f32) of the rows listed
 * in `defaults[-1 - rows[r]]` (zeros when that list is empty).
 */
export interface RowsSource {
  kind: 'rows';
  name: string;
  dtype: 'F32';
  own: TensorSource;
  cols: number;
  rows: number[];
  defaults: { src: TensorSource; row: number }[][];
}

/**
 * Where a tensor's values come from, one kind per reader (io/readers/): its file range, a virtual LoRA tensor, a
 * vocabulary-aligned view or a row gather. Plain data, so it can be posted to worker threads.
 */
export type TensorSource = FileSource | LoraSource | VocabSource | RowsSource;
