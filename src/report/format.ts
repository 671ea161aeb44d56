import { parse as parseYaml } from 'yaml';
import { resolve } from 'node:path';
import type { ReportData } from './data.js';
import { formatNumber } from './svg/xml.js';

/** A fraction as a number with 2 decimals ("0.30"), '–' for NaN. */
export function frac(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : '–';
}

/** A general number with 3 significant digits. */
export function num(v: number): string {
  return formatNumber(v, 3);
}

/**
 * When the recipe merges only some of the analysed fine-tunes (the demo tunes the SFT pair of four), a sentence
 * saying which are in it and which are not; null when it covers them all or its models cannot be read.
 */
export function recipeCoverage(data: Pick<ReportData, 'recipe' | 'models'>): string | null {
  if (!data.recipe) return null;
  let doc: unknown;
  try {
    doc = parseYaml(data.recipe);
  } catch {
    return null;
  }
  const entries = (doc as { models?: unknown } | null)?.models;
  if (!Array.isArray(entries)) return null;
  const paths = new Set(
    entries.flatMap((e) =>
      e && typeof e === 'object' && typeof (e as { model?: unknown }).model === 'string' ? [resolve((e as { model: string }).model)] : [],
    ),
  );
  const inside = data.models.filter((m) => paths.has(resolve(m.path))).map((m) => m.model);
  const outside = data.models.filter((m) => !paths.has(resolve(m.path))).map((m) => m.model);
  if (outside.length === 0 || inside.length === 0) return null;
  return `This recipe merges ${inside.length} of the ${data.models.length} analysed fine-tunes (${inside.join(', ')}); not in it: ${outside.join(', ')}. The set verdict above is for all ${data.models.length} analysed fine-tunes.`;
}

/** The probe table's header, for the Markdown and HTML reports. */
export const PROBE_HEADER = [
  'fine-tune',
  'metric',
  'examples',
  'drop rate p',
  'loss',
  'exact match',
  'retained',
  'bootstrap 95%',
  'seed range',
];

/** The probe table's rows, names escaped by the report format's own escaper. */
export function probeRows(probe: ReportData['probe'], escape: (s: string) => string): string[][] {
  return probe.map((r) => [
    escape(r.model),
    escape(r.metric),
    String(r.examples),
    frac(r.dropRate),
    num(r.loss),
    r.exactMatch === null ? '–' : frac(r.exactMatch),
    num(r.retained),
    `[${num(r.retainedLow)}, ${num(r.retainedHigh)}]`,
    `${num(r.retainedMin)}–${num(r.retainedMax)}`,
  ]);
}

/** The delta-statistics table's header (one row per fine-tune). */
export const DELTA_HEADER = ['fine-tune', 'ρ', 'mean |Δ|', 'max |Δ|', '‖Δ‖', 'share |Δ| ≤ 0.005', 'droppable share', 'entries'];

/** The delta-statistics table's rows, names escaped by the report format's own escaper. */
export function deltaRows(models: ReportData['models'], escape: (s: string) => string): string[][] {
  return models.map((m) => [
    escape(m.model),
    num(m.rho),
    num(m.meanAbsDelta),
    num(m.maxAbsDelta),
    num(m.deltaL2),
    frac(m.fracLe0005),
    frac(m.droppableShare),
    String(m.numel),
  ]);
}

/** The pairwise-interference table's header (one row per pair of fine-tunes). */
export const PAIR_HEADER = ['a', 'b', 'cosine', 'sign conflict', 'weighted conflict'];

/** The pairwise-interference table's rows, names escaped by the report format's own escaper. */
export function pairRows(pairs: ReportData['pairs'], escape: (s: string) => string): string[][] {
  return pairs.map((p) => [escape(p.a), escape(p.b), num(p.cosine), frac(p.signConflict), frac(p.weightedConflict)]);
}
