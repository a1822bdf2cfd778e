// Public surface of the forecast module: the forecaster, its presets and strategies, the
// baselines, the metrics and the rolling-origin backtest.

export {
  forecast, resolveOptions, DEFAULT_HORIZON, DEFAULT_EPOCHS, DEFAULT_ENSEMBLE, PATIENCE, TEST_FRACTION,
  type ForecastOptions, type ForecastResult, type SeriesInput,
} from "./forecaster.js";
export { buildPreset, MODEL_PRESETS, LEARNING_RATE, type ModelPreset, type PresetArgs } from "./presets.js";
export {
  NetworkEnsemble, median, BATCH_SIZE, MIN_WINDOWS, MAX_WINDOWS, VALIDATION_FRACTION,
  type NetworkSpec, type Strategy, type Anchor, type Member, type Transform,
} from "./network.js";
export { naive, seasonalNaive, drift } from "./baselines.js";
export { mae, rmse, smape, mase, maseScale, scoreAll, type Metrics } from "./metrics.js";
export {
  rollingOrigin, scoreBacktest, testStart,
  type ForecastFn, type RollingOrigin, type RollingOriginOptions, type BacktestScores, type MethodName,
} from "./backtest.js";
export {
  estimateProfile, detectSeasonality, deseasonalize, reseasonalize, seasonalAt, movingAverageTrend, canEstimateProfile,
  PROFILE_DECAY, STRENGTH_THRESHOLD, type SeasonalProfile, type ProfileOptions,
} from "./seasonality.js";
export { buildReport, type ReportInput } from "./report.js";
export {
  Forecaster, loadForecaster, isForecasterDir, futureCsv, FORECASTER_FILE,
  type ForecasterFile, type ForecasterSeries, type ForecasterSource, type Future,
} from "./saved.js";
export * from "./series.js";
// The bundled example data (data/ of this package); shadows series.ts's older bundledDataPath.
export { bundledDataPath, BUNDLED_FILES, resolveBundled } from "./bundled.js";
export * from "./stats/index.js";
