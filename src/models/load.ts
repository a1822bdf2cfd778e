// Load models written by ./save.ts, checking the format version, the weights' size and checksum,
// and that the layers in model.json build to the recorded parameter count.

import { ModelFormatError } from "../tensor/errors.js";
import { fromConfig } from "../layers/registry.js";
import type { Optimizer } from "../optim/optimizers.js";
import { fileSystem } from "../io/fs.js";
import { Sequential } from "./sequential.js";
import { FORMAT, FORMAT_VERSION, MAGIC, HEADER_BYTES, crc32, type ModelJson } from "./save.js";

/** Load a model saved by `model.save(dir)`, with its optimizer state, ready to predict or resume training. */
export async function loadModel(dir: string): Promise<Sequential> {
  const fs = fileSystem("loadModel");
  const modelPath = fs.join(dir, "model.json");
  let json: ModelJson;
  try {
    json = JSON.parse(fs.readText(modelPath)) as ModelJson;
  } catch (e) {
    throw new ModelFormatError(`loadModel: cannot read ${modelPath}: ${(e as Error).message}`);
  }
  if (json.format !== FORMAT) throw new ModelFormatError(`loadModel: ${modelPath} is not a recurrent model (format "${String(json.format)}")`);
  if (json.version !== FORMAT_VERSION) {
    throw new ModelFormatError(`loadModel: ${modelPath} has format version ${json.version}; this library reads version ${FORMAT_VERSION}`);
  }
  const binPath = fs.join(dir, json.weightsFile ?? "weights.bin");
  let bin: Uint8Array;
  try {
    bin = fs.readBytes(binPath);
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
