// Sparsifiers and combiners are units: each parameter a method takes is declared once, in its sparsifier's or
// combiner's file, and that one declaration is what the YAML validator accepts and range-checks, what
// `darekit merge --help` lists under the method, and what the model card names as a default; no file of merge/
// outside the units compares against their names.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMBINERS } from '../../src/merge/combiners/index.js';
import { parseMergeConfig, type MergeConfig } from '../../src/merge/config.js';
import { METHODS, methodHelp, methodParams, type MethodName } from '../../src/merge/methods.js';
import { modelCard } from '../../src/merge/model-card.js';
import type { ParamDecl } from '../../src/merge/param-decl.js';
import { SPARSIFIERS } from '../../src/merge/sparsifiers/index.js';
import { familyS, REPO_ROOT } from '../helpers/shared.js';

const S = familyS();
const NAMES = Object.keys(METHODS) as MethodName[];
const ONE_MODEL = new Set(['passthrough', 'nearswap', 'arcee_fusion']);

/** A value the declaration accepts. */
function valid(d: ParamDecl): unknown {
  if (d.default !== undefined) return d.default;
  if (d.kind === 'boolean') return false;
  if (d.kind === 'rescale') return 'none';
  if (!d.range) return 1;
  return d.range.max === undefined ? d.range.min + 0.5 : (d.range.min + d.range.max) / 2;
}

/** A value the declaration refuses (undefined when it takes any finite number). */
function invalid(d: ParamDecl): unknown {
  if (d.kind === 'boolean') return 'yes';
  if (d.kind === 'rescale') return 'sideways';
  if (d.kind === 'count') return 0.5;
  if (!d.range) return undefined;
  return d.range.max === undefined ? d.range.min - 1 : d.range.max + 1;
}

/** A config of the method setting each of its parameters to `value(d)` (model ones on every entry). */
function doc(method: MethodName, value: (d: ParamDecl) => unknown, only?: ParamDecl): Record<string, unknown> {
  const decls = methodParams(method).filter((d) => only === undefined || d.name === only.name);
  const modelParams = Object.fromEntries(decls.filter((d) => d.scope === 'model').map((d) => [d.name, value(d)]));
  const globals = Object.fromEntries(decls.filter((d) => d.scope === 'global').map((d) => [d.name, value(d)]));
  // what the method needs whatever is tested: a weight per model, slerp's and nearswap's t
  const needs = Object.fromEntries(
    methodParams(method)
      .filter((d) => (d.name === 'weight' || d.name === 't') && !(d.name in globals) && !(d.name in modelParams))
      .map((d) => [d.name, valid(d)]),
  );
  const models = (ONE_MODEL.has(METHODS[method].combine) ? ['sft-up'] : ['sft-up', 'sft-shift']).map((model) => ({
    model,
    parameters: modelParams,
  }));
  // a base_model that would join the models (linear, karcher) is left out: the models alone are merged
  const base = 'baseJoinsModels' in METHODS[method] ? {} : { base_model: 'base' };
  return { merge_method: method, ...base, models, parameters: { ...needs, ...globals } };
}

describe('each parameter is declared once and drives validation, help and the model card', () => {
  for (const method of NAMES) {
    it(`${method}: every parameter is accepted in its scope, range-checked, listed in --help and named in the card`, () => {
      const cfg = parseMergeConfig(doc(method, valid), { configDir: S });
      for (const d of methodParams(method)) {
        expect(
          cfg.notes.filter((n) => n.includes(`does not use "${d.name}"`)),
          `${method} ${d.name}`,
        ).toEqual([]);
        const bad = invalid(d);
        if (bad !== undefined) {
          const at = d.scope === 'model' ? `models[0].parameters.${d.name}` : `parameters.${d.name}`;
          expect(
            () =>
              parseMergeConfig(
                doc(method, () => bad, d),
                { configDir: S },
              ),
            `${method} ${d.name}`,
          ).toThrow(new RegExp(`^${at.replace(/[[\].]/g, '\\$&')}: `));
        }
      }
      // help: the method's line lists exactly its declarations, and each declaration's line names the method
      const help = methodHelp().split('\n');
      const line = help.find((l) => l.trimStart().startsWith(`${method} `))!;
      expect(line.trim().split(/\s+/).slice(1).join(' ')).toMatch(
        new RegExp(
          `^${
            methodParams(method)
              .map((d) => d.name)
              .join(', ') || '–'
          }:`,
        ),
      );
      for (const d of methodParams(method))
        expect(
          help.some((l) => l.trimStart().startsWith(`${d.name} (`) && new RegExp(`[[ ,](${method}|all)[\\],]`).test(l)),
          d.name,
        ).toBe(true);
      // card: a recipe that sets nothing names every default it merges with
      const bare: MergeConfig = { method, models: [{ spec: 'm', path: '/m', parameters: {} }], parameters: {}, seed: 0, notes: [] };
      const card = modelCard(bare, 'merge_method: x\n');
      for (const d of methodParams(method).filter((p) => p.default !== undefined))
        expect(card, `${method} ${d.name}`).toContain(`${d.name}=${String(d.default)}`);
    });
  }

  it('every sparsifier and every combiner serves some method, and each method names registered ones', () => {
    const rows = Object.values(METHODS);
    expect(new Set(rows.map((m) => m.sparsify))).toEqual(new Set(Object.keys(SPARSIFIERS)));
    expect(new Set(rows.map((m) => m.combine))).toEqual(new Set(Object.keys(COMBINERS)));
    for (const [name, u] of Object.entries(SPARSIFIERS)) expect(u.name).toBe(name);
    for (const [name, u] of Object.entries(COMBINERS)) expect(u.name).toBe(name);
  });

  it('no file of src/merge outside the registries compares against a sparsifier, combiner or method name', () => {
    const root = join(REPO_ROOT, 'src', 'merge');
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    // 'none' is also a rescale mode (param-decl.ts compares rescale words), so it is left out of the names
    const names = [...Object.keys(SPARSIFIERS), ...Object.keys(COMBINERS), ...NAMES].filter((n) => n !== 'none');
    const compare = new RegExp(`[!=]==?\\s*'(${names.join('|')})'|'(${names.join('|')})'\\s*[!=]==?`);
    const offending = files(root)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => relative(root, f))
      .filter((f) => !f.startsWith('sparsifiers/') && !f.startsWith('combiners/') && f !== 'methods.ts')
      .flatMap((f) =>
        readFileSync(join(root, f), 'utf8')
          .split('\n')
          .map((l, i) => ({ f, i, l }))
          .filter(({ l }) => compare.test(l))
          .map(({ f, i, l }) => `${f}:${i + 1}: ${l.trim()}`),
      );
    expect(offending).toEqual([]);
  });
});
