// Import Keras models: Keras 3 `.keras` archives (config.json + model.weights.h5 in a zip) and legacy
// HDF5 `.h5` models (tf.keras 2 / Keras 3's legacy writer), with no Python at run time. The archive is
// unzipped with fflate and HDF5 is read with jsfive (./hdf5.ts), both pure JavaScript, so this runs in
// any host; `importKeras(path)` reads through the installed file system. Archive entries are checked
// against their CRC-32 (./keras_zip.ts).
//
// Our weight layout, names and gate orders are Keras's, so weights are copied as they are; the work
// is mapping Keras's configs onto our options, finding each weight where Keras's writer put it, and
// refusing what we cannot reproduce exactly (docs/interop.md):
//   .keras  model.weights.h5: layers/<snake_case(class)>[_k]/vars/<i>, a recurrent layer's in
//           .../cell/vars, Bidirectional's in .../forward_layer and .../backward_layer,
//           TimeDistributed's in .../layer (keras/src/saving/saving_lib.py, _save_state).
//   .h5     attrs model_config (JSON), keras_version; model_weights/<layer>.attrs.weight_names lists
//           that layer's datasets in weight order (keras/src/legacy/saving/legacy_h5_format.py).

import { ModelFormatError, fmtShape } from "../tensor/errors.js";
import type { InitializerName } from "../tensor/initializers.js";
import { ACTIVATIONS, type Activation } from "../kernels/activations.js";
import {
  Layer, Dense, Dropout, Embedding, Flatten, RepeatVector, Masking, LSTM, GRU, SimpleRNN, RecurrentLayer,
  TimeDistributed, Bidirectional, bidirectional, type Param, type DenseActivation, type MergeMode,
  Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D,
} from "../layers/index.js";
import { Sequential } from "../models/sequential.js";
import type { BackendChoice } from "../backend/index.js";
import { fileSystem } from "../io/fs.js";
import { Hdf5File, isHdf5 } from "./hdf5.js";
import { unzipKeras } from "./keras_zip.js";

/** Which container a Keras file is: a Keras 3 zip archive or a legacy HDF5 model. */
export type KerasFileKind = "keras" | "h5";

export interface ImportKerasOptions {
  /**
   * Per-sample input shape, for models whose input leaves a dimension open (Keras's `None`, e.g.
   * `Input(shape=(None, 3))`): our models are built for one sequence length. Must agree with every
   * dimension the file fixes.
   */
  inputShape?: number[];
  /** Backend of the imported model ("auto" by default). */
  backend?: BackendChoice;
}

type Json = Record<string, unknown>;

/** A layer entry of a Keras config: class, its snake_case config, and (functional) its graph links. */
interface KerasLayer {
  className: string;
  config: Json;
  name: string;
  inboundNodes?: unknown;
}

interface ParsedModel {
  name: string;
  /** Keras's `Model.layers` order (Functional includes its InputLayer, Sequential not). */
  containerOrder: KerasLayer[];
  /** The layers to build, input first to output, without InputLayers. */
  chain: KerasLayer[];
  /** Batch shape of the input, [null, ...] when known. */
  batchShape: (number | null)[] | null;
}

const MAGIC_ZIP = [0x50, 0x4b, 0x03, 0x04];

/** The kind of a Keras file, from its first bytes (a zip archive or HDF5), or null. */
export function kerasFileKind(bytes: Uint8Array): KerasFileKind | null {
  if (isHdf5(bytes)) return "h5";
  if (bytes.length >= 4 && MAGIC_ZIP.every((b, i) => bytes[i] === b)) return "keras";
  return null;
}

/**
 * Import a Keras model file as a `Sequential`: a Keras 3 `.keras` archive or a legacy `.h5` model
 * (Sequential, or Functional whose graph is a single chain). Weights are copied exactly; the model
 * predicts what Keras predicts (in float32) and can be trained further or saved in our format.
 * Throws ModelFormatError naming the layer and the weight for anything it cannot import.
 *
 * @example const model = await importKeras("forecaster.keras"); model.predict(x)
 */
export async function importKeras(path: string, options: ImportKerasOptions = {}): Promise<Sequential> {
  const fs = fileSystem("importKeras");
  let bytes: Uint8Array;
  try {
    bytes = fs.readBytes(path);
  } catch (e) {
    throw new ModelFormatError(`importKeras: cannot read ${path}: ${(e as Error).message}`);
  }
  const lower = path.toLowerCase();
  const byName: KerasFileKind | null = lower.endsWith(".keras") ? "keras" : lower.endsWith(".h5") || lower.endsWith(".hdf5") ? "h5" : null;
  const kind = byName ?? kerasFileKind(bytes);
  if (!kind) throw new ModelFormatError(`importKeras: ${path} is neither a Keras 3 .keras archive (zip) nor an HDF5 .h5 model`);
  return importKerasBytes(bytes, kind, options, fs.basename(path));
}

/**
 * `importKeras` over bytes already in memory (a fetch response, a file input), in any host.
 * `kind` says which container the bytes are; `fileName` only names the file in errors.
 */
export async function importKerasBytes(bytes: Uint8Array, kind: KerasFileKind, options: ImportKerasOptions = {}, fileName?: string): Promise<Sequential> {
  const file = fileName ?? (kind === "keras" ? "model.keras" : "model.h5");
  if (kind === "keras") return importArchive(bytes, file, options);
  if (kind === "h5") return importLegacy(bytes, file, options);
  throw new ModelFormatError(`importKerasBytes: kind must be "keras" or "h5", got ${JSON.stringify(kind)}`);
}

// ---------------------------------------------------------------------------------------------
// Containers

function importArchive(bytes: Uint8Array, file: string, options: ImportKerasOptions): Sequential {
  if (kerasFileKind(bytes) !== "keras") {
    throw new ModelFormatError(`importKeras: ${file} is not a zip archive, so not a Keras 3 .keras file${isHdf5(bytes) ? " (it is HDF5: a legacy .h5 model?)" : ""}`);
  }
  const entries = unzipKeras(bytes, file);
  const text = (name: string): string | null => (entries[name] ? new TextDecoder().decode(entries[name]) : null);
  const configText = text("config.json");
  if (configText === null) throw new ModelFormatError(`importKeras: ${file} has no config.json; it holds ${Object.keys(entries).join(", ") || "nothing"}`);
  const config = parseJson(configText, `config.json in ${file}`);
  const metaText = text("metadata.json");
  const meta = metaText === null ? {} : parseJson(metaText, `metadata.json in ${file}`);
  const version = typeof meta.keras_version === "string" ? meta.keras_version : "3";
  const weights = entries["model.weights.h5"];
  if (!weights) {
    const npz = entries["model.weights.npz"] ? " (it has model.weights.npz: re-save with the default weights_format \"h5\")" : "";
    throw new ModelFormatError(`importKeras: ${file} has no model.weights.h5${npz}`);
  }
  const h5 = Hdf5File.open(weights, `model.weights.h5 in ${file}`, "importKeras: ");
  const parsed = parseModel(config, file);
  const ctx: Ctx = { file, version };
  const { model, built } = buildModel(parsed, ctx, options);
  // Keras 2.13–2.15 wrote the layers of their .keras files under this name.
  const root = !h5.hasGroup("layers") && h5.hasGroup("_layer_checkpoint_dependencies") ? "_layer_checkpoint_dependencies" : "layers";
  const paths = containerPaths(parsed.containerOrder, root);
  for (const { keras, layer } of built) {
    const base = paths.get(keras)!;
    for (const w of archiveWeights(layer, base, `layer "${keras.name}" (${keras.className})`)) assignFromArchive(h5, w);
  }
  return model;
}

function importLegacy(bytes: Uint8Array, file: string, options: ImportKerasOptions): Sequential {
  const h5 = Hdf5File.open(bytes, file, "importKeras: ");
  const attrs = h5.attrs("/");
  const rawConfig = attrs.model_config;
  if (rawConfig === undefined) {
    const hint = h5.hasGroup("layers") && h5.hasGroup("vars") ? " (it looks like a Keras 3 .weights.h5 file, which holds weights only)" : "";
    throw new ModelFormatError(`importKeras: ${file} has no model_config attribute, so no model to import${hint}`);
  }
  const config = parseJson(asText(rawConfig), `model_config of ${file}`);
  const version = attrs.keras_version !== undefined ? asText(attrs.keras_version) : "1";
  const parsed = parseModel(config, file);
  const ctx: Ctx = { file, version };
  const { model, built } = buildModel(parsed, ctx, options);
  const weightsRoot = h5.hasGroup("model_weights") ? "model_weights" : "";
  for (const { keras, layer } of built) {
    const params = layer.allParams();
    const where = `layer "${keras.name}" (${keras.className})`;
    const group = weightsRoot ? `${weightsRoot}/${keras.name}` : keras.name;
    if (!h5.hasGroup(group)) {
      if (params.length === 0) continue;
      throw new ModelFormatError(`importKeras: ${file}: ${where}: weight "${params[0]!.name}" is missing: the file has no weights group "${group}"`);
    }
    const names = weightNames(h5, group);
    const labels = paramLabels(layer);
    if (names.length < params.length) {
      const missing = labels[names.length]!;
      throw new ModelFormatError(`importKeras: ${file}: ${where}: weight "${missing}" is missing: "${group}" lists ${names.length} weight${names.length === 1 ? "" : "s"} (${names.join(", ") || "none"}), the layer needs ${params.length} (${labels.join(", ")})`);
    }
    if (names.length > params.length) {
      throw new ModelFormatError(`importKeras: ${file}: ${where}: "${group}" lists ${names.length} weights (${names.join(", ")}) but the layer has ${params.length} (${labels.join(", ") || "none"})`);
    }
    params.forEach((p, i) => {
      const dsName = names[i]!;
      const last = dsName.split("/").pop()!.replace(/:\d+$/, "");
      if (last !== p.name) {
        throw new ModelFormatError(`importKeras: ${file}: ${where}: weight ${i} should be "${labels[i]}" but the file lists "${dsName}"`);
      }
      const path = `${group}/${dsName}`;
      const label = `importKeras: ${file}: ${where}: weight "${labels[i]}"`;
      if (!h5.hasDataset(path)) throw new ModelFormatError(`${label} is missing: no dataset "${path}"`);
      assign(p, h5.readFloat(path, label), label, path);
    });
  }
  return model;
}

function parseJson(text: string, what: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(`importKeras: ${what} is not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(v)) throw new ModelFormatError(`importKeras: ${what} is not a JSON object`);
  return v;
}

/** An HDF5 string attribute (jsfive gives strings; arrays of one string for some writers). */
function asText(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === "string") return v[0];
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return String(v);
}

/** A layer group's weight_names, including Keras's chunked form (weight_names0, weight_names1, …). */
function weightNames(h5: Hdf5File, group: string): string[] {
  const a = h5.attrs(group);
  const list = (v: unknown): string[] => {
    if (v === null) throw new ModelFormatError(`importKeras: ${h5.what}: the weight_names attribute of "${group}" cannot be read`);
    return Array.isArray(v) ? v.map((s) => asText(s)) : v === undefined ? [] : [asText(v)];
  };
  if (a.weight_names !== undefined) return list(a.weight_names);
  const out: string[] = [];
  for (let k = 0; a[`weight_names${k}`] !== undefined; k++) out.push(...list(a[`weight_names${k}`]));
  return out;
}

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Model configs: Sequential, and Functional graphs that are a single chain

function layerEntry(v: unknown, where: string): KerasLayer {
  if (!isObj(v) || typeof v.class_name !== "string" || !isObj(v.config)) {
    throw new ModelFormatError(`importKeras: ${where}: a layer entry must be {class_name, config}, got ${JSON.stringify(v)?.slice(0, 120)}`);
  }
  const name = typeof v.name === "string" ? v.name : typeof v.config.name === "string" ? v.config.name : "";
  return { className: v.class_name, config: v.config, name, inboundNodes: v.inbound_nodes };
}

function batchShapeOf(c: Json): (number | null)[] | null {
  const s = c.batch_shape ?? c.batch_input_shape;
  if (Array.isArray(s)) return s.map((d) => (typeof d === "number" ? d : null));
  return null;
}

function parseModel(config: Json, file: string): ParsedModel {
  const cls = config.class_name;
  const inner = config.config;
  if (cls === "Sequential") {
    // Keras ≤ 2.2 wrote a Sequential's config as the bare list of layers.
    const list = Array.isArray(inner) ? inner : isObj(inner) && Array.isArray(inner.layers) ? inner.layers : null;
    if (!list) throw new ModelFormatError(`importKeras: ${file}: the Sequential config has no layers`);
    const entries = list.map((l, i) => layerEntry(l, `${file}: layer ${i}`));
    const inputs = entries.filter((e) => e.className === "InputLayer");
    const chain = entries.filter((e) => e.className !== "InputLayer");
    if (inputs.length > 1 || (inputs.length === 1 && entries[0]!.className !== "InputLayer")) {
      throw new ModelFormatError(`importKeras: ${file}: an InputLayer may only come first in a Sequential model`);
    }
    let batchShape = inputs.length ? batchShapeOf(inputs[0]!.config) : null;
    if (!batchShape && chain.length) batchShape = batchShapeOf(chain[0]!.config);
    if (!batchShape && isObj(inner) && Array.isArray(inner.build_input_shape)) batchShape = batchShapeOf({ batch_shape: inner.build_input_shape });
    if (!batchShape && isObj(config.build_config) && Array.isArray(config.build_config.input_shape)) batchShape = batchShapeOf({ batch_shape: config.build_config.input_shape });
    const name = isObj(inner) && typeof inner.name === "string" ? inner.name : "sequential";
    return { name, containerOrder: chain, chain, batchShape };
  }
  if (cls === "Functional" || cls === "Model") {
    if (!isObj(inner) || !Array.isArray(inner.layers)) throw new ModelFormatError(`importKeras: ${file}: the ${cls} config has no layers`);
    const entries = inner.layers.map((l, i) => layerEntry(l, `${file}: layer ${i}`));
    return { ...functionalChain(inner, entries, file), containerOrder: entries };
  }
  throw new ModelFormatError(`importKeras: ${file}: the model is a ${String(cls)}; only Sequential models and Functional models whose layers form a single chain import`);
}

/** Layer names a node's arguments refer to: Keras 3 __keras_tensor__ dicts, or legacy [name, node, tensor, kwargs] lists. */
function tensorRefs(v: unknown, out: { layer: string; tensor: number }[]): void {
  if (Array.isArray(v)) {
    if (v.length >= 3 && typeof v[0] === "string" && typeof v[1] === "number" && typeof v[2] === "number") {
      out.push({ layer: v[0], tensor: v[2] });
      return;
    }
    for (const x of v) tensorRefs(x, out);
    return;
  }
  if (isObj(v)) {
    if (v.class_name === "__keras_tensor__" && isObj(v.config) && Array.isArray(v.config.keras_history)) {
      const h = v.config.keras_history;
      out.push({ layer: String(h[0]), tensor: Number(h[2]) });
      return;
    }
    for (const x of Object.values(v)) tensorRefs(x, out);
  }
}

function functionalChain(inner: Json, entries: KerasLayer[], file: string): Omit<ParsedModel, "containerOrder"> {
  const refuse = (why: string): never => {
    throw new ModelFormatError(`importKeras: ${file}: functional graphs are not yet supported, only a single chain of layers from one input to one output: ${why}`);
  };
  const ends = (v: unknown): string[] => {
    const refs: { layer: string; tensor: number }[] = [];
    tensorRefs(v, refs);
    return refs.map((r) => r.layer);
  };
  const inputs = ends(inner.input_layers);
  const outputs = ends(inner.output_layers);
  if (inputs.length !== 1) refuse(`the model has ${inputs.length} inputs`);
  if (outputs.length !== 1) refuse(`the model has ${outputs.length} outputs`);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const consumers = new Map<string, string[]>();
  for (const e of entries) {
    if (e.className === "InputLayer") continue;
    const nodes = Array.isArray(e.inboundNodes) ? e.inboundNodes : [];
    if (nodes.length !== 1) refuse(`layer "${e.name}" (${e.className}) is called ${nodes.length} times`);
    const refs: { layer: string; tensor: number }[] = [];
    tensorRefs(nodes[0], refs);
    if (refs.length !== 1) refuse(`layer "${e.name}" (${e.className}) takes ${refs.length} inputs (${refs.map((r) => `"${r.layer}"`).join(", ")})`);
    if (refs[0]!.tensor !== 0) refuse(`layer "${e.name}" (${e.className}) takes output ${refs[0]!.tensor} of "${refs[0]!.layer}"`);
    const src = refs[0]!.layer;
    if (!byName.has(src)) refuse(`layer "${e.name}" takes its input from "${src}", which is not in the model`);
    consumers.set(src, [...(consumers.get(src) ?? []), e.name]);
  }
  const input = byName.get(inputs[0]!);
  if (!input || input.className !== "InputLayer") refuse(`the input "${inputs[0]}" is not an InputLayer`);
  const chain: KerasLayer[] = [];
  let at = input!.name;
  while (at !== outputs[0]) {
    const next = consumers.get(at) ?? [];
    if (next.length !== 1) refuse(next.length === 0 ? `nothing consumes the output of "${at}"` : `the output of "${at}" feeds ${next.length} layers (${next.map((n) => `"${n}"`).join(", ")})`);
    at = next[0]!;
    chain.push(byName.get(at)!);
    if (chain.length > entries.length) refuse("the graph has a cycle");
  }
  const unused = entries.filter((e) => e.className !== "InputLayer" && !chain.includes(e));
  if (unused.length) refuse(`layer${unused.length > 1 ? "s" : ""} ${unused.map((e) => `"${e.name}"`).join(", ")} lie${unused.length > 1 ? "" : "s"} off the path from input to output`);
  const name = typeof inner.name === "string" ? inner.name : "functional";
  return { name, chain, batchShape: batchShapeOf(input!.config) };
}

// ---------------------------------------------------------------------------------------------
// Layers: Keras configs onto our options

interface Ctx {
  file: string;
  /** keras_version of the writer: "3.6.0", "2.15.0", … */
  version: string;
}

const SUPPORTED = [
  "InputLayer", "Dense", "Dropout", "Flatten", "RepeatVector", "Embedding", "Masking", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "TimeDistributed",
  "Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
];

function majorVersion(v: string): number {
  const m = /^(\d+)(?:\.(\d+))?/.exec(v);
  return m ? Number(m[1]) + Number(m[2] ?? 0) / 100 : 3;
}

class Reader {
  constructor(readonly entry: KerasLayer, readonly ctx: Ctx) {}
  get where(): string {
    return `importKeras: ${this.ctx.file}: layer "${this.entry.name}" (${this.entry.className})`;
  }
  fail(msg: string): never {
    throw new ModelFormatError(`${this.where}: ${msg}`);
  }
  num(key: string, dflt?: number): number {
    const v = this.entry.config[key];
    if (v === undefined || v === null) {
      if (dflt !== undefined) return dflt;
      this.fail(`config has no "${key}"`);
    }
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(`"${key}" must be a number, got ${JSON.stringify(v)}`);
    return v;
  }
  bool(key: string, dflt: boolean): boolean {
    const v = this.entry.config[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "boolean") this.fail(`"${key}" must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  activation(key: string, dflt: string, allowSoftmax = false): DenseActivation {
    let v = this.entry.config[key];
    if (isObj(v)) v = typeof v.config === "string" ? v.config : v.class_name; // {class_name: "function", config: "tanh"}
    const name = v === undefined ? dflt : v === null ? "linear" : String(v); // Keras reads None as linear
    if (name === "hard_sigmoid") {
      if (majorVersion(this.ctx.version) >= 3) {
        this.fail(`"${key}" is hard_sigmoid, which Keras ${this.ctx.version} computes as relu6(x + 3) / 6, while recurrent's hardSigmoid is clip(0.2x + 0.5, 0, 1) (Keras 2's); the outputs would differ`);
      }
      return "hardSigmoid";
    }
    if (name === "softmax" && allowSoftmax) return "softmax";
    if ((ACTIVATIONS as readonly string[]).includes(name)) return name as Activation;
    return this.fail(`"${key}" is "${name}", which recurrent does not implement; supported: ${[...ACTIVATIONS.map((a) => (a === "hardSigmoid" ? "hard_sigmoid" : a)), ...(allowSoftmax ? ["softmax"] : [])].join(", ")}`);
  }
  initializer(key: string): InitializerName | undefined {
    const v = this.entry.config[key];
    const raw = isObj(v) ? String(v.class_name) : typeof v === "string" ? v : "";
    const name = raw.replace(/_/g, "").toLowerCase();
    const map: Record<string, InitializerName> = {
      glorotuniform: "glorotUniform", glorotnormal: "glorotNormal", heuniform: "heUniform", henormal: "heNormal",
      lecununiform: "lecunUniform", lecunnormal: "lecunNormal", orthogonal: "orthogonal", orthogonalinitializer: "orthogonal",
      zeros: "zeros", ones: "ones", randomuniform: "randomUniform", randomnormal: "randomNormal",
    };
    // Initializers only matter for training from scratch: the imported weights replace them.
    return map[name];
  }
  /** A 1-D size Keras writes as a one-element list ([3]) or, in older files, a bare number. */
  size1d(key: string, dflt?: number): number {
    const v = this.entry.config[key];
    if (v === undefined || v === null) {
      if (dflt !== undefined) return dflt;
      this.fail(`config has no "${key}"`);
    }
    const n = Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) this.fail(`"${key}" must be a positive integer or a list of one, got ${JSON.stringify(v)}`);
    return n;
  }
  /** data_format must be channels_last (or absent): recurrent's sequences are [batch, steps, channels]. */
  channelsLast(): void {
    const f = this.entry.config.data_format;
    if (f !== undefined && f !== null && f !== "channels_last") {
      this.fail(`data_format "${String(f)}": recurrent's sequences are [batch, steps, channels], so only channels_last imports`);
    }
  }
  padding(allowed: readonly string[]): string {
    const v = this.entry.config.padding ?? "valid";
    const p = typeof v === "string" ? v.toLowerCase() : v;
    if (typeof p !== "string" || !allowed.includes(p)) this.fail(`padding ${JSON.stringify(v)} is not one of ${allowed.join(", ")}`);
    return p;
  }
  refuseTrue(key: string, why: string): void {
    if (this.entry.config[key] === true) this.fail(`"${key}" is true: ${why}`);
  }
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Our options for a Keras LSTM / GRU / SimpleRNN config; a stateful layer keeps the file's fixed batch size. */
function recurrentArgs(r: Reader, cls: string, batchSize: number | null): Record<string, unknown> {
  r.refuseTrue("return_state", "a model's layers pass on one output each; import the layer and call forwardWithState() instead");
  r.refuseTrue("time_major", "recurrent's recurrent layers take batch-major input [batch, time, features]");
  const args: Record<string, unknown> = {
    name: r.entry.name,
    units: r.num("units"),
    activation: r.activation("activation", "tanh"),
    useBias: r.bool("use_bias", true),
    kernelInitializer: r.initializer("kernel_initializer"),
    recurrentInitializer: r.initializer("recurrent_initializer"),
    biasInitializer: r.initializer("bias_initializer"),
    returnSequences: r.bool("return_sequences", false),
    goBackwards: r.bool("go_backwards", false),
    stateful: r.bool("stateful", false),
    dropout: r.num("dropout", 0),
    recurrentDropout: r.num("recurrent_dropout", 0),
  };
  if (cls === "LSTM" || cls === "GRU") args.recurrentActivation = r.activation("recurrent_activation", "sigmoid");
  if (cls === "LSTM") args.unitForgetBias = r.bool("unit_forget_bias", true);
  if (args.stateful) {
    if (batchSize === null) r.fail(`"stateful" is true but the input's batch size is not fixed`);
    args.batchSize = batchSize;
  }
  // reset_after defaults to true since tf.keras 2 (and in Keras 3); Keras ≤ 2.2 wrote it when true.
  if (cls === "GRU") args.resetAfter = r.bool("reset_after", majorVersion(r.ctx.version) >= 2.03);
  return dropUndefined(args);
}

/** Our layer for one Keras layer entry (wrappers recursively). */
function makeLayer(entry: KerasLayer, ctx: Ctx, batchSize: number | null): Layer {
  const r = new Reader(entry, ctx);
  const cls = entry.className;
  const named = { name: entry.name || undefined };
  const dtype = entry.config.dtype;
  const policy = isObj(dtype) ? (isObj(dtype.config) ? String(dtype.config.name) : String(dtype.class_name)) : typeof dtype === "string" ? dtype : "float32";
  if (!/float|^mixed_/.test(policy)) r.fail(`dtype policy "${policy}" is not a floating-point policy`);
  try {
    switch (cls) {
      case "Dense":
        return new Dense(dropUndefined({
          ...named, units: r.num("units"), activation: r.activation("activation", "linear", true), useBias: r.bool("use_bias", true),
          kernelInitializer: r.initializer("kernel_initializer"), biasInitializer: r.initializer("bias_initializer"),
        }));
      case "Dropout":
        return new Dropout({ ...named, rate: r.num("rate") });
      case "Flatten": {
        const f = entry.config.data_format;
        if (f !== undefined && f !== null && f !== "channels_last") r.fail(`data_format "${String(f)}": only channels_last flattens in recurrent's order`);
        return new Flatten(named);
      }
      case "RepeatVector":
        return new RepeatVector({ ...named, n: r.num("n") });
      case "Embedding":
        return new Embedding(dropUndefined({
          ...named, inputDim: r.num("input_dim"), outputDim: r.num("output_dim"),
          embeddingsInitializer: r.initializer("embeddings_initializer"),
          maskZero: r.bool("mask_zero", false) || undefined,
        }));
      case "Masking":
        return new Masking({ ...named, maskValue: r.num("mask_value", 0) });
      case "LSTM":
        return new LSTM(recurrentArgs(r, cls, batchSize) as unknown as ConstructorParameters<typeof LSTM>[0]);
      case "GRU":
        return new GRU(recurrentArgs(r, cls, batchSize) as unknown as ConstructorParameters<typeof GRU>[0]);
      case "SimpleRNN":
        return new SimpleRNN(recurrentArgs(r, cls, batchSize) as unknown as ConstructorParameters<typeof SimpleRNN>[0]);
      case "TimeDistributed": {
        const inner = layerEntry(entry.config.layer, `${ctx.file}: layer "${entry.name}" (TimeDistributed)`);
        const layer = makeLayer(inner, ctx, null);
        if (inner.name) layer.name = inner.name;
        return new TimeDistributed(layer, named);
      }
      case "Bidirectional": {
        const mode = entry.config.merge_mode;
        if (mode === null) r.fail(`merge_mode is None (two outputs): a model's layers pass on one output each`);
        const mergeMode = (mode ?? "concat") as MergeMode;
        if (!["concat", "sum", "mul", "ave"].includes(mergeMode)) r.fail(`merge_mode "${String(mode)}" is not one of concat, sum, mul, ave`);
        const fwdEntry = layerEntry(entry.config.layer, `${ctx.file}: layer "${entry.name}" (Bidirectional)`);
        if (!["LSTM", "GRU", "SimpleRNN"].includes(fwdEntry.className)) r.fail(`wraps a ${fwdEntry.className}; recurrent's Bidirectional wraps LSTM, GRU or SimpleRNN`);
        const forward = makeLayer(fwdEntry, ctx, batchSize) as RecurrentLayer;
        if (entry.config.backward_layer !== undefined && entry.config.backward_layer !== null) {
          const bwdEntry = layerEntry(entry.config.backward_layer, `${ctx.file}: layer "${entry.name}" (Bidirectional)`);
          const backward = makeLayer(bwdEntry, ctx, batchSize) as RecurrentLayer;
          // Our Bidirectional runs a copy of the forward layer backwards: a different backward layer cannot be expressed.
          const fc: Record<string, unknown> = { ...forward.getConfig(), name: "", goBackwards: !forward.goBackwards };
          const bc: Record<string, unknown> = { ...backward.getConfig(), name: "" };
          const diff = Object.keys(fc).filter((k) => !/Initializer$|^unitForgetBias$/.test(k) && JSON.stringify(fc[k]) !== JSON.stringify(bc[k]));
          if (bwdEntry.className !== fwdEntry.className || diff.length) {
            r.fail(`its backward_layer differs from the forward layer (${bwdEntry.className !== fwdEntry.className ? `class ${bwdEntry.className}` : diff.join(", ")}); recurrent's Bidirectional runs the forward layer's copy backwards`);
          }
        }
        return bidirectional(forward, { ...named, mergeMode });
      }
      case "Conv1D": {
        r.channelsLast();
        const groups = r.num("groups", 1);
        if (groups !== 1) r.fail(`"groups" is ${groups}: recurrent's Conv1D connects every input channel to every filter (groups 1)`);
        return new Conv1D(dropUndefined({
          ...named, filters: r.num("filters"), kernelSize: r.size1d("kernel_size"), strides: r.size1d("strides", 1),
          padding: r.padding(["valid", "same", "causal"]) as "valid" | "same" | "causal", dilationRate: r.size1d("dilation_rate", 1),
          activation: r.activation("activation", "linear") as Activation, useBias: r.bool("use_bias", true),
          kernelInitializer: r.initializer("kernel_initializer"), biasInitializer: r.initializer("bias_initializer"),
        }));
      }
      case "MaxPooling1D":
      case "AveragePooling1D": {
        r.channelsLast();
        const poolSize = r.size1d("pool_size", 2);
        const args = { ...named, poolSize, strides: r.size1d("strides", poolSize), padding: r.padding(["valid", "same"]) as "valid" | "same" };
        return cls === "MaxPooling1D" ? new MaxPooling1D(args) : new AveragePooling1D(args);
      }
      case "GlobalAveragePooling1D":
      case "GlobalMaxPooling1D":
        r.channelsLast();
        r.refuseTrue("keepdims", "recurrent's global poolings give [batch, channels], not [batch, 1, channels]");
        return cls === "GlobalAveragePooling1D" ? new GlobalAveragePooling1D(named) : new GlobalMaxPooling1D(named);
      default:
        return r.fail(`unknown layer class "${cls}"; importKeras reads ${SUPPORTED.join(", ")}`);
    }
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    return r.fail((e as Error).message);
  }
}

function buildModel(parsed: ParsedModel, ctx: Ctx, options: ImportKerasOptions): { model: Sequential; built: { keras: KerasLayer; layer: Layer }[] } {
  if (parsed.chain.length === 0) throw new ModelFormatError(`importKeras: ${ctx.file}: the model has no layers besides its input`);
  const inputShape = sampleShape(parsed.batchShape, options.inputShape, ctx.file);
  const batchSize = parsed.batchShape && typeof parsed.batchShape[0] === "number" ? parsed.batchShape[0] : null;
  const built = parsed.chain.map((keras) => ({ keras, layer: makeLayer(keras, ctx, batchSize) }));
  let model: Sequential;
  try {
    model = new Sequential(built.map((b) => b.layer), { name: parsed.name, ...(options.backend ? { backend: options.backend } : {}) });
    model.build(inputShape);
  } catch (e) {
    throw new ModelFormatError(`importKeras: ${ctx.file}: the layers do not build for input ${fmtShape([null, ...inputShape])}: ${(e as Error).message}`);
  }
  return { model, built };
}

function sampleShape(batchShape: (number | null)[] | null, given: number[] | undefined, file: string): number[] {
  if (given !== undefined) {
    if (!Array.isArray(given) || given.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new ModelFormatError(`importKeras: inputShape must be a list of positive integers, got ${JSON.stringify(given)}`);
    }
    if (batchShape) {
      const fileShape = batchShape.slice(1);
      if (fileShape.length !== given.length || fileShape.some((d, i) => d !== null && d !== given[i])) {
        throw new ModelFormatError(`importKeras: ${file}: inputShape ${fmtShape(given)} does not fit the model's input ${fmtShape(batchShape)}`);
      }
    }
    return [...given];
  }
  if (!batchShape) throw new ModelFormatError(`importKeras: ${file}: the config records no input shape; pass { inputShape }`);
  const s = batchShape.slice(1);
  if (s.some((d) => d === null)) {
    throw new ModelFormatError(`importKeras: ${file}: the model's input ${fmtShape(batchShape)} leaves a dimension open; pass { inputShape } with the sequence length to build for`);
  }
  return s as number[];
}

// ---------------------------------------------------------------------------------------------
// Weights

/** Keras 3 paths of a container's layers: layers/<snake_case(class)>, then _1, _2, … per class. */
function containerPaths(order: KerasLayer[], root: string): Map<KerasLayer, string> {
  const used = new Map<string, number>();
  const out = new Map<KerasLayer, string>();
  for (const e of order) {
    let n = snakeCase(e.className);
    const k = used.get(n);
    if (k === undefined) used.set(n, 0);
    else {
      used.set(n, k + 1);
      n = `${n}_${k + 1}`;
    }
    out.set(e, `${root}/${n}`);
  }
  return out;
}

/** Keras's naming.to_snake_case: "SimpleRNN" → "simple_rnn", "TimeDistributed" → "time_distributed". */
export function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, "")
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

interface ArchiveGroup {
  /** The vars group: ".../vars". */
  group: string;
  params: Param[];
  where: string;
}

/** Where Keras 3 keeps each of a layer's weights, in our parameter order. */
function archiveWeights(layer: Layer, base: string, where: string): ArchiveGroup[] {
  if (layer instanceof Bidirectional) {
    return [
      ...archiveWeights(layer.forwardLayer, `${base}/forward_layer`, `${where}, forward layer`),
      ...archiveWeights(layer.backwardLayer, `${base}/backward_layer`, `${where}, backward layer`),
    ];
  }
  if (layer instanceof TimeDistributed) return archiveWeights(layer.layer, `${base}/layer`, `${where}, wrapped ${layer.layer.className}`);
  if (layer instanceof RecurrentLayer) return [{ group: `${base}/cell/vars`, params: layer.params, where }];
  return [{ group: `${base}/vars`, params: layer.params, where }];
}

function assignFromArchive(h5: Hdf5File, g: ArchiveGroup): void {
  const head = `importKeras: ${h5.what.replace(/^model\.weights\.h5 in /, "")}: ${g.where}`;
  const keys = h5.keys(g.group);
  const extra = keys.filter((k) => !(/^\d+$/.test(k) && Number(k) < g.params.length) && h5.hasDataset(`${g.group}/${k}`));
  if (extra.length) {
    throw new ModelFormatError(`${head}: "${g.group}" holds ${extra.length} more weight${extra.length > 1 ? "s" : ""} (${extra.join(", ")}) than the layer's ${g.params.length} (${g.params.map((p) => p.name).join(", ") || "none"})`);
  }
  g.params.forEach((p, i) => {
    const path = `${g.group}/${i}`;
    const label = `${head}: weight "${p.name}"`;
    if (!h5.hasDataset(path)) throw new ModelFormatError(`${label} is missing: model.weights.h5 has no dataset "${path}"`);
    assign(p, h5.readFloat(path, label), label, path);
  });
}

function assign(p: Param, a: { shape: number[]; data: Float32Array }, label: string, path: string): void {
  const same = a.shape.length === p.shape.length && a.shape.every((d, i) => d === p.shape[i]);
  if (!same) throw new ModelFormatError(`${label}: dataset "${path}" has shape ${fmtShape(a.shape)}; the layer needs ${fmtShape(p.shape)}`);
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i]!)) throw new ModelFormatError(`${label}: dataset "${path}" holds ${a.data[i]} at flat index ${i}`);
  }
  p.value.set(a.data);
}

/** Labels of a layer's parameters in order: "kernel", or "forward_lstm/kernel" inside wrappers. */
function paramLabels(layer: Layer): string[] {
  if (layer instanceof Bidirectional) {
    return [...paramLabels(layer.forwardLayer).map((n) => `forward/${n}`), ...paramLabels(layer.backwardLayer).map((n) => `backward/${n}`)];
  }
  if (layer instanceof TimeDistributed) return paramLabels(layer.layer);
  return layer.params.map((p) => p.name);
}
