import { formatNumber } from './svg/xml.js';

/** A fraction as a number with 2 decimals ("0.30"), '–' for NaN. */
export function frac(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : '–';
}

/** A general number with 3 significant digits. */
export function num(v: number): string {
  return formatNumber(v, 3);
}
