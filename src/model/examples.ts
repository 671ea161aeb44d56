import { existsSync, readFileSync, statSync } from 'node:fs';
import { inputError, usageError } from '../errors.js';
import type { ModelTokenizer } from './tokenizer.js';

/** What a probe scores on a fine-tune's examples: exact match of completions (JSONL), or loss over text windows. */
export type ProbeMetric = 'exact_match' | 'loss';

/** One scored sequence: tokens, and the first position whose token is predicted and scored. */
export interface ExampleSequence {
  tokens: Int32Array;
  /** 1 ≤ scoreFrom < tokens.length: tokens[scoreFrom..] are predicted from what precedes them. */
  scoreFrom: number;
  /** 1-based line of the example in a JSONL file; the 1-based window number in a text file. */
  line: number;
}

/** A fine-tune's examples, tokenized. */
export interface ProbeExamples {
  file: string;
  metric: ProbeMetric;
  sequences: ExampleSequence[];
}

/** Options of loadExamples. */
export interface ExampleOptions {
  /** Tokens per window of a plain text file (default 128). */
  window?: number;
  /** The model's max_position_embeddings: no sequence may be longer. */
  maxPositions: number;
}

/** The default window of a plain text file, in tokens. */
export const DEFAULT_WINDOW = 128;

/**
 * Read a fine-tune's examples: a `.jsonl` file of {"prompt", "completion"} objects (prompt tokenized as
 * `tokenizer(prompt)` does, completion without special tokens, concatenated; exact match and loss over the
 * completion tokens), or any other file as plain text cut into windows of `window` tokens (loss over every
 * predicted token).
 */
export function loadExamples(file: string, tokenizer: ModelTokenizer, opts: ExampleOptions): ProbeExamples {
  if (!existsSync(file) || !statSync(file).isFile()) throw inputError(`${file}: no such examples file`);
  const text = readFileSync(file, 'utf8');
  if (text.trim() === '') throw inputError(`${file}: the examples file is empty; give prompt/completion pairs (JSONL) or text`);
  return file.toLowerCase().endsWith('.jsonl')
    ? jsonlExamples(file, text, tokenizer, opts.maxPositions)
    : textExamples(file, text, tokenizer, opts);
}

function jsonlExamples(file: string, text: string, tokenizer: ModelTokenizer, maxPositions: number): ProbeExamples {
  const sequences: ExampleSequence[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw inputError(`${file}:${line}: not a JSON object; each line must be {"prompt": "...", "completion": "..."}`);
    }
    const obj = value as { prompt?: unknown; completion?: unknown };
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      typeof obj.prompt !== 'string' ||
      typeof obj.completion !== 'string'
    ) {
      throw inputError(`${file}:${line}: expected {"prompt": "...", "completion": "..."} with two strings`);
    }
    const prompt = tokenizer.encode(obj.prompt);
    const completion = tokenizer.encodePlain(obj.completion);
    if (prompt.length === 0)
      throw inputError(`${file}:${line}: the prompt has no tokens (and the tokenizer adds no BOS); give each example a non-empty prompt`);
    if (completion.length === 0)
      throw inputError(`${file}:${line}: the completion has no tokens; give each example a non-empty completion`);
    const n = prompt.length + completion.length;
    if (n > maxPositions)
      throw inputError(
        `${file}:${line}: the example is ${n} tokens long, more than the model's max_position_embeddings (${maxPositions}); shorten it`,
      );
    sequences.push({ tokens: Int32Array.from([...prompt, ...completion]), scoreFrom: prompt.length, line });
  });
  if (sequences.length === 0) throw inputError(`${file}: no examples (only blank lines)`);
  return { file, metric: 'exact_match', sequences };
}

function textExamples(file: string, text: string, tokenizer: ModelTokenizer, opts: ExampleOptions): ProbeExamples {
  const window = opts.window ?? DEFAULT_WINDOW;
  if (!Number.isInteger(window) || window < 2) throw usageError(`--window: ${window} is not a window length (an integer ≥ 2)`);
  if (window > opts.maxPositions)
    throw usageError(
      `--window: ${window} tokens is more than the model's max_position_embeddings (${opts.maxPositions}); use at most ${opts.maxPositions}`,
    );
  const ids = tokenizer.encode(text);
  const sequences: ExampleSequence[] = [];
  for (let start = 0, k = 1; start < ids.length; start += window, k++) {
    const piece = ids.slice(start, start + window);
    if (piece.length < 2) break; // a lone trailing token predicts nothing
    sequences.push({ tokens: Int32Array.from(piece), scoreFrom: 1, line: k });
  }
  if (sequences.length === 0) throw inputError(`${file}: the text is shorter than two tokens; give at least a few sentences`);
  return { file, metric: 'loss', sequences };
}
