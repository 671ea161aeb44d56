import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { inputError } from '../errors.js';

/** A model's tokenizer, loaded offline from its dir, with Hugging Face's default special-token handling. */
export interface ModelTokenizer {
  /** The file it came from (named in errors). */
  readonly path: string;
  /** Token ids of `text` as Hugging Face's `tokenizer(text)` gives them (special tokens added as it adds them). */
  encode(text: string): number[];
  /** Token ids of `text` without any special token (used for completions, which continue a prompt). */
  encodePlain(text: string): number[];
}

// Tokenizer classes whose transformers implementation rebuilds the post-processor from add_bos_token /
// add_eos_token (LlamaTokenizerFast.update_post_processor); for the others the post-processor in tokenizer.json
// is what `tokenizer(text)` applies.
const BOS_EOS_CLASSES = new Set([
  'LlamaTokenizer',
  'LlamaTokenizerFast',
  'CodeLlamaTokenizer',
  'CodeLlamaTokenizerFast',
  'GemmaTokenizer',
  'GemmaTokenizerFast',
]);

function readJsonObject(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw inputError(
      `${path}: not valid JSON (${err instanceof Error ? err.message : String(err)}); restore the file from the model's repository`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw inputError(`${path}: expected a JSON object`);
  return value as Record<string, unknown>;
}

/** The content of a special-token entry of tokenizer_config.json (a string or an {content} object). */
function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

/** Load the tokenizer of a model dir from tokenizer.json (+ tokenizer_config.json when present); no network. */
export function loadTokenizer(modelDir: string): ModelTokenizer {
  const path = join(modelDir, 'tokenizer.json');
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw inputError(
      `${modelDir}: no tokenizer.json; copy the model's tokenizer.json (and tokenizer_config.json) from its Hugging Face repository into the dir`,
    );
  }
  const json = readJsonObject(path);
  const configPath = join(modelDir, 'tokenizer_config.json');
  const config = existsSync(configPath) ? readJsonObject(configPath) : {};
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (err) {
    throw inputError(`${path}: cannot build the tokenizer (${err instanceof Error ? err.message : String(err)})`);
  }
  const cls = typeof config.tokenizer_class === 'string' ? config.tokenizer_class : '';
  const fail = (text: string, err: unknown): never => {
    throw inputError(`${path}: cannot tokenize ${JSON.stringify(text.slice(0, 40))} (${err instanceof Error ? err.message : String(err)})`);
  };
  const plain = (text: string): number[] => {
    try {
      return tok.encode(text, { add_special_tokens: false }).ids;
    } catch (err) {
      return fail(text, err);
    }
  };
  let encode: (text: string) => number[];
  if (BOS_EOS_CLASSES.has(cls)) {
    const idOf = (key: string): number | undefined => {
      const content = tokenContent(config[key]);
      return content === undefined ? undefined : tok.token_to_id(content);
    };
    const addBos = config.add_bos_token === undefined ? true : config.add_bos_token === true;
    const addEos = config.add_eos_token === true;
    const bos = idOf('bos_token');
    const eos = idOf('eos_token');
    if (addBos && bos === undefined)
      throw inputError(`${configPath}: add_bos_token is set but bos_token is missing or not in the vocabulary`);
    if (addEos && eos === undefined)
      throw inputError(`${configPath}: add_eos_token is set but eos_token is missing or not in the vocabulary`);
    encode = (text) => [...(addBos ? [bos!] : []), ...plain(text), ...(addEos ? [eos!] : [])];
  } else {
    encode = (text) => {
      try {
        return tok.encode(text).ids;
      } catch (err) {
        return fail(text, err);
      }
    };
  }
  return { path, encode, encodePlain: plain };
}
