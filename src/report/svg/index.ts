// Small SVG chart helpers for the self-contained HTML report (no browser or charting library needed).
export { lineChart, type LineChartSpec, type LineSeries } from './line-chart.js';
export { barChart, type BarChartSpec } from './bar-chart.js';
export { heatmap, type HeatmapSpec } from './heatmap.js';
export { histogram, type HistogramSpec, type HistogramBin } from './histogram.js';
export { escapeXml, formatNumber } from './xml.js';
