import { el, escapeXml, formatNumber } from './xml.js';
import { finiteExtent, linearScale, logTicks, niceTicks, seriesColor } from './scale.js';
import { noData, seriesFrame, svgShell, xAxis, yAxis, type ChartSize } from './frame.js';

/** One line: points with a non-finite x or y break the line (they are not drawn, nor joined across). */
export interface LineSeries {
  name: string;
  points: { x: number; y: number }[];
}

/** A multi-series line chart with markers. */
export interface LineChartSpec extends ChartSize {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Include 0 in the y range (for quantities whose zero means something). */
  yIncludeZero?: boolean;
  /** Fix the y range (e.g. [0, 1] for rates); values outside are clamped to the frame. */
  yDomain?: [number, number];
  /** Label for x tick values (e.g. layer index → "L3"). */
  xTickLabel?: (x: number) => string;
  /** Logarithmic y axis (powers of ten); points with y ≤ 0 cannot be drawn and break the line like NaN. */
  logY?: boolean;
  /** Ring and label the point of the first series at this x (e.g. the best trial). */
  highlight?: { x: number; label: string };
}

/** Render a line chart as a standalone <svg> string. */
export function lineChart(spec: LineChartSpec): string {
  const { width, height, legendBlock, area } = seriesFrame(
    spec,
    spec.series.map((s) => s.name),
  );
  // On a log axis a non-positive y has no place: treat it as missing (it breaks the line).
  const series = spec.logY
    ? spec.series.map((s) => ({ ...s, points: s.points.map((p) => (p.y > 0 ? p : { x: p.x, y: NaN })) }))
    : spec.series;
  const xs = finiteExtent(series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.y)).map((p) => p.x)));
  const ysRaw = finiteExtent(series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x)).map((p) => p.y)));
  if (!xs || !ysRaw) return svgShell(spec.title, width, height, [noData(area, 'no finite values to plot')]);
  let ys = ysRaw;
  if (spec.yIncludeZero && !spec.logY) ys = { min: Math.min(0, ys.min), max: Math.max(0, ys.max) };
  const yt = spec.logY ? logTicks(ys.min, ys.max) : spec.yDomain ? niceTicks(spec.yDomain[0], spec.yDomain[1]) : niceTicks(ys.min, ys.max);
  const y0 = spec.yDomain && !spec.logY ? spec.yDomain[0] : yt[0]!;
  const y1 = spec.yDomain && !spec.logY ? spec.yDomain[1] : yt[yt.length - 1]!;
  const tY = (v: number) => (spec.logY ? Math.log10(v) : v);
  const yScale = linearScale(tY(y0), tY(y1), area.bottom, area.top);
  const y = (v: number) => Math.min(area.bottom, Math.max(area.top, yScale(tY(v))));
  const padX = xs.max === xs.min ? 0.5 : 0;
  const x = linearScale(xs.min - padX, xs.max + padX, area.left + 10, area.right - 10);
  const xTickValues = integerTicks(xs.min, xs.max) ?? niceTicks(xs.min, xs.max);
  const fmtX = spec.xTickLabel ?? ((v: number) => formatNumber(v));
  const body = [
    ...yAxis(
      yt.filter((t) => t >= y0 && t <= y1),
      y,
      area,
      spec.yLabel,
      spec.logY ? (v: number) => formatNumber(v, 1) : formatNumber,
    ),
    ...xAxis(
      xTickValues.filter((t) => t >= xs.min && t <= xs.max).map((t) => ({ at: x(t), label: fmtX(t) })),
      area,
      spec.xLabel,
    ),
  ];
  series.forEach((s, i) => {
    const color = seriesColor(i);
    for (const run of finiteRuns(s.points)) {
      if (run.length > 1) {
        const d = run.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
        body.push(el('path', { d, fill: 'none', stroke: color, 'stroke-width': 2 }));
      }
      for (const p of run) {
        body.push(
          el(
            'circle',
            { cx: x(p.x), cy: y(p.y), r: 3, fill: color },
            el('title', {}, escapeXml(`${s.name}: ${fmtX(p.x)} → ${formatNumber(p.y, 4)}`)),
          ),
        );
      }
    }
  });
  const best = spec.highlight && series[0]?.points.find((p) => p.x === spec.highlight!.x && Number.isFinite(p.y));
  if (spec.highlight && best) {
    const cx = x(best.x);
    const cy = y(best.y);
    body.push(el('circle', { cx, cy, r: 7, fill: 'none', stroke: '#cf222e', 'stroke-width': 2, class: 'highlight' }));
    const anchor = cx > (area.left + area.right) / 2 ? 'end' : 'start';
    body.push(
      el(
        'text',
        {
          x: cx + (anchor === 'end' ? -10 : 10),
          y: cy < area.top + 16 ? cy + 16 : cy - 10,
          'text-anchor': anchor,
          fill: '#cf222e',
          'font-weight': 'bold',
        },
        escapeXml(spec.highlight.label),
      ),
    );
  }
  body.push(...legendBlock.elements);
  return svgShell(spec.title, width, height, body);
}

/** Consecutive points with finite coordinates, sorted by x. */
function finiteRuns(points: { x: number; y: number }[]): { x: number; y: number }[][] {
  const runs: { x: number; y: number }[][] = [];
  let cur: { x: number; y: number }[] = [];
  for (const p of [...points].sort((a, b) => a.x - b.x)) {
    if (Number.isFinite(p.x) && Number.isFinite(p.y)) cur.push(p);
    else if (cur.length) {
      runs.push(cur);
      cur = [];
    }
  }
  if (cur.length) runs.push(cur);
  return runs;
}

/** Every integer in [min, max] when both are integers and there are few of them (layer indices). */
function integerTicks(min: number, max: number): number[] | null {
  if (!Number.isInteger(min) || !Number.isInteger(max) || max - min > 24) return null;
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}
