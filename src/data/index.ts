// The data module: CSV → frame → time series → regular, imputed, scaled, windowed and split data
// for forecasting. Knows nothing of models.
//
// The public `data` namespace is the first group below (src/browser.ts lists it, docs/api.md
// documents it); the second group serves the forecaster's streaming loader and the tests.

// Public: the `data.*` namespace.
export { parseCsv, readCsv, type CsvOptions } from "./csv.js";
export {
  FREQUENCIES, DATE_FORMATS, isFrequency, isDateFormat, parseDate, formatDate, makeTimestamp, toCivil, toDate,
  periodStart, addPeriods, inferFrequency, seasonLength,
  type Timestamp, type Frequency, type CivilDate, type DateContext, type DateFormat, type DateColumnOptions,
} from "./dates.js";
export {
  stringColumn, numericColumn, dateColumn, parseWhere, filterRows, pivot, derive, sortByDate, toTimeSeries,
  type Frame, type TimeSeries, type NumericOptions, type NonFiniteMode, type Where, type PivotSpec, type DeriveOp,
  type TimeSeriesSpec,
} from "./frame.js";
export { AGGREGATIONS, aggregate, resample, resampleSeries, type Aggregation, type Resampled, type ResampleOptions } from "./resample.js";
export {
  impute, findGaps, regularize, fillMissingPeriods, regularizeSeries, describeImputation,
  type ImputeMethod, type ImputeReport, type ImputeLimits, type Gaps, type Regularized, type FilledSeries,
  type RegularizedSeries,
} from "./impute.js";
export {
  MinMaxScaler, StandardScaler, scalerFromJSON,
  type FeatureVector, type FeatureMatrix, type MinMaxScalerJSON, type StandardScalerJSON, type Scaler,
} from "./scalers.js";
export { makeWindows, lastWindow, sliceWindows, type WindowData, type WindowOptions, type Windows } from "./windows.js";
export { tbpttChunks, type TbpttChunks } from "./chunks.js";
export { splitChronological, type IndexRange, type ChronologicalSplit, type SplitOptions } from "./split.js";
export {
  Tokenizer, padSequences, bagOfWords, CharVocabulary, sampleFromLogits, DEFAULT_FILTERS, PAD_ID, OOV_ID,
  type TokenizerOptions, type TokenizerJSON, type PadOptions, type BagOfWordsMode, type BagOfWordsOptions, type UniformSource,
} from "./text.js";

// Internal: the streaming CSV reader, cell and date readers, and column storage that
// src/forecast/series.ts builds loadSeries from; not in the `data` namespace.
export { streamCsv, textChunks, fileChunks, type CsvSink } from "./csv.js";
export {
  isPlainInteger, DateColumnReader, isoFast, periodIndex, medianSpacingDays, describeSpacing, frequencyFromSpacing,
} from "./dates.js";
export { FLOAT32_MAX, parseNumber, readCell, isFloat32Finite, NonFiniteLog } from "./frame.js";
export { MAX_PERIODS, resampleOrdered } from "./resample.js";
export { DEFAULT_MAX_GAP, DEFAULT_MAX_SHARE } from "./impute.js";
export { BlockColumn, LineMap, radixOrder } from "./columns.js";
