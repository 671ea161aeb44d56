import { el, escapeXml, formatNumber } from './xml.js';
import { finiteExtent, linearScale, logTicks, niceTicks, seriesColor } from './scale.js';
import { noData, seriesFrame, svgShell, xAxis, yAxis, type ChartSize } from './frame.js';

/** One bin [lo, hi) with its count. */
export interface HistogramBin {
  lo: number;
  hi: number;
  count: number;
}

/** Overlaid histograms drawn as step outlines of the share of entries per bin (so series of any size compare). */
export interface HistogramSpec extends ChartSize {
  title: string;
  xLabel: string;
  series: { name: string; bins: HistogramBin[] }[];
  /** Logarithmic x axis (bins must have lo > 0 to be drawn). */
  logX?: boolean;
}

/** Render overlaid histograms as a standalone <svg> string; bins with non-finite or (log) non-positive edges are skipped. */
export function histogram(spec: HistogramSpec): string {
  const { width, height, legendBlock, area } = seriesFrame(
    spec,
    spec.series.map((s) => s.name),
  );
  const usable = (b: HistogramBin) =>
    Number.isFinite(b.lo) && Number.isFinite(b.hi) && b.hi > b.lo && Number.isFinite(b.count) && b.count >= 0 && (!spec.logX || b.lo > 0);
  const series = spec.series.map((s) => {
    const bins = s.bins.filter(usable).sort((a, b) => a.lo - b.lo);
    const total = bins.reduce((acc, b) => acc + b.count, 0);
    return { name: s.name, bins: bins.map((b) => ({ ...b, share: total > 0 ? b.count / total : 0 })) };
  });
  const xs = finiteExtent(series.flatMap((s) => s.bins.filter((b) => b.count > 0).flatMap((b) => [b.lo, b.hi])));
  const maxShare = Math.max(0, ...series.flatMap((s) => s.bins.map((b) => b.share)));
  if (!xs || maxShare === 0) return svgShell(spec.title, width, height, [noData(area, 'no entries to plot')]);
  const tx = spec.logX ? Math.log10 : (v: number) => v;
  const x = linearScale(tx(xs.min), tx(xs.max), area.left, area.right);
  const X = (v: number) => x(tx(Math.min(xs.max, Math.max(xs.min, v))));
  const yt = niceTicks(0, maxShare);
  const y = linearScale(0, yt[yt.length - 1]!, area.bottom, area.top);
  const xt = spec.logX
    ? logTicks(xs.min, xs.max)
        .filter((t) => t >= xs.min && t <= xs.max)
        .map((t) => ({ at: X(t), label: formatNumber(t, 1) }))
    : niceTicks(xs.min, xs.max)
        .filter((t) => t >= xs.min && t <= xs.max)
        .map((t) => ({ at: X(t), label: formatNumber(t) }));
  const body = [...yAxis(yt, y, area, 'share of entries'), ...xAxis(xt, area, spec.xLabel)];
  series.forEach((s, i) => {
    const visible = s.bins.filter((b) => b.hi > xs.min && b.lo < xs.max);
    if (visible.length === 0) return;
    let d = `M${X(visible[0]!.lo).toFixed(1)},${y(0).toFixed(1)}`;
    for (const b of visible) d += ` L${X(b.lo).toFixed(1)},${y(b.share).toFixed(1)} L${X(b.hi).toFixed(1)},${y(b.share).toFixed(1)}`;
    d += ` L${X(visible[visible.length - 1]!.hi).toFixed(1)},${y(0).toFixed(1)}`;
    body.push(el('path', { d, fill: 'none', stroke: seriesColor(i), 'stroke-width': 1.5 }, el('title', {}, escapeXml(s.name))));
  });
  body.push(...legendBlock.elements);
  return svgShell(spec.title, width, height, body);
}
