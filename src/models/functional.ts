// Functional models: a graph of layer calls from one or more inputs to one or more outputs, built
// with Keras's functional API (`input()`, `layer.apply(...)`, `model({ inputs, outputs })`).
//
// The graph runs on the same training loop as Sequential (Model in sequential.ts): a batch of
// several inputs travels as one packed tensor [batch, Σ per-sample sizes] (each input's values side
// by side), and so do the outputs and the targets. forward unpacks the inputs, runs the layer calls
// in topological order and packs the outputs; backward runs the calls in reverse, summing the
// gradients of tensors used more than once. The loss is the weighted sum of one loss per output.
//
// A layer called more than once (a shared layer) keeps one call's intermediates at a time: before
// the backward of an earlier call, its forward runs again from the same inputs and random stream,
// so every call's gradient is exact.

import { Tensor, toTensor, assertFinite, sizeOf, shapesEqual, type NestedArray } from "../tensor/tensor.js";
import { ConfigError, ShapeError, fmtShape } from "../tensor/errors.js";
import { Layer, MultiInputLayer, LSTM, GRU, SymbolicTensor, type LstmInternals, type GruInternals } from "../layers/index.js";
import type { LayerCall, CallArgs } from "../layers/symbolic.js";
import { isCustomLoss, type CustomLoss, type LossSpec } from "../kernels/losses.js";
import { metricTracker, type MetricTracker } from "./metrics.js";
import {
  Model, type CompileArgs, type Data, type EvaluateArgs, type FitArgs, type History, type PredictArgs, type SequentialOptions,
} from "./sequential.js";
import { fmtValue } from "../layers/options.js";
import type { ParallelPool } from "./parallel.js";

/** Options of `model({ inputs, outputs })`. */
export interface FunctionalArgs extends SequentialOptions {
  /** The model's inputs, from `input()`, in the order `fit` / `predict` take their data. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The tensors the model returns, in order. */
  outputs: SymbolicTensor | SymbolicTensor[];
}

/** compile for a functional model: one loss for every output, or one per output (a list in output order, or by output layer name). */
export interface FunctionalCompileArgs extends Omit<CompileArgs, "loss"> {
  loss: CompileArgs["loss"] | CompileArgs["loss"][] | Record<string, CompileArgs["loss"]>;
  /** Weight of each output's loss in the total (a list, or by output layer name). Default 1 each. */
  lossWeights?: number[] | Record<string, number>;
}

/** A reference to a tensor in a saved graph: a model input, or output `index` of layer call `call`. */
export type TensorRef = ["input", number] | ["call", number, number];

/** The graph of a functional model as model.json stores it. */
export interface GraphJson {
  inputs: { name: string; shape: number[] }[];
  /** Layer calls in topological order: the layer (index into `layers`), its inputs, its options. */
  calls: { layer: number; inputs: TensorRef[]; args?: CallArgs }[];
  outputs: TensorRef[];
}

interface Slot {
  /** Offset of this tensor's values within a packed row. */
  off: number;
  /** Values per sample. */
  size: number;
  shape: number[];
}

function layout(shapes: number[][]): { slots: Slot[]; width: number } {
  let off = 0;
  const slots = shapes.map((shape) => {
    const size = sizeOf(shape);
    const s = { off, size, shape: [...shape] };
    off += size;
    return s;
  });
  return { slots, width: off };
}

/** Tensors [N, ...] side by side into one [N, Σ sizes] tensor (no copy for a single tensor). */
function pack(ts: Tensor[], slots: Slot[], width: number): Tensor {
  const N = ts[0]!.shape[0]!;
  if (ts.length === 1) return ts[0]!.reshape([N, width]);
  const out = new Float32Array(N * width);
  ts.forEach((t, k) => {
    const { off, size } = slots[k]!;
    for (let n = 0; n < N; n++) out.set(t.data.subarray(n * size, (n + 1) * size), n * width + off);
  });
  return new Tensor(out, [N, width]);
}

/** One tensor of a packed [N, width] batch, [N, ...shape] (no copy when it is the only one). */
function unpack(x: Tensor, slot: Slot, width: number): Tensor {
  const N = x.shape[0]!;
  if (slot.size === width) return x.reshape([N, ...slot.shape]);
  const out = new Float32Array(N * slot.size);
  for (let n = 0; n < N; n++) out.set(x.data.subarray(n * width + slot.off, n * width + slot.off + slot.size), n * slot.size);
  return new Tensor(out, [N, ...slot.shape]);
}

/** Add t into the packed gradient row slot (the inverse of unpack). */
function packInto(dst: Float32Array, t: Tensor, slot: Slot, width: number): void {
  const N = t.shape[0]!;
  for (let n = 0; n < N; n++) {
    const base = n * width + slot.off;
    for (let j = 0; j < slot.size; j++) dst[base + j] += t.data[n * slot.size + j]!;
  }
}

/** What one forward of a call leaves for its backward. */
interface CallRecord {
  inputs: Tensor[];
  masks: (Float32Array | null)[];
  rngState: number | null;
}

/**
 * A model over a graph of layer calls, with several inputs and outputs and shared layers: the same
 * compile / fit / evaluate / predict / summary / getWeights / setWeights / save surface as
 * Sequential. Data for several inputs (targets for several outputs) is a list in `inputs`
 * (`outputs`) order; a single input or output takes a plain tensor.
 */
export class Functional extends Model {
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  /** Names of the outputs (their layers' names, with `_k` for output k of a multi-output call), for losses and metrics. */
  readonly outputNames: string[];
  private readonly calls: LayerCall[];
  private readonly inLayout: { slots: Slot[]; width: number };
  private readonly outLayout: { slots: Slot[]; width: number };
  private targetLayout: { slots: Slot[]; width: number } | null = null;
  private outputLosses: (LossSpec | CustomLoss)[] = [];
  private lossWeightValues: number[] = [];
  private readonly callCount = new Map<Layer, number>();
  private records: CallRecord[] = [];
  private graphDx: Float32Array | null = null;
  /** The masks of the outputs of the last forward (what each output's loss leaves out). */
  private outputMasks: (Float32Array | null)[] = [];

  constructor(args: FunctionalArgs) {
    if (args === null || typeof args !== "object") throw new ConfigError(`model: expected { inputs, outputs }, got ${fmtValue(args)}`);
    const { inputs: inArg, outputs: outArg, ...options } = args;
    if (inArg === undefined) throw new ConfigError("model: inputs is missing: give the tensors from input() the model takes, model({ inputs, outputs })");
    if (outArg === undefined) throw new ConfigError("model: outputs is missing: give the tensors the model returns, model({ inputs, outputs })");
    const inputs = listOf(inArg, "inputs");
    const outputs = listOf(outArg, "outputs");
    inputs.forEach((t, k) => {
      if (!t.isInput) throw new ConfigError(`model: inputs[${k}] is ${t}, not a tensor made by input(); a model's inputs are its input() tensors`);
      if (inputs.indexOf(t) !== k) throw new ConfigError(`model: inputs[${k}] repeats inputs[${inputs.indexOf(t)}]`);
    });
    const calls = topoCalls(outputs, inputs);
    const layers: Layer[] = [];
    for (const c of calls) if (!layers.includes(c.layer)) layers.push(c.layer);
    if (layers.length === 0) throw new ConfigError("model: the outputs are the inputs themselves; put at least one layer between them");
    for (const l of layers) if (l.owner !== null) l.claim(layers, "", "model");
    super(layers, options, "functional");
    this.inputs = inputs;
    this.outputs = outputs;
    this.calls = calls;
    for (const c of calls) this.callCount.set(c.layer, (this.callCount.get(c.layer) ?? 0) + 1);
    this.nameLayers();
    const names = outputs.map((t) => {
      const c = t.call;
      if (!c) return t.name ?? "input";
      return c.outputs.length > 1 ? `${c.layer.name}_${t.index}` : c.layer.name;
    });
    this.outputNames = names.map((n, k) => (names.indexOf(n) === k ? n : `${n}_${k}`));
    this.inLayout = layout(inputs.map((t) => t.shape));
    this.outLayout = layout(outputs.map((t) => t.shape));
    this.build(inputs[0]!.shape);
    for (const l of layers) l.claim(this, `model "${this.name}"`, "model");
  }

  /** Per-sample shape of the packed outputs ([Σ sizes]); `outputShapes` lists each output's. */
  get outputShape(): number[] | null {
    return this.outputs.length === 1 ? [...this.outputs[0]!.shape] : [this.outLayout.width];
  }

  /** Per-sample shapes of the inputs, in order. */
  get inputShapes(): number[][] {
    return this.inputs.map((t) => [...t.shape]);
  }

  /** Per-sample shapes of the outputs, in order. */
  get outputShapes(): number[][] {
    return this.outputs.map((t) => [...t.shape]);
  }

  protected buildLayers(inputShape: number[]): void {
    void inputShape; // every layer was built by apply()
  }

  /** A graph model trains on the calling thread (its replicas would need the graph in the worker). */
  protected override poolFor(batch: number, flopPerParam: number, what: string): ParallelPool | null {
    void batch; void flopPerParam;
    if (typeof this.threads === "number" && this.threads > 1) {
      throw new ConfigError(`${what}: a functional model runs on one thread (threads: ${this.threads} was asked); use threads: 1 or "auto"`);
    }
    return null;
  }

  // ---- running the graph --------------------------------------------------------------------

  forward(x: Tensor, training = false): Tensor {
    const N = x.shape[0]!;
    const values = new Map<number, Tensor>();
    const masks = new Map<number, Float32Array | null>();
    const packedIn = x.rank === 2 && x.shape[1] === this.inLayout.width ? x : x.reshape([N, this.inLayout.width]);
    this.inputs.forEach((t, k) => {
      values.set(t.id, unpack(packedIn, this.inLayout.slots[k]!, this.inLayout.width));
      masks.set(t.id, null);
    });
    this.records = [];
    for (const c of this.calls) {
      const xs = c.inputs.map((t) => values.get(t.id)!);
      const ms = c.inputs.map((t) => masks.get(t.id) ?? null);
      const shared = this.callCount.get(c.layer)! > 1;
      let rngState: number | null = null;
      if (shared) rngState = this.layerRngState(c.layer);
      const ys = this.runCall(c, xs, ms, training);
      const outMask = c.layer.computeOutputMask();
      c.outputs.forEach((o, k) => {
        const y = ys[k]!;
        // a shared layer writes each call's outputs into the same buffers: keep copies
        values.set(o.id, shared ? new Tensor(y.data.slice(), y.shape) : y);
        masks.set(o.id, k === 0 ? outMask : null);
      });
      this.records.push({ inputs: xs, masks: ms, rngState });
    }
    const outs = this.outputs.map((t) => values.get(t.id)!);
    this.outputMasks = this.outputs.map((t) => masks.get(t.id) ?? null);
    return pack(outs, this.outLayout.slots, this.outLayout.width);
  }

  backward(dy: Tensor): Tensor {
    if (this.records.length !== this.calls.length) throw new ConfigError("backward: call forward first");
    const N = dy.shape[0]!;
    const packed = dy.reshape([N, this.outLayout.width]);
    const grads = new Map<number, Tensor>();
    const addGrad = (t: SymbolicTensor, g: Tensor): void => {
      const have = grads.get(t.id);
      if (!have) grads.set(t.id, new Tensor(g.data.slice(), g.shape));
      else for (let i = 0; i < g.size; i++) have.data[i] += g.data[i]!;
    };
    this.outputs.forEach((t, k) => addGrad(t, unpack(packed, this.outLayout.slots[k]!, this.outLayout.width)));
    const lastCall = new Map<Layer, number>();
    this.calls.forEach((c, k) => lastCall.set(c.layer, k));
    const recomputeFrom = new Map<Layer, number>(); // index of the call whose intermediates the layer holds
    for (const [l, k] of lastCall) recomputeFrom.set(l, k);
    for (let k = this.calls.length - 1; k >= 0; k--) {
      const c = this.calls[k]!;
      const dys = c.outputs.map((o) => grads.get(o.id) ?? null);
      if (dys.every((g) => g === null)) continue;
      const rec = this.records[k]!;
      if (recomputeFrom.get(c.layer) !== k) {
        // a shared layer holds a later call's intermediates: run this call's forward again
        if (rec.rngState !== null) this.setLayerRngState(c.layer, rec.rngState);
        this.runCall(c, rec.inputs, rec.masks, true);
        recomputeFrom.set(c.layer, k);
      }
      const dxs = c.layer.backwardCall(dys, c.args);
      c.inputs.forEach((t, i) => {
        const g = dxs[i];
        if (g) addGrad(t, g);
      });
    }
    const dx = this.graphDx && this.graphDx.length === N * this.inLayout.width ? this.graphDx.fill(0) : (this.graphDx = new Float32Array(N * this.inLayout.width));
    this.inputs.forEach((t, k) => {
      const g = grads.get(t.id);
      if (g) packInto(dx, g, this.inLayout.slots[k]!, this.inLayout.width);
    });
    return new Tensor(dx.slice(), [N, this.inLayout.width]);
  }

  private runCall(c: LayerCall, xs: Tensor[], ms: (Float32Array | null)[], training: boolean): Tensor[] {
    const l = c.layer;
    if (l instanceof MultiInputLayer) l.inputMasks = ms;
    else l.inputMask = ms[0] ?? null;
    return l.forwardCall(xs, training, c.args);
  }

  // The random stream of a shared layer is saved before each call so a recomputed forward draws the same dropout masks.
  private layerRngState(l: Layer): number {
    return (l as unknown as { rng: { getState(): number } }).rng.getState();
  }

  private setLayerRngState(l: Layer, s: number): void {
    (l as unknown as { rng: { setState(s: number): void } }).rng.setState(s);
  }

  // ---- data in and out ------------------------------------------------------------------------

  /** The inputs as one packed, finite tensor; a list of inputs in `inputs` order, or one tensor for one input. */
  protected override prepareInputs(xIn: Data | Data[], what: string, xName = "x"): Tensor {
    const parts = this.splitList(xIn, this.inputs.length, what, xName, "input", this.inputs.map((t) => t.name ?? "input"));
    const ts = parts.map((p, k) => {
      const label = this.inputs.length > 1 ? `${xName}[${k}] (input "${this.inputs[k]!.name}")` : xName;
      const t = toTensor(p, `${what}: ${label}`);
      assertFinite(t, `${what}: ${label}`);
      const want = this.inputs[k]!.shape;
      if (t.rank < 1 || !shapesEqual(t.shape.slice(1), want)) {
        throw new ShapeError(`${what}: ${label} must have shape ${fmtShape([null, ...want])}, got ${fmtShape(t.shape)}`);
      }
      return t;
    });
    const N = ts[0]!.shape[0]!;
    ts.forEach((t, k) => {
      if (t.shape[0] !== N) throw new ShapeError(`${what}: ${xName}[0] has ${N} samples but ${xName}[${k}] has ${t.shape[0]}; every input needs one row per sample`);
    });
    return pack(ts, this.inLayout.slots, this.inLayout.width);
  }

  /** A list of per-input (per-output) data, or one item when there is one. */
  private splitList(v: Data | Data[], n: number, what: string, name: string, kind: string, names: string[]): Data[] {
    if (v instanceof Tensor) {
      if (n === 1) return [v];
      throw new ConfigError(`${what}: this model has ${n} ${kind}s (${names.join(", ")}); give ${name} as a list of ${n} tensors in that order`);
    }
    if (!Array.isArray(v)) throw new ConfigError(`${what}: ${name} must be a tensor or a list of ${n} tensors, got ${fmtValue(v)}`);
    if (n === 1) {
      // one input: the nested array is the data, unless it is a list holding one tensor
      return v.length === 1 && v[0] instanceof Tensor ? [v[0]] : [v as NestedArray];
    }
    if (v.length !== n) throw new ConfigError(`${what}: this model has ${n} ${kind}s (${names.join(", ")}), got a list of ${v.length}`);
    return v as Data[];
  }

  protected override prepareData(xIn: Data | Data[], yIn: Data | Data[], what: string, validation = false): { x: Tensor; y: Tensor } {
    const v = validation ? "validation " : "";
    const x = this.prepareInputs(xIn, what, `${v}x`);
    const N = x.shape[0]!;
    const parts = this.splitList(yIn, this.outputs.length, what, `${v}y`, "output", this.outputNames);
    const ys = parts.map((p, k) => {
      const label = this.outputs.length > 1 ? `${v}y[${k}] (output "${this.outputNames[k]}")` : `${v}y`;
      const t = toTensor(p, `${what}: ${label}`);
      assertFinite(t, `${what}: ${label}`);
      if (t.shape[0] !== N) throw new ShapeError(`${what}: x has ${N} samples but ${label} has ${t.shape[0]}`);
      this.checkTarget(t, k, `${what}${validation ? " (validationData)" : ""}`, label);
      return t;
    });
    const lay = layout(ys.map((t) => t.shape.slice(1) as number[]));
    if (this.targetLayout && validation && !lay.slots.every((s, k) => s.size === this.targetLayout!.slots[k]!.size)) {
      throw new ShapeError(`${what}: the validation targets have per-sample sizes ${lay.slots.map((s) => s.size).join(", ")} but the training targets ${this.targetLayout.slots.map((s) => s.size).join(", ")}`);
    }
    if (!validation) this.targetLayout = lay;
    else this.targetLayout ??= lay;
    return { x, y: pack(ys, lay.slots, lay.width) };
  }

  private checkTarget(y: Tensor, k: number, what: string, label: string): void {
    const loss = this.lossOf(k);
    if (isCustomLoss(loss)) return;
    const out = this.outputs[k]!.shape;
    const got = y.shape.slice(1);
    const sparse = loss.name === "sparseCategoricalCrossentropy";
    const ok = sparse ? shapesEqual(got, out.slice(0, -1)) || shapesEqual(got, [...out.slice(0, -1), 1]) : shapesEqual(got, out);
    if (!ok) {
      const want = sparse ? `${fmtShape([null, ...out.slice(0, -1)])} (class ids)` : fmtShape([null, ...out]);
      throw new ShapeError(`${what}: ${label} has shape ${fmtShape(y.shape)} but output "${this.outputNames[k]}" gives ${want}`);
    }
  }

  private lossOf(k: number): LossSpec | CustomLoss {
    return this.outputLosses[k] ?? this.loss!;
  }

  // ---- losses and metrics per output ----------------------------------------------------------

  override compile(args: FunctionalCompileArgs | CompileArgs): void {
    if (args === null || typeof args !== "object") throw new ConfigError(`compile: expected { optimizer, loss, metrics? }, got ${fmtValue(args)}`);
    const { loss, lossWeights, ...rest } = args as FunctionalCompileArgs;
    const n = this.outputs.length;
    let perOutput: CompileArgs["loss"][];
    if (Array.isArray(loss)) {
      if (loss.length !== n) throw new ConfigError(`compile: loss lists ${loss.length} losses but the model has ${n} outputs (${this.outputNames.join(", ")})`);
      perOutput = loss;
    } else if (loss !== null && typeof loss === "object" && !("name" in loss)) {
      const rec = loss as Record<string, CompileArgs["loss"]>;
      for (const key of Object.keys(rec)) if (!this.outputNames.includes(key)) throw new ConfigError(`compile: loss names output "${key}"; the outputs are ${this.outputNames.join(", ")}`);
      perOutput = this.outputNames.map((name) => {
        if (!(name in rec)) throw new ConfigError(`compile: loss gives no loss for output "${name}"; give one per output (${this.outputNames.join(", ")})`);
        return rec[name]!;
      });
    } else {
      perOutput = this.outputNames.map(() => loss as CompileArgs["loss"]);
    }
    // each loss is checked (and canonicalised) by compiling it; the last compile keeps optimizer and metrics
    const resolved = perOutput.map((l) => {
      super.compile({ ...rest, loss: l });
      return this.loss!;
    });
    if (n > 1 && resolved.some((l) => isCustomLoss(l)) && resolved.some((l) => l !== resolved[0])) {
      throw new ConfigError("compile: a custom loss serves every output or none; give the same custom loss for all outputs, or built-in losses per output");
    }
    let weights = this.outputNames.map(() => 1);
    if (lossWeights !== undefined) {
      if (Array.isArray(lossWeights)) {
        if (lossWeights.length !== n) throw new ConfigError(`compile: lossWeights lists ${lossWeights.length} weights but the model has ${n} outputs`);
        weights = [...lossWeights];
      } else if (lossWeights !== null && typeof lossWeights === "object") {
        for (const key of Object.keys(lossWeights)) if (!this.outputNames.includes(key)) throw new ConfigError(`compile: lossWeights names output "${key}"; the outputs are ${this.outputNames.join(", ")}`);
        weights = this.outputNames.map((name) => lossWeights[name] ?? 1);
      } else {
        throw new ConfigError(`compile: lossWeights must be a list or { output: weight }, got ${fmtValue(lossWeights)}`);
      }
      weights.forEach((w, k) => {
        if (!(typeof w === "number" && Number.isFinite(w) && w >= 0)) throw new ConfigError(`compile: lossWeights for output "${this.outputNames[k]}" must be a finite number >= 0, got ${fmtValue(w)}`);
      });
    }
    this.outputLosses = resolved;
    this.lossWeightValues = weights;
  }

  /** The loss of each output, in order. */
  get losses(): (LossSpec | CustomLoss)[] {
    return this.outputLosses.length ? [...this.outputLosses] : this.outputs.map(() => this.loss!).filter(Boolean);
  }

  /** The weight of each output's loss in the total, in order. */
  get lossWeights(): number[] {
    return this.lossWeightValues.length ? [...this.lossWeightValues] : this.outputs.map(() => 1);
  }

  protected override batchLoss(loss: LossSpec | CustomLoss, out: Tensor, y: Tensor, w: Float32Array | null, grad: Float32Array | null, divisor: number, what: string): number {
    void loss;
    const tl = this.targetLayout;
    if (!tl) throw new ConfigError(`${what}: no targets`);
    const N = out.shape[0]!;
    const O = this.outLayout, n = this.outputs.length;
    if (n === 1) {
      const shape = this.outputs[0]!.shape;
      const g = grad;
      return super.batchLoss(this.lossOf(0), out.reshape([N, ...shape]), y.reshape([N, ...tl.slots[0]!.shape]), w, g, divisor, what, shape[shape.length - 1]!, this.outputMasks[0] ?? null);
    }
    let total = 0;
    for (let k = 0; k < n; k++) {
      const wk = this.lossWeightValues[k] ?? 1;
      if (wk === 0) continue;
      const pk = unpack(out, O.slots[k]!, O.width);
      const yk = unpack(y, tl.slots[k]!, tl.width);
      const gk = grad ? new Float32Array(pk.size) : null;
      const shape = this.outputs[k]!.shape;
      const lk = super.batchLoss(this.lossOf(k), pk, yk, w, gk, divisor, what, shape[shape.length - 1]!, this.outputMasks[k] ?? null);
      total += wk * lk;
      if (grad && gk) {
        if (wk !== 1) for (let i = 0; i < gk.length; i++) gk[i] *= wk;
        const slot = O.slots[k]!;
        for (let r = 0; r < N; r++) grad.set(gk.subarray(r * slot.size, (r + 1) * slot.size), r * O.width + slot.off);
      }
    }
    if (grad) {
      // outputs with weight 0 contribute no gradient
      for (let k = 0; k < n; k++) {
        if ((this.lossWeightValues[k] ?? 1) !== 0) continue;
        const slot = O.slots[k]!;
        for (let r = 0; r < N; r++) grad.fill(0, r * O.width + slot.off, r * O.width + slot.off + slot.size);
      }
    }
    return total;
  }

  /** One tracker per metric and output; with several outputs, named `<output>_<metric>` as in Keras. */
  protected override trackers(): MetricTracker[] {
    const n = this.outputs.length;
    const O = this.outLayout;
    return this.outputs.flatMap((t, k) => {
      const loss = this.lossOf(k);
      const sparse = !isCustomLoss(loss) && loss.name === "sparseCategoricalCrossentropy";
      const classes = t.shape[t.shape.length - 1]!;
      return this.metrics.map((m) => {
        const inner = metricTracker(m, sparse);
        const name = n === 1 ? inner.name : `${this.outputNames[k]}_${inner.name}`;
        return {
          name,
          reset: () => inner.reset(),
          update: (p: Tensor, y: Tensor) => {
            const N = p.shape[0]!;
            const tl = this.targetLayout!;
            inner.update(n === 1 ? p.reshape([N, ...t.shape]) : unpack(p, O.slots[k]!, O.width), n === 1 ? y.reshape([N, ...tl.slots[0]!.shape]) : unpack(y, tl.slots[k]!, tl.width), classes);
          },
          result: () => inner.result(),
        };
      });
    });
  }

  override async fit(xIn: Data | Data[], yIn: Data | Data[], args: FitArgs = {}): Promise<History> {
    if (args && typeof args === "object" && args.classWeight !== undefined && this.outputs.length > 1) {
      throw new ConfigError("fit: classWeight is for a model with one output (as in Keras); weight the samples with sampleWeight instead");
    }
    return super.fit(xIn as Data, yIn as Data, args);
  }

  override evaluate(xIn: Data | Data[], yIn: Data | Data[], args: EvaluateArgs = {}): Record<string, number> {
    return super.evaluate(xIn as Data, yIn as Data, args);
  }

  /** Outputs for every sample: one tensor for one output, else a list in `outputs` order. */
  override predict(xIn: Data | Data[], args: PredictArgs = {}): Tensor | Tensor[] {
    const n = this.outputs.length;
    if (args && typeof args === "object" && args.out !== undefined) {
      if (n > 1) throw new ConfigError("predict: out takes the predictions of a model with one output; this one has " + n);
      const out = args.out;
      if (!(out instanceof Tensor)) return super.predict(xIn as Data, args); // the option schema names the problem
      const want = this.outputs[0]!.shape;
      if (!shapesEqual(out.shape.slice(1), want)) throw new ShapeError(`predict: out has shape ${fmtShape(out.shape)}, but the predictions have shape ${fmtShape([out.shape[0]!, ...want])}`);
      super.predict(xIn as Data, { ...args, out: out.reshape([out.shape[0]!, sizeOf(want)]) });
      return out;
    }
    const packed = super.predict(xIn as Data, args) as Tensor;
    const N = packed.shape[0]!;
    const flat = packed.reshape([N, this.outLayout.width]);
    const outs = this.outputs.map((_, k) => {
      const t = unpack(flat, this.outLayout.slots[k]!, this.outLayout.width);
      return t.data === flat.data ? new Tensor(t.data, t.shape) : t;
    });
    return n === 1 ? outs[0]! : outs;
  }

  // ---- inspection -----------------------------------------------------------------------------

  inspect(which: string | number, xIn: Data | Data[]): LstmInternals | GruInternals {
    const target = this.getLayer(which);
    if (!(target instanceof LSTM || target instanceof GRU)) {
      throw new ConfigError(`inspect: layer "${target.name}" is a ${target.className}; only LSTM and GRU layers have gates to inspect`);
    }
    const x = this.prepareInputs(xIn, "inspect");
    this.forward(x, false);
    const k = this.calls.findIndex((c) => c.layer === target);
    const rec = this.records[k]!;
    target.inputMask = rec.masks[0] ?? null;
    return target.inspect(rec.inputs[0]!);
  }

  summary(): string {
    const head = ["Layer (type)", "Output Shape", "Param #", "Connected to"];
    const shape = (s: number[]): string => `(None, ${s.join(", ")})`;
    const name = (t: SymbolicTensor): string => (t.call ? `${t.call.layer.name}[${this.calls.indexOf(t.call) >= 0 ? this.nodeIndex(t.call) : 0}][${t.index}]` : `${t.name}[0][0]`);
    const rows: string[][] = this.inputs.map((t) => [`${t.name} (InputLayer)`, shape(t.shape), "0", "-"]);
    const seen = new Set<Layer>();
    for (const c of this.calls) {
      const first = !seen.has(c.layer);
      seen.add(c.layer);
      const outs = c.outputs.map((o) => shape(o.shape)).join(", ");
      rows.push([first ? `${c.layer.name} (${c.layer.className})` : `${c.layer.name} (shared)`, c.outputs.length > 1 ? `[${outs}]` : outs,
        first ? c.layer.countParams().toLocaleString("en-US") : "0", c.inputs.map(name).join(", ")]);
    }
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
    const cell = (s: string, i: number): string => (i === 2 ? s.padStart(w[i]! - 1) + " " : " " + s.padEnd(w[i]! - 1));
    const line = (l: string, m: string, r: string, f: string): string => l + w.map((n) => f.repeat(n)).join(m) + r;
    return [
      `Model: "${this.name}"`,
      line("┏", "┳", "┓", "━"),
      "┃" + head.map(cell).join("┃") + "┃",
      line("┡", "╇", "┩", "━"),
      ...rows.flatMap((r, k) => ["│" + r.map(cell).join("│") + "│", ...(k < rows.length - 1 ? [line("├", "┼", "┤", "─")] : [])]),
      line("└", "┴", "┘", "─"),
      ...this.summaryTotals(),
    ].join("\n");
  }

  /** Which call of its layer this is (0 for the first). */
  private nodeIndex(c: LayerCall): number {
    let k = 0;
    for (const d of this.calls) {
      if (d === c) return k;
      if (d.layer === c.layer) k++;
    }
    return 0;
  }

  /** The graph as model.json stores it. */
  graphJson(): GraphJson {
    const ref = (t: SymbolicTensor): TensorRef => {
      if (!t.call) return ["input", this.inputs.indexOf(t)];
      return ["call", this.calls.indexOf(t.call), t.index];
    };
    return {
      inputs: this.inputs.map((t) => ({ name: t.name ?? "input", shape: [...t.shape] })),
      calls: this.calls.map((c) => ({
        layer: this.layers.indexOf(c.layer),
        inputs: c.inputs.map(ref),
        ...(Object.keys(c.args).length ? { args: { ...c.args } } : {}),
      })),
      outputs: this.outputs.map(ref),
    };
  }
}

function listOf(v: SymbolicTensor | SymbolicTensor[], what: string): SymbolicTensor[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new ConfigError(`model: ${what} is empty`);
  list.forEach((t, k) => {
    if (!(t instanceof SymbolicTensor)) {
      throw new ConfigError(`model: ${what}[${k}] must be a symbolic tensor (from input() or layer.apply), got ${(t as unknown) instanceof Tensor ? "a Tensor of data" : fmtValue(t)}`);
    }
  });
  return list;
}

/** The layer calls between the inputs and the outputs, in an order where every call follows the calls it reads. */
function topoCalls(outputs: SymbolicTensor[], inputs: SymbolicTensor[]): LayerCall[] {
  const order: LayerCall[] = [];
  const done = new Set<LayerCall>();
  const active = new Set<LayerCall>();
  const reached = new Set<SymbolicTensor>();
  const visit = (t: SymbolicTensor, path: string): void => {
    const c = t.call;
    if (!c) {
      if (!inputs.includes(t)) {
        throw new ConfigError(`model: the outputs depend on input "${t.name}" ${fmtShape([null, ...t.shape])} (${path}), which is not among the model's inputs; add it to inputs`);
      }
      reached.add(t);
      return;
    }
    if (done.has(c)) return;
    if (active.has(c)) throw new ConfigError(`model: the graph has a cycle through layer "${c.layer.name || c.layer.className}"`);
    active.add(c);
    for (const u of c.inputs) visit(u, `via layer "${c.layer.name || c.layer.className}"`);
    active.delete(c);
    done.add(c);
    order.push(c);
  };
  outputs.forEach((t, k) => visit(t, `outputs[${k}]`));
  inputs.forEach((t, k) => {
    if (!reached.has(t)) throw new ConfigError(`model: input "${t.name}" (inputs[${k}]) is not connected to the outputs; remove it from inputs or use it`);
  });
  return order;
}

/** Build a functional model from its inputs and outputs (Keras's `keras.Model(inputs, outputs)`). */
export function model(args: FunctionalArgs): Functional {
  return new Functional(args);
}
