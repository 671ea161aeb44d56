// Readiness reports: Markdown, self-contained HTML with inline SVG charts, and JSON, from an analysis dir.
export { writeReport, type WriteReportOptions } from './write.js';
export { loadReportData, reportDataFrom } from './load.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export { reportJson } from './json.js';
export { reportCharts, type ReportChart } from './charts.js';
export { DEFINITIONS, type ReportData, type ReportModel, type ReportLayer, type ReportPair } from './data.js';
