// Pure row operations behind the table: which rows (layers, or tensors matching the filter), in which order, and
// which window of them is on screen.
import type { DashModel, DashRow } from './model.js';

/** Columns the table can be sorted by (`s` cycles through them in this order). */
export const SORT_KEYS = ['depth', 'rho', 'meanAbsDelta', 'safeDropRate', 'predictedError'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** What each sort shows in the status line; the direction puts the riskiest rows first. */
export const SORT_LABELS: Record<SortKey, string> = {
  depth: 'depth',
  rho: 'ρ ↓',
  meanAbsDelta: 'mean|Δ| ↓',
  safeDropRate: 'safe p ↑',
  predictedError: 'err ↓',
};

/** The sort key after `key` (wrapping). */
export function nextSortKey(key: SortKey): SortKey {
  return SORT_KEYS[(SORT_KEYS.indexOf(key) + 1) % SORT_KEYS.length]!;
}

/** Rows to show: the model's layers, or (with a non-empty filter) its tensors whose name contains the filter, case-insensitively. */
export function selectRows(model: DashModel, filter: string): DashRow[] {
  const f = filter.trim().toLowerCase();
  if (f === '') return model.layers;
  return model.tensors.filter((t) => t.label.toLowerCase().includes(f));
}

function sortValue(r: DashRow, key: Exclude<SortKey, 'depth'>): number {
  const v = r[key];
  if (Number.isNaN(v)) return Infinity; // unknown values go last either way
  return key === 'safeDropRate' ? v : -v;
}

/** Rows ordered by key (stable: ties keep depth order; NaN last); 'depth' returns the input order. */
export function sortRows(rows: readonly DashRow[], key: SortKey): DashRow[] {
  if (key === 'depth') return rows.slice();
  const idx = rows.map((r, i) => ({ r, i, v: sortValue(r, key) }));
  idx.sort((x, y) => (x.v === y.v ? x.i - y.i : x.v < y.v ? -1 : 1));
  return idx.map((e) => e.r);
}

/** First visible row so that `selected` is on screen, moving the window as little as possible from `offset`. */
export function windowStart(offset: number, selected: number, visible: number, total: number): number {
  if (visible <= 0 || total <= visible) return 0;
  let o = Math.min(Math.max(0, offset), total - visible);
  if (selected < o) o = selected;
  else if (selected >= o + visible) o = selected - visible + 1;
  return Math.min(Math.max(0, o), total - visible);
}

/** selected moved by delta, clamped to [0, total). */
export function moveSelection(selected: number, delta: number, total: number): number {
  if (total === 0) return 0;
  return Math.min(total - 1, Math.max(0, selected + delta));
}
