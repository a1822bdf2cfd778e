// The TensorFlow.js layers format, both ways: model.json (`format: "layers-model"`, a Keras
// `modelTopology` and a `weightsManifest`) beside binary weight shards. Our layout and gate order
// are Keras's, so the weights travel unchanged; what is translated is the config (Keras's
// snake_case keys and names) and where each weight sits in the shards.
//
// Schema (tfjs-core io/types.ts, tfjs-layers models.ts and engine/container.ts):
//   { format, generatedBy, convertedBy,
//     modelTopology: {class_name, config, keras_version, backend} or {model_config: {...}, ...},
//     weightsManifest: [{ paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"], weights: [{name, shape, dtype, quantization?}] }] }
// A group's weights lie back to back in the concatenation of its paths; a weight may span shards.
// Weights are matched by name, as TF.js does: "<layer>/<weight>", "<layer>/<cell>/<weight>" (Keras
// ≥ 2.2 writes the cell's name too), "<bidirectional>/forward_<inner>[/<cell>]/<weight>".

import { ConfigError, ModelFormatError, fmtShape } from "../tensor/errors.js";
import type { InitializerName } from "../tensor/initializers.js";
import { fileSystem, type FileSystem } from "../io/fs.js";
import {
  fromConfig, namePrefix, Layer, Input, Dense, Dropout, Embedding, Flatten, RepeatVector, Masking,
  RecurrentLayer, LSTM, GRU, TimeDistributed, Bidirectional, Conv1D, MaxPooling1D, AveragePooling1D,
  GlobalAveragePooling1D, GlobalMaxPooling1D, type LayerConfig, type Param,
} from "../layers/index.js";
import { Sequential } from "../models/sequential.js";
import { crc32 } from "../models/save.js";
import { halfToFloat } from "./safetensors.js";

type Json = Record<string, unknown>;

/** One entry of a weights manifest group (tfjs-core's WeightsManifestEntry). */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  group?: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

/** model.json of the TensorFlow.js layers format. */
export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Json;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  [key: string]: unknown;
}

export interface ImportTfjsOptions {
  /**
   * Per-sample input shape, for files whose input leaves a dimension open (Keras's
   * `input_shape=(None, 3)`): our layers are built for one shape. Replaces the file's shape.
   */
  inputShape?: number[];
}

export interface ExportTfjsOptions {
  /** Largest weight shard in bytes (TF.js's converter uses 4 MiB). Default 4194304. */
  shardBytes?: number;
}

/**
 * Names of the shard files exportTfjs writes: TF.js's converter's `group1-shard1of2.bin` with the
 * CRC-32 of all the weights inserted (`group1-1a2b3c4d-shard1of2.bin`), so a new export never
 * overwrites the shards an existing model.json points to (TF.js reads whatever paths the manifest
 * names). Earlier shards of both spellings are removed after model.json is replaced.
 */
const SHARD_NAME = /^group\d+(-[0-9a-f]{8})?-shard\d+of\d+\.bin$/;
const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Keras ⇄ recurrent names

const ACT_FROM_KERAS: Record<string, string> = {
  linear: "linear", relu: "relu", relu6: "relu6", sigmoid: "sigmoid", hard_sigmoid: "hardSigmoid", hardSigmoid: "hardSigmoid",
  tanh: "tanh", elu: "elu", selu: "selu", softplus: "softplus", softsign: "softsign", softmax: "softmax",
};
const ACT_TO_KERAS: Record<string, string> = { hardSigmoid: "hard_sigmoid" };

/** Keras initializers by class name (Keras 2, Keras 3 and TF.js spellings). */
const INIT_CLASSES: Record<string, InitializerName> = {
  GlorotUniform: "glorotUniform", GlorotNormal: "glorotNormal", HeUniform: "heUniform", HeNormal: "heNormal",
  LecunUniform: "lecunUniform", LeCunUniform: "lecunUniform", LecunNormal: "lecunNormal", LeCunNormal: "lecunNormal",
  Orthogonal: "orthogonal", Zeros: "zeros", Ones: "ones", RandomUniform: "randomUniform", RandomNormal: "randomNormal",
};

/** VarianceScaling(scale, mode, distribution) for each of our variance-scaling initializers. */
const VARIANCE_SCALING: Partial<Record<InitializerName, [number, string, string]>> = {
  glorotUniform: [1, "fan_avg", "uniform"], glorotNormal: [1, "fan_avg", "truncated_normal"],
  heUniform: [2, "fan_in", "uniform"], heNormal: [2, "fan_in", "truncated_normal"],
  lecunUniform: [1, "fan_in", "uniform"], lecunNormal: [1, "fan_in", "truncated_normal"],
};

function initializerToKeras(name: InitializerName): Json {
  const vs = VARIANCE_SCALING[name];
  if (vs) return { class_name: "VarianceScaling", config: { scale: vs[0], mode: vs[1], distribution: vs[2], seed: null } };
  switch (name) {
    case "orthogonal": return { class_name: "Orthogonal", config: { gain: 1, seed: null } };
    case "zeros": return { class_name: "Zeros", config: {} };
    case "ones": return { class_name: "Ones", config: {} };
    case "randomUniform": return { class_name: "RandomUniform", config: { minval: -0.05, maxval: 0.05, seed: null } };
    case "randomNormal": return { class_name: "RandomNormal", config: { mean: 0, stddev: 0.05, seed: null } };
    default: throw new ConfigError(`exportTfjs: no Keras initializer for "${name as string}"`);
  }
}

/**
 * Our initializer for a Keras one, by kind (their parameters are not carried: an imported model's
 * weights come from the file; the initializer only matters to a later re-initialisation).
 * Undefined (our default) for kinds we do not have.
 */
function initializerFromKeras(v: unknown): InitializerName | undefined {
  if (typeof v === "string") return INIT_CLASSES[v.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())];
  if (!isObject(v) || typeof v.class_name !== "string") return undefined;
  if (v.class_name === "VarianceScaling" && isObject(v.config)) {
    const c = v.config;
    const dist = c.distribution === "normal" ? "truncated_normal" : c.distribution;
    for (const [name, [scale, mode, d]] of Object.entries(VARIANCE_SCALING)) {
      if (c.scale === scale && c.mode === mode && dist === d) return name as InitializerName;
    }
    return undefined;
  }
  return INIT_CLASSES[v.class_name];
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Import

/** Errors of one file, naming it. */
class Reader {
  constructor(readonly path: string) {}
  fail(msg: string): never {
    throw new ModelFormatError(`importTfjs: ${this.path}: ${msg}`);
  }
  layerFail(name: string, className: string, msg: string): never {
    this.fail(`layer "${name}" (${className}): ${msg}`);
  }
}

interface KerasLayer {
  class_name: string;
  config: Json;
  name: string;
}

/**
 * Read a model in the TensorFlow.js layers format (model.json and its weight shards in `dir`): a
 * Sequential model, or a functional one whose layers form a single chain. Weights are float32 (or
 * TF.js-quantized uint8 / uint16 / float16, dequantized). Throws ModelFormatError naming the layer
 * and the weight for an unknown layer, a missing or extra weight, a shape that does not fit, a
 * missing or truncated shard.
 */
export async function importTfjs(dir: string, options: ImportTfjsOptions = {}): Promise<Sequential> {
  const fs = fileSystem("importTfjs");
  const path = fs.join(dir, "model.json");
  const r: Reader = new Reader(path);
  let json: TfjsModelJson;
  try {
    json = JSON.parse(fs.readText(path)) as TfjsModelJson;
  } catch (e) {
    r.fail(`cannot read it as JSON: ${(e as Error).message}`);
  }
  return modelFromJson(json, r, (p) => {
    checkRelative(p, r);
    const file = fs.join(dir, p);
    try {
      return fs.readBytes(file);
    } catch (e) {
      return r.fail(`cannot read weight shard ${file}: ${(e as Error).message}`);
    }
  }, options);
}

/**
 * The model described by a parsed model.json, reading shards through `readShard` (a path of the
 * manifest, relative to model.json). For hosts that keep files elsewhere (a page's fetch, a map).
 */
export function tfjsModelFromJson(json: TfjsModelJson, readShard: (path: string) => Uint8Array, options: ImportTfjsOptions = {}): Sequential {
  return modelFromJson(json, new Reader("model.json"), readShard, options);
}

function checkRelative(p: string, r: Reader): void {
  if (p.startsWith("/") || /^[a-zA-Z]:/.test(p) || p.split(/[\\/]/).includes("..")) {
    r.fail(`weight shard path "${p}" leaves the model's directory; shard paths must be relative and stay beside model.json`);
  }
}

function modelFromJson(json: TfjsModelJson, r: Reader, readShard: (path: string) => Uint8Array, options: ImportTfjsOptions): Sequential {
  if (!isObject(json)) r.fail("not a JSON object");
  if (json.format !== undefined && json.format !== "layers-model") {
    r.fail(`format is "${String(json.format)}"; only the layers format ("layers-model") holds a Keras topology (a "graph-model" is a TensorFlow graph)`);
  }
  let topology = json.modelTopology as unknown;
  if (!isObject(topology)) r.fail("modelTopology is missing");
  const kerasVersion = typeof topology.keras_version === "string" ? topology.keras_version : "";
  if (isObject(topology.model_config)) topology = topology.model_config;
  const top = topology as Json;
  const chain = layerChain(top, r);
  const keras3 = kerasVersion.startsWith("3.");

  const built: Layer[] = [];
  let inputShape: (number | null)[] | null = null;
  let batchSize: number | null = null;
  chain.forEach((kl, k) => {
    const bis = batchInputShape(kl.config);
    if (k === 0 && bis) {
      inputShape = bis.slice(1);
      batchSize = typeof bis[0] === "number" ? bis[0] : null;
    }
    if (k > 0 && kl.class_name === "InputLayer") r.layerFail(kl.name, kl.class_name, "an input layer may only come first");
    built.push(buildLayer(kl, r, keras3, k === 0));
  });
  if (options.inputShape) inputShape = [...options.inputShape];
  const shape: (number | null)[] | null = inputShape;
  if (!shape) r.fail(`the first layer ("${chain[0]!.name}") declares no input shape; pass { inputShape } to importTfjs`);
  if (shape.some((d) => d === null || !Number.isInteger(d) || d <= 0)) {
    r.fail(`the input shape ${fmtShape([null, ...shape])} leaves a dimension open; our layers are built for one shape: pass { inputShape: [...] } to importTfjs`);
  }
  const sampleShape = shape as number[];
  const first = built[0]!;
  if (first instanceof Input) {
    if (options.inputShape) built[0] = new Input({ name: first.name, shape: sampleShape, ...(batchSize !== null ? { batchSize } : {}) });
  } else if (!first.declaredInputShape || options.inputShape) {
    built[0] = fromConfig(first.className, { ...first.getConfig(), inputShape: sampleShape, ...(batchSize !== null ? { batchSize } : {}) });
  } else if (batchSize !== null && first.batchSize === null) {
    first.batchSize = batchSize;
  }
  let model: Sequential;
  try {
    model = new Sequential(built, { name: typeof (top.config as Json | undefined)?.name === "string" ? (top.config as Json).name as string : "sequential" });
    model.build(sampleShape);
  } catch (e) {
    r.fail(`the layers do not build for input ${fmtShape([null, ...sampleShape])}: ${(e as Error).message}`);
  }
  loadWeights(model, json.weightsManifest, r, readShard);
  return model;
}

/** The model's layers in order: a Sequential's list, or a functional model's chain from input to output. */
function layerChain(top: Json, r: Reader): KerasLayer[] {
  const cls = top.class_name;
  const cfg = top.config;
  const asLayer = (l: unknown, k: number): KerasLayer => {
    if (!isObject(l) || typeof l.class_name !== "string" || !isObject(l.config)) r.fail(`layer ${k} of the topology has no class_name and config`);
    const name = typeof l.config.name === "string" ? l.config.name : typeof l.name === "string" ? l.name : `layer_${k}`;
    return { class_name: l.class_name, config: l.config, name };
  };
  if (cls === "Sequential") {
    // Keras ≤ 2.1 wrote the layer list as the config itself
    const list = Array.isArray(cfg) ? cfg : isObject(cfg) && Array.isArray(cfg.layers) ? cfg.layers : r.fail("the Sequential topology has no layer list");
    if (list.length === 0) r.fail("the Sequential topology has no layers");
    return list.map(asLayer);
  }
  if (cls === "Model" || cls === "Functional") {
    if (!isObject(cfg) || !Array.isArray(cfg.layers)) r.fail(`the ${cls} topology has no layer list`);
    return functionalChain(cfg, cfg.layers.map(asLayer), r);
  }
  return r.fail(`modelTopology has class_name ${JSON.stringify(cls)}; expected "Sequential", "Model" or "Functional"`);
}

/** Names of the layers a functional layer's inbound node reads (Keras 2 / TF.js lists, Keras 3 keras_history). */
function inboundNames(node: unknown): string[] {
  if (Array.isArray(node)) {
    return node.flatMap((t) => (Array.isArray(t) && typeof t[0] === "string" ? [t[0]] : []));
  }
  const names: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (isObject(v)) {
      if (v.class_name === "__keras_tensor__" && isObject(v.config) && Array.isArray(v.config.keras_history)) {
        names.push(String(v.config.keras_history[0]));
      } else Object.values(v).forEach(visit);
    }
  };
  if (isObject(node)) visit(node.args);
  return names;
}

function endpointNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === "string") return [v[0]]; // Keras 3: a single ["name", 0, 0]
  return v.flatMap((t) => (Array.isArray(t) && typeof t[0] === "string" ? [t[0]] : []));
}

function functionalChain(cfg: Json, layers: KerasLayer[], r: Reader): KerasLayer[] {
  const notYet = (why: string): never => r.fail(`functional graphs are not yet supported (a functional model imports when its layers form one chain from input to output): ${why}`);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const inputs = endpointNames(cfg.input_layers);
  const outputs = endpointNames(cfg.output_layers);
  if (inputs.length !== 1) notYet(`the model has ${inputs.length} inputs (${inputs.join(", ")})`);
  if (outputs.length !== 1) notYet(`the model has ${outputs.length} outputs (${outputs.join(", ")})`);
  const consumers = new Map<string, string[]>();
  const rawLayers = (cfg.layers as unknown[]).filter(isObject);
  layers.forEach((l, k) => {
    const nodes = rawLayers[k]!.inbound_nodes;
    const list = Array.isArray(nodes) ? nodes : [];
    if (l.class_name === "InputLayer") return;
    if (list.length !== 1) notYet(`layer "${l.name}" is called ${list.length} times (shared layers)`);
    const srcs = inboundNames(list[0]);
    if (srcs.length !== 1) notYet(`layer "${l.name}" takes ${srcs.length} inputs (${srcs.join(", ")})`);
    const src = srcs[0]!;
    if (!byName.has(src)) r.fail(`layer "${l.name}" reads from "${src}", which is not a layer of the model`);
    consumers.set(src, [...(consumers.get(src) ?? []), l.name]);
  });
  for (const [src, cs] of consumers) if (cs.length > 1) notYet(`layer "${src}" feeds ${cs.length} layers (${cs.join(", ")})`);
  const chain: KerasLayer[] = [];
  let at: string | undefined = inputs[0]!;
  const seen = new Set<string>();
  while (at !== undefined) {
    if (seen.has(at)) r.fail(`the graph has a cycle through layer "${at}"`);
    seen.add(at);
    const l = byName.get(at) ?? r.fail(`the input "${at}" is not a layer of the model`);
    chain.push(l);
    at = consumers.get(at)?.[0];
  }
  if (chain[chain.length - 1]!.name !== outputs[0]) notYet(`the chain from "${inputs[0]}" ends at "${chain[chain.length - 1]!.name}", not at the output "${outputs[0]}"`);
  if (chain.length !== layers.length) {
    notYet(`layers ${layers.filter((l) => !seen.has(l.name)).map((l) => `"${l.name}"`).join(", ")} are off the chain from input to output`);
  }
  return chain;
}

function batchInputShape(c: Json): (number | null)[] | null {
  const v = c.batch_input_shape ?? c.batch_shape;
  if (Array.isArray(v)) return v.map((d) => (typeof d === "number" ? d : null));
  if (Array.isArray(c.input_shape)) return [null, ...c.input_shape.map((d: unknown) => (typeof d === "number" ? d : null))];
  return null;
}

/** One Keras layer config → our layer (built by the registry from our config). */
function buildLayer(kl: KerasLayer, r: Reader, keras3: boolean, first: boolean): Layer {
  const { className, config } = translateConfig(kl, r, keras3);
  if (first) {
    const bis = batchInputShape(kl.config);
    if (bis && className !== "InputLayer" && bis.slice(1).every((d) => typeof d === "number")) {
      config.inputShape = bis.slice(1);
      if (typeof bis[0] === "number") config.batchSize = bis[0];
    }
  }
  try {
    return fromConfig(className, config);
  } catch (e) {
    return r.layerFail(kl.name, kl.class_name, (e as Error).message);
  }
}

function translateConfig(kl: KerasLayer, r: Reader, keras3: boolean): { className: string; config: LayerConfig } {
  const c = kl.config;
  const fail = (msg: string): never => r.layerFail(kl.name, kl.class_name, msg);
  const num = (key: string): number => {
    const v = c[key];
    if (typeof v !== "number") fail(`config "${key}" must be a number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const bool = (key: string, dflt: boolean): boolean => (typeof c[key] === "boolean" ? c[key] as boolean : dflt);
  /** A 1-D size Keras writes as a number or a list of one number (kernel_size, strides, pool_size); null takes the default. */
  const single = (key: string, dflt?: number): number => {
    const v = c[key];
    if ((v === undefined || v === null) && dflt !== undefined) return dflt;
    const n = Array.isArray(v) && v.length === 1 ? v[0] : v;
    if (typeof n !== "number") fail(`config "${key}" must be a number or a list of one number, got ${JSON.stringify(v)}`);
    return n as number;
  };
  const act = (key: string, dflt: string): string => {
    let v = c[key] ?? dflt;
    if (isObject(v) && typeof v.config === "string") v = v.config; // Keras 3 serialises functions as objects
    if (isObject(v) && typeof v.class_name === "string") v = v.class_name;
    const ours = typeof v === "string" ? ACT_FROM_KERAS[v] : undefined;
    if (!ours) fail(`activation ${JSON.stringify(v)} in "${key}" is not one of ${Object.keys(ACT_FROM_KERAS).filter((k) => k.includes("_") || k === k.toLowerCase()).join(", ")}`);
    if (ours === "hardSigmoid" && keras3) fail(`"${key}" is hard_sigmoid of Keras 3 (x/6 + 1/2), which differs from Keras 2's and TF.js's (0.2x + 1/2) that this library computes`);
    if (ours === "softmax" && kl.class_name !== "Dense") fail(`softmax in "${key}" is only supported on Dense layers`);
    return ours!;
  };
  const inits = (keys: [string, string][]): Json => {
    const out: Json = {};
    for (const [k, ours] of keys) {
      const v = initializerFromKeras(c[k]);
      if (v) out[ours] = v;
    }
    return out;
  };
  const base: LayerConfig = { name: kl.name };
  switch (kl.class_name) {
    case "InputLayer": {
      const bis = batchInputShape(c);
      if (!bis) fail("declares no batch_input_shape");
      if (c.sparse === true || c.ragged === true) fail("sparse and ragged inputs are not supported");
      // open dimensions (None) are resolved by the caller's inputShape; a placeholder keeps the layer valid meanwhile
      return { className: "InputLayer", config: { ...base, shape: bis!.slice(1).map((d) => d ?? 1), ...(typeof bis![0] === "number" ? { batchSize: bis![0] } : {}) } };
    }
    case "Dense":
      return { className: "Dense", config: { ...base, units: num("units"), activation: act("activation", "linear"), useBias: bool("use_bias", true),
        ...inits([["kernel_initializer", "kernelInitializer"], ["bias_initializer", "biasInitializer"]]) } };
    case "Dropout":
      if (c.noise_shape != null) fail(`noise_shape ${JSON.stringify(c.noise_shape)} is not supported`);
      return { className: "Dropout", config: { ...base, rate: num("rate") } };
    case "Flatten":
      if (c.data_format === "channels_first") fail(`data_format "channels_first" is not supported`);
      return { className: "Flatten", config: base };
    case "RepeatVector":
      return { className: "RepeatVector", config: { ...base, n: num("n") } };
    case "Masking":
      return { className: "Masking", config: { ...base, maskValue: c.mask_value === undefined ? 0 : num("mask_value") } };
    case "Embedding":
      return { className: "Embedding", config: { ...base, inputDim: num("input_dim"), outputDim: num("output_dim"),
        ...(c.mask_zero === true ? { maskZero: true } : {}),
        ...(typeof c.input_length === "number" ? { inputLength: c.input_length } : {}),
        ...inits([["embeddings_initializer", "embeddingsInitializer"]]) } };
    case "LSTM": case "GRU": case "SimpleRNN": {
      if (c.time_major === true) fail("time_major is not supported (inputs are [batch, time, features])");
      const rec: LayerConfig = {
        ...base, units: num("units"), activation: act("activation", "tanh"), useBias: bool("use_bias", true),
        returnSequences: bool("return_sequences", false), returnState: bool("return_state", false),
        goBackwards: bool("go_backwards", false), stateful: bool("stateful", false),
        dropout: typeof c.dropout === "number" ? c.dropout : 0, recurrentDropout: typeof c.recurrent_dropout === "number" ? c.recurrent_dropout : 0,
        ...inits([["kernel_initializer", "kernelInitializer"], ["recurrent_initializer", "recurrentInitializer"], ["bias_initializer", "biasInitializer"]]),
      };
      if (kl.class_name === "LSTM") {
        rec.recurrentActivation = act("recurrent_activation", "hard_sigmoid");
        if (typeof c.unit_forget_bias === "boolean") rec.unitForgetBias = c.unit_forget_bias;
      } else if (kl.class_name === "GRU") {
        rec.recurrentActivation = act("recurrent_activation", "hard_sigmoid");
        rec.resetAfter = bool("reset_after", false); // absent in Keras < 2.1 and TF.js (which lacks it): the original GRU
      }
      return { className: kl.class_name, config: rec };
    }
    case "Conv1D": {
      if (c.data_format === "channels_first") fail(`data_format "channels_first" is not supported (inputs are [batch, steps, channels])`);
      if (typeof c.groups === "number" && c.groups !== 1) fail(`groups ${c.groups} is not supported (one group)`);
      const padding = c.padding ?? "valid";
      if (!["valid", "same", "causal"].includes(padding as string)) fail(`padding ${JSON.stringify(padding)} is not one of valid, same, causal`);
      return { className: "Conv1D", config: { ...base, filters: num("filters"), kernelSize: single("kernel_size"),
        strides: single("strides", 1), dilationRate: single("dilation_rate", 1), padding, activation: act("activation", "linear"),
        useBias: bool("use_bias", true), ...inits([["kernel_initializer", "kernelInitializer"], ["bias_initializer", "biasInitializer"]]) } };
    }
    case "MaxPooling1D": case "AveragePooling1D": {
      if (c.data_format === "channels_first") fail(`data_format "channels_first" is not supported (inputs are [batch, steps, channels])`);
      const padding = c.padding ?? "valid";
      if (!["valid", "same"].includes(padding as string)) fail(`padding ${JSON.stringify(padding)} is not one of valid, same`);
      const poolSize = single("pool_size", 2);
      return { className: kl.class_name, config: { ...base, poolSize, strides: single("strides", poolSize), padding } };
    }
    case "GlobalAveragePooling1D": case "GlobalMaxPooling1D":
      if (c.data_format === "channels_first") fail(`data_format "channels_first" is not supported (inputs are [batch, steps, channels])`);
      if (c.keepdims === true) fail("keepdims true is not supported (the output is [batch, channels])");
      return { className: kl.class_name, config: base };
    case "TimeDistributed": case "Bidirectional": {
      const inner = c.layer;
      if (!isObject(inner) || typeof inner.class_name !== "string" || !isObject(inner.config)) fail("config has no wrapped layer");
      const innerLayer: KerasLayer = {
        class_name: (inner as Json).class_name as string, config: (inner as Json).config as Json,
        name: typeof ((inner as Json).config as Json).name === "string" ? ((inner as Json).config as Json).name as string : `${kl.name}_inner`,
      };
      const wrapped = translateConfig(innerLayer, r, keras3);
      if (kl.class_name === "TimeDistributed") return { className: "TimeDistributed", config: { ...base, layer: wrapped } };
      const mode = c.merge_mode === undefined ? "concat" : c.merge_mode;
      if (mode === null) fail("merge_mode null (two separate outputs) is not supported; use concat, sum, mul or ave");
      if (!["concat", "sum", "mul", "ave"].includes(mode as string)) fail(`merge_mode ${JSON.stringify(mode)} is not one of concat, sum, mul, ave`);
      const back = c.backward_layer;
      if (isObject(back) && back.class_name !== innerLayer.class_name) fail(`a backward layer of another kind (${String(back.class_name)}) than the forward one is not supported`);
      return { className: "Bidirectional", config: { ...base, mergeMode: mode, layer: wrapped } };
    }
    default:
      return fail(`unknown layer class "${kl.class_name}"; this library imports InputLayer, Dense, Dropout, Flatten, RepeatVector, Embedding, Masking, LSTM, GRU, SimpleRNN, Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, TimeDistributed and Bidirectional`);
  }
}

interface WeightLoc {
  spec: TfjsWeightSpec;
  group: number;
  offset: number;
  bytes: number;
  used: boolean;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

/** Where each manifest weight lies, reading shards lazily, group by group. */
class Shards {
  private data = new Map<number, Uint8Array>();
  constructor(private readonly manifest: { paths: string[] }[], private readonly r: Reader, private readonly readShard: (p: string) => Uint8Array) {}

  group(g: number, forWeight: string, layer: string): Uint8Array {
    let d = this.data.get(g);
    if (!d) {
      const parts = this.manifest[g]!.paths.map((p) => {
        try {
          return this.readShard(p);
        } catch (e) {
          if (e instanceof ModelFormatError) {
            throw new ModelFormatError(`${e.message} (needed for weight "${forWeight}" of layer "${layer}")`);
          }
          throw e;
        }
      });
      d = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      let off = 0;
      for (const p of parts) { d.set(p, off); off += p.length; }
      this.data.set(g, d);
    }
    return d;
  }
}

function loadWeights(model: Sequential, manifest: unknown, r: Reader, readShard: (p: string) => Uint8Array): void {
  if (!Array.isArray(manifest)) r.fail("weightsManifest is missing or not a list");
  const groups = manifest as { paths: string[]; weights: TfjsWeightSpec[] }[];
  const byName = new Map<string, WeightLoc>();
  const all: WeightLoc[] = [];
  groups.forEach((g, gi) => {
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights) || g.paths.some((p) => typeof p !== "string")) {
      r.fail(`weightsManifest group ${gi + 1} must have a list of paths and a list of weights`);
    }
    let offset = 0;
    for (const w of g.weights) {
      if (!isObject(w) || typeof w.name !== "string" || !Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0)) {
        r.fail(`weightsManifest group ${gi + 1} has an entry without a name and a shape of non-negative integers: ${JSON.stringify(w)}`);
      }
      const dtype = w.quantization ? w.quantization.dtype : w.dtype;
      const per = BYTES[dtype];
      if (per === undefined) r.fail(`weight "${w.name}" has dtype "${String(dtype)}"; float32 (or quantized uint8, uint16, float16) weights are read`);
      const bytes = per * w.shape.reduce((p, d) => p * d, 1);
      const loc: WeightLoc = { spec: w, group: gi, offset, bytes, used: false };
      offset += bytes;
      all.push(loc);
      if (w.group === "optimizer") continue;
      if (byName.has(w.name)) r.fail(`weight "${w.name}" appears twice in weightsManifest`);
      byName.set(w.name, loc);
    }
  });
  const shards = new Shards(groups, r, readShard);

  // Index the manifest by (layer, direction, weight): "<layer>/[forward_x|backward_x/][cell/]<weight>[:0]".
  const key = (layer: string, dir: string, param: string): string => `${layer}\u0000${dir}\u0000${param}`;
  const index = new Map<string, WeightLoc[]>();
  for (const [name, loc] of byName) {
    const parts = name.split("/");
    if (parts.length < 2) continue;
    const param = parts[parts.length - 1]!.replace(/:\d+$/, "");
    const dir = parts.length >= 3 && /^(forward|backward)_/.test(parts[1]!) ? parts[1]!.split("_")[0]! : "";
    for (const d of dir ? [dir, ""] : [""]) {
      const k = key(parts[0]!, d, param);
      index.set(k, [...(index.get(k) ?? []), loc]);
    }
  }

  for (const layer of model.layers) {
    for (const { dir, param } of paramsOf(layer)) {
      const candidates = index.get(key(layer.name, dir, param.name)) ?? [];
      // the manifest's name once found; before, the pattern it was looked up by
      let weightName = `${layer.name}/${dir ? `${dir}_*/` : ""}${param.name}`;
      const fail = (msg: string): never => r.fail(`layer "${layer.name}" (${layer.className}): weight "${weightName}": ${msg}`);
      const fresh = candidates.filter((c) => !c.used);
      if (fresh.length === 0) {
        const near = [...byName.keys()].filter((n) => n.split("/")[0] === layer.name);
        fail(`missing from weightsManifest (${near.length ? `the layer's weights there: ${near.join(", ")}` : "it has no weights of this layer"})`);
      }
      if (fresh.length > 1) fail(`ambiguous: ${fresh.map((c) => c.spec.name).join(", ")} all fit`);
      const loc = fresh[0]!;
      loc.used = true;
      weightName = loc.spec.name;
      if (loc.spec.shape.length !== param.shape.length || loc.spec.shape.some((d, i) => d !== param.shape[i])) {
        fail(`shape ${fmtShape(loc.spec.shape)} in weightsManifest, but the layer needs ${fmtShape(param.shape)}`);
      }
      const bytes = shards.group(loc.group, loc.spec.name, layer.name);
      if (loc.offset + loc.bytes > bytes.length) {
        fail(`it lies at bytes ${loc.offset}..${loc.offset + loc.bytes} of weight group ${loc.group + 1} (${groups[loc.group]!.paths.join(", ")}), which holds ${bytes.length} bytes: the shards are truncated`);
      }
      decode(loc.spec, bytes, loc.offset, param.value, fail);
    }
  }
  const extra = all.filter((l) => !l.used && l.spec.group !== "optimizer");
  if (extra.length) {
    const l = extra[0]!;
    r.fail(`weight "${l.spec.name}" (layer "${l.spec.name.split("/")[0]}") in weightsManifest belongs to no weight of the model${extra.length > 1 ? ` (and ${extra.length - 1} more: ${extra.slice(1, 6).map((e) => e.spec.name).join(", ")})` : ""}`);
  }
  groups.forEach((g, gi) => {
    const need = all.filter((l) => l.group === gi).reduce((s, l) => s + l.bytes, 0);
    if (need === 0) return;
    const have = shards.group(gi, g.weights[0]?.name ?? "", g.weights[0]?.name.split("/")[0] ?? "").length;
    if (have !== need) {
      const last = g.weights[g.weights.length - 1]!;
      r.fail(`weight group ${gi + 1} (${g.paths.join(", ")}) holds ${have} bytes but its weights take ${need}${have < need ? `: the shards are truncated (weight "${last.name}" of layer "${last.name.split("/")[0]}" is cut)` : ""}`);
    }
  });
}

/** A layer's parameters with their direction in a Bidirectional ("forward", "backward"; "" elsewhere), in getWeights() order. */
function paramsOf(layer: Layer): { dir: string; param: Param }[] {
  if (layer instanceof Bidirectional) {
    return [
      ...layer.forwardLayer.allParams().map((param) => ({ dir: "forward", param })),
      ...layer.backwardLayer.allParams().map((param) => ({ dir: "backward", param })),
    ];
  }
  return layer.allParams().map((param) => ({ dir: "", param }));
}

function decode(spec: TfjsWeightSpec, bytes: Uint8Array, offset: number, out: Float32Array, fail: (msg: string) => never): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, out.length * (BYTES[spec.quantization?.dtype ?? spec.dtype] ?? 4));
  const q = spec.quantization;
  if (!q) {
    if (spec.dtype !== "float32") fail(`dtype "${spec.dtype}" is not float32`);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return;
  }
  if (q.dtype === "float16") {
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
    return;
  }
  if (typeof q.scale !== "number" || typeof q.min !== "number") fail(`quantization ${q.dtype} needs a scale and a min`);
  const scale = q.scale!, min = q.min!;
  if (q.dtype === "uint8") for (let i = 0; i < out.length; i++) out[i] = view.getUint8(i) * scale + min;
  else if (q.dtype === "uint16") for (let i = 0; i < out.length; i++) out[i] = view.getUint16(2 * i, true) * scale + min;
  else fail(`quantization dtype "${q.dtype}" is not one of uint8, uint16, float16`);
}

// ---------------------------------------------------------------------------------------------
// Export

/** Keras's config of one of our layers (snake_case keys, Keras's names). */
function kerasConfig(layer: Layer, innerName?: string): { class_name: string; config: Json } {
  const name = innerName ?? layer.name;
  const base: Json = { name, trainable: true, dtype: "float32" };
  const act = (a: string): string => ACT_TO_KERAS[a] ?? a;
  if (layer instanceof Input) {
    return { class_name: "InputLayer", config: { batch_input_shape: [layer.batchSize, ...layer.shape], dtype: "float32", sparse: false, name } };
  }
  if (layer instanceof Dense) {
    return { class_name: "Dense", config: { ...base, units: layer.units, activation: act(layer.activation), use_bias: layer.useBias,
      kernel_initializer: initializerToKeras(layer.kernelInitializer), bias_initializer: initializerToKeras(layer.biasInitializer),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null } };
  }
  if (layer instanceof Dropout) return { class_name: "Dropout", config: { ...base, rate: layer.rate, noise_shape: null, seed: null } };
  if (layer instanceof Flatten) return { class_name: "Flatten", config: { ...base, data_format: "channels_last" } };
  if (layer instanceof RepeatVector) return { class_name: "RepeatVector", config: { ...base, n: layer.n } };
  if (layer instanceof Embedding) {
    return { class_name: "Embedding", config: { ...base, input_dim: layer.inputDim, output_dim: layer.outputDim,
      embeddings_initializer: initializerToKeras(layer.embeddingsInitializer), embeddings_regularizer: null, activity_regularizer: null,
      embeddings_constraint: null, mask_zero: layer.maskZero, input_length: layer.inputShape?.[0] ?? null } };
  }
  if (layer instanceof Masking) return { class_name: "Masking", config: { ...base, mask_value: layer.maskValue } };
  if (layer instanceof RecurrentLayer) {
    if (layer instanceof LSTM && layer.peephole) {
      throw new ConfigError(`exportTfjs: layer "${layer.name}" is an LSTM with peephole: true, which neither TensorFlow.js nor Keras's LSTM layer has (their LSTMs carry kernel, recurrent_kernel and bias only); export it to ONNX instead, whose LSTM takes the peephole weights as P`);
    }
    if (layer instanceof GRU && layer.resetAfter) {
      throw new ConfigError(`exportTfjs: layer "${layer.name}" is a GRU with resetAfter: true, which TensorFlow.js cannot load (its GRUCell throws "does not support reset_after parameter set to true"); build it with resetAfter: false to export it to TF.js`);
    }
    const c: Json = { ...base, units: layer.units, activation: act(layer.activation) };
    if (layer instanceof LSTM || layer instanceof GRU) c.recurrent_activation = act(layer.recurrentActivation);
    Object.assign(c, {
      use_bias: layer.useBias,
      kernel_initializer: initializerToKeras(layer.kernelInitializer),
      recurrent_initializer: initializerToKeras(layer.recurrentInitializer),
      bias_initializer: initializerToKeras(layer.biasInitializer),
      kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null,
      kernel_constraint: null, recurrent_constraint: null, bias_constraint: null,
      dropout: layer.dropout, recurrent_dropout: layer.recurrentDropout,
      return_sequences: layer.returnSequences, return_state: layer.returnState, go_backwards: layer.goBackwards,
      stateful: layer.stateful, unroll: false,
    });
    if (layer instanceof LSTM) c.unit_forget_bias = layer.unitForgetBias;
    if (layer instanceof GRU) c.reset_after = false;
    return { class_name: layer instanceof LSTM ? "LSTM" : layer instanceof GRU ? "GRU" : "SimpleRNN", config: c };
  }
  if (layer instanceof Conv1D) {
    if (layer.padding === "causal") {
      throw new ConfigError(`exportTfjs: layer "${layer.name}" is a Conv1D with padding "causal", which TensorFlow.js cannot run (its conv1d throws "The support for CAUSAL padding mode in conv1dWithBias is not implemented yet"); use padding "same" or "valid" to export it to TF.js`);
    }
    return { class_name: "Conv1D", config: { ...base, filters: layer.filters, kernel_size: [layer.kernelSize], strides: [layer.strides],
      padding: layer.padding, data_format: "channels_last", dilation_rate: [layer.dilationRate], activation: act(layer.activation),
      use_bias: layer.useBias, kernel_initializer: initializerToKeras(layer.kernelInitializer), bias_initializer: initializerToKeras(layer.biasInitializer),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null } };
  }
  if (layer instanceof MaxPooling1D || layer instanceof AveragePooling1D) {
    return { class_name: layer.className, config: { ...base, pool_size: [layer.poolSize], strides: [layer.strides], padding: layer.padding } };
  }
  if (layer instanceof GlobalAveragePooling1D || layer instanceof GlobalMaxPooling1D) return { class_name: layer.className, config: base };
  if (layer instanceof TimeDistributed) {
    return { class_name: "TimeDistributed", config: { ...base, layer: kerasConfig(layer.layer) } };
  }
  if (layer instanceof Bidirectional) {
    const inner = namePrefix(layer.forwardLayer.className);
    return { class_name: "Bidirectional", config: { ...base, merge_mode: layer.mergeMode, layer: kerasConfig(layer.forwardLayer, inner) } };
  }
  throw new ConfigError(`exportTfjs: layer "${layer.name}" (${layer.className}) has no TensorFlow.js equivalent here; exportable layers are InputLayer, Dense, Dropout, Flatten, RepeatVector, Embedding, Masking, LSTM, GRU (resetAfter: false), SimpleRNN, Conv1D (padding "valid" or "same"), MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, TimeDistributed and Bidirectional`);
}

/** The weight names TF.js gives a layer's weights, in getWeights() order. */
function kerasWeightNames(layer: Layer): string[] {
  if (layer instanceof Bidirectional) {
    const inner = namePrefix(layer.forwardLayer.className);
    return [
      ...layer.forwardLayer.allParams().map((p) => `${layer.name}/forward_${inner}/${p.name}`),
      ...layer.backwardLayer.allParams().map((p) => `${layer.name}/backward_${inner}/${p.name}`),
    ];
  }
  return layer.allParams().map((p) => `${layer.name}/${p.name}`);
}

/**
 * The model.json and weight bytes of a model in the TensorFlow.js layers format (for hosts that
 * keep files elsewhere); `exportTfjs` writes them. Shards are cut every `shardBytes` bytes.
 */
export function tfjsArtifacts(model: Sequential, options: ExportTfjsOptions = {}): { modelJson: TfjsModelJson; shards: { path: string; data: Uint8Array }[] } {
  if (!model.built) throw new ConfigError("exportTfjs: the model is not built yet");
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isInteger(shardBytes) || shardBytes < 4) throw new ConfigError(`exportTfjs: shardBytes must be an integer ≥ 4, got ${shardBytes}`);
  const layersJson = model.layers.map((l) => kerasConfig(l));
  const first = model.layers[0]!;
  if (!(first instanceof Input)) {
    const batch = first.batchSize ?? null;
    layersJson[0]!.config.batch_input_shape = [batch, ...model.inputShape!];
  }
  const weights: TfjsWeightSpec[] = [];
  for (const l of model.layers) {
    const names = kerasWeightNames(l);
    paramsOf(l).forEach(({ param }, i) => weights.push({ name: names[i]!, shape: [...param.shape], dtype: "float32" }));
  }
  const all = new Uint8Array(4 * model.parameters.length);
  const view = new DataView(all.buffer);
  let off = 0;
  for (const l of model.layers) for (const { param } of paramsOf(l)) {
    for (let i = 0; i < param.value.length; i++, off += 4) view.setFloat32(off, param.value[i]!, true);
  }
  const n = Math.max(1, Math.ceil(all.length / shardBytes));
  const tag = crc32(all).toString(16).padStart(8, "0");
  const shards = Array.from({ length: n }, (_, k) => ({
    path: `group1-${tag}-shard${k + 1}of${n}.bin`,
    data: all.slice(k * shardBytes, Math.min(all.length, (k + 1) * shardBytes)),
  }));
  const modelJson: TfjsModelJson = {
    format: "layers-model",
    generatedBy: "recurrent",
    convertedBy: null,
    modelTopology: {
      class_name: "Sequential",
      config: { name: model.name, layers: layersJson },
      keras_version: "recurrent",
      backend: "tensor_flow.js",
    },
    weightsManifest: [{ paths: shards.map((s) => s.path), weights }],
  };
  return { modelJson, shards };
}

/**
 * Write a model in the TensorFlow.js layers format: `dir/model.json` and weight shards
 * `group1-<crc32>-shard<k>of<n>.bin`, loadable by `tf.loadLayersModel`. As with `save`, an export
 * that fails at any point leaves the previous one loadable: shards get names of their own content,
 * model.json is replaced last (each file atomically), and only then are the shards the old
 * model.json named removed. Refuses layers TF.js cannot load (a GRU with resetAfter: true), naming them.
 */
export async function exportTfjs(model: Sequential, dir: string, options: ExportTfjsOptions = {}): Promise<void> {
  const { modelJson, shards } = tfjsArtifacts(model, options);
  const fs = fileSystem("exportTfjs");
  fs.mkdirp(dir);
  const jsonPath = fs.join(dir, "model.json");
  const previous = previousShards(fs, jsonPath);
  for (const s of shards) fs.writeAtomic(fs.join(dir, s.path), s.data);
  fs.writeAtomic(jsonPath, JSON.stringify(modelJson) + "\n");
  const now = new Set(shards.map((s) => s.path));
  for (const p of previous) if (!now.has(p)) fs.remove(fs.join(dir, p));
}

/** Shards named by an existing model.json that look like ours (never remove anything else). */
function previousShards(fs: FileSystem, jsonPath: string): string[] {
  if (!fs.exists(jsonPath)) return [];
  try {
    const old = JSON.parse(fs.readText(jsonPath)) as TfjsModelJson;
    return (old.weightsManifest ?? []).flatMap((g) => g.paths ?? []).filter((p) => typeof p === "string" && SHARD_NAME.test(p));
  } catch {
    return [];
  }
}
