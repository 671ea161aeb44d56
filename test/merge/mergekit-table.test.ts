// The README's mergekit compatibility tables against what the config parser does: every mergekit method and
// YAML key is listed, each "refused" row is refused with "not supported yet", every other row is accepted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMergeConfig } from '../../src/merge/config.js';
import { isMethodName, REFUSED_METHODS } from '../../src/merge/methods.js';
import { merge } from '../../src/merge/executor.js';
import { familyS, REPO_ROOT } from '../helpers/shared.js';

const S = familyS();
const tmp = mkdtempSync(join(tmpdir(), 'darekit-mktable-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// mergekit 0.1.4 (a6e40288): merge_methods/registry.py plus the @merge_method ones (multislerp, nearswap, ram, sce)
const MERGEKIT_METHODS = [
  'linear',
  'slerp',
  'nuslerp',
  'passthrough',
  'model_stock',
  'arcee_fusion',
  'karcher',
  'task_arithmetic',
  'ties',
  'dare_ties',
  'dare_linear',
  'breadcrumbs',
  'breadcrumbs_ties',
  'della',
  'della_linear',
  'multislerp',
  'nearswap',
  'ram',
  'ramplus_tl',
  'sce',
];
// MergeConfiguration, OutputSliceDefinition and InputSliceDefinition fields
const MERGEKIT_KEYS = [
  'merge_method',
  'base_model',
  'models',
  'slices',
  'modules',
  'parameters',
  'dtype',
  'out_dtype',
  'tokenizer_source',
  'tokenizer',
  'chat_template',
  'layer_range',
  'sources',
  'residual_weight',
];

function section(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  return readme.slice(readme.indexOf('### mergekit compatibility'), readme.indexOf('<!-- /section:merge -->'));
}

/** Rows of the table that follows a bold heading: [first cell, last cell]. */
function table(heading: string): [string, string][] {
  const s = section();
  const at = s.indexOf(`**${heading}**`);
  expect(at, heading).toBeGreaterThanOrEqual(0);
  const lines = s
    .slice(at)
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  const rows: [string, string][] = [];
  for (const l of lines.slice(2)) {
    if (!l.startsWith('|')) break;
    const cells = l.split(' | ').map((c) => c.replace(/^\|\s*|\s*\|$/g, ''));
    rows.push([cells[0]!, cells[cells.length - 1]!]);
  }
  return rows;
}

const names = (cell: string): string[] => [...cell.matchAll(/`([a-z_.[\]]+)/g)].map((m) => m[1]!.replace(/^slices\[\]\./, ''));

describe('README: mergekit compatibility tables', () => {
  it('names the mergekit version it was checked against', () => {
    expect(section()).toMatch(/mergekit \*\*0\.1\.4\*\*, commit `a6e40288`/);
  });

  it('lists every mergekit method once, and its status is what the parser does', async () => {
    const rows = table('Methods');
    const seen = new Map<string, string>();
    for (const [cell, status] of rows) for (const m of names(cell)) seen.set(m, status);
    expect([...seen.keys()].sort()).toEqual([...MERGEKIT_METHODS].sort());
    for (const [m, status] of seen) {
      const doc = `merge_method: ${m}\nbase_model: base\nmodels:\n  - {model: sft-up, parameters: {weight: 1}}\n  - {model: sft-shift, parameters: {weight: 1}}\nparameters: {t: 0.5}\n`;
      if (status.startsWith('refused')) {
        expect(isMethodName(m), m).toBe(false);
        expect(REFUSED_METHODS[m], m).toBeDefined();
        expect(() => parseMergeConfig(doc, { configDir: S }), m).toThrow(new RegExp(`^merge_method: ${m} is not supported yet: `));
      } else {
        expect(isMethodName(m), m).toBe(true);
      }
    }
  });

  it('lists every mergekit YAML key; refused keys are refused with "not supported yet"', () => {
    const rows = table('YAML keys');
    const listed = new Set(rows.flatMap(([cell]) => names(cell)));
    for (const k of MERGEKIT_KEYS) expect(listed.has(k), k).toBe(true);
    const ok = 'merge_method: ties\nbase_model: base\nmodels:\n  - {model: sft-up, parameters: {weight: 1, density: 0.5}}\n';
    const refusedDocs: Record<string, string> = {
      modules:
        'merge_method: ties\nbase_model: base\nmodules:\n  text: {models: [{model: sft-up}]}\n  vision: {models: [{model: sft-up}]}\n',
      'tokenizer.pad_to_multiple_of': `${ok}tokenizer: {source: union, pad_to_multiple_of: 64}\n`,
      'tokenizer_source with slices':
        'merge_method: passthrough\nslices:\n  - sources: [{model: base, layer_range: [0, 1]}]\ntokenizer_source: union\n',
    };
    for (const [what, doc] of Object.entries(refusedDocs))
      expect(() => parseMergeConfig(doc, { configDir: S }), what).toThrow(/not supported yet/);
    const refusedRows = rows.filter(([, st]) => st.startsWith('refused')).flatMap(([c]) => names(c));
    expect(refusedRows.sort()).toEqual(['tokenizer.pad_to_multiple_of']);
    for (const accepted of [`${ok}tokenizer_source: union\n`, `${ok}tokenizer: {source: union}\n`, `${ok}tokenizer_source: sft-up\n`])
      expect(() => parseMergeConfig(accepted, { configDir: S })).not.toThrow();
  });

  it('every documented difference that prints a note does print it', async () => {
    const out = join(tmp, 'notes');
    const cfg = parseMergeConfig(
      `merge_method: dare_ties\nbase_model: base\nmodels:\n  - {model: sft-up, parameters: {weight: 1, density: 0.5, gamma: 0.1}}\ndtype: bfloat16\nchat_template: "{% for m in messages %}{{ m.content }}{% endfor %}"\n`,
      { configDir: S },
    );
    const s = await merge(cfg, { out, threads: 1, progress: false });
    const notes = s.notes.join('\n');
    expect(notes).toMatch(/rescale: inverse/);
    expect(notes).toMatch(/dtype: bfloat16 is the output dtype/);
    expect(notes).toMatch(/does not use "gamma"/);
    expect(notes).toMatch(/chat_template: written/);
    const tc = JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect(tc.chat_template).toBe('{% for m in messages %}{{ m.content }}{% endfor %}');
    const baseTc = JSON.parse(readFileSync(join(S, 'base', 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect({ ...tc, chat_template: undefined }).toEqual({ ...baseTc, chat_template: undefined });
    expect(() =>
      parseMergeConfig(
        `merge_method: ties\nbase_model: base\nmodels: [{model: sft-up, parameters: {weight: 1}}]\nchat_template: chatml\n`,
        { configDir: S },
      ),
    ).toThrow(/bundled template names/);
    expect(() =>
      parseMergeConfig(`merge_method: ties\nbase_model: base\nmodels: [{model: sft-up, parameters: {weight: 1}}]\nmerge_methd: ties\n`, {
        configDir: S,
      }),
    ).toThrow(/did you mean merge_method/);
  });
});
