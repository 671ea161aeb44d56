/**
 * mergekit's `tokenizer_source: union | <model>` (tokenizer/build.py, tokenizer/embed.py): the output vocabulary,
 * each model's permutation into it, and where every embedding row comes from. Pure data from tokenizer.json and
 * config.json; the rows themselves are read through row views (src/io/tensor-bytes.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inputError } from '../errors.js';
import { readRegularFileText } from '../io/regular-file.js';

/** One added token as tokenizer.json stores it. */
export interface AddedToken {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

/** A model's vocabulary: token → id (model vocabulary and added tokens), ids below vocab_size only. */
export interface ModelVocab {
  /** The model dir it was read from. */
  dir: string;
  /** token → id, in id order. */
  ids: Map<string, number>;
  added: Map<string, AddedToken>;
  /** config.json vocab_size (else the vocabulary's size): rows of its embeddings that carry tokens. */
  vocabSize: number;
  /** The tokenizer.json as parsed (to write the output's). */
  json: Record<string, unknown>;
}

/** Where one output embedding row comes from for tokens a model lacks: the mean of these (model, row) pairs, zeros when empty. */
export type RowDefault = { model: number; row: number }[];

/** The output vocabulary and, per model, its permutation (output id → its row, −1 when it lacks the token). */
export interface VocabPlan {
  tokens: string[];
  /** The output tokenizer.json. */
  tokenizerJson: Record<string, unknown>;
  /** Per model (index in the list given to planVocab): output id → its row or −1. */
  perms: number[][];
  /** Per output id: the default row for models that lack the token (embed.py's assign_embedding_sources). */
  defaults: RowDefault[];
  /** Tokens added to the first vocabulary, in output id order (for the summary). */
  added: string[];
}

/** Where a configured token's embedding row comes from (mergekit's TokenEmbeddingConfig.source), models as participant indices. */
export type TokenSource =
  { kind: 'zero' } | { kind: 'model'; model: number } | { kind: 'model_token'; model: number; tokenId?: number; token?: string };

/** One entry of the tokenizer block's `tokens`: added to the vocabulary when missing; `force` overrides models that have it. */
export interface TokenConfig {
  token: string;
  source: TokenSource;
  force: boolean;
}

/** Read a model dir's tokenizer.json and config.json vocab_size; undefined when it has no tokenizer.json. */
export function readModelVocab(dir: string): ModelVocab | undefined {
  const file = join(dir, 'tokenizer.json');
  if (!existsSync(file)) return undefined;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readRegularFileText(file, 'tokenizer.json')) as Record<string, unknown>;
  } catch (err) {
    throw inputError(`${file}: not valid JSON (${(err as Error).message}); fix it or use tokenizer_source: base`);
  }
  const model = json.model as { type?: string; vocab?: unknown } | undefined;
  const ids = new Map<string, number>();
  const pairs: [string, number][] = [];
  if (model && model.vocab && typeof model.vocab === 'object' && !Array.isArray(model.vocab)) {
    for (const [t, id] of Object.entries(model.vocab as Record<string, unknown>)) if (typeof id === 'number') pairs.push([t, id]);
  } else if (model && Array.isArray(model.vocab)) {
    (model.vocab as unknown[]).forEach((e, i) => {
      if (Array.isArray(e) && typeof e[0] === 'string') pairs.push([e[0], i]);
    }); // Unigram: [piece, score]
  } else {
    throw inputError(`${file}: no model.vocab; darekit reads BPE, WordPiece, WordLevel and Unigram tokenizer.json files`);
  }
  const added = new Map<string, AddedToken>();
  for (const a of (json.added_tokens as AddedToken[] | undefined) ?? []) {
    if (typeof a?.content !== 'string' || typeof a.id !== 'number')
      throw inputError(`${file}: an added_tokens entry without content and id`);
    pairs.push([a.content, a.id]);
    added.set(a.content, a);
  }
  let vocabSize = pairs.length;
  const cfgFile = join(dir, 'config.json');
  if (existsSync(cfgFile)) {
    try {
      const v = (JSON.parse(readRegularFileText(cfgFile, 'config.json')) as { vocab_size?: unknown }).vocab_size;
      if (typeof v === 'number' && Number.isInteger(v) && v > 0) vocabSize = v;
    } catch {
      // an unreadable config.json is reported where the model is opened
    }
  }
  pairs.sort((a, b) => a[1] - b[1]);
  for (const [t, id] of pairs) if (id < vocabSize && !ids.has(t)) ids.set(t, id);
  return { dir, ids, added, vocabSize, json };
}

/**
 * The output vocabulary for `source` ('union', or the index of the model whose tokenizer is used) over models
 * [layout, ...others] (layout = base_model, else the first model). A model without tokenizer.json is taken to
 * share the layout model's (as mergekit assumes). Union: the layout model's vocabulary, then every other token in
 * model order and, within a model, id order (mergekit walks an unordered dict here), then added tokens not yet
 * present with their first-seen settings. Defaults per output id: the only model that has it, else zeros when none
 * has it, else base_model's row when it has it, else the mean of the rows of the models that have it.
 */
export function planVocab(
  vocabs: (ModelVocab | undefined)[],
  source: 'union' | number,
  baseIndex: number | undefined,
  tokenCfg: TokenConfig[] = [],
): VocabPlan {
  const layout = vocabs[0];
  if (!layout)
    throw inputError(
      `tokenizer_source: the first model (${baseIndex === 0 ? 'base_model' : 'models[0]'}) has no tokenizer.json, so there is no vocabulary to build on`,
    );
  const vs = vocabs.map((v) => v ?? layout);
  let tokens: string[];
  let tokenizerJson: Record<string, unknown>;
  const added: string[] = [];
  if (source === 'union') {
    const stripped = layout.ids.size !== Object.keys((layout.json.model as { vocab?: object }).vocab ?? {}).length + layout.added.size;
    if (stripped)
      throw inputError(
        `tokenizer_source: union: not supported yet: ${layout.dir}'s tokenizer has tokens at ids ≥ its vocab_size ${layout.vocabSize} (mergekit strips them, darekit does not rewrite the BPE merges)`,
      );
    tokens = [...layout.ids.keys()];
    // ids of the layout vocabulary must be 0..n−1 for the output to append after them
    if ([...layout.ids.values()].some((id, i) => id !== i))
      throw inputError(
        `tokenizer_source: union: not supported yet: ${layout.dir}'s token ids are not 0..${layout.ids.size - 1} without gaps`,
      );
    const have = new Set(tokens);
    // added tokens of any model (first-seen settings) are added last, as added tokens, even where another model has them as ordinary ones
    const newAdded = new Map<string, AddedToken>();
    for (const v of vs) for (const t of v.ids.keys()) if (v.added.has(t) && !newAdded.has(t)) newAdded.set(t, v.added.get(t)!);
    for (const v of vs) {
      for (const t of v.ids.keys()) {
        if (newAdded.has(t)) continue;
        if (!have.has(t)) {
          have.add(t);
          tokens.push(t);
          added.push(t);
        }
      }
    }
    const outAdded: AddedToken[] = [...((layout.json.added_tokens as AddedToken[] | undefined) ?? [])];
    // ordinary tokens from other vocabularies become added tokens of the output (transformers' add_tokens)
    for (const t of added)
      outAdded.push({
        id: tokens.indexOf(t),
        content: t,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: false,
      });
    for (const [t, a] of newAdded) {
      if (have.has(t)) continue;
      have.add(t);
      tokens.push(t);
      added.push(t);
      outAdded.push({ ...a, id: tokens.length - 1 });
    }
    tokenizerJson = { ...layout.json, added_tokens: outAdded };
  } else {
    const src = vocabs[source];
    if (!src) throw inputError(`tokenizer_source: that model has no tokenizer.json`);
    tokens = [];
    for (const [t, id] of src.ids) tokens[id] = t;
    if (tokens.length !== src.ids.size || tokens.some((t) => t === undefined))
      throw inputError(`tokenizer_source: ${src.dir}'s token ids are not 0..${src.ids.size - 1} without gaps; not supported yet`);
    tokenizerJson = src.json;
  }
  // tokenizer.tokens: tokens not in the vocabulary yet are added (transformers' add_tokens: ordinary added tokens)
  const extra = tokenCfg.filter((c) => !tokens.includes(c.token));
  if (extra.length > 0) {
    const outAdded = [...((tokenizerJson.added_tokens as AddedToken[] | undefined) ?? [])];
    for (const c of extra) {
      tokens.push(c.token);
      added.push(c.token);
      outAdded.push({
        id: tokens.length - 1,
        content: c.token,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: false,
      });
    }
    tokenizerJson = { ...tokenizerJson, added_tokens: outAdded };
  }
  const perms = vs.map((v) => tokens.map((t) => v.ids.get(t) ?? -1));
  const configured = new Map(tokenCfg.map((c) => [c.token, c]));
  const defaults: RowDefault[] = tokens.map((tok, id) => {
    const c = configured.get(tok);
    if (c) {
      // mergekit's compute_default_embedding
      if (c.source.kind === 'zero') return [];
      if (c.source.kind === 'model') {
        const row = perms[c.source.model]![id]!;
        if (row < 0)
          throw inputError(`tokenizer.tokens.${tok}: token ${JSON.stringify(tok)} is not in ${vs[c.source.model]!.dir}'s vocabulary`);
        return [{ model: c.source.model, row }];
      }
      const v = vs[c.source.model]!;
      const row = c.source.tokenId ?? v.ids.get(c.source.token!);
      if (row === undefined || row < 0 || row >= v.vocabSize)
        throw inputError(
          `tokenizer.tokens.${tok}: ${c.source.tokenId !== undefined ? `token_id ${c.source.tokenId} is out of range` : `token ${JSON.stringify(c.source.token)} is not in the vocabulary`} of ${v.dir}`,
        );
      return [{ model: c.source.model, row }];
    }
    const present = perms.map((p, m) => ({ model: m, row: p[id]! })).filter((x) => x.row >= 0);
    if (present.length <= 1) return present;
    if (baseIndex !== undefined && perms[baseIndex]![id]! >= 0) return [{ model: baseIndex, row: perms[baseIndex]![id]! }];
    return present;
  });
  // force: every model takes the configured row, even one that has the token
  for (const c of tokenCfg)
    if (c.force) {
      const id = tokens.indexOf(c.token);
      for (const p of perms) p[id] = -1;
    }
  return { tokens, tokenizerJson, perms, defaults, added };
}

/** True when model m's embedding rows need no permutation: the same token at the same row for every output id, and no more rows. */
export function isIdentity(plan: VocabPlan, m: number, rows: number): boolean {
  return rows === plan.tokens.length && plan.perms[m]!.every((r, id) => r === id);
}
