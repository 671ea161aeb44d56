import { stringify as stringifyYaml } from 'yaml';
import type { Expectation } from './oracle.js';
import type { Rng } from './rng.js';

/** One generated merge config text. */
export interface ConfigCase {
  kind: string;
  expect: Expectation;
  text: string;
}

type Yamlish = null | boolean | number | string | Yamlish[] | { [k: string]: Yamlish };

/** A random valid mergekit config over the given model dirs (first = base), as a plain object. */
function validConfig(rng: Rng, models: readonly string[]): { [k: string]: Yamlish } {
  const method = rng.pick(['task_arithmetic', 'ties', 'dare_ties', 'dare_linear', 'linear', 'breadcrumbs', 'breadcrumbs_ties']);
  const fts = models.slice(1).filter(() => rng.chance(0.7));
  if (fts.length === 0) fts.push(models[1]!);
  const entries = fts.map((m): Yamlish => {
    const parameters: { [k: string]: Yamlish } = { weight: rng.pick([1, 0.5, 0.3, [0, 0.5, 1]]) };
    if (method !== 'task_arithmetic' && method !== 'linear') parameters.density = rng.pick([0.1, 0.5, 0.9, 1, [0.2, 0.8]]);
    if (method.startsWith('breadcrumbs')) parameters.gamma = rng.pick([0.01, 0.1]);
    return { model: m, parameters };
  });
  const doc: { [k: string]: Yamlish } = { merge_method: method, models: entries };
  if (method !== 'linear' || rng.chance(0.2)) doc.base_model = models[0]!;
  if (rng.chance(0.5))
    doc.parameters = method === 'ties' ? { normalize: rng.chance(0.5) } : method === 'linear' ? { normalize: true } : { lambda: 1 };
  // linear averages a base_model in as one more model (mergekit), which then needs a default weight
  if (method === 'linear' && doc.base_model !== undefined)
    doc.parameters = { ...(doc.parameters as { [k: string]: Yamlish } | undefined), weight: 0.5 };
  if (rng.chance(0.3)) doc.seed = rng.int(1000);
  if (rng.chance(0.4)) doc.out_dtype = rng.pick(['float32', 'bfloat16', 'float16']);
  if (rng.chance(0.2)) doc.dtype = 'float32';
  return doc;
}

const WEIRD_VALUES: Yamlish[] = [
  null,
  true,
  false,
  0,
  -1,
  1e308,
  -1e308,
  2 ** 53 + 2,
  1.5,
  'x',
  '',
  '../../../etc/passwd',
  '/dev/zero',
  '__proto__',
  [],
  [1, 2, 3],
  {},
  { filter: 'mlp', value: 0.5 },
  [{ filter: 'self_attn', value: [0, 1] }, { value: 'x' }],
  'ties',
  'inverse',
  'l1',
];
const WEIRD_TEXT_VALUES = [
  '.nan',
  '.inf',
  '-.inf',
  '1e400',
  '0x10',
  '0o17',
  '1_000',
  '~',
  '!!binary aGVsbG8=',
  '!!python/object/apply:os.system ["echo pwned"]',
  '!!js/function "function(){}"',
  '*undefined_alias',
  '&a [*a]',
  '"\\u0000"',
  "'\\x1b[2J'",
];
const KEYS = [
  'merge_method',
  'base_model',
  'models',
  'parameters',
  'weight',
  'density',
  'gamma',
  'lambda',
  'normalize',
  'rescale',
  'int8_mask',
  'seed',
  'out_dtype',
  'dtype',
  'tokenizer_source',
  'model',
  'slices',
  'layer_range',
  'filter',
  'value',
  '__proto__',
  'constructor',
];

/** Every path to a node of a config object (empty path = the root). */
function nodePaths(v: Yamlish, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => nodePaths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) nodePaths(v[k]!, [...prefix, k], out);
  return out;
}

function parentOf(root: Yamlish, path: (string | number)[]): { parent: Yamlish; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let node = root;
  for (const k of path.slice(0, -1)) node = (node as Record<string | number, Yamlish>)[k]!;
  return { parent: node, key: path[path.length - 1]! };
}

function randomValue(rng: Rng, depth = 0): Yamlish {
  if (depth < 3 && rng.chance(0.15))
    return rng.chance(0.5) ? [randomValue(rng, depth + 1)] : { [rng.pick(KEYS)]: randomValue(rng, depth + 1) };
  return structuredClone(rng.pick(WEIRD_VALUES));
}

/** Structural mutations of the parsed config, then YAML text. */
function mutateTree(rng: Rng, doc: { [k: string]: Yamlish }): { kind: string; expect: Expectation } {
  const op = rng.chance(0.02) ? 'many-models' : rng.pick(['replace', 'replace', 'delete', 'insert-key', 'rename-key', 'duplicate-entry']);
  const paths = nodePaths(doc);
  const target = rng.pick(paths.slice(1));
  const at = parentOf(doc, target)!;
  const parent = at.parent as Record<string | number, Yamlish>;
  switch (op) {
    case 'replace':
      parent[at.key] = randomValue(rng);
      return { kind: `tree:replace:${target.join('.')}`, expect: 'either' };
    case 'delete':
      if (Array.isArray(parent)) parent.splice(at.key as number, 1);
      else delete parent[at.key];
      return { kind: 'tree:delete', expect: 'either' };
    case 'insert-key': {
      const key = rng.chance(0.5) ? rng.pick(KEYS) : `unknown_${rng.int(10)}`;
      const known = ['merge_method', 'base_model', 'models', 'parameters', 'dtype', 'out_dtype', 'tokenizer_source', 'seed'];
      const atRoot = rng.chance(0.4);
      const host = atRoot ? doc : Array.isArray(parent) || typeof parent !== 'object' || parent === null ? doc : parent;
      // defineProperty, so "__proto__" becomes a real key instead of replacing the prototype
      Object.defineProperty(host, key, { value: randomValue(rng), enumerable: true, writable: true, configurable: true });
      // an unknown top-level key must be refused, never silently ignored
      return { kind: 'tree:insert-key', expect: host === doc && !known.includes(key) ? 'invalid' : 'either' };
    }
    case 'rename-key': {
      if (Array.isArray(parent) || typeof at.key !== 'string') return { kind: 'tree:noop', expect: 'valid' };
      const v = parent[at.key]!;
      delete parent[at.key];
      parent[at.key + rng.pick(['_', 's', 'X'])] = v;
      // a misspelt parameter is ignored with a note, as mergekit ignores it; a misspelt structural key is refused
      return { kind: 'tree:rename-key', expect: target[target.length - 2] === 'parameters' ? 'either' : 'invalid' };
    }
    case 'duplicate-entry': {
      const models = doc.models as Yamlish[];
      models.push(structuredClone(models[rng.int(models.length)]!));
      return { kind: 'tree:duplicate-entry', expect: 'either' };
    }
    default: {
      const models = doc.models as Yamlish[];
      const n = rng.pick([50, 300]);
      for (let i = 0; i < n; i++) models.push(structuredClone(models[0]!));
      return { kind: `tree:many-models:${n}`, expect: 'either' };
    }
  }
}

/** Text mutations: YAML features a config must not be able to abuse, and raw damage. */
function mutateText(rng: Rng, text: string): { kind: string; text: string; expect: Expectation } {
  const op = rng.pick([
    'value',
    'truncate',
    'bitflip',
    'alias-bomb',
    'duplicate-key',
    'multi-doc',
    'deep',
    'long-line',
    'tab-indent',
    'merge-key',
  ]);
  const lines = text.split('\n');
  switch (op) {
    case 'value': {
      const i = rng.int(lines.length);
      lines[i] = lines[i]!.replace(/: .*$/, `: ${rng.pick(WEIRD_TEXT_VALUES)}`);
      return { kind: 'text:value', text: lines.join('\n'), expect: 'either' };
    }
    case 'truncate':
      return { kind: 'text:truncate', text: text.slice(0, rng.int(text.length)), expect: 'either' };
    case 'bitflip': {
      const chars = [...text];
      const i = rng.int(chars.length);
      chars[i] = String.fromCharCode(chars[i]!.charCodeAt(0) ^ (1 << rng.int(7)));
      return { kind: 'text:bitflip', text: chars.join(''), expect: 'either' };
    }
    case 'alias-bomb': {
      // "billion laughs": 9 levels of 9 aliases expand to 9^9 nodes if a parser expands them eagerly
      let bomb = 'a0: &a0 ["lol"]\n';
      for (let k = 1; k <= 9; k++)
        bomb += `a${k}: &a${k} [${Array(9)
          .fill(`*a${k - 1}`)
          .join(',')}]\n`;
      return { kind: 'text:alias-bomb', text: bomb + text, expect: 'invalid' };
    }
    case 'duplicate-key':
      return { kind: 'text:duplicate-key', text: text + `\nmerge_method: ${rng.pick(['ties', 'linear'])}\n`, expect: 'invalid' };
    case 'multi-doc':
      return { kind: 'text:multi-doc', text: text + '\n---\n' + text, expect: 'either' };
    case 'deep': {
      const d = rng.pick([50, 1000, 20_000]);
      return { kind: `text:deep:${d}`, text: text + `\nparameters: ${'['.repeat(d)}${']'.repeat(d)}\n`, expect: 'invalid' };
    }
    case 'long-line':
      return {
        kind: 'text:long-line',
        text: text.replace(/model: (\S+)/, (_m, p: string) => `model: ${p}${'/.'.repeat(rng.pick([1000, 100_000]))}`),
        expect: 'either',
      };
    case 'tab-indent':
      return { kind: 'text:tab-indent', text: text.replace(/\n {2}/g, '\n\t'), expect: 'either' };
    default:
      return {
        kind: 'text:merge-key',
        text: `defaults: &d {weight: 1}\n` + text.replace(/parameters:\n/, 'parameters:\n      <<: *d\n'),
        expect: 'either',
      };
  }
}

/** Generate one merge config case over model dirs `models` (the first is used as base). */
export function generateConfigCase(rng: Rng, models: readonly string[]): ConfigCase {
  const doc = validConfig(rng, models);
  const r = rng.int(10);
  if (r < 2) return { kind: 'valid', expect: 'valid', text: stringifyYaml(doc) };
  if (r < 7) {
    const m = mutateTree(rng, doc);
    return { ...m, kind: m.kind.replace(/\.\d+/g, '.N'), text: stringifyYaml(doc, { aliasDuplicateObjects: false }) };
  }
  return mutateText(rng, stringifyYaml(doc, { aliasDuplicateObjects: false }));
}
