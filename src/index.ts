// The package entry for Node: the whole public API, with Node's file system, terminal progress and
// worker threads installed into the core (src/browser.ts is the entry without them).
import "./install_node.js";

export { Tensor, tensor, zeros, toTensor, type Shape, type NestedArray } from "./tensor/tensor.js";
export { Rng } from "./tensor/rng.js";
export { ShapeError, NonFiniteError, ConfigError, ModelFormatError, DataError } from "./tensor/errors.js";
export type { InitializerName } from "./tensor/initializers.js";
export type { Activation } from "./kernels/activations.js";
export type { LossName, LossSpec } from "./kernels/losses.js";
export * as layers from "./layers/index.js";
export * as callbacks from "./models/callbacks.js";
export { Optimizer, clipGradients, type OptimizerConfig, type OptimizerName } from "./optim/optimizers.js";
export { Sequential, sequential, type SequentialOptions, type CompileArgs, type FitArgs, type History, type EvaluateArgs, type PredictArgs } from "./models/sequential.js";
export type { Callback, Logs } from "./models/callbacks.js";
export { saveModel } from "./models/save.js";
export { loadModel } from "./models/load.js";
export { consoleProgress, setDefaultProgress, type ProgressRenderer, type EpochStart, type BatchEnd, type EpochEnd } from "./models/progress.js";
export { terminalProgress } from "./cli/progress.js";
export { useFileSystem, type FileSystem } from "./io/fs.js";
export * as backend from "./backend/index.js";
export { fromTorchStateDict, toTorchStateDict, type TorchStateDict, type TorchTensor, type TorchConvertOptions } from "./io/torch.js";
export * as data from "./data/index.js";
export * as forecasting from "./forecast/index.js";
export { forecast, loadSeries, type ForecastOptions, type ForecastResult, type SeriesInput } from "./forecast/index.js";
export { renderReportHtml, writeReport, type ForecastReportData } from "./report/index.js";
