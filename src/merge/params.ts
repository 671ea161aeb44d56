import { inputError } from '../errors.js';
import { parseTensorName } from '../io/tensor-names.js';

/** A leaf parameter value: a number (weight, density, λ, a rescale factor), a boolean or a word (rescale mode). */
export type ParamScalar = number | boolean | string;

/** A parameter as mergekit spells it: a scalar, a gradient (list interpolated across layers), or filter rules. */
export type ParamValue =
  | { kind: 'scalar'; value: ParamScalar }
  | { kind: 'gradient'; values: number[] }
  | { kind: 'filters'; rules: { filter: string | undefined; value: ParamValue }[] };

/**
 * Where a tensor sits for gradient interpolation, as current mergekit (plan.py) computes it for a `models:` merge:
 * layer i of L at i/(L − 1) (1 when L = 1); every tensor outside the layer stack — embeddings, and also the final
 * norm and lm_head — at 0. (mergekit < 0.1.0 and darekit before put norm and lm_head at 1.)
 */
export function layerPosition(tensorName: string, numLayers: number): number {
  const role = parseTensorName(tensorName);
  if (role.layer === null) return 0;
  return numLayers <= 1 ? 1 : Math.min(1, role.layer / (numLayers - 1));
}

/** A gradient at t in [0, 1], as mergekit's evaluate_setting: i0 = ⌊t·(n−1)⌋, (1 − f)·v[i0] + f·v[min(n−1, i0+1)]. */
export function interpolateGradient(values: readonly number[], t: number): number {
  const scaled = t * (values.length - 1);
  const i0 = Math.trunc(scaled);
  const i1 = Math.min(values.length - 1, i0 + 1);
  const frac = scaled - i0;
  return (1 - frac) * values[i0]! + frac * values[i1]!;
}

/** True when a `{filter, value}` rule applies to a tensor: no filter, mergekit's match-all "*", or a substring of the name. */
export function filterMatches(filter: string | undefined, tensorName: string): boolean {
  return filter === undefined || filter === '*' || tensorName.includes(filter);
}

/**
 * The value of a parameter for one tensor at gradient position t: filters match by substring of the tensor name
 * (`*` and a rule without a filter match everything), first match wins; gradients interpolate at t. undefined when
 * no rule matches.
 */
export function resolveParamAt(p: ParamValue, tensorName: string, t: number): ParamScalar | undefined {
  switch (p.kind) {
    case 'scalar':
      return p.value;
    case 'gradient':
      return interpolateGradient(p.values, t);
    case 'filters':
      for (const r of p.rules) {
        if (filterMatches(r.filter, tensorName)) return resolveParamAt(r.value, tensorName, t);
      }
      return undefined;
  }
}

/** resolveParam at the tensor's position in a stack of numLayers layers (the `models:` form). */
export function resolveParam(p: ParamValue, tensorName: string, numLayers: number): ParamScalar | undefined {
  return resolveParamAt(p, tensorName, layerPosition(tensorName, numLayers));
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
    if (raw.length === 0)
      throw inputError(`${path}: an empty list; give a value, a gradient list of numbers, or a list of {filter, value}`);
    if (raw.every((v) => typeof v === 'number')) return { kind: 'gradient', values: raw as number[] };
    if (raw.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v))) {
      const rules = raw.map((r: Record<string, unknown>, i) => {
        for (const k of Object.keys(r)) {
          if (k !== 'filter' && k !== 'value')
            throw inputError(`${path}[${i}].${k}: unknown key; a filter rule has only "filter" and "value"`);
        }
        if (!('value' in r)) throw inputError(`${path}[${i}]: a filter rule needs a "value"`);
        if (r.filter !== undefined && typeof r.filter !== 'string')
          throw inputError(`${path}[${i}].filter: must be a string (a substring of tensor names)`);
        const value = parseParamValue(r.value, `${path}[${i}].value`);
        if (value.kind === 'filters') throw inputError(`${path}[${i}].value: filter rules cannot nest`);
        return { filter: r.filter as string | undefined, value };
      });
      return { kind: 'filters', rules };
    }
    const bad = raw.findIndex((v) => typeof v !== 'number');
    throw inputError(`${path}[${bad}]: ${JSON.stringify(raw[bad])} is not a number; a gradient is a list of numbers`);
  }
  throw inputError(
    `${path}: ${raw === null ? 'null' : typeof raw} is not a valid parameter value (a number, a list of numbers, or a list of {filter, value})`,
  );
}
