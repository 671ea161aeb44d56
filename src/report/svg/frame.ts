import { el, escapeXml, formatNumber } from './xml.js';
import { seriesColor } from './scale.js';

/** Plot area inside the svg, in pixels. */
export interface PlotArea {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Sizes every chart shares. */
export interface ChartSize {
  width?: number;
  height?: number;
}

/** Default chart size in CSS pixels. */
export const DEFAULT_SIZE = { width: 640, height: 300 };

/** The outer <svg> with a <title> (read by screen readers and shown as a tooltip) and a visible heading. */
export function svgShell(title: string, width: number, height: number, body: string[]): string {
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': title,
      'font-family': 'system-ui, sans-serif',
      'font-size': 11,
    },
    el('title', {}, escapeXml(title)),
    el('text', { x: 8, y: 16, 'font-size': 13, 'font-weight': 'bold' }, escapeXml(title)),
    ...body,
  );
}

/** Horizontal grid lines with value labels on the left. */
export function yAxis(ticks: number[], y: (v: number) => number, area: PlotArea, label: string, fmt = formatNumber): string[] {
  const out: string[] = [];
  for (const t of ticks) {
    const py = y(t);
    out.push(el('line', { x1: area.left, x2: area.right, y1: py, y2: py, stroke: '#ddd' }));
    out.push(el('text', { x: area.left - 4, y: py + 3, 'text-anchor': 'end', fill: '#444' }, escapeXml(fmt(t))));
  }
  const cy = (area.top + area.bottom) / 2;
  out.push(
    el('text', { x: 12, y: cy, transform: `rotate(-90 12 ${Math.round(cy)})`, 'text-anchor': 'middle', fill: '#444' }, escapeXml(label)),
  );
  return out;
}

/** Tick marks and labels under the plot, plus the axis title. */
export function xAxis(ticks: { at: number; label: string }[], area: PlotArea, label: string): string[] {
  const out = [el('line', { x1: area.left, x2: area.right, y1: area.bottom, y2: area.bottom, stroke: '#888' })];
  for (const t of ticks) {
    out.push(el('line', { x1: t.at, x2: t.at, y1: area.bottom, y2: area.bottom + 4, stroke: '#888' }));
    out.push(el('text', { x: t.at, y: area.bottom + 15, 'text-anchor': 'middle', fill: '#444' }, escapeXml(t.label)));
  }
  out.push(el('text', { x: (area.left + area.right) / 2, y: area.bottom + 30, 'text-anchor': 'middle', fill: '#444' }, escapeXml(label)));
  return out;
}

/** The layout of a chart with a series legend above its plot: its size, the legend and the plot area below it. */
export interface SeriesFrame {
  width: number;
  height: number;
  legendBlock: LegendLayout;
  area: PlotArea;
}

/** The frame of a series chart (bar chart, histogram, line chart): default size, legend above, axes' margins. */
export function seriesFrame(size: ChartSize, names: string[]): SeriesFrame {
  const width = size.width ?? DEFAULT_SIZE.width;
  const height = size.height ?? DEFAULT_SIZE.height;
  const legendBlock = legendAbove(names, width);
  return { width, height, legendBlock, area: { left: 60, top: 34 + legendBlock.height, right: width - 16, bottom: height - 40 } };
}

/** A legend laid out above the plot: its height in pixels and its elements. */
export interface LegendLayout {
  height: number;
  elements: string[];
}

/**
 * The series legend as rows of (swatch + name) between the title and the plot, wrapping at the chart width, so it
 * never covers data. A single series needs no legend (the title and axis say what it is).
 */
export function legendAbove(names: string[], width: number, top = 24): LegendLayout {
  if (names.length < 2) return { height: 0, elements: [] };
  const elements: string[] = [];
  let x = 60;
  let row = 0;
  for (const [i, name] of names.entries()) {
    const w = 10 + 4 + Math.ceil(6.5 * Array.from(name).length) + 14;
    if (x + w > width - 8 && x > 60) {
      x = 60;
      row++;
    }
    const y = top + row * 14;
    elements.push(
      el(
        'g',
        { class: 'legend' },
        el('rect', { x, y, width: 10, height: 10, fill: seriesColor(i) }),
        el('text', { x: x + 14, y: y + 9, fill: '#222' }, escapeXml(name)),
      ),
    );
    x += w;
  }
  return { height: (row + 1) * 14 + 4, elements };
}

/** A centred "no data" note, so an empty chart still says why it is empty. */
export function noData(area: PlotArea, why: string): string {
  return el(
    'text',
    { x: (area.left + area.right) / 2, y: (area.top + area.bottom) / 2, 'text-anchor': 'middle', fill: '#888' },
    escapeXml(why),
  );
}
