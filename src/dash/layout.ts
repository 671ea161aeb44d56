// Screen layout: how many lines each panel gets and how wide the table columns are, for a given terminal size.
import type { DashRow } from './model.js';
import { bar, fit, fmtNum, fmtShare, shortTensorName } from './format.js';

/** Terminal size in character cells. */
export interface Size {
  columns: number;
  rows: number;
}

/** The smallest size the layout is designed for (80×24); smaller terminals get the same layout, clipped. */
export const MIN_SIZE: Size = { columns: 80, rows: 24 };
/** From this width on, pairs and recipe move to a side panel next to the table. */
export const WIDE_COLUMNS = 120;
const SIDE_WIDTH = 46;

/** Where things go. */
export interface Layout {
  width: number;
  /** Width of the table (the whole width, or what the side panel leaves). */
  tableWidth: number;
  /** Side panel width; 0 when pairs and recipe are stacked below the table. */
  sideWidth: number;
  /** Table body rows on screen. */
  tableRows: number;
  /** Lines for pairs below the table in the stacked layout (0 in the wide one). */
  pairLines: number;
}

/**
 * Lines used besides the table body. Stacked: title, tabs, detail, sparkline, table header | pairs… | recipe,
 * command | status, help. Wide: the same without pairs and recipe (they sit beside the table), plus the run line.
 */
const FIXED_LINES = 7;

/**
 * Layout for a terminal of `size` showing a model with `pairCount` pairs (and `extraLines` more fixed lines). The whole frame is at most rows − 1
 * lines: a frame as tall as the terminal makes ink clear the screen on every redraw.
 */
export function computeLayout(size: Size, pairCount: number, extraLines = 0): Layout {
  const width = Math.max(40, size.columns);
  // extraLines: a run command too wide for `run: COMMAND` takes a second line (see RunLine)
  const budget = Math.max(12, size.rows - 1 - extraLines);
  if (width >= WIDE_COLUMNS) {
    const tableRows = Math.max(3, budget - FIXED_LINES - 1); // − the full-width run line under table and panel
    return { width, tableWidth: width - SIDE_WIDTH - 1, sideWidth: SIDE_WIDTH, tableRows, pairLines: 0 };
  }
  const pairLines = Math.max(1, Math.min(pairCount, 3));
  const tableRows = Math.max(3, budget - FIXED_LINES - 2 - pairLines);
  return { width, tableWidth: width, sideWidth: 0, tableRows, pairLines };
}

/** Column widths of the table. */
export interface TableColumns {
  label: number;
  bar: number;
}

const NUM = { rho: 8, mean: 8, safe: 4, err: 6 };
/** Marker (2) + separators + the numeric columns; the three bars and the label share the rest. */
const FIXED_TABLE = 2 + 1 + NUM.rho + 1 + 1 + NUM.mean + 1 + 1 + NUM.safe + 1 + 1 + NUM.err + 1;

/** Label and bar widths for a table `width` wide whose labels need up to `labelNeed` characters. */
export function tableColumns(width: number, labelNeed: number): TableColumns {
  const free = width - FIXED_TABLE;
  let barW = Math.min(16, Math.max(3, Math.floor((free - labelNeed) / 3)));
  let label = free - 3 * barW;
  if (label > labelNeed) label = Math.max(labelNeed, 6);
  if (label < 6) {
    label = 6;
    barW = Math.max(0, Math.floor((free - label) / 3));
  }
  return { label, bar: barW };
}

/** Maxima that scale the ρ and mean |Δ| bars (over all of a model's rows, so bars don't jump while scrolling). */
export interface BarScale {
  rho: number;
  meanAbsDelta: number;
}

/** Scale for the rows' bars. */
export function barScale(rows: readonly DashRow[]): BarScale {
  let rho = 0;
  let mean = 0;
  for (const r of rows) {
    if (Number.isFinite(r.rho) && r.rho > rho) rho = r.rho;
    if (Number.isFinite(r.meanAbsDelta) && r.meanAbsDelta > mean) mean = r.meanAbsDelta;
  }
  return { rho, meanAbsDelta: mean };
}

/** The table header line. */
export function headerLine(cols: TableColumns, tensorMode: boolean): string {
  return (
    '  ' +
    fit(tensorMode ? 'tensor' : 'layer', cols.label) +
    ' ' +
    'ρ'.padStart(NUM.rho) +
    ' ' +
    ' '.repeat(cols.bar) +
    ' ' +
    'mean|Δ|'.padStart(NUM.mean) +
    ' ' +
    ' '.repeat(cols.bar) +
    ' ' +
    'safe'.padStart(NUM.safe) +
    ' ' +
    fit('p', cols.bar) +
    ' ' +
    'err'.padStart(NUM.err)
  );
}

/** One table line for a row: risk marker, label, numbers with their bars. */
export function rowLine(r: DashRow, cols: TableColumns, scale: BarScale, tensorMode: boolean): string {
  const label = tensorMode ? shortTensorName(r.label) : r.label;
  return (
    (r.risky ? '! ' : '  ') +
    fit(label, cols.label) +
    ' ' +
    fmtNum(r.rho, NUM.rho) +
    ' ' +
    bar(scale.rho > 0 ? r.rho / scale.rho : 0, cols.bar) +
    ' ' +
    fmtNum(r.meanAbsDelta, NUM.mean) +
    ' ' +
    bar(scale.meanAbsDelta > 0 ? r.meanAbsDelta / scale.meanAbsDelta : 0, cols.bar) +
    ' ' +
    fmtShare(r.safeDropRate, NUM.safe) +
    ' ' +
    bar(r.safeDropRate, cols.bar) +
    ' ' +
    fmtNum(r.predictedError, NUM.err)
  );
}
