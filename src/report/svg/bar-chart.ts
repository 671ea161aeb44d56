import { el, escapeXml, formatNumber } from './xml.js';
import { finiteExtent, linearScale, niceTicks, seriesColor } from './scale.js';
import { noData, seriesFrame, svgShell, xAxis, yAxis, type ChartSize } from './frame.js';

/** Grouped bars: one group per category, one bar per series; a non-finite value draws no bar and a "n/a" mark. */
export interface BarChartSpec extends ChartSize {
  title: string;
  yLabel: string;
  xLabel: string;
  categories: string[];
  series: { name: string; values: number[] }[];
}

/** Render a grouped bar chart (bars grow from 0) as a standalone <svg> string. */
export function barChart(spec: BarChartSpec): string {
  const { width, height, legendBlock, area } = seriesFrame(
    spec,
    spec.series.map((s) => s.name),
  );
  const ext = finiteExtent(spec.series.flatMap((s) => s.values));
  if (!ext || spec.categories.length === 0) return svgShell(spec.title, width, height, [noData(area, 'no finite values to plot')]);
  const ticks = niceTicks(Math.min(0, ext.min), Math.max(0, ext.max));
  const y = linearScale(ticks[0]!, ticks[ticks.length - 1]!, area.bottom, area.top);
  const groupW = (area.right - area.left) / spec.categories.length;
  const barW = (groupW * 0.8) / Math.max(1, spec.series.length);
  const body = [
    ...yAxis(ticks, y, area, spec.yLabel),
    ...xAxis(
      spec.categories.map((c, i) => ({ at: area.left + groupW * (i + 0.5), label: c })),
      area,
      spec.xLabel,
    ),
  ];
  spec.categories.forEach((cat, ci) => {
    spec.series.forEach((s, si) => {
      const v = s.values[ci] ?? NaN;
      const bx = area.left + groupW * ci + groupW * 0.1 + barW * si;
      if (!Number.isFinite(v)) {
        body.push(el('text', { x: bx + barW / 2, y: y(0) - 3, 'text-anchor': 'middle', fill: '#888', 'font-size': 9 }, 'n/a'));
        return;
      }
      const top = Math.min(y(v), y(0));
      body.push(
        el(
          'rect',
          { x: bx, y: top, width: Math.max(1, barW - 1), height: Math.max(0, Math.abs(y(v) - y(0))), fill: seriesColor(si) },
          el('title', {}, escapeXml(`${s.name} · ${cat}: ${formatNumber(v, 4)}`)),
        ),
      );
    });
  });
  body.push(...legendBlock.elements);
  return svgShell(spec.title, width, height, body);
}
