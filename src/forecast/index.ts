// Public surface of the forecast module, the `forecasting.*` namespace of the package (every name
// is documented in docs/api.md): the forecaster, its presets and strategies, the baselines, the
// metrics, the rolling-origin backtest, seasonality, the statistical methods and the bundled data.

export { forecast, resolveOptions, type ForecastOptions, type ForecastResult, type SeriesInput } from "./forecaster.js";
export { MODEL_PRESETS, type ModelPreset } from "./presets.js";
export { NetworkEnsemble, type NetworkSpec, type Strategy, type Anchor, type Member, type Transform } from "./network.js";
// The ES-RNN (exponential smoothing + LSTM, Smyl's M4 winner) that forecast() backtests beside the LSTM.
export {
  EsRnnEnsemble, ESRNN_DEFAULTS, selectEsRnn, esForward, esBackward,
  type EsRnnSpec, type EsRnnMember, type EsRnnSelection, type EsState, type ForecastFamily,
} from "./esrnn.js";
// Transforms chosen per series, covariates, and one model across many series.
export {
  TRANSFORMS, LAMBDA_BOUNDS, guerreroLambda, guerreroCv, boxCox, invBoxCox, fitSeriesTransform, applyTransform,
  inverseTransform, invertForecast, autoCandidates, transformLabel,
  type TransformName, type TransformChoice, type SeriesTransform,
} from "./transforms.js";
export { fitWithTransform, type TransformScore } from "./forecaster.js";
export {
  CALENDARS, calendarChannels, resolveCalendar, fitCovariatePlan, covariateInputs, readCovariates, covariatesFromFrame,
  type CalendarChoice, type Calendar, type CovariateOptions, type CovariateValues, type CovariatePlan, type CovariateScaler,
} from "./covariates.js";
export { type CovariateInputs } from "./network.js";
export { forecastGlobal, type GlobalForecastResult, type GlobalSeriesResult, type GlobalOptions } from "./global.js";
export { naive, seasonalNaive, drift } from "./baselines.js";
export { mae, rmse, smape, mase, maseScale, scoreAll, type Metrics } from "./metrics.js";
export {
  rollingOrigin, scoreBacktest,
  type ForecastFn, type RollingOrigin, type RollingOriginOptions, type BacktestScores, type MethodName,
} from "./backtest.js";
export {
  estimateProfile, detectSeasonality, deseasonalize, reseasonalize, movingAverageTrend, STRENGTH_THRESHOLD,
  type SeasonalProfile, type ProfileOptions,
} from "./seasonality.js";
export { buildReport, type ReportInput } from "./report.js";
export {
  Forecaster, loadForecaster, isForecasterDir, futureCsv,
  type ForecasterFile, type ForecasterSeries, type ForecasterSource, type Future,
} from "./saved.js";
export { loadSeries, loadSeriesFromText, loadSeriesFromChunks, type LoadSeriesOptions, type LoadedSeries, type NonFiniteAction } from "./series.js";
// The bundled example data (data/ of this package).
export { bundledDataPath, BUNDLED_FILES, type BundledFile } from "./bundled.js";
export {
  fitEts, etsAuto, ETS_MODELS, theta, comb, STAT_METHODS, statMethod, loadSuite,
  type EtsModel, type EtsFit, type EtsOptions, type EtsParams, type StatMethod, type SuiteSeries, type SuiteEntry,
} from "./stats/index.js";
// Hyperparameter search over config-file runs (`recurrent tune`).
export {
  tune, runTrialTask, inlineExecutor, parseSearchSpace, planTrials, applyParams, bestConfig, resultsCsv, defaultTuneConfig,
  DEFAULT_SPACE, TUNE_PARAMETERS, TUNE_CELLS,
  type TuneOptions, type TunePlan, type TuneResult, type TrialResult, type TrialScore, type TrialTask, type TrialExecutor,
  type SearchSpace, type TuneRange, type TrialParams, type TuneMetric, type TuneParameter, type TuneCell, type CheckedSpace, type Dimension,
} from "./tune.js";
// Anomaly detection by one-step LSTM forecast residuals, and seeded injection of anomalies.
export {
  detectAnomalies, injectAnomalies, detectionMetrics, anomaliesCsv, plotAnomalies, robustScale, robustSigma, medianOf,
  THRESHOLD_RULES, MAD_TO_SIGMA, DEFAULT_K, DEFAULT_QUANTILE, DEFAULT_LOOKBACK, DEFAULT_FIT_FRACTION, MIN_FIT_WINDOWS,
  type AnomalyOptions, type AnomalyResult, type AnomalyThreshold, type ThresholdRule, type DetectionMetrics,
  type InjectOptions, type Injected, type InjectedEvent, type AnomalyPlotInput,
} from "./anomaly.js";
