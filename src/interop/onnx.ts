// ONNX export of a Sequential model: one graph input ([batch, time, features] float32, or int64
// token ids when the model starts with an Embedding), one converter per layer kind (the CONVERTERS
// table), weights as initializers in ONNX's layouts, and ModelProto bytes through ./onnx_proto.ts.
// docs/interop.md lists what exports and how each piece is tested in onnxruntime.

import { ConfigError, ModelFormatError, NonFiniteError, ShapeError, fmtShape } from "../tensor/errors.js";
import {
  Layer, Dense, Embedding, RepeatVector, RecurrentLayer, LSTM, GRU, TimeDistributed, Bidirectional,
  Conv1D, MaxPooling1D, AveragePooling1D, type DenseActivation,
} from "../layers/index.js";
import type { Activation } from "../kernels/activations.js";
import type { Sequential } from "../models/sequential.js";
import { fileSystem } from "../io/fs.js";
import {
  AttributeType, DataType, encodeModel,
  type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from "./onnx_proto.js";

export interface OnnxOptions {
  /**
   * The ai.onnx opset the model declares. Default 17. Anything from what the graph needs (at
   * least 7; 10 with a goBackwards layer returning sequences, 11 with a relu6 Dense) up to 21.
   */
  opset?: number;
}

/**
 * Opset written when none is asked for: 17, the opset of ONNX 1.12 (2022). The ops the exporter
 * writes have had their present meaning since 13 at the latest (later versions add element types,
 * or attributes whose defaults keep the old meaning, such as the RNN ops' layout in 14), so a newer
 * default would only narrow which runtimes load the file; anyone on an older runtime asks for the
 * lowest the graph allows (7 to 11). The tests run every opset from 7 to 21 in onnxruntime-node.
 */
export const DEFAULT_OPSET = 17;
/** Lowest opset of every op form the exporter writes: numpy broadcasting of Add/Mul, LSTM/GRU/RNN-7. */
export const MIN_OPSET = 7;
/** Highest opset accepted: the last one of the IR version table below. */
export const MAX_OPSET = 21;

// IR version of the ONNX release that introduced each opset (onnx docs/Versioning.md).
const IR_VERSION: Record<number, number> = {
  7: 3, 8: 3, 9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10,
};

/** A tensor of the graph: its name, element type and per-sample shape (the batch axis is implicit, first). */
interface Value {
  name: string;
  shape: number[];
  type: "float" | "int64";
}

type Attr = number | number[] | string | string[] | { float: number } | { floats: number[] };

/** What a converter may add to the graph. Every name it creates is prefixed by the layer's name. */
interface Ctx {
  /** Add a node with `outputs` new outputs (or these names); returns the output names. */
  node(op: string, inputs: string[], attrs?: Record<string, Attr>, outputs?: number | string[]): string[];
  /** A float32 initializer [dims]; values row-major. */
  floats(what: string, dims: number[], values: Float32Array | number[]): string;
  /** An int64 initializer [dims]. */
  int64s(what: string, dims: number[], values: (number | bigint)[]): string;
  /** Record that the graph needs at least `opset` for `why`. */
  need(opset: number, why: string): void;
  /** Run `fn` with names prefixed by `layer`'s name (wrapped layers). */
  within<T>(layer: Layer, fn: () => T): T;
}

/** Converts one layer: its input value to its output value, adding nodes and initializers. */
type Converter = (layer: Layer, x: Value, ctx: Ctx) => Value;

/** The one table of layer kinds that export, by class name (as in model.json). */
const CONVERTERS: Record<string, Converter> = {
  InputLayer: (_l, x) => x,
  Dropout: (_l, x) => x, // inverted dropout: the identity at inference
  Dense: convertDense,
  Embedding: convertEmbedding,
  Flatten: convertFlatten,
  RepeatVector: convertRepeatVector,
  LSTM: convertRecurrent,
  GRU: convertRecurrent,
  SimpleRNN: convertRecurrent,
  TimeDistributed: convertTimeDistributed,
  Bidirectional: convertBidirectional,
  Conv1D: convertConv1D,
  MaxPooling1D: convertPooling,
  AveragePooling1D: convertPooling,
  GlobalAveragePooling1D: (_l, x, ctx) => convertGlobalPooling("GlobalAveragePool", x, ctx),
  GlobalMaxPooling1D: (_l, x, ctx) => convertGlobalPooling("GlobalMaxPool", x, ctx),
  Masking: (l) => refuseMask(l, "masks the steps whose features all equal its maskValue"),
};

/**
 * Masks do not export: ONNX's LSTM, GRU and RNN take one length per sequence (sequence_lens), not a
 * mask per step, and the mask depends on the values fed at run time (a hole in the middle of a
 * sequence, or left padding, has no sequence_lens form at all), so a graph without it would
 * silently compute over the padding.
 */
function refuseMask(l: Layer, what: string): never {
  throw new ConfigError(`exportOnnx: layer "${l.name}" (${l.className}) ${what}, and ONNX cannot carry that mask: its LSTM, GRU and RNN ops take one length per sequence (sequence_lens), not a mask per step computed from the data, so the exported graph would run over the padding. To export, rebuild the model without the mask (the same layers and weights, no Masking layer, maskZero off): that graph runs every step, right for sequences without padding`);
}

/** Class names of the layers that export to ONNX. */
export function onnxLayerKinds(): string[] {
  return Object.keys(CONVERTERS);
}

/**
 * The model as ONNX bytes (a serialised ModelProto), host-neutral.
 *
 * The graph has one input, "input": float32 [batch, time, features] (the model's input shape with
 * a dynamic batch axis), or int64 token ids [batch, time] when the first layer is an Embedding;
 * and one output, "output", [batch, ...model.outputShape]. It computes what `model.predict` does.
 *
 * Throws ModelFormatError naming the layer when a layer kind, an activation or an option has no
 * ONNX form; ConfigError when the model is not built or the opset is out of range (below what the
 * graph needs, or above 21); NonFiniteError naming layer and weight when a weight is NaN or ±∞.
 */
export async function toOnnx(model: Sequential, options: OnnxOptions = {}): Promise<Uint8Array> {
  return buildOnnx(model, options);
}

/**
 * Write the model as an ONNX file at `path` through the installed file system's atomic write
 * (the old file, if any, stays whole until the new one is complete). Creates missing directories.
 *
 * @example await exportOnnx(model, "model.onnx", { opset: 17 })
 */
export async function exportOnnx(model: Sequential, path: string, options: OnnxOptions = {}): Promise<void> {
  const fs = fileSystem("exportOnnx");
  const bytes = buildOnnx(model, options);
  const dir = fs.dirname(path);
  if (dir && !fs.exists(dir)) fs.mkdirp(dir);
  fs.writeAtomic(path, bytes);
}

function checkOpsetOption(opset: unknown): number {
  if (opset === undefined) return DEFAULT_OPSET;
  if (typeof opset !== "number" || !Number.isInteger(opset)) {
    throw new ConfigError(`exportOnnx: opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${String(opset)}`);
  }
  if (opset > MAX_OPSET) {
    throw new ConfigError(`exportOnnx: opset ${opset} is above ${MAX_OPSET}, the highest this exporter writes; choose ${MIN_OPSET} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`);
  }
  return opset;
}

function buildOnnx(model: Sequential, options: OnnxOptions): Uint8Array {
  const opset = checkOpsetOption(options.opset);
  const inputShape = model.inputShape;
  if (!inputShape) {
    throw new ConfigError("exportOnnx: the model is not built yet; start it with layers.input({ shape }) or call fit/predict first");
  }

  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const used = new Set<string>(["input", "output"]);
  let needed = MIN_OPSET;
  let neededWhy = `every graph (numpy broadcasting of Add and Mul, LSTM/GRU/RNN of opset ${MIN_OPSET})`;
  const scope: string[] = [];

  const unique = (what: string): string => {
    const base = [...scope, what].join("/");
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };

  const ctx: Ctx = {
    node(op, inputs, attrs = {}, outputs = 1) {
      const outs = Array.isArray(outputs) ? outputs : Array.from({ length: outputs }, (_, k) => unique(outputs === 1 ? op : `${op}_${k}`));
      nodes.push({ name: unique(`${op}_node`), op_type: op, input: inputs, output: outs, attribute: Object.entries(attrs).map(([n, v]) => attribute(n, v)) });
      return outs;
    },
    floats(what, dims, values) {
      const name = unique(what);
      const n = dims.reduce((a, b) => a * b, 1);
      if (values.length !== n) throw new ShapeError(`exportOnnx: initializer "${name}" has ${values.length} values for shape ${fmtShape(dims)}`);
      const raw = new Uint8Array(4 * n);
      const view = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) view.setFloat32(4 * i, values[i]!, true);
      inits.push({ name, dims, data_type: DataType.FLOAT, raw_data: raw });
      return name;
    },
    int64s(what, dims, values) {
      const name = unique(what);
      const raw = new Uint8Array(8 * values.length);
      const view = new DataView(raw.buffer);
      values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
      inits.push({ name, dims, data_type: DataType.INT64, raw_data: raw });
      return name;
    },
    need(n, why) {
      if (n > needed) { needed = n; neededWhy = why; }
    },
    within(layer, fn) {
      scope.push(layer.name);
      try { return fn(); } finally { scope.pop(); }
    },
  };

  const first = model.layers.find((l) => l.className !== "InputLayer");
  let x: Value = { name: "input", shape: [...inputShape], type: first instanceof Embedding ? "int64" : "float" };
  const graphInput = valueInfo("input", x.type, inputShape);
  for (const layer of model.layers) {
    x = convertLayer(layer, x, ctx);
  }
  ctx.node("Identity", [x.name], {}, ["output"]);

  if (opset < needed) {
    throw new ConfigError(`exportOnnx: opset ${opset} is below ${needed}, the lowest this model's graph can use (${neededWhy}); choose ${needed} to ${MAX_OPSET} (default ${DEFAULT_OPSET})`);
  }

  const irVersion = IR_VERSION[opset]!;
  // IR 3 (opsets 7 and 8) wants every initializer listed among the graph's inputs too; IR 4 dropped that rule.
  const initializerInputs = irVersion < 4 ? inits.map((t) => tensorInfo(t.name, t.data_type, t.dims)) : [];
  return encodeModel({
    ir_version: irVersion,
    producer_name: "recurrent",
    producer_version: "",
    doc_string: `Sequential model "${model.name}": ${model.layers.map((l) => `${l.name} (${l.className})`).join(", ")}`,
    opset_import: [{ domain: "", version: opset }],
    graph: {
      name: model.name,
      node: nodes,
      initializer: inits,
      input: [graphInput, ...initializerInputs],
      output: [valueInfo("output", x.type, x.shape)],
    },
  });
}

/** Convert one layer through the table; checks the result against the layer's own output shape. */
function convertLayer(layer: Layer, x: Value, ctx: Ctx): Value {
  const convert = CONVERTERS[layer.className];
  if (!convert) {
    throw new ModelFormatError(`exportOnnx: layer "${layer.name}" is a ${layer.className}, which has no ONNX converter; layers that export: ${onnxLayerKinds().join(", ")}`);
  }
  const y = ctx.within(layer, () => convert(layer, x, ctx));
  if (layer.outputShape && fmtShape(y.shape) !== fmtShape(layer.outputShape)) {
    throw new ShapeError(`exportOnnx: layer "${layer.name}" (${layer.className}) converts to per-sample shape ${fmtShape(y.shape)} but outputs ${fmtShape(layer.outputShape)}`);
  }
  return y;
}

function attribute(name: string, v: Attr): AttributeProto {
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer`); // internal: floats go as { float }
    return { name, type: AttributeType.INT, i: v };
  }
  if (typeof v === "string") return { name, type: AttributeType.STRING, s: utf8(v) };
  if (Array.isArray(v)) {
    if (v.every((e) => typeof e === "string")) return { name, type: AttributeType.STRINGS, strings: (v as string[]).map(utf8) };
    return { name, type: AttributeType.INTS, ints: v as number[] };
  }
  if ("floats" in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  return { name, type: AttributeType.FLOAT, f: v.float };
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function valueInfo(name: string, type: Value["type"], shape: number[]): ValueInfoProto {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: type === "float" ? DataType.FLOAT : DataType.INT64,
        shape: { dim: [{ dim_param: "batch" }, ...shape.map((d) => ({ dim_value: d }))] },
      },
    },
  };
}

function tensorInfo(name: string, elemType: number, dims: number[]): ValueInfoProto {
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } };
}

/** A layer's weight by name, checked finite (the error names layer and weight). */
function weight(layer: Layer, name: string): Float32Array {
  const p = layer.params.find((q) => q.name === name);
  if (!p) throw new ModelFormatError(`exportOnnx: layer "${layer.name}" (${layer.className}) has no weight "${name}"`);
  for (let i = 0; i < p.value.length; i++) {
    if (!Number.isFinite(p.value[i]!)) {
      throw new NonFiniteError(`exportOnnx: weight "${name}" of layer "${layer.name}" holds ${p.value[i]} at flat index ${i}`);
    }
  }
  return p.value;
}

// ---------------------------------------------------------------------------------------------
// Feed-forward layers

/** A Dense (or Conv1D) layer's activation as a standalone op on x; returns its output (x itself for linear). */
function denseActivation(layer: { name: string; className: string; activation: DenseActivation }, x: Value, ctx: Ctx): string {
  const act = layer.activation;
  const axis = x.shape.length; // the last axis, counting the batch axis
  switch (act) {
    case "linear": return x.name;
    case "relu": return ctx.node("Relu", [x.name])[0]!;
    case "relu6": {
      ctx.need(11, `layer "${layer.name}": relu6 as Clip with min and max inputs`);
      return ctx.node("Clip", [x.name, ctx.floats("relu6_min", [], [0]), ctx.floats("relu6_max", [], [6])])[0]!;
    }
    case "sigmoid": return ctx.node("Sigmoid", [x.name])[0]!;
    case "hardSigmoid": return ctx.node("HardSigmoid", [x.name], { alpha: { float: 0.2 }, beta: { float: 0.5 } })[0]!;
    case "tanh": return ctx.node("Tanh", [x.name])[0]!;
    case "elu": return ctx.node("Elu", [x.name], { alpha: { float: 1 } })[0]!;
    case "selu": return ctx.node("Selu", [x.name], { alpha: { float: 1.6732632423543772 }, gamma: { float: 1.0507009873554805 } })[0]!;
    case "softplus": return ctx.node("Softplus", [x.name])[0]!;
    case "softsign": return ctx.node("Softsign", [x.name])[0]!;
    // the last axis: before opset 13 Softmax flattens to 2-D at `axis`, which for the last axis is the same
    case "softmax": return ctx.node("Softmax", [x.name], { axis })[0]!;
    default:
      throw new ModelFormatError(`exportOnnx: layer "${layer.name}" (${layer.className}) has activation "${String(act)}", which has no ONNX form here`);
  }
}

function convertDense(l: Layer, x: Value, ctx: Ctx): Value {
  const layer = l as Dense;
  const I = x.shape[x.shape.length - 1]!;
  const O = layer.units;
  let y = ctx.node("MatMul", [x.name, ctx.floats("kernel", [I, O], weight(layer, "kernel"))])[0]!;
  if (layer.useBias) y = ctx.node("Add", [y, ctx.floats("bias", [O], weight(layer, "bias"))])[0]!;
  const shape = [...x.shape.slice(0, -1), O];
  return { name: denseActivation(layer, { name: y, shape, type: "float" }, ctx), shape, type: "float" };
}

function convertEmbedding(l: Layer, x: Value, ctx: Ctx): Value {
  const layer = l as Embedding;
  if (layer.maskZero) refuseMask(layer, "has maskZero (id 0 masks a step)");
  let ids = x.name;
  if (x.type !== "int64") ids = ctx.node("Cast", [x.name], { to: DataType.INT64 })[0]!;
  const table = ctx.floats("embeddings", [layer.inputDim, layer.outputDim], weight(layer, "embeddings"));
  const y = ctx.node("Gather", [table, ids], { axis: 0 })[0]!;
  return { name: y, shape: [...x.shape, layer.outputDim], type: "float" };
}

function convertFlatten(_l: Layer, x: Value, ctx: Ctx): Value {
  const y = ctx.node("Flatten", [x.name], { axis: 1 })[0]!;
  return { name: y, shape: [x.shape.reduce((a, b) => a * b, 1)], type: x.type };
}

function convertRepeatVector(l: Layer, x: Value, ctx: Ctx): Value {
  const layer = l as RepeatVector;
  const F = x.shape[0]!;
  ctx.need(8, `layer "${layer.name}": RepeatVector as Expand`);
  const r = ctx.node("Reshape", [x.name, ctx.int64s("shape", [3], [-1, 1, F])])[0]!;
  const y = ctx.node("Expand", [r, ctx.int64s("repeats", [3], [1, layer.n, 1])])[0]!;
  return { name: y, shape: [layer.n, F], type: x.type };
}

function convertTimeDistributed(l: Layer, x: Value, ctx: Ctx): Value {
  const layer = l as TimeDistributed;
  const T = x.shape[0]!;
  const rest = x.shape.slice(1);
  // [batch, T, ...rest] → [batch·T, ...rest], the wrapped layer, then back to [batch, T, ...out]
  const flat = ctx.node("Reshape", [x.name, ctx.int64s("merge_shape", [rest.length + 1], [-1, ...rest])])[0]!;
  const inner = convertLayer(layer.layer, { name: flat, shape: rest, type: x.type }, ctx);
  const y = ctx.node("Reshape", [inner.name, ctx.int64s("split_shape", [inner.shape.length + 2], [-1, T, ...inner.shape])])[0]!;
  return { name: y, shape: [T, ...inner.shape], type: inner.type };
}

// ---------------------------------------------------------------------------------------------
// Recurrent layers: one ONNX LSTM / GRU / RNN node per layer (two directions for Bidirectional)

/** ONNX name of an activation inside LSTM / GRU / RNN (their `activations` attribute). */
const RNN_ACTIVATIONS: Partial<Record<Activation, string>> = {
  linear: "Affine", // alpha·x + beta with alpha 1, beta 0, written out: Affine has no default
  relu: "Relu",
  sigmoid: "Sigmoid",
  hardSigmoid: "HardSigmoid", // alpha 0.2, beta 0.5: ONNX's HardSigmoid defaults, and tf.keras 2's hard sigmoid
  tanh: "Tanh",
  elu: "Elu", // alpha 1: ONNX's Elu default
  softsign: "Softsign",
  softplus: "Softplus",
};

/** alpha and beta of the functions that take them (Keras's constants; ONNX's defaults where it has one). */
const RNN_ALPHA_BETA: Record<string, { alpha: number; beta?: number }> = {
  Affine: { alpha: 1, beta: 0 },
  HardSigmoid: { alpha: 0.2, beta: 0.5 },
  Elu: { alpha: 1 },
};

/**
 * activation_alpha / activation_beta for an `activations` list, or none when every function keeps
 * its default. The spec says the values are "consumed in the order of activation functions";
 * onnxruntime reads that as one value per function that takes one (Affine and HardSigmoid an
 * alpha and a beta, Elu an alpha; the others none), so that is how the lists are written. Without
 * an Affine nothing is written: the defaults already are Keras's constants, under either reading.
 */
function alphaBeta(activations: string[]): Record<string, Attr> {
  if (!activations.includes("Affine")) return {};
  const alpha: number[] = [], beta: number[] = [];
  for (const a of activations) {
    const ab = RNN_ALPHA_BETA[a];
    if (!ab) continue;
    alpha.push(ab.alpha);
    if (ab.beta !== undefined) beta.push(ab.beta);
  }
  return { activation_alpha: { floats: alpha }, activation_beta: { floats: beta } };
}

interface RecurrentSpec {
  op: "LSTM" | "GRU" | "RNN";
  /** For ONNX gate block k, the Keras gate block it comes from. */
  perm: number[];
}

function specOf(layer: RecurrentLayer): RecurrentSpec {
  if (layer instanceof LSTM) return { op: "LSTM", perm: [0, 3, 1, 2] }; // Keras i, f, c, o → ONNX i, o, f, c
  if (layer instanceof GRU) return { op: "GRU", perm: [0, 1, 2] }; // z, r, h in both
  return { op: "RNN", perm: [0] };
}

function rnnActivation(layer: RecurrentLayer, act: Activation, role: string): string {
  const name = RNN_ACTIVATIONS[act];
  if (!name) {
    const ok = Object.keys(RNN_ACTIVATIONS).join(", ");
    throw new ModelFormatError(`exportOnnx: layer "${layer.name}" (${layer.className}) uses activation "${act}" for its ${role}, which ONNX's ${specOf(layer).op} op cannot express; recurrent activations that export: ${ok}`);
  }
  return name;
}

/** The `activations` attribute for one direction, in ONNX's order (LSTM f, g, h; GRU f, g; RNN f). */
function activationsOf(layer: RecurrentLayer): string[] {
  if (layer instanceof LSTM) {
    return [
      rnnActivation(layer, layer.recurrentActivation, "gates (recurrentActivation)"),
      rnnActivation(layer, layer.activation, "candidate and output (activation)"),
      rnnActivation(layer, layer.activation, "candidate and output (activation)"),
    ];
  }
  if (layer instanceof GRU) {
    return [
      rnnActivation(layer, layer.recurrentActivation, "gates (recurrentActivation)"),
      rnnActivation(layer, layer.activation, "candidate (activation)"),
    ];
  }
  return [rnnActivation(layer, layer.activation, "state (activation)")];
}

/** Keras [N, G·H] (gate blocks in Keras order) → ONNX [G·H, N] (blocks in ONNX order), appended to `out` at `off`. */
function gateBlocksTransposed(w: Float32Array, N: number, H: number, perm: number[], out: Float32Array, off: number): void {
  const GH = perm.length * H;
  perm.forEach((src, k) => {
    for (let j = 0; j < H; j++) {
      const row = off + (k * H + j) * N;
      for (let n = 0; n < N; n++) out[row + n] = w[n * GH + src * H + j]!;
    }
  });
}

function gateBlocks(b: Float32Array, bOff: number, H: number, perm: number[], out: Float32Array, off: number): void {
  perm.forEach((src, k) => {
    for (let j = 0; j < H; j++) out[off + k * H + j] = b[bOff + src * H + j]!;
  });
}

/** The recurrent layer's checks before export: what ONNX's ops cannot carry. */
function checkExportable(layer: RecurrentLayer): void {
  if (layer.stateful) {
    throw new ModelFormatError(`exportOnnx: layer "${layer.name}" (${layer.className}) is stateful: its states carry from one batch to the next, which an ONNX graph without state inputs cannot do; rebuild it with stateful: false and copy the weights (setWeights) to export`);
  }
}

/**
 * One ONNX LSTM / GRU / RNN node over x [batch, T, I] for one or two layers (`slots`: ONNX's
 * forward then reverse direction). Returns Y [T, D, batch, H] and Y_h [D, batch, H].
 */
function rnnNode(slots: RecurrentLayer[], x: Value, ctx: Ctx, direction: "forward" | "reverse" | "bidirectional"): { Y: string; Yh: string } {
  const first = slots[0]!;
  const { op, perm } = specOf(first);
  const I = x.shape[1]!;
  const H = first.units;
  const G = perm.length;
  const D = slots.length;
  const W = new Float32Array(D * G * H * I);
  const R = new Float32Array(D * G * H * H);
  const Bias = new Float32Array(D * 2 * G * H);
  // Peephole LSTM: ONNX's P [D, 3H] in its order i, o, f from our weight's i, f, o (absent P means zeros,
  // so a direction without peepholes beside one with them stays zero)
  const peephole = slots.some((l) => l instanceof LSTM && l.peephole);
  const P = peephole ? new Float32Array(D * 3 * H) : null;
  slots.forEach((layer, d) => {
    checkExportable(layer);
    if (P && layer instanceof LSTM && layer.peephole) gateBlocks(weight(layer, "peephole"), 0, H, [0, 2, 1], P, d * 3 * H);
    gateBlocksTransposed(weight(layer, "kernel"), I, H, perm, W, d * G * H * I);
    gateBlocksTransposed(weight(layer, "recurrent_kernel"), H, H, perm, R, d * G * H * H);
    if (!layer.useBias) return;
    const b = weight(layer, "bias");
    const off = d * 2 * G * H;
    gateBlocks(b, 0, H, perm, Bias, off); // Wb: Keras's input bias
    if (layer instanceof GRU && layer.resetAfter) gateBlocks(b, G * H, H, perm, Bias, off + G * H); // Rb: the recurrent row
    // LSTM, SimpleRNN and GRU without resetAfter have one bias: Rb stays zero
  });
  const activations = slots.flatMap(activationsOf);
  const attrs: Record<string, Attr> = { hidden_size: H, direction, activations, ...alphaBeta(activations) };
  if (first instanceof GRU) attrs["linear_before_reset"] = first.resetAfter ? 1 : 0;
  const xt = ctx.node("Transpose", [x.name], { perm: [1, 0, 2] })[0]!; // [T, batch, I]: ONNX's layout 0
  const inputs = [
    xt,
    ctx.floats("W", [D, G * H, I], W),
    ctx.floats("R", [D, G * H, H], R),
    ...(first.useBias ? [ctx.floats("B", [D, 2 * G * H], Bias)] : []), // B is optional: absent means zeros
  ];
  if (P) {
    // P is LSTM's 8th input: the optional ones before it (B, sequence_lens, initial_h, initial_c) named "" when absent
    if (!first.useBias) inputs.push("");
    inputs.push("", "", "", ctx.floats("P", [D, 3 * H], P));
  }
  const [Y, Yh] = ctx.node(op, inputs, attrs, 2) as [string, string];
  return { Y, Yh };
}

/** Direction `d`'s output of an RNN node as our layer returns it: [batch, T, H] in processing order, or [batch, H]. */
function directionOutput(layer: RecurrentLayer, rnn: { Y: string; Yh: string }, d: number, ctx: Ctx, reverseTime: boolean): string {
  const index = ctx.int64s(`direction_${d}`, [], [d]);
  if (!layer.returnSequences) return ctx.node("Gather", [rnn.Yh, index], { axis: 0 })[0]!; // [batch, H]
  const y = ctx.node("Gather", [rnn.Y, index], { axis: 1 })[0]!; // [T, batch, H]
  const yb = ctx.node("Transpose", [y], { perm: [1, 0, 2] })[0]!; // [batch, T, H]
  return reverseTime ? reverseTimeAxis(yb, ctx, layer) : yb;
}

/** x [batch, T, ...] with its time axis reversed (Slice with step -1). */
function reverseTimeAxis(x: string, ctx: Ctx, layer: Layer): string {
  ctx.need(10, `layer "${layer.name}": time reversal of a goBackwards sequence as Slice with steps`);
  return ctx.node("Slice", [
    x,
    ctx.int64s("rev_starts", [1], [-1]),
    ctx.int64s("rev_ends", [1], [-(2n ** 63n)]), // INT64_MIN: through the first step
    ctx.int64s("rev_axes", [1], [1]),
    ctx.int64s("rev_steps", [1], [-1]),
  ])[0]!;
}

function outputShape(layer: RecurrentLayer, T: number): number[] {
  return layer.returnSequences ? [T, layer.units] : [layer.units];
}

/**
 * LSTM, GRU, SimpleRNN. goBackwards runs ONNX's "reverse" direction, whose Y is aligned with the
 * input's time axis; our layer (like Keras) returns the sequence in processing order, last input
 * step first, so Y is reversed in time after the node. The final state needs nothing.
 */
function convertRecurrent(l: Layer, x: Value, ctx: Ctx): Value {
  const layer = l as RecurrentLayer;
  const rnn = rnnNode([layer], x, ctx, layer.goBackwards ? "reverse" : "forward");
  const y = directionOutput(layer, rnn, 0, ctx, layer.goBackwards);
  return { name: y, shape: outputShape(layer, x.shape[0]!), type: "float" };
}

/**
 * Bidirectional: one node with direction "bidirectional" (slot 0 the layer that reads forwards,
 * slot 1 the one that reads backwards), each direction brought to what our wrapper merges, then
 * the merge: Concat, Add, Mul, or Add then Mul by 0.5.
 */
function convertBidirectional(l: Layer, x: Value, ctx: Ctx): Value {
  const layer = l as Bidirectional;
  const fwd = layer.forwardLayer, bwd = layer.backwardLayer;
  if (specOf(fwd).op !== specOf(bwd).op || fwd.units !== bwd.units || fwd.useBias !== bwd.useBias) {
    throw new ModelFormatError(`exportOnnx: layer "${layer.name}" (Bidirectional) wraps two different recurrent layers, which one ONNX node cannot hold`);
  }
  if (fwd instanceof GRU && bwd instanceof GRU && fwd.resetAfter !== bwd.resetAfter) {
    throw new ModelFormatError(`exportOnnx: layer "${layer.name}" (Bidirectional) wraps GRUs with different resetAfter, which one ONNX node cannot hold`);
  }
  const slots = fwd.goBackwards ? [bwd, fwd] : [fwd, bwd];
  const rnn = rnnNode(slots, x, ctx, "bidirectional");
  // Each sub-layer's output in its processing order: ONNX's aligned Y reversed when it reads backwards.
  // The wrapper then puts the backward layer's sequence back in time order.
  const yf = directionOutput(fwd, rnn, slots.indexOf(fwd), ctx, fwd.goBackwards);
  const yb = directionOutput(bwd, rnn, slots.indexOf(bwd), ctx, !bwd.goBackwards);
  const shape = outputShape(fwd, x.shape[0]!);
  const last = shape.length; // the feature axis, counting the batch axis
  let y: string;
  switch (layer.mergeMode) {
    case "concat": {
      y = ctx.node("Concat", [yf, yb], { axis: last })[0]!;
      shape[shape.length - 1] = 2 * fwd.units;
      break;
    }
    case "sum": y = ctx.node("Add", [yf, yb])[0]!; break;
    case "mul": y = ctx.node("Mul", [yf, yb])[0]!; break;
    case "ave": y = ctx.node("Mul", [ctx.node("Add", [yf, yb])[0]!, ctx.floats("half", [], [0.5])])[0]!; break;
    default:
      throw new ModelFormatError(`exportOnnx: layer "${layer.name}" (Bidirectional) has merge mode "${String(layer.mergeMode)}", which has no ONNX form here`);
  }
  return { name: y, shape, type: "float" };
}

// ---------------------------------------------------------------------------------------------
// Convolution and pooling over time: ONNX's Conv / MaxPool / AveragePool take [batch, channels, T]
// (NCW), so the sequence is transposed in and out; padding becomes explicit begin / end pads.

/** [batch, T, C] ⇄ [batch, C, T]. */
function swapTimeChannels(x: string, ctx: Ctx): string {
  return ctx.node("Transpose", [x], { perm: [0, 2, 1] })[0]!;
}

/** The [begin, end] pads of a window sweep whose output has `out` steps. */
function pads1d(L: number, window: number, stride: number, padLeft: number, out: number): number[] {
  // the right pad makes ONNX's ⌊(L + pads − window) / stride⌋ + 1 come out at `out`, never reaching past the last window
  const right = Math.max((out - 1) * stride + window - L - padLeft, 0);
  return [padLeft, right];
}

function convertConv1D(l: Layer, x: Value, ctx: Ctx): Value {
  const layer = l as Conv1D;
  const [L, C] = x.shape as [number, number];
  const K = layer.kernelSize, F = layer.filters;
  const out = layer.outputShape![0]!;
  // Keras [K, C, F] → ONNX [F, C, K]
  const kernel = weight(layer, "kernel");
  const w = new Float32Array(F * C * K);
  for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) w[(f * C + c) * K + k] = kernel[(k * C + c) * F + f]!;
  const inputs = [swapTimeChannels(x.name, ctx), ctx.floats("W", [F, C, K], w)];
  if (layer.useBias) inputs.push(ctx.floats("B", [F], weight(layer, "bias")));
  const y = ctx.node("Conv", inputs, {
    kernel_shape: [K], strides: [layer.strides], dilations: [layer.dilationRate],
    pads: pads1d(L, layer.window, layer.strides, layer.padLeft, out),
  })[0]!;
  const shape = [out, F];
  const yt = swapTimeChannels(y, ctx);
  return { name: denseActivation(layer, { name: yt, shape, type: "float" }, ctx), shape, type: "float" };
}

function convertPooling(l: Layer, x: Value, ctx: Ctx): Value {
  const layer = l as MaxPooling1D | AveragePooling1D;
  const [L, C] = x.shape as [number, number];
  const out = layer.outputShape![0]!;
  const attrs: Record<string, Attr> = {
    kernel_shape: [layer.poolSize], strides: [layer.strides], pads: pads1d(L, layer.poolSize, layer.strides, layer.padLeft, out),
  };
  // padded positions never count: MaxPool ignores them; AveragePool divides by the real entries only
  if (layer instanceof AveragePooling1D) attrs["count_include_pad"] = 0;
  const y = ctx.node(layer instanceof AveragePooling1D ? "AveragePool" : "MaxPool", [swapTimeChannels(x.name, ctx)], attrs)[0]!;
  return { name: swapTimeChannels(y, ctx), shape: [out, C], type: "float" };
}

function convertGlobalPooling(op: "GlobalAveragePool" | "GlobalMaxPool", x: Value, ctx: Ctx): Value {
  const y = ctx.node(op, [swapTimeChannels(x.name, ctx)])[0]!; // [batch, C, 1]
  return { name: ctx.node("Flatten", [y], { axis: 1 })[0]!, shape: [x.shape[1]!], type: "float" };
}
