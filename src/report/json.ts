import { DEFINITIONS, type ReportData } from './data.js';

/** The report as a JSON-ready object: the data plus the unit/definition glossary; NaN becomes null. */
export function reportJson(data: ReportData): unknown {
  return JSON.parse(
    JSON.stringify({ ...data, definitions: DEFINITIONS }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)),
  );
}
