// The report: the self-contained HTML forecast report, its chart specs, and the terminal views.

export type { ForecastReportData, MethodMetrics } from "./types.js";
export { renderReportHtml, writeReport, escapeHtml } from "./html.js";
export { reportCharts, type ChartDef, type VlSpec } from "./charts.js";
export { metricsTable, asciiChart, type AsciiChartOptions, type TerminalOptions } from "./terminal.js";
export { formatSig } from "./format.js";
