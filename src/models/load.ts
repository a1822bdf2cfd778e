// Load models written by ./save.ts. model.json is checked field by field against a schema, the
// weights file's name must be a plain name inside the model directory, its size, header and
// checksum must agree with model.json, and the layers must build to the recorded weights. Any
// damage is a ModelFormatError naming the file and the field, never a raw TypeError or RangeError.

import { ConfigError, ModelFormatError } from "../tensor/errors.js";
import { fromConfig } from "../layers/registry.js";
import { withParamBudget, type Layer } from "../layers/layer.js";
import { parseOptions, z, str, positiveInt, nonNegativeInt, fmtValue } from "../layers/options.js";
import { fileSystem } from "../io/fs.js";
import { Sequential, type Model } from "./sequential.js";
import { Functional } from "./functional.js";
import type { GraphJson, TensorRef } from "./functional.js";
import { input, type SymbolicTensor } from "../layers/symbolic.js";
import { FORMAT, FORMAT_VERSION, MAGIC, HEADER_BYTES, crc32, type ModelJson } from "./save.js";
import { Optimizer } from "../optim/optimizers.js";
import { isCustomLoss, type CustomLoss, type LossSpec } from "../kernels/losses.js";
import type { CustomMetric, MetricArg, MetricFn } from "./metrics.js";

export interface LoadOptions {
  /**
   * The custom loss and metrics a model was compiled with, by the names model.json records
   * (Keras's `custom_objects`): `{ myLoss, f1 }`. Without them the model loads (it predicts, and
   * its optimizer state is kept), but fit and evaluate ask for them.
   */
  customObjects?: Record<string, CustomLoss | MetricFn | CustomMetric>;
}

const integer = (): z.ZodNumber => z.number({ error: "must be an integer" }).refine(Number.isInteger, { error: "must be an integer" }) as unknown as z.ZodNumber;
const object = (what: string): z.ZodType => z.custom((v) => v !== null && typeof v === "object" && !Array.isArray(v), { error: `must be ${what}` });

/** The weights file: a plain file name of ours, so model.json cannot point outside its directory. */
const WEIGHTS_FILE = z.string({ error: "must be a file name" })
  .regex(/^weights(-[0-9a-f]{8})?\.bin$/, { error: 'must be "weights-<8 hex digits>.bin" in the model directory (no path)' });

const LAYER_ENTRY = z.object({
  className: str(), config: object("a layer config object"),
  trainable: z.boolean({ error: "must be true or false" }).optional(),
  trainableChildren: z.array(z.boolean({ error: "must be true or false" }), { error: "must be a list of true / false" }).optional(),
}, { error: "must be { className, config }" });

const TENSOR_REF = z.union([
  z.tuple([z.literal("input"), nonNegativeInt()]),
  z.tuple([z.literal("call"), nonNegativeInt(), nonNegativeInt()]),
], { error: 'must be ["input", k] or ["call", k, output]' });

const GRAPH = z.object({
  inputs: z.array(z.object({ name: str(), shape: z.array(positiveInt(), { error: "must be a list of positive integers" }).min(1) }, { error: "must be { name, shape }" }), { error: "must be a list of inputs" }).min(1),
  calls: z.array(z.object({
    layer: nonNegativeInt(),
    inputs: z.array(TENSOR_REF, { error: "must be a list of tensor references" }).min(1),
    args: z.object({ initialStates: nonNegativeInt().optional(), returnAttentionScores: z.boolean().optional(), useCausalMask: z.boolean().optional() }, { error: "must be { initialStates?, returnAttentionScores?, useCausalMask? }" }).strict().optional(),
  }, { error: "must be { layer, inputs, args? }" }), { error: "must be a list of layer calls" }).min(1),
  outputs: z.array(TENSOR_REF, { error: "must be a list of tensor references" }).min(1),
}, { error: "must be { inputs, calls, outputs }" });

const MODEL_JSON = z.object({
  format: z.literal(FORMAT),
  version: z.literal(FORMAT_VERSION),
  name: str(),
  seed: integer(),
  inputShape: z.array(positiveInt(), { error: "must be a list of positive integers" }).min(1, { error: "must be a non-empty list of positive integers" }),
  layers: z.array(LAYER_ENTRY, { error: "must be a list of layers" }).min(1, { error: "must list at least one layer" }),
  compile: z.object({
    optimizer: z.custom((v) => typeof v === "string" || (v !== null && typeof v === "object"), { error: "must be an optimizer name or config" }),
    loss: z.custom((v) => typeof v === "string" || (v !== null && typeof v === "object"), { error: "must be a loss name or spec" }),
    metrics: z.array(str(), { error: "must be a list of metric names" }),
    customMetrics: z.array(str(), { error: "must be a list of metric names" }).optional(),
    losses: z.array(z.custom((v) => v !== null && typeof v === "object", { error: "must be a loss spec" }), { error: "must be a list of losses" }).optional(),
    lossWeights: z.array(z.number({ error: "must be a number" }), { error: "must be a list of numbers" }).optional(),
  }, { error: "must be null or { optimizer, loss, metrics }" }).nullable(),
  training: z.object({
    epochsTrained: nonNegativeInt(), optimizerIterations: nonNegativeInt(), optimizerSlots: nonNegativeInt(),
  }, { error: "must be { epochsTrained, optimizerIterations, optimizerSlots }" }),
  weights: z.array(z.object({ name: str(), shape: z.array(nonNegativeInt(), { error: "must be a list of sizes" }) }, { error: "must be { name, shape }" }), { error: "must be a list of weights" }),
  graph: GRAPH.optional(),
  weightsFile: WEIGHTS_FILE.optional(),
  byteLength: nonNegativeInt(),
  crc32: z.string({ error: "must be 8 hex digits" }).regex(/^[0-9a-f]{8}$/, { error: "must be 8 hex digits" }),
});

/** Load a model saved by `model.save(dir)`, with its optimizer state, ready to predict or resume training. */
export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<Model> {
  if (typeof dir !== "string" || dir === "") throw new ConfigError(`loadModel: the directory must be a non-empty string, got ${fmtValue(dir)}`);
  if (opts === null || typeof opts !== "object") throw new ConfigError(`loadModel: options must be an object, got ${fmtValue(opts)}`);
  const extra = Object.keys(opts).filter((k) => k !== "customObjects");
  if (extra.length > 0) throw new ConfigError(`loadModel: unknown option${extra.length > 1 ? "s" : ""} ${extra.map((k) => `'${k}'`).join(", ")}; valid options are customObjects`);
  const customs = opts.customObjects ?? {};
  if (customs === null || typeof customs !== "object") throw new ConfigError(`loadModel: customObjects must be an object { name: loss or metric }, got ${fmtValue(customs)}`);
  const fs = fileSystem("loadModel");
  const modelPath = fs.join(dir, "model.json");
  const bad = (msg: string, cause?: unknown): ModelFormatError =>
    Object.assign(new ModelFormatError(`loadModel: ${msg}`), cause === undefined ? {} : { cause });

  let raw: unknown;
  try {
    raw = JSON.parse(fs.readText(modelPath));
  } catch (e) {
    throw bad(`cannot read ${modelPath}: ${(e as Error).message}`, e);
  }
  const head = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  if (!head || head.format !== FORMAT) {
    throw bad(`${modelPath} is not a recurrent model (format ${head ? fmtValue(head.format) : `missing: the file holds ${fmtValue(raw)}`})`);
  }
  if (head.version !== FORMAT_VERSION) {
    throw bad(`${modelPath} has format version ${fmtValue(head.version)}; this library reads version ${FORMAT_VERSION}`);
  }
  const json = parseOptions(MODEL_JSON, raw, `loadModel: ${modelPath}`, ModelFormatError) as ModelJson;

  const binPath = fs.join(dir, json.weightsFile ?? "weights.bin");
  let bin: Uint8Array;
  try {
    bin = fs.readBytes(binPath);
  } catch (e) {
    throw bad(`cannot read ${binPath}: ${(e as Error).message}`, e);
  }
  if (bin.length !== json.byteLength) {
    throw bad(`${binPath} is ${bin.length < json.byteLength ? "truncated" : "too long"}: expected ${json.byteLength} bytes, found ${bin.length} (byteLength in model.json)`);
  }
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  if (bin.length < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) throw bad(`${binPath} does not start with the weights magic number`);
  const crc = crc32(bin).toString(16).padStart(8, "0");
  if (crc !== json.crc32) throw bad(`${binPath} is corrupted: checksum ${crc} does not match ${json.crc32} recorded in model.json`);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) throw bad(`${binPath} has weights format version ${version}; this library reads version ${FORMAT_VERSION}`);
  const P = view.getUint32(8, true);
  const S = view.getUint32(12, true);
  if (HEADER_BYTES + 4 * P * (1 + S) !== bin.length) {
    throw bad(`${binPath}: its header announces ${P} parameters and ${S} optimizer slots (${HEADER_BYTES + 4 * P * (1 + S)} bytes) but the file has ${bin.length} bytes`);
  }
  if (S !== json.training.optimizerSlots) {
    throw bad(`${binPath} holds ${S} optimizer slots but training.optimizerSlots in model.json says ${json.training.optimizerSlots}`);
  }
  const listed = json.weights.reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1), 0);
  if (listed !== P) throw bad(`${modelPath}: the weights listed in "weights" hold ${listed} parameters but ${binPath} holds ${P}`);

  // Build within the file's parameter count: a damaged config cannot make us allocate more.
  let model: Model;
  try {
    model = withParamBudget(P, () => {
      const layers: Layer[] = json.layers.map((l, k) => {
        try {
          return fromConfig(l.className, l.config as ModelJson["layers"][number]["config"]);
        } catch (e) {
          throw bad(`${modelPath}: layers[${k}] (${l.className}) cannot be built: ${(e as Error).message}`, e);
        }
      });
      if (json.graph) return rebuildGraph(json.graph, layers, json.seed, json.name, (msg) => bad(`${modelPath}: graph: ${msg}`));
      const m = new Sequential(layers, { seed: json.seed, name: json.name });
      m.build(json.inputShape);
      return m;
    });
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw bad(`${modelPath}: the layers do not build for inputShape ${fmtValue(json.inputShape)}: ${(e as Error).message}`, e);
  }
  if (P !== model.parameters.length) {
    throw bad(`${binPath} holds ${P} parameters but the model in model.json has ${model.parameters.length}`);
  }
  const params = model.layers.flatMap((l) => l.allParams().map((p) => ({ name: `${l.name}/${p.name}`, shape: p.shape })));
  params.forEach((p, k) => {
    const w = json.weights[k];
    if (!w || w.name !== p.name || w.shape.length !== p.shape.length || w.shape.some((d, i) => d !== p.shape[i])) {
      throw bad(`${modelPath}: weights[${k}] is ${w ? `${w.name} ${fmtValue(w.shape)}` : "missing"} but the layers build ${p.name} ${fmtValue(p.shape)}`);
    }
  });
  if (json.weights.length !== params.length) throw bad(`${modelPath}: "weights" lists ${json.weights.length} arrays, the layers build ${params.length}`);

  json.layers.forEach((e, k) => {
    const l = model.layers[k]!;
    if (e.trainable === false) l.trainable = false;
    else if (e.trainableChildren) {
      const cs = l.children();
      if (e.trainableChildren.length !== cs.length) throw bad(`${modelPath}: layers[${k}].trainableChildren lists ${e.trainableChildren.length} flags but ${l.className} wraps ${cs.length} layers`);
      cs.forEach((c, i) => (c.trainable = e.trainableChildren![i]!));
    }
  });

  const floats = new Float32Array(bin.buffer.slice(bin.byteOffset + HEADER_BYTES, bin.byteOffset + bin.byteLength));
  model.parameters.set(floats.subarray(0, P));
  if (json.compile) {
    const c = json.compile;
    const savedLoss = c.loss as LossSpec | { name: string; custom?: boolean };
    const customLoss = "custom" in savedLoss && savedLoss.custom === true ? savedLoss.name : null;
    const customMetrics = new Set(c.customMetrics ?? []);
    const missing: string[] = [];
    let loss: LossSpec | CustomLoss | null = savedLoss as LossSpec;
    if (customLoss !== null) {
      const given = Object.hasOwn(customs, customLoss) ? customs[customLoss] : undefined;
      if (given === undefined) loss = null;
      else if (!isCustomLoss(given)) throw new ConfigError(`loadModel: customObjects.${customLoss} must be the custom loss { name, forward, backward } the model was compiled with, got ${fmtValue(given)}`);
      else loss = given;
    }
    const metrics: MetricArg[] = [];
    for (const m of c.metrics) {
      if (!customMetrics.has(m)) {
        metrics.push(m);
        continue;
      }
      const given = Object.hasOwn(customs, m) ? customs[m] : undefined;
      if (given === undefined) missing.push(m);
      else if (typeof given === "function") metrics.push({ name: m, fn: given as MetricFn });
      else if (given !== null && typeof given === "object" && typeof (given as CustomMetric).fn === "function") metrics.push({ name: m, fn: (given as CustomMetric).fn });
      else throw new ConfigError(`loadModel: customObjects.${m} must be the metric function the model was compiled with, got ${fmtValue(given)}`);
    }
    try {
      const optimizer = new Optimizer(c.optimizer as ConstructorParameters<typeof Optimizer>[0]);
      if (c.losses && model instanceof Functional) model.compile({ optimizer, loss: c.losses as LossSpec[], ...(c.lossWeights ? { lossWeights: c.lossWeights } : {}), metrics });
      else if (loss && missing.length === 0) model.compile({ optimizer, loss, metrics });
      else {
        // the code of a custom loss or metric is not in the file: keep the optimizer and the
        // settings, and let fit / evaluate ask for the missing functions
        const builtins = metrics.filter((m): m is string => typeof m === "string");
        model.compile({ optimizer, loss: "mse", metrics: builtins });
        model.loss = loss;
        const canonical = [...model.metrics];
        let b = 0;
        model.metrics = metrics.map((m) => (typeof m === "string" ? canonical[b++]! : (m as CustomMetric)));
        model.missingCustom = { loss: loss ? null : customLoss, metrics: missing };
      }
    } catch (e) {
      throw bad(`${modelPath}: compile cannot be restored: ${(e as Error).message}`, e);
    }
    const opt = model.optimizer!;
    if (S !== 0 && S !== opt.slotCount()) {
      throw bad(`${binPath} holds ${S} optimizer slots but a ${opt.type} optimizer with these settings keeps ${opt.slotCount()}`);
    }
    opt.iterations = json.training.optimizerIterations;
    opt.slots = Array.from({ length: S }, (_, k) => floats.slice(P * (k + 1), P * (k + 2)));
  } else if (S !== 0) {
    throw bad(`${binPath} holds ${S} optimizer slots but model.json has no compile settings`);
  }
  model.epochsTrained = json.training.epochsTrained;
  return model;
}

/**
 * Load a model that must be Sequential (a tool that walks a chain of layers: exporters, the
 * forecaster); a functional model is refused with a ConfigError saying so.
 */
export async function loadSequential(dir: string, opts: LoadOptions = {}, what = "loadSequential"): Promise<Sequential> {
  const m = await loadModel(dir, opts);
  if (!(m instanceof Sequential)) throw new ConfigError(`${what}: ${dir} holds a functional model; this takes Sequential models only`);
  return m;
}

/** A functional model from its saved graph: the layer calls replayed on new inputs, in their order. */
function rebuildGraph(graph: GraphJson, layers: Layer[], seed: number, name: string, bad: (msg: string) => Error): Functional {
  const inputs = graph.inputs.map((i) => input({ shape: i.shape, name: i.name }));
  const made: SymbolicTensor[][] = [];
  const resolve = (r: TensorRef, where: string): SymbolicTensor => {
    if (r[0] === "input") {
      const t = inputs[r[1]];
      if (!t) throw bad(`${where} refers to input ${r[1]}, but there are ${inputs.length}`);
      return t;
    }
    const t = made[r[1]]?.[r[2]];
    if (!t) throw bad(`${where} refers to output ${r[2]} of call ${r[1]}, which does not come before it`);
    return t;
  };
  graph.calls.forEach((c, k) => {
    const layer = layers[c.layer];
    if (!layer) throw bad(`calls[${k}] names layer ${c.layer}, but there are ${layers.length}`);
    const ins = c.inputs.map((r, i) => resolve(r, `calls[${k}].inputs[${i}]`));
    const n = c.args?.initialStates ?? 0;
    if (n >= ins.length) throw bad(`calls[${k}] has ${n} initial states among ${ins.length} inputs`);
    try {
      const out = layer.apply(n ? ins.slice(0, ins.length - n) : ins.length === 1 ? ins[0]! : ins, {
        ...(n ? { initialState: ins.slice(ins.length - n) } : {}),
        ...(c.args?.returnAttentionScores !== undefined ? { returnAttentionScores: c.args.returnAttentionScores } : {}),
        ...(c.args?.useCausalMask !== undefined ? { useCausalMask: c.args.useCausalMask } : {}),
      });
      made.push(Array.isArray(out) ? out : [out]);
    } catch (e) {
      throw bad(`calls[${k}] (layer "${layer.name}") cannot be applied: ${(e as Error).message}`);
    }
  });
  const outputs = graph.outputs.map((r, i) => resolve(r, `outputs[${i}]`));
  return new Functional({ inputs, outputs, seed, name });
}
