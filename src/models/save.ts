// Save models: model.json (topology, compile settings, training state) beside weights-<crc>.bin
// (a header with a magic number and version, the flat parameters, then the optimizer's slots).
// Every file goes through the file-system port's atomic write, so a failed save never leaves half a model.

import { ConfigError } from "../tensor/errors.js";
import type { LayerConfig } from "../layers/layer.js";
import type { OptimizerConfig } from "../optim/optimizers.js";
import { isCustomLoss, type CustomLoss, type LossSpec } from "../kernels/losses.js";
import type { Layer } from "../layers/layer.js";
import { fileSystem, type FileSystem } from "../io/fs.js";
import { parseOptions, options, bool, fmtValue } from "../layers/options.js";
import type { Model } from "./sequential.js";
import type { GraphJson } from "./functional.js";

export const FORMAT = "recurrent-model";
export const FORMAT_VERSION = 1;
export const MAGIC = 0x544e4352; // "RCNT" little-endian
export const HEADER_BYTES = 16; // magic, version, parameter count, slot count (u32 each)

export interface ModelJson {
  format: typeof FORMAT;
  version: number;
  name: string;
  seed: number;
  inputShape: number[];
  /**
   * `trainable: false` marks a frozen layer (written only then); `trainableChildren` the flags of a
   * wrapper's wrapped layers when some differ from the wrapper's own.
   */
  layers: { className: string; config: LayerConfig; trainable?: boolean; trainableChildren?: boolean[] }[];
  /**
   * A custom loss is saved as its name with `custom: true`, custom metrics by name in
   * `customMetrics` (also listed in `metrics`): their code must be passed again when loading.
   */
  compile: {
    optimizer: OptimizerConfig; loss: LossSpec | { name: string; custom: true }; metrics: string[]; customMetrics?: string[];
    /** A functional model with several outputs: the loss of each output (built-in losses) and their weights. */
    losses?: LossSpec[]; lossWeights?: number[];
  } | null;
  training: { epochsTrained: number; optimizerIterations: number; optimizerSlots: number };
  weights: { name: string; shape: number[] }[];
  /**
   * A functional model's graph (absent for Sequential): its inputs, the layer calls in order (each
   * naming its layer by index into `layers`) and its outputs. `inputShape` is then the first input's.
   */
  graph?: GraphJson;
  /** `weights-<crc32>.bin`: a new name per content, so model.json alone decides which weights are current. */
  weightsFile: string;
  byteLength: number;
  crc32: string;
}

/** CRC-32 (IEEE), to detect corrupted weight files. */
export function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

const SAVE_OPTIONS = options({ overwrite: bool().optional() });

export async function saveModel(model: Model, dir: string, opts: { overwrite?: boolean } = {}): Promise<void> {
  if (typeof dir !== "string" || dir === "") throw new ConfigError(`save: the directory must be a non-empty string, got ${fmtValue(dir)}`);
  parseOptions(SAVE_OPTIONS, opts, "save");
  if (!model.built) throw new ConfigError("save: the model is not built yet");
  const fs = fileSystem("save");
  const modelPath = fs.join(dir, "model.json");
  if (opts.overwrite === false) {
    if (fs.exists(modelPath)) throw new ConfigError(`save: ${modelPath} already exists; pass { overwrite: true } to replace it`);
  }
  fs.mkdirp(dir);
  const slots = model.optimizer?.slots ?? [];
  const P = model.parameters.length;
  const bin = new Uint8Array(HEADER_BYTES + 4 * P * (1 + slots.length));
  const view = new DataView(bin.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, P, true);
  view.setUint32(12, slots.length, true);
  const floats = new Float32Array(bin.buffer, HEADER_BYTES);
  floats.set(model.parameters, 0);
  slots.forEach((s, k) => floats.set(s, P * (k + 1)));
  const json: ModelJson = {
    format: FORMAT,
    version: FORMAT_VERSION,
    name: model.name,
    seed: model.seed,
    inputShape: model.inputShape!,
    layers: model.layers.map(layerEntry),
    compile: compileEntry(model),
    training: {
      epochsTrained: model.epochsTrained,
      optimizerIterations: model.optimizer?.iterations ?? 0,
      optimizerSlots: slots.length,
    },
    weights: model.layers.flatMap((l) => l.allParams().map((p) => ({ name: `${l.name}/${p.name}`, shape: p.shape }))),
    ...graphEntry(model),
    weightsFile: "",
    byteLength: bin.length,
    crc32: crc32(bin).toString(16).padStart(8, "0"),
  };
  json.weightsFile = `weights-${json.crc32}.bin`;
  // model.json is the single commit point: the weights go to a new file named by their checksum,
  // model.json replaces the old one last, and only then is the previous weights file removed.
  // A save that fails anywhere leaves the previous checkpoint loadable.
  const previous = previousWeightsFile(readIfAny(fs, modelPath));
  const binPath = fs.join(dir, json.weightsFile);
  const binExisted = fs.exists(binPath);
  fs.writeAtomic(binPath, bin);
  try {
    fs.writeAtomic(modelPath, JSON.stringify(json, null, 2) + "\n");
  } catch (e) {
    if (!binExisted) fs.remove(binPath);
    throw e;
  }
  if (previous && previous !== json.weightsFile) fs.remove(fs.join(dir, previous));
  // weights a killed save wrote but never committed: no model.json points to them any more
  if (fs.list) {
    let names: string[] = [];
    try {
      names = fs.list(dir);
    } catch {
      // the save is complete; the litter stays until the next one
    }
    for (const name of names) if (WEIGHTS_NAME.test(name) && name !== json.weightsFile) fs.remove(fs.join(dir, name));
  }
}

function layerEntry(l: Layer): ModelJson["layers"][number] {
  const e: ModelJson["layers"][number] = { className: l.className, config: l.getConfig() };
  if (!l.trainable) e.trainable = false;
  else if (l.children().some((c) => !c.trainable)) e.trainableChildren = l.children().map((c) => c.trainable);
  return e;
}

/** A functional model's graph (it has `graphJson`); nothing for a Sequential. */
function graphEntry(model: Model): { graph?: GraphJson } {
  const g = (model as { graphJson?: () => GraphJson }).graphJson;
  return g ? { graph: g.call(model) } : {};
}

/** The compile settings; custom functions by name (a model loaded without them keeps the names in `missingCustom`). */
function compileEntry(model: Model): ModelJson["compile"] {
  if (!model.optimizer) return null;
  const miss = model.missingCustom;
  if (!model.loss && !miss?.loss) return null;
  const loss = model.loss
    ? isCustomLoss(model.loss) ? { name: model.loss.name, custom: true as const } : model.loss
    : { name: miss!.loss!, custom: true as const };
  const metrics = model.metrics.map((m) => (typeof m === "string" ? m : m.name));
  const custom = model.metrics.filter((m) => typeof m !== "string").map((m) => (m as { name: string }).name);
  if (miss) for (const m of miss.metrics) if (!metrics.includes(m)) metrics.push(m);
  if (miss) custom.push(...miss.metrics.filter((m) => !custom.includes(m)));
  // a functional model with a loss per output: each output's built-in loss, and the weights
  const f = model as { losses?: (LossSpec | CustomLoss)[]; lossWeights?: number[] };
  const perOutput = f.losses && f.losses.length > 1 && !f.losses.some((l) => isCustomLoss(l)) ? { losses: f.losses as LossSpec[], lossWeights: f.lossWeights! } : {};
  return { optimizer: model.optimizer.getConfig(), loss, metrics, ...(custom.length ? { customMetrics: custom } : {}), ...perOutput };
}

/** The names this library gives weights files (never delete anything else). */
const WEIGHTS_NAME = /^weights(-[0-9a-f]{8})?\.bin$/;

/** The text of an existing file, or null when there is none or it cannot be read (a save replaces it either way). */
function readIfAny(fs: FileSystem, path: string): string | null {
  try {
    return fs.exists(path) ? fs.readText(path) : null;
  } catch {
    return null;
  }
}

/** The weights file an existing model.json points to, if it is one of ours (never delete anything else). */
function previousWeightsFile(modelJson: string | null): string | undefined {
  if (modelJson === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(modelJson);
    const name = parsed !== null && typeof parsed === "object" ? (parsed as Partial<ModelJson>).weightsFile : undefined;
    return typeof name === "string" && WEIGHTS_NAME.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}
