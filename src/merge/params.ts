import { inputError } from '../errors.js';
import { parseTensorName } from '../io/tensor-names.js';

/** A leaf parameter value: a number (weight, density, λ, a rescale factor), a boolean or a word (rescale mode). */
export type ParamScalar = number | boolean | string;

/** A parameter as mergekit spells it: a scalar, a gradient (list interpolated across layers), or filter rules. */
export type ParamValue =
  | { kind: 'scalar'; value: ParamScalar }
  | { kind: 'gradient'; values: number[] }
  | { kind: 'filters'; rules: { filter: string | undefined; value: ParamValue }[] };

/** Where a tensor sits for gradient interpolation: t in [0, 1] across the layer stack. */
export function layerPosition(tensorName: string, numLayers: number): number {
  const role = parseTensorName(tensorName);
  if (role.layer === null) return role.module === 'embedding' ? 0 : 1; // before the stack: 0; after it (norm, lm_head): 1
  return numLayers <= 1 ? 0 : Math.min(1, role.layer / (numLayers - 1));
}

/** Linear interpolation of a gradient at t in [0, 1] (anchors evenly spaced, as numpy.interp over linspace). */
export function interpolateGradient(values: readonly number[], t: number): number {
  if (values.length === 1) return values[0]!;
  const x = t * (values.length - 1);
  const i = Math.min(values.length - 2, Math.floor(x));
  const f = x - i;
  return f === 0 ? values[i]! : values[i]! + (values[i + 1]! - values[i]!) * f;
}

/**
 * The value of a parameter for one tensor: filters match by substring of the tensor name, first match wins
 * (a rule without a filter matches everything); gradients interpolate by layer. undefined when no rule matches.
 */
export function resolveParam(p: ParamValue, tensorName: string, numLayers: number): ParamScalar | undefined {
  switch (p.kind) {
    case 'scalar':
      return p.value;
    case 'gradient':
      return interpolateGradient(p.values, layerPosition(tensorName, numLayers));
    case 'filters':
      for (const r of p.rules) {
        if (r.filter === undefined || tensorName.includes(r.filter)) return resolveParam(r.value, tensorName, numLayers);
      }
      return undefined;
  }
}

/** Every leaf of a parameter with its key path suffix (for validation before any tensor is read). */
export function paramLeaves(p: ParamValue, path: string): { path: string; value: ParamScalar }[] {
  switch (p.kind) {
    case 'scalar':
      return [{ path, value: p.value }];
    case 'gradient':
      return p.values.map((v, i) => ({ path: `${path}[${i}]`, value: v }));
    case 'filters':
      return p.rules.flatMap((r, i) => paramLeaves(r.value, `${path}[${i}].value`));
  }
}

/** Parse a YAML value into a ParamValue, or throw an input error naming the key path. */
export function parseParamValue(raw: unknown, path: string): ParamValue {
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'string') return { kind: 'scalar', value: raw };
  if (Array.isArray(raw)) {
    if (raw.length === 0) throw inputError(`${path}: an empty list; give a value, a gradient list of numbers, or a list of {filter, value}`);
    if (raw.every((v) => typeof v === 'number')) return { kind: 'gradient', values: raw as number[] };
    if (raw.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))) {
      const rules = raw.map((r: Record<string, unknown>, i) => {
        for (const k of Object.keys(r)) {
          if (k !== 'filter' && k !== 'value') throw inputError(`${path}[${i}].${k}: unknown key; a filter rule has only "filter" and "value"`);
        }
        if (!('value' in r)) throw inputError(`${path}[${i}]: a filter rule needs a "value"`);
        if (r.filter !== undefined && typeof r.filter !== 'string') throw inputError(`${path}[${i}].filter: must be a string (a substring of tensor names)`);
        const value = parseParamValue(r.value, `${path}[${i}].value`);
        if (value.kind === 'filters') throw inputError(`${path}[${i}].value: filter rules cannot nest`);
        return { filter: r.filter as string | undefined, value };
      });
      return { kind: 'filters', rules };
    }
    const bad = raw.findIndex((v) => typeof v !== 'number');
    throw inputError(`${path}[${bad}]: ${JSON.stringify(raw[bad])} is not a number; a gradient is a list of numbers`);
  }
  throw inputError(`${path}: ${raw === null ? 'null' : typeof raw} is not a valid parameter value (a number, a list of numbers, or a list of {filter, value})`);
}
