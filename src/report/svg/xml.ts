import { escapeMarkup } from '../../text/safe-text.js';

/** Escape text for XML/HTML text nodes and quoted attribute values (controls, bidi and line breaks as \uXXXX). */
export function escapeXml(s: string): string {
  return escapeMarkup(s);
}

/** Attribute values: strings are escaped, numbers rounded to 2 decimals; undefined attributes are left out. */
export type Attrs = Record<string, string | number | undefined>;

/** Serialize one element; children are already-serialized markup (use escapeXml for text). */
export function el(tag: string, attrs: Attrs, ...children: string[]): string {
  let open = `<${tag}`;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    open += ` ${name}="${typeof value === 'number' ? coord(value, name) : escapeXml(value)}"`;
  }
  return children.length === 0 ? `${open}/>` : `${open}>${children.join('')}</${tag}>`;
}

/** A coordinate for an attribute: at most 2 decimals, no "-0"; a non-finite one is a bug in the caller. */
export function coord(v: number, what = 'coordinate'): string {
  // Charts drop non-finite data before layout, so a NaN here would silently corrupt the drawing.
  if (!Number.isFinite(v)) throw new Error(`svg: non-finite ${what} (${v})`);
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** A number for people: `digits` significant digits, compact exponent for very small/large magnitudes, '–' for NaN. */
export function formatNumber(v: number, digits = 3): string {
  if (Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(0, digits - 1)).replace('e+', 'e');
  return String(Number(v.toPrecision(digits)));
}
