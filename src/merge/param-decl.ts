import { inputError } from '../errors.js';
import type { ParamScalar } from './params.js';

/** Where a parameter is given: per model entry (with a merge-wide default), or for the merge as a whole. */
export type ParamScope = 'model' | 'global';

/** The accepted interval of a numeric parameter; without `max`, a lower bound only. */
export interface ParamRange {
  min: number;
  max?: number;
  minOpen?: boolean;
  maxOpen?: boolean;
  /** Said after the refusal, in parentheses (e.g. what the ends mean). */
  note?: string;
}

/**
 * One parameter of a sparsifier or a combiner, declared once: its name as mergekit spells it, its scope, the
 * values it takes, its default and a one-line doc. YAML validation, defaults, `darekit merge --help` and the
 * README's parameter lists all read these declarations.
 */
export interface ParamDecl {
  name: string;
  scope: ParamScope;
  /** number (finite), count (an integer in the range), boolean, or a rescale mode. */
  kind: 'number' | 'count' | 'boolean' | 'rescale';
  range?: ParamRange;
  /** The value when neither the model entry nor any `parameters:` sets it (absent: required). */
  default?: number | boolean | string;
  doc: string;
}

/** A rescale mode: 1/density (inverse), mergekit's L1-norm match, none, or a fixed factor. */
export type RescaleMode = 'inverse' | 'l1' | 'none' | number;

/** A rescale leaf: inverse | l1 | none, mergekit's true (= l1) / false (= none), or a positive factor q. */
export function parseRescale(v: ParamScalar, path: string): RescaleMode {
  if (v === true || v === 'l1') return 'l1';
  if (v === false || v === 'none') return 'none';
  if (v === 'inverse') return 'inverse';
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  throw inputError(
    `${path}: ${JSON.stringify(v)} is not a rescale mode (inverse, l1, none, true = l1, false = none, or a positive factor)`,
  );
}

/** The range in words: `(0, 1]`, or `≥ 0`. */
export function describeRange(r: ParamRange): string {
  if (r.max === undefined) return `${r.minOpen ? '>' : '≥'} ${r.min}`;
  return `${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;
}

/** Check one leaf value against its declaration; a refusal is a one-line input error naming the path. */
export function checkParamLeaf(decl: ParamDecl, v: ParamScalar, path: string): void {
  if (decl.kind === 'boolean') {
    if (typeof v !== 'boolean') throw inputError(`${path}: ${JSON.stringify(v)} is not true or false`);
    return;
  }
  if (decl.kind === 'rescale') {
    parseRescale(v, path);
    return;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw inputError(`${path}: ${JSON.stringify(v)} is not a finite number`);
  const r = decl.range;
  if (decl.kind === 'count') {
    if (!Number.isInteger(v) || (r && (v < r.min || (r.max !== undefined && v > r.max))))
      throw inputError(`${path}: ${v} is not ${r?.note ?? 'a count'}${r ? ` (an integer from ${r.min} to ${r.max})` : ''}`);
    return;
  }
  if (!r) return;
  const below = r.minOpen ? !(v > r.min) : !(v >= r.min);
  const above = r.max !== undefined && (r.maxOpen ? !(v < r.max) : !(v <= r.max));
  if (!below && !above) return;
  const note = r.note ? ` (${r.note})` : '';
  if (r.max === undefined)
    throw inputError(`${path}: ${v} is ${r.min === 0 && !r.minOpen ? 'negative' : `not ${describeRange(r)}`}${note}`);
  throw inputError(`${path}: ${v} is outside ${describeRange(r)}${note}`);
}

/** The declaration named `name` in a list (undefined when the list does not declare it). */
export function findParam(decls: readonly ParamDecl[], name: string): ParamDecl | undefined {
  return decls.find((d) => d.name === name);
}

/** One line of a parameter listing: name, scope, values, default and doc (CLI help and the README). */
export function describeParamDecl(d: ParamDecl): string {
  const values =
    d.kind === 'boolean'
      ? 'true | false'
      : d.kind === 'rescale'
        ? 'inverse | l1 | none | factor'
        : d.range
          ? d.kind === 'count'
            ? `integer ${d.range.min}…${d.range.max}`
            : describeRange(d.range)
          : 'number';
  const dflt = d.default === undefined ? '' : `, default ${String(d.default)}`;
  return `${d.name} (${d.scope === 'model' ? 'per model' : 'merge-wide'}; ${values}${dflt}): ${d.doc}`;
}

/** A numeric parameter (any finite number when range is undefined). */
export function numberParam(
  name: string,
  scope: ParamScope,
  range: ParamRange | undefined,
  dflt: number | undefined,
  doc: string,
): ParamDecl {
  const d: ParamDecl = { name, scope, kind: 'number', doc };
  if (range) d.range = range;
  if (dflt !== undefined) d.default = dflt;
  return d;
}

/** A merge-wide true/false parameter. */
export function flagParam(name: string, dflt: boolean | undefined, doc: string): ParamDecl {
  return dflt === undefined
    ? { name, scope: 'global', kind: 'boolean', doc }
    : { name, scope: 'global', kind: 'boolean', default: dflt, doc };
}
