// The report: the self-contained HTML forecast report and its chart specs (terminal views are in src/cli).

export type { ForecastReportData, MethodMetrics } from "./types.js";
export { renderReportHtml, writeReport, escapeHtml } from "./html.js";
export { reportCharts, type ChartDef, type VlSpec } from "./charts.js";
export { formatSig } from "./format.js";
