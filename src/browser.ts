// The browser entry (bundled to dist/browser/recurrent.js): the host-neutral core with nothing of
// Node's. Saving, loading and readCsv need a file system, which a page may install with useFileSystem.
//
// Every name exported here, at the top level or in a namespace, is documented in docs/api.md
// (test/docs/api_exports.test.ts checks it). The `data` and `backend` namespaces are listed below
// rather than re-exported whole: their modules' index files also serve the forecaster and the
// models with helpers that are not part of the API.

import * as dataModule from "./data/index.js";
import * as backendModule from "./backend/index.js";

export { Tensor, tensor, zeros, toTensor, type Shape, type NestedArray } from "./tensor/tensor.js";
export { Rng } from "./tensor/rng.js";
export { ShapeError, NonFiniteError, ConfigError, ModelFormatError, DataError } from "./tensor/errors.js";
export type { InitializerName } from "./tensor/initializers.js";
export type { Activation } from "./kernels/activations.js";
export type { LossName, LossSpec } from "./kernels/losses.js";
export * as layers from "./layers/index.js";
export * as callbacks from "./models/callbacks.js";
export { Optimizer, clipGradients, type OptimizerConfig, type OptimizerName } from "./optim/optimizers.js";
export { Functional, model, type FunctionalArgs, type FunctionalCompileArgs, type GraphJson, type TensorRef } from "./models/functional.js";
export { input, SymbolicTensor, type InputOptions } from "./layers/symbolic.js";
export { Model, Sequential, sequential, type SequentialOptions, type CompileArgs, type FitArgs, type History, type EvaluateArgs, type PredictArgs, type SampleWeight, type ClassWeight } from "./models/sequential.js";
export type { Callback, Logs } from "./models/callbacks.js";
export { consoleProgress, setDefaultProgress, type ProgressRenderer, type EpochStart, type BatchEnd, type EpochEnd, type RunContext, type TrainEnd } from "./models/progress.js";
export { saveModel } from "./models/save.js";
export { loadModel, loadSequential, type LoadOptions } from "./models/load.js";
export type { CustomLoss } from "./kernels/losses.js";
export type { MetricFn, CustomMetric, MetricArg } from "./models/metrics.js";
export { useFileSystem, type FileSystem } from "./io/fs.js";
export { fromTorchStateDict, toTorchStateDict, type TorchStateDict, type TorchTensor, type TorchConvertOptions } from "./io/torch.js";
export { setDefaultThreads } from "./models/parallel.js";
export { plotHistory, plotPredictions, plotScatter, plotGates, plotAttention, toSvg, type Plot, type PlotOptions, type AttentionPlotOptions, type PredictionsInput, type VlSpec } from "./report/index.js";
export { toOnnx, exportOnnx, DEFAULT_OPSET as ONNX_DEFAULT_OPSET, type OnnxOptions } from "./interop/onnx.js";
export { importTfjs, exportTfjs, tfjsArtifacts, tfjsModelFromJson, type TfjsModelJson, type TfjsWeightSpec, type ImportTfjsOptions, type ExportTfjsOptions } from "./interop/tfjs.js";
export { importKeras, importKerasBytes, kerasFileKind, type ImportKerasOptions, type KerasFileKind } from "./interop/keras.js";
export {
  readSafetensors, writeSafetensors, loadTorchSafetensors, saveTorchSafetensors, importSafetensors, loadTorchStateDict,
  type SafetensorsFile, type SafetensorsTensor, type SafetensorsInput, type SafetensorsDtype, type LoadTorchSafetensorsOptions,
} from "./interop/safetensors.js";
export { convertModel, readModelFile, writeModelFile, detectInputFormat, detectOutputFormat, type ModelFormat, type ConvertOptions, type ConvertResult, type ParityReport } from "./interop/convert.js";

/** `data.*`: CSV → frame → time series → regular, imputed, scaled, windowed and split data. */
export const data = Object.freeze({
  // CSV
  parseCsv: dataModule.parseCsv, readCsv: dataModule.readCsv,
  // dates and frequencies
  FREQUENCIES: dataModule.FREQUENCIES, DATE_FORMATS: dataModule.DATE_FORMATS, isFrequency: dataModule.isFrequency,
  isDateFormat: dataModule.isDateFormat, parseDate: dataModule.parseDate, formatDate: dataModule.formatDate,
  makeTimestamp: dataModule.makeTimestamp, toCivil: dataModule.toCivil, toDate: dataModule.toDate,
  periodStart: dataModule.periodStart, addPeriods: dataModule.addPeriods, inferFrequency: dataModule.inferFrequency,
  seasonLength: dataModule.seasonLength,
  // frames
  stringColumn: dataModule.stringColumn, numericColumn: dataModule.numericColumn, dateColumn: dataModule.dateColumn,
  parseWhere: dataModule.parseWhere, filterRows: dataModule.filterRows, pivot: dataModule.pivot, derive: dataModule.derive,
  sortByDate: dataModule.sortByDate, toTimeSeries: dataModule.toTimeSeries,
  // resampling and imputation
  AGGREGATIONS: dataModule.AGGREGATIONS, aggregate: dataModule.aggregate, resample: dataModule.resample,
  resampleSeries: dataModule.resampleSeries, impute: dataModule.impute, findGaps: dataModule.findGaps,
  regularize: dataModule.regularize, fillMissingPeriods: dataModule.fillMissingPeriods,
  regularizeSeries: dataModule.regularizeSeries, describeImputation: dataModule.describeImputation,
  // scalers, windows, splits
  MinMaxScaler: dataModule.MinMaxScaler, StandardScaler: dataModule.StandardScaler, scalerFromJSON: dataModule.scalerFromJSON,
  makeWindows: dataModule.makeWindows, lastWindow: dataModule.lastWindow, sliceWindows: dataModule.sliceWindows, tbpttChunks: dataModule.tbpttChunks,
  splitChronological: dataModule.splitChronological,
  // text
  Tokenizer: dataModule.Tokenizer, padSequences: dataModule.padSequences, bagOfWords: dataModule.bagOfWords,
  CharVocabulary: dataModule.CharVocabulary, sampleFromLogits: dataModule.sampleFromLogits,
  DEFAULT_FILTERS: dataModule.DEFAULT_FILTERS, PAD_ID: dataModule.PAD_ID, OOV_ID: dataModule.OOV_ID,
});
/** The types of `data.*`. */
export declare namespace data {
  export type Timestamp = dataModule.Timestamp;
  export type Frequency = dataModule.Frequency;
  export type CivilDate = dataModule.CivilDate;
  export type DateContext = dataModule.DateContext;
  export type DateFormat = dataModule.DateFormat;
  export type DateColumnOptions = dataModule.DateColumnOptions;
  export type CsvOptions = dataModule.CsvOptions;
  export type Frame = dataModule.Frame;
  export type TimeSeries = dataModule.TimeSeries;
  export type NumericOptions = dataModule.NumericOptions;
  export type NonFiniteMode = dataModule.NonFiniteMode;
  export type Where = dataModule.Where;
  export type PivotSpec = dataModule.PivotSpec;
  export type DeriveOp = dataModule.DeriveOp;
  export type TimeSeriesSpec = dataModule.TimeSeriesSpec;
  export type Aggregation = dataModule.Aggregation;
  export type Resampled = dataModule.Resampled;
  export type ResampleOptions = dataModule.ResampleOptions;
  export type ImputeMethod = dataModule.ImputeMethod;
  export type ImputeReport = dataModule.ImputeReport;
  export type ImputeLimits = dataModule.ImputeLimits;
  export type Gaps = dataModule.Gaps;
  export type Regularized = dataModule.Regularized;
  export type FilledSeries = dataModule.FilledSeries;
  export type RegularizedSeries = dataModule.RegularizedSeries;
  export type FeatureVector = dataModule.FeatureVector;
  export type FeatureMatrix = dataModule.FeatureMatrix;
  export type MinMaxScalerJSON = dataModule.MinMaxScalerJSON;
  export type StandardScalerJSON = dataModule.StandardScalerJSON;
  export type Scaler = dataModule.Scaler;
  export type WindowData = dataModule.WindowData;
  export type WindowOptions = dataModule.WindowOptions;
  export type Windows = dataModule.Windows;
  export type TbpttChunks = dataModule.TbpttChunks;
  export type IndexRange = dataModule.IndexRange;
  export type ChronologicalSplit = dataModule.ChronologicalSplit;
  export type SplitOptions = dataModule.SplitOptions;
  export type MinMaxScaler = dataModule.MinMaxScaler;
  export type StandardScaler = dataModule.StandardScaler;
  export type Tokenizer = dataModule.Tokenizer;
  export type TokenizerOptions = dataModule.TokenizerOptions;
  export type TokenizerJSON = dataModule.TokenizerJSON;
  export type PadOptions = dataModule.PadOptions;
  export type BagOfWordsMode = dataModule.BagOfWordsMode;
  export type BagOfWordsOptions = dataModule.BagOfWordsOptions;
  export type CharVocabulary = dataModule.CharVocabulary;
  export type UniformSource = dataModule.UniformSource;
}

/** `backend.*`: which numeric backend models use. */
export const backend = Object.freeze({
  getBackend: backendModule.getBackend, backendName: backendModule.backendName,
  setDefaultBackend: backendModule.setDefaultBackend, ready: backendModule.ready,
});
/** The types of `backend.*`. */
export declare namespace backend {
  export type Backend = backendModule.Backend;
  export type BackendChoice = backendModule.BackendChoice;
  export type BackendName = backendModule.BackendName;
}
