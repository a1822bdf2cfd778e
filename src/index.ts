// The package entry for Node: the whole public API, with Node's file system, terminal progress and
// worker threads installed into the core (src/browser.ts is the entry without them), plus what
// only Node runs: the terminal progress bar, the forecaster and the report writer.
import "./install_node.js";

export * from "./browser.js";
export { terminalProgress, calmProgress, type CalmProgressOptions } from "./cli/progress.js";
export * as forecasting from "./forecast/index.js";
export { tuneWorkers } from "./node/tune_worker.js";
export { forecast, loadSeries, loadForecaster, Forecaster, type ForecastOptions, type ForecastResult, type SeriesInput } from "./forecast/index.js";
export { renderReportHtml, writeReport, renderModelReportHtml, writeModelReport, type ForecastReportData, type ModelReportData } from "./report/index.js";
