// Conversion between the model files recurrent reads and writes: its own directories, TensorFlow.js
// layers format, Keras 3 `.keras` and legacy `.h5` (read), ONNX (written), safetensors. Every
// conversion goes through a Sequential in memory, and a parity report compares the predictions of
// the model read with those of the model written, read back.

import { ConfigError, ModelFormatError } from "../tensor/errors.js";
import { Tensor } from "../tensor/tensor.js";
import { Rng } from "../tensor/rng.js";
import { fileSystem } from "../io/fs.js";
import type { Sequential } from "../models/sequential.js";
import { loadSequential } from "../models/load.js";
import { saveModel } from "../models/save.js";
import { importTfjs, exportTfjs } from "./tfjs.js";
import { importKeras } from "./keras.js";
import { importSafetensors, saveTorchSafetensors } from "./safetensors.js";
import { exportOnnx } from "./onnx.js";

/** The model file formats: which can be read, which written. */
export type ModelFormat = "recurrent" | "tfjs" | "keras" | "h5" | "safetensors" | "onnx";

export const READABLE_FORMATS: readonly ModelFormat[] = ["recurrent", "tfjs", "keras", "h5", "safetensors"];
export const WRITABLE_FORMATS: readonly ModelFormat[] = ["recurrent", "tfjs", "safetensors", "onnx"];

const EXTENSIONS: Record<string, ModelFormat> = { ".keras": "keras", ".h5": "h5", ".hdf5": "h5", ".safetensors": "safetensors", ".onnx": "onnx" };

function extensionOf(path: string): string {
  const base = path.replace(/[\\/]+$/, "").split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot).toLowerCase() : "";
}

/** The model directory inside `path`: the path itself, or a training run's `model/`. */
function modelDirOf(path: string): string | null {
  const fs = fileSystem("convert");
  if (fs.exists(fs.join(path, "model.json"))) return path;
  if (fs.exists(fs.join(path, "model", "model.json"))) return fs.join(path, "model");
  return null;
}

/**
 * The format of an existing model at `path`: by extension for files; for a directory, by what its
 * model.json says (recurrent's own `format`, or TensorFlow.js's `modelTopology`).
 */
export function detectInputFormat(path: string): ModelFormat {
  const fs = fileSystem("convert");
  const ext = EXTENSIONS[extensionOf(path)];
  if (ext) {
    if (ext === "onnx") throw new ConfigError(`convert: ${path} is an ONNX file; recurrent writes ONNX but does not read it (read formats: ${READABLE_FORMATS.join(", ")})`);
    if (!fs.exists(path)) throw new ConfigError(`convert: ${path} does not exist`);
    return ext;
  }
  const dir = modelDirOf(path);
  if (!dir) {
    throw new ConfigError(`convert: cannot tell the format of ${path}: not a .keras, .h5, .safetensors file, and no model.json inside (read formats: ${READABLE_FORMATS.join(", ")})`);
  }
  const modelJson = fs.join(dir, "model.json");
  let head: unknown;
  try {
    head = JSON.parse(fs.readText(modelJson));
  } catch (e) {
    throw new ModelFormatError(`convert: ${modelJson} is not valid JSON: ${(e as Error).message}`);
  }
  if (head !== null && typeof head === "object" && !Array.isArray(head)) {
    const h = head as Record<string, unknown>;
    if (h.format === "recurrent-model") return "recurrent";
    if ("modelTopology" in h || h.format === "layers-model") return "tfjs";
  }
  throw new ModelFormatError(`convert: ${modelJson} is neither a recurrent model nor a TensorFlow.js layers model`);
}

/** The format to write at `path`: by extension for files, else a recurrent directory unless `to` says tfjs. */
export function detectOutputFormat(path: string, to?: string): ModelFormat {
  if (to !== undefined) {
    if (!(WRITABLE_FORMATS as readonly string[]).includes(to)) {
      throw new ConfigError(`convert: cannot write format "${to}" (write formats: ${WRITABLE_FORMATS.join(", ")})`);
    }
    return to as ModelFormat;
  }
  const ext = EXTENSIONS[extensionOf(path)];
  if (ext === "keras" || ext === "h5") {
    throw new ConfigError(`convert: recurrent reads Keras ${ext === "keras" ? ".keras" : ".h5"} files but does not write them (write formats: ${WRITABLE_FORMATS.join(", ")})`);
  }
  return ext ?? "recurrent";
}

/** Read a model in any readable format. */
export async function readModelFile(path: string, format: ModelFormat = detectInputFormat(path)): Promise<Sequential> {
  switch (format) {
    case "recurrent": return loadSequential(modelDirOf(path) ?? path, {}, "convert");
    case "tfjs": return importTfjs(modelDirOf(path) ?? path);
    case "keras":
    case "h5": return importKeras(path);
    case "safetensors": return importSafetensors(path);
    case "onnx": throw new ConfigError(`convert: recurrent writes ONNX but does not read it`);
  }
}

/** Write a model in any writable format. */
export async function writeModelFile(model: Sequential, path: string, format: ModelFormat): Promise<void> {
  switch (format) {
    case "recurrent": return saveModel(model, path);
    case "tfjs": return exportTfjs(model, path);
    case "safetensors": return saveTorchSafetensors(model, path);
    case "onnx": return exportOnnx(model, path);
    case "keras":
    case "h5": throw new ConfigError(`convert: recurrent reads Keras files but does not write them`);
  }
}

/**
 * Inputs for a parity check: `samples` random sequences shaped like the model's input, uniform in
 * [-1, 1], or token ids in [0, inputDim) when the model starts with an Embedding. Seeded.
 */
export function sampleInputs(model: Sequential, samples = 5, seed = 0): Tensor {
  const shape = model.inputShape;
  if (!shape) throw new ConfigError("convert: the model is not built, so its input shape is unknown");
  if (!Number.isInteger(samples) || samples < 1) throw new ConfigError(`convert: samples must be a positive integer, got ${samples}`);
  const first = model.layers.find((l) => l.className !== "InputLayer");
  const vocab = first?.className === "Embedding" ? (first as unknown as { inputDim: number }).inputDim : 0;
  const rng = new Rng(seed);
  const t = new Tensor(new Float32Array(samples * shape.reduce((a, b) => a * b, 1)), [samples, ...shape]);
  for (let i = 0; i < t.data.length; i++) t.data[i] = vocab > 0 ? rng.int(vocab) : rng.uniform(-1, 1);
  return t;
}

/** How far two models' predictions are apart on the same inputs. */
export interface ParityReport {
  samples: number;
  outputShape: number[];
  /** max |a − b| over every output value */
  maxAbsError: number;
  /** max |a − b| / max(1, |a|) over every output value (a: the source's prediction), so values near zero are judged absolutely */
  maxRelError: number;
}

/** Compare two prediction tensors of the same shape, `reference` being the source model's. */
export function compareOutputs(reference: Tensor, other: ArrayLike<number>, samples: number): ParityReport {
  if (other.length !== reference.data.length) {
    throw new ModelFormatError(`convert: the converted model gives ${other.length} output values where the source gives ${reference.data.length} (shape [${reference.shape.join(", ")}])`);
  }
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < other.length; i++) {
    const a = reference.data[i]!;
    const d = Math.abs(a - other[i]!);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Number.NaN : Math.max(maxAbs, d);
    const r = d / Math.max(Math.abs(a), 1);
    if (!(r <= maxRel)) maxRel = Number.isNaN(r) ? Number.NaN : Math.max(maxRel, r);
  }
  return { samples, outputShape: [...reference.shape], maxAbsError: maxAbs, maxRelError: maxRel };
}

export interface ConvertOptions {
  /** Input format; detected from the path when omitted. */
  from?: ModelFormat;
  /** Output format; detected from the path (extension) when omitted, else a recurrent directory. */
  to?: ModelFormat;
  /** Inputs for the parity check; random ones shaped like the model's input when omitted. */
  inputs?: Tensor;
  /** Number of random inputs (default 5). */
  samples?: number;
  /** Seed of the random inputs (default 0). */
  seed?: number;
}

export interface ConvertResult {
  from: ModelFormat;
  to: ModelFormat;
  model: Sequential;
  inputs: Tensor;
  /** The source model's predictions on `inputs`. */
  reference: Tensor;
  /** The written model read back and compared; null for ONNX, which recurrent does not read (check it with an ONNX runtime). */
  parity: ParityReport | null;
}

/**
 * Convert a model file: read `input`, write `output`, read the written file back (where the format
 * is readable) and compare its predictions with the source's.
 */
export async function convertModel(input: string, output: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const from = options.from ?? detectInputFormat(input);
  if (!(READABLE_FORMATS as readonly string[]).includes(from)) throw new ConfigError(`convert: cannot read format "${from}" (read formats: ${READABLE_FORMATS.join(", ")})`);
  const to = detectOutputFormat(output, options.to);
  const model = await readModelFile(input, from);
  const inputs = options.inputs ?? sampleInputs(model, options.samples ?? 5, options.seed ?? 0);
  const reference = model.predict(inputs);
  await writeModelFile(model, output, to);
  let parity: ParityReport | null = null;
  if (to !== "onnx") {
    const back = await readModelFile(output, to);
    parity = compareOutputs(reference, back.predict(inputs).data, inputs.shape[0]!);
    back.dispose();
  }
  return { from, to, model, inputs, reference, parity };
}
