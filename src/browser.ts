// The browser entry (bundled to dist/browser/recurrent.js): the host-neutral core with nothing of
// Node's. Saving, loading and readCsv need a file system, which a page may install with useFileSystem.

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
export { consoleProgress, setDefaultProgress, type ProgressRenderer, type EpochStart, type BatchEnd, type EpochEnd, type RunContext, type TrainEnd } from "./models/progress.js";
export { saveModel } from "./models/save.js";
export { loadModel } from "./models/load.js";
export { useFileSystem, type FileSystem } from "./io/fs.js";
export { fromTorchStateDict, toTorchStateDict, type TorchStateDict, type TorchTensor, type TorchConvertOptions } from "./io/torch.js";
export * as data from "./data/index.js";
export * as backend from "./backend/index.js";
export { setDefaultThreads } from "./models/parallel.js";
export { plotHistory, plotPredictions, plotScatter, plotGates, toSvg, type Plot, type PlotOptions, type PredictionsInput, type VlSpec } from "./report/index.js";
export { toOnnx, exportOnnx, DEFAULT_OPSET as ONNX_DEFAULT_OPSET, type OnnxOptions } from "./interop/onnx.js";
export { importTfjs, exportTfjs, tfjsArtifacts, tfjsModelFromJson, type TfjsModelJson, type TfjsWeightSpec, type ImportTfjsOptions, type ExportTfjsOptions } from "./interop/tfjs.js";
export { importKeras, importKerasBytes, kerasFileKind, type ImportKerasOptions, type KerasFileKind } from "./interop/keras.js";
export {
  readSafetensors, writeSafetensors, loadTorchSafetensors, saveTorchSafetensors, importSafetensors, loadTorchStateDict,
  type SafetensorsFile, type SafetensorsTensor, type SafetensorsInput, type SafetensorsDtype, type LoadTorchSafetensorsOptions,
} from "./interop/safetensors.js";
export { convertModel, readModelFile, writeModelFile, detectInputFormat, detectOutputFormat, type ModelFormat, type ConvertOptions, type ConvertResult, type ParityReport } from "./interop/convert.js";
