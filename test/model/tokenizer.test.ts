// Tokenization as Hugging Face's `tokenizer(text)` does it, offline from tokenizer.json, and the examples
// built from it. Family S's tokenizer is byte-level (token id = byte); the BOS cases add a special token to it.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExamples } from '../../src/model/examples.js';
import { loadTokenizer } from '../../src/model/tokenizer.js';
import { familyS } from '../helpers/shared.js';

const S = familyS();
const work = mkdtempSync(join(tmpdir(), 'darekit-tokenizer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bytes = (s: string): number[] => [...Buffer.from(s, 'utf8')];

/** A copy of S's tokenizer with "<s>" (id 256) as a special token, a BOS-adding post-processor, and this tokenizer_config. */
function withBos(name: string, config: Record<string, unknown>): string {
  const dir = join(work, name);
  cpSync(join(S, 'sft-up'), dir, { recursive: true });
  const tok = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown> & {
    model: { vocab: Record<string, number> };
  };
  tok.added_tokens = [{ id: 256, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
  tok.model.vocab['<s>'] = 256;
  tok.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<s>': { id: '<s>', ids: [256], tokens: ['<s>'] } },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tok));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

describe('loadTokenizer', () => {
  it('family S: byte-level ids, no special tokens (post_processor null), UTF-8 bytes for non-ASCII', () => {
    const t = loadTokenizer(join(S, 'sft-up'));
    expect(t.encode('\nup:héllo>')).toEqual(bytes('\nup:héllo>'));
    expect(t.encodePlain('KQQ\n')).toEqual(bytes('KQQ\n'));
  });

  it("applies tokenizer.json's post-processor (BOS) for tokenizer(text), never for completions", () => {
    const t = loadTokenizer(withBos('post', { tokenizer_class: 'PreTrainedTokenizerFast' }));
    expect(t.encode('ab')).toEqual([256, 97, 98]);
    expect(t.encodePlain('ab')).toEqual([97, 98]);
  });

  it('Llama tokenizer classes follow add_bos_token / add_eos_token, as LlamaTokenizerFast rebuilds its post-processor', () => {
    expect(
      loadTokenizer(withBos('llama-nobos', { tokenizer_class: 'LlamaTokenizerFast', bos_token: '<s>', add_bos_token: false })).encode('ab'),
    ).toEqual([97, 98]);
    expect(
      loadTokenizer(withBos('llama-bos', { tokenizer_class: 'LlamaTokenizerFast', bos_token: { content: '<s>' } })).encode('ab'),
    ).toEqual([256, 97, 98]);
  });

  it('a dir without tokenizer.json is an input error saying what to add', () => {
    const dir = join(work, 'none');
    cpSync(join(S, 'sft-up'), dir, { recursive: true });
    rmSync(join(dir, 'tokenizer.json'));
    expect(() => loadTokenizer(dir)).toThrow(/no tokenizer\.json; copy the model's tokenizer\.json \(and tokenizer_config\.json\)/);
  });
});

describe('loadExamples', () => {
  it('JSONL: prompt with special tokens, completion without, scored from the first completion token', () => {
    const f = join(work, 'ex.jsonl');
    writeFileSync(f, '{"prompt": "up:ab>", "completion": "AB\\n"}\n\n{"prompt": "up:c>", "completion": "C\\n"}\n');
    const ex = loadExamples(f, loadTokenizer(withBos('ex', { tokenizer_class: 'PreTrainedTokenizerFast' })), { maxPositions: 512 });
    expect(ex.metric).toBe('exact_match');
    expect(ex.sequences.map((s) => [Array.from(s.tokens), s.scoreFrom, s.line])).toEqual([
      [[256, ...bytes('up:ab>'), ...bytes('AB\n')], 7, 1],
      [[256, ...bytes('up:c>'), ...bytes('C\n')], 6, 3],
    ]);
  });

  it('text: windows of --window tokens, each scored from its second token; a lone last token is dropped', () => {
    const f = join(work, 'ex.txt');
    writeFileSync(f, 'abcdefghij');
    const ex = loadExamples(f, loadTokenizer(join(S, 'cpt-code')), { maxPositions: 512, window: 4 });
    expect(ex.metric).toBe('loss');
    expect(ex.sequences.map((s) => Array.from(s.tokens))).toEqual([bytes('abcd'), bytes('efgh'), bytes('ij')]);
    expect(ex.sequences.every((s) => s.scoreFrom === 1)).toBe(true);
    writeFileSync(f, 'abcdefghi');
    expect(loadExamples(f, loadTokenizer(join(S, 'cpt-code')), { maxPositions: 512, window: 4 }).sequences.length).toBe(2);
  });

  it('refuses a window longer than max_position_embeddings', () => {
    const f = join(work, 'w.txt');
    writeFileSync(f, 'abc');
    expect(() => loadExamples(f, loadTokenizer(join(S, 'cpt-code')), { maxPositions: 8, window: 16 })).toThrow(
      /--window: 16 tokens is more than the model's max_position_embeddings \(8\)/,
    );
  });
});
