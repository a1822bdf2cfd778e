// Save and load models: model.json (topology, compile settings, training state) beside weights-<crc>.bin
// (a header with a magic number and version, the flat parameters, then the optimizer's slots).
// Files are written to temporary names and renamed, so a failed save never leaves half a model.

import { mkdir, readFile, rename, writeFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ModelFormatError, ConfigError } from "../tensor/errors.js";
import { fromConfig } from "../layers/index.js";
import type { LayerConfig } from "../layers/layer.js";
import { Optimizer, type OptimizerConfig } from "../optim/optimizers.js";
import type { LossSpec } from "../kernels/losses.js";
import { Sequential } from "../models/sequential.js";

export const FORMAT = "recurrent-model";
export const FORMAT_VERSION = 1;
const MAGIC = 0x544e4352; // "RCNT" little-endian
const HEADER_BYTES = 16; // magic, version, parameter count, slot count (u32 each)

export interface ModelJson {
  format: typeof FORMAT;
  version: number;
  name: string;
  seed: number;
  inputShape: number[];
  layers: { className: string; config: LayerConfig }[];
  compile: { optimizer: OptimizerConfig; loss: LossSpec; metrics: string[] } | null;
  training: { epochsTrained: number; optimizerIterations: number; optimizerSlots: number };
  weights: { name: string; shape: number[] }[];
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

async function writeAtomic(path: string, data: string | Uint8Array): Promise<string> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, data);
  return tmp;
}

export async function saveModel(model: Sequential, dir: string, opts: { overwrite?: boolean } = {}): Promise<void> {
  if (!model.built) throw new ConfigError("save: the model is not built yet");
  const modelPath = join(dir, "model.json");
  if (opts.overwrite === false) {
    const exists = await stat(modelPath).then(() => true, () => false);
    if (exists) throw new ConfigError(`save: ${modelPath} already exists; pass { overwrite: true } to replace it`);
  }
  await mkdir(dir, { recursive: true });
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
    layers: model.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
    compile: model.optimizer && model.loss
      ? { optimizer: model.optimizer.getConfig(), loss: model.loss, metrics: [...model.metrics] }
      : null,
    training: {
      epochsTrained: model.epochsTrained,
      optimizerIterations: model.optimizer?.iterations ?? 0,
      optimizerSlots: slots.length,
    },
    weights: model.layers.flatMap((l) => l.allParams().map((p) => ({ name: `${l.name}/${p.name}`, shape: p.shape }))),
    weightsFile: "",
    byteLength: bin.length,
    crc32: crc32(bin).toString(16).padStart(8, "0"),
  };
  json.weightsFile = `weights-${json.crc32}.bin`;
  // model.json is the single commit point: the weights go to a new file named by their checksum,
  // model.json is renamed over the old one last, and only then is the previous weights file removed.
  // A save that fails anywhere leaves the previous checkpoint loadable.
  const previous = await readFile(modelPath, "utf8").then((t) => (JSON.parse(t) as Partial<ModelJson>).weightsFile, () => undefined);
  const temps: string[] = [];
  const binPath = join(dir, json.weightsFile);
  let binPlaced = false;
  try {
    temps.push(await writeAtomic(binPath, bin));
    await rename(temps[0]!, binPath);
    temps.length = 0;
    binPlaced = true;
    temps.push(await writeAtomic(modelPath, JSON.stringify(json, null, 2) + "\n"));
    await rename(temps[0]!, modelPath);
    temps.length = 0;
  } catch (e) {
    await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
    if (binPlaced && previous !== json.weightsFile) await unlink(binPath).catch(() => undefined);
    throw e;
  }
  if (previous && previous !== json.weightsFile && /^weights(-[0-9a-f]{8})?\.bin$/.test(previous)) {
    await unlink(join(dir, previous)).catch(() => undefined);
  }
}

/** Load a model saved by `model.save(dir)`, with its optimizer state, ready to predict or resume training. */
export async function loadModel(dir: string): Promise<Sequential> {
  const modelPath = join(dir, "model.json");
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(modelPath, "utf8")) as ModelJson;
  } catch (e) {
    throw new ModelFormatError(`loadModel: cannot read ${modelPath}: ${(e as Error).message}`);
  }
  if (json.format !== FORMAT) throw new ModelFormatError(`loadModel: ${modelPath} is not a recurrent model (format "${String(json.format)}")`);
  if (json.version !== FORMAT_VERSION) {
    throw new ModelFormatError(`loadModel: ${modelPath} has format version ${json.version}; this library reads version ${FORMAT_VERSION}`);
  }
  const binPath = join(dir, json.weightsFile ?? "weights.bin");
  let bin: Uint8Array;
  try {
    bin = new Uint8Array(await readFile(binPath));
  } catch (e) {
    throw new ModelFormatError(`loadModel: cannot read ${binPath}: ${(e as Error).message}`);
  }
  if (bin.length !== json.byteLength) {
    throw new ModelFormatError(`loadModel: ${binPath} is ${bin.length < json.byteLength ? "truncated" : "too long"}: expected ${json.byteLength} bytes, found ${bin.length}`);
  }
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  if (bin.length < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) throw new ModelFormatError(`loadModel: ${binPath} does not start with the weights magic number`);
  const crc = crc32(bin).toString(16).padStart(8, "0");
  if (crc !== json.crc32) throw new ModelFormatError(`loadModel: ${binPath} is corrupted: checksum ${crc} does not match ${json.crc32} recorded in model.json`);

  let layers;
  try {
    layers = json.layers.map((l) => fromConfig(l.className, l.config));
  } catch (e) {
    throw new ModelFormatError(`loadModel: ${modelPath} describes a layer this library cannot build: ${(e as Error).message}`);
  }
  const model = new Sequential(layers, { seed: json.seed, name: json.name });
  model.build(json.inputShape);
  const P = view.getUint32(8, true);
  const S = view.getUint32(12, true);
  if (P !== model.parameters.length) {
    throw new ModelFormatError(`loadModel: ${binPath} holds ${P} parameters but the model in model.json has ${model.parameters.length}`);
  }
  const floats = new Float32Array(bin.slice(HEADER_BYTES).buffer);
  model.parameters.set(floats.subarray(0, P));
  if (json.compile) {
    model.compile({ optimizer: json.compile.optimizer, loss: json.compile.loss, metrics: json.compile.metrics });
    const opt = model.optimizer as Optimizer;
    opt.iterations = json.training.optimizerIterations;
    opt.slots = Array.from({ length: S }, (_, k) => floats.slice(P * (k + 1), P * (k + 2)));
  }
  model.epochsTrained = json.training.epochsTrained;
  return model;
}
