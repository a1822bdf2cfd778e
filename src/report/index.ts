// The report: the self-contained HTML forecast report and its chart specs (its terminal views are in
// src/cli), and the host-neutral pictures of any model (plots.ts).

export type { ForecastReportData, MethodMetrics } from "./types.js";
export { renderReportHtml, writeReport, escapeHtml } from "./html.js";
export { reportCharts, type ChartDef, type VlSpec } from "./charts.js";
export { formatSig } from "./format.js";
export { plotHistory, plotPredictions, plotScatter, plotGates, plotAttention, toSvg, type Plot, type PlotOptions, type AttentionPlotOptions, type PredictionsInput, type HistoryLike, type LstmGates, type GruGates } from "./plots.js";
export { renderModelReportHtml, writeModelReport, type ModelReportData } from "./model_report.js";
