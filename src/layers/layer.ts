// Layer base: explicit forward/backward, parameters as views into the model's flat buffers.

import { Tensor, type Shape, sizeOf, shapesEqual } from "../tensor/tensor.js";
import { Rng } from "../tensor/rng.js";
import { ShapeError, ConfigError, fmtShape } from "../tensor/errors.js";
import { initialize, type InitializerName } from "../tensor/initializers.js";
import type { Backend } from "../backend/backend.js";
import { getBackend } from "../backend/index.js";
import { SymbolicTensor, applyLayer, type ApplyArgs, type CallArgs } from "./symbolic.js";

export type { ApplyArgs, CallArgs } from "./symbolic.js";

// Scratch buffers live in the backend's memory (a WebAssembly heap is not garbage-collected):
// when a layer is collected, its buffers go back to the backend that gave them.
const releaseScratch = new FinalizationRegistry<{ backend: Backend; bufs: Map<string, Float32Array> }>(
  ({ backend, bufs }) => { for (const b of bufs.values()) backend.free(b); },
);

let paramBudget: { left: number; limit: number } | null = null;
let stepDepth = 0;

/**
 * Run `fn` with layers accepting a time axis of any length in place of the one they were built for
 * (one step at a time: `predictStep`); every other axis is still checked.
 */
export function withStepMode<T>(fn: () => T): T {
  stepDepth++;
  try {
    return fn();
  } finally {
    stepDepth--;
  }
}

/**
 * Run `fn` (building layers) allowing at most `limit` parameters in all: a Param past the budget
 * throws a ShapeError before anything is allocated. A loader knows how many weights its file holds,
 * so a damaged config (units: 1e7) fails at once instead of allocating gigabytes.
 */
export function withParamBudget<T>(limit: number, fn: () => T): T {
  const outer = paramBudget;
  paramBudget = { left: limit, limit };
  try {
    return fn();
  } finally {
    paramBudget = outer;
  }
}

/**
 * One weight tensor of a layer. `value` and `grad` are views into the model's flat parameter
 * and gradient buffers once the model is built (DESIGN decision 2); before that they are standalone.
 */
export class Param {
  value: Float32Array;
  grad: Float32Array;
  constructor(
    readonly name: string,
    readonly shape: number[],
    readonly init: InitializerName,
    /** fan-in and fan-out rows/cols used by the initializer */
    readonly fan: [number, number],
    /** called after the initializer (e.g. unit forget bias) */
    readonly afterInit?: (v: Float32Array) => void,
  ) {
    const n = sizeOf(shape);
    if (paramBudget) {
      if (!(n <= paramBudget.left)) {
        throw new ShapeError(`weight "${name}" of shape ${fmtShape(shape)} takes the parameter count past the ${paramBudget.limit} parameters there are`);
      }
      paramBudget.left -= n;
    }
    this.value = new Float32Array(sizeOf(shape));
    this.grad = new Float32Array(sizeOf(shape));
  }

  get size(): number {
    return this.value.length;
  }

  initialize(rng: Rng): void {
    initialize(this.init, this.value, this.fan[0], this.fan[1], rng);
    this.afterInit?.(this.value);
  }
}

export interface LayerArgs {
  /** Layer name, unique within a model; generated from the class when omitted. */
  name?: string;
  /** Shape of one sample (without the batch axis); lets the first layer build without an input layer. */
  inputShape?: number[];
  /** Fixed batch size (needed by stateful recurrent layers). */
  batchSize?: number;
}

export type LayerConfig = Record<string, unknown> & { name: string };

export abstract class Layer {
  abstract readonly className: string;
  name: string;
  params: Param[] = [];
  inputShape: number[] | null = null; // per sample, without batch
  outputShape: number[] | null = null;
  batchSize: number | null;
  readonly declaredInputShape: number[] | null;
  protected rng: Rng = new Rng(0);
  /** Owner of this layer's buffers and runner of its kernels: the default backend until a model moves it onto its own. */
  protected backend: Backend = getBackend();
  private bufs = new Map<string, Float32Array>();
  private scratchOutputs = false;
  private ownerRef: object | null = null;
  private ownerLabel = "";
  private trainableFlag = true;

  constructor(args: LayerArgs = {}) {
    this.name = args.name ?? "";
    this.declaredInputShape = args.inputShape ? [...args.inputShape] : null;
    this.batchSize = args.batchSize ?? null;
    if (this.backend.name !== "js") releaseScratch.register(this, { backend: this.backend, bufs: this.bufs }, this);
  }

  /** Declare parameters for a per-sample input shape; return the per-sample output shape. */
  protected abstract computeBuild(inputShape: number[]): number[];

  /** Forward pass over a batch; keeps what backward needs. */
  abstract forward(x: Tensor, training: boolean): Tensor;

  /** Backward pass: accumulates parameter gradients (+=) and returns dL/dx. */
  abstract backward(dy: Tensor): Tensor;

  /** Constructor arguments, for model.json. */
  abstract getConfig(): LayerConfig;

  build(inputShape: number[]): number[] {
    this.params = [];
    this.inputShape = [...inputShape];
    this.outputShape = this.computeBuild(inputShape);
    return this.outputShape;
  }

  get built(): boolean {
    return this.outputShape !== null;
  }

  /** The model or wrapper this layer was added to, or null while it is free. */
  get owner(): object | null {
    return this.ownerRef;
  }

  /**
   * Record that `owner` (a model, or a wrapper layer) holds this layer. A layer's parameters are
   * views into its owner's buffers, so a second owner would silently rewire the first: refused.
   * The same owner may claim again (a graph that uses a layer twice shares its weights on purpose).
   */
  claim(owner: object, label: string, where: string): void {
    if (this.ownerRef !== null && this.ownerRef !== owner) {
      const me = this.name ? `layer "${this.name}" (${this.className})` : `this ${this.className} layer`;
      throw new ConfigError(`${where}: ${me} already belongs to ${this.ownerLabel}; a layer object can serve one model only — create a new layer with the same options for this one`);
    }
    this.ownerRef = owner;
    this.ownerLabel = label;
  }

  /** Undo `claim` (the owner is being disposed or its construction failed). */
  release(owner: object): void {
    if (this.ownerRef === owner) {
      this.ownerRef = null;
      this.ownerLabel = "";
    }
  }

  /**
   * Whether the optimizer updates this layer's weights (Keras's `layer.trainable`). Setting it sets
   * it on wrapped layers too; a frozen layer's weights keep their values and their optimizer moments.
   */
  get trainable(): boolean {
    return this.trainableFlag;
  }

  set trainable(on: boolean) {
    if (typeof on !== "boolean") {
      throw new ConfigError(`layer "${this.name}": trainable must be true or false, got ${on === null ? "null" : typeof on === "string" ? JSON.stringify(on) : String(on)}`);
    }
    this.trainableFlag = on;
    for (const c of this.children()) c.trainable = on;
  }

  /** All parameters, including those of wrapped layers, in Keras's weight order. */
  allParams(): Param[] {
    return this.params;
  }

  /** Wrapped layers (Bidirectional, TimeDistributed). */
  children(): Layer[] {
    return [];
  }

  /** Move the layer (and wrapped layers) onto a backend; scratch buffers are reallocated on next use. */
  setBackend(backend: Backend): void {
    if (backend !== this.backend) {
      releaseScratch.unregister(this);
      for (const b of this.bufs.values()) this.backend.free(b);
      this.bufs = new Map();
      this.backend = backend;
      if (backend.name !== "js") releaseScratch.register(this, { backend, bufs: this.bufs }, this);
    }
    for (const c of this.children()) c.setBackend(backend);
  }

  /**
   * While on (a model turns it on inside fit, evaluate and predict, which copy what they keep),
   * forward and backward write their results into buffers reused from call to call instead of
   * fresh arrays: no allocation per call, and on the WebAssembly backend no staging either.
   */
  setScratchOutputs(on: boolean): void {
    this.scratchOutputs = on;
    for (const c of this.children()) c.setScratchOutputs(on);
  }

  setRng(rng: Rng): void {
    this.rng = rng;
    for (const c of this.children()) c.setRng(rng.fork());
  }

  /** Reset recurrent states (stateful layers); a no-op elsewhere. */
  resetStates(): void {
    for (const c of this.children()) c.resetStates();
  }

  countParams(): number {
    return this.allParams().reduce((s, p) => s + p.size, 0);
  }

  getWeights(): Tensor[] {
    return this.allParams().map((p) => new Tensor(p.value.slice(), p.shape));
  }

  getGradients(): Tensor[] {
    return this.allParams().map((p) => new Tensor(p.grad.slice(), p.shape));
  }

  setWeights(weights: Tensor[]): void {
    const ps = this.allParams();
    if (!Array.isArray(weights)) throw new ShapeError(`${this.name}.setWeights: expected a list of ${ps.length} tensors, got ${weights === null ? "null" : typeof weights}`);
    if (weights.length !== ps.length) {
      throw new ShapeError(`${this.name}.setWeights: expected ${ps.length} arrays (${ps.map((p) => `${p.name} ${fmtShape(p.shape)}`).join(", ")}), got ${weights.length}`);
    }
    ps.forEach((p, i) => {
      const w = weights[i]!;
      if (!(w instanceof Tensor)) throw new ShapeError(`${this.name}.setWeights: weight ${i} (${p.name}) must be a Tensor of shape ${fmtShape(p.shape)}, got ${w === null ? "null" : Array.isArray(w) ? "an array" : typeof w}`);
      if (!shapesEqual(w.shape, p.shape)) {
        throw new ShapeError(`${this.name}.setWeights: weight ${i} (${p.name}) expects shape ${fmtShape(p.shape)}, got ${fmtShape(w.shape)}`);
      }
    });
    ps.forEach((p, i) => p.value.set(weights[i]!.data)); // written only once every tensor is checked
  }

  // ---- masks (variable-length sequences) ----------------------------------------------------

  /**
   * Which steps of the current batch are real, [B, T] (1 real, 0 masked; Keras's mask), set by the
   * model before `forward`; null when no layer below made one.
   */
  inputMask: Float32Array | null = null;

  /**
   * The mask of the output of the batch just run forward. By default the input mask passes through
   * when the output keeps the input's time axis (both per-sample shapes have rank >= 2 and the same
   * first axis), else it ends. Masking and Embedding({ maskZero }) make one; a recurrent layer
   * without returnSequences ends it.
   */
  computeOutputMask(): Float32Array | null {
    const m = this.inputMask;
    const i = this.inputShape, o = this.outputShape;
    if (!m || !i || !o) return null;
    return i.length >= 2 && o.length >= 2 && i[0] === o[0] ? m : null;
  }

  // ---- the graph protocol (functional models) -------------------------------------------------

  /**
   * Build for a call with these per-sample input shapes and return the per-sample shapes of its
   * outputs. The default takes one input and gives one output; recurrent layers take initial
   * states as extra inputs and give their final states as extra outputs (returnState); merge and
   * attention layers take several inputs. A built layer (a shared one) checks the shapes instead.
   */
  buildCall(inputShapes: number[][], args: CallArgs = {}): number[][] {
    void args;
    if (inputShapes.length !== 1) {
      throw new ShapeError(`layer "${this.name}" (${this.className}) takes one input, got ${inputShapes.length}`);
    }
    const s = inputShapes[0]!;
    if (!this.built) return [this.build(s)];
    if (!shapesEqual(s, this.inputShape!)) {
      throw new ShapeError(`layer "${this.name}" (${this.className}) was built for input ${fmtShape([null, ...this.inputShape!])} and is now applied to ${fmtShape([null, ...s])}; a shared layer takes the same shape at every call`);
    }
    return [[...this.outputShape!]];
  }

  /** Forward for a graph call: the outputs `buildCall` promised. */
  forwardCall(xs: Tensor[], training: boolean, args: CallArgs = {}): Tensor[] {
    void args;
    return [this.forward(xs[0]!, training)];
  }

  /**
   * Backward for a graph call: dL/d(each output) (null when nothing downstream used it) → dL/d(each
   * input), accumulating the weight gradients. Runs right after the matching `forwardCall`.
   */
  backwardCall(dys: (Tensor | null)[], args: CallArgs = {}): Tensor[] {
    void args;
    const dy = dys[0];
    if (!dy) throw new ConfigError(`layer "${this.name}" (${this.className}): backward without a gradient for its output`);
    return [this.backward(dy)];
  }

  /** The options of `apply` this layer understands beyond its inputs (recurrent: initialState; attention: returnAttentionScores, useCausalMask). */
  callOptions(): readonly string[] {
    return [];
  }

  /**
   * Call the layer on symbolic tensors (from `input()` or another layer's `apply`) to build a graph
   * for `model({ inputs, outputs })`, as Keras's functional API. Returns one symbolic tensor, or
   * several when the layer gives several outputs (a recurrent layer with returnState: [output, h, c]
   * or [output, h]). `initialState` starts a recurrent layer from given states.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], args: ApplyArgs = {}): SymbolicTensor | SymbolicTensor[] {
    return applyLayer(this, inputs, args);
  }

  /** Check a batch's shape against the built input shape; names the layer and both shapes. */
  checkInputShape(x: Tensor): void {
    this.checkInput(x);
  }

  protected checkInput(x: Tensor): void {
    if (!(x instanceof Tensor)) {
      throw new ShapeError(`layer "${this.name}" (${this.className}) takes a Tensor, got ${x === null ? "null" : Array.isArray(x) ? "an array (wrap it with toTensor)" : typeof x}`);
    }
    const want = this.inputShape!;
    const got = x.shape.slice(1);
    const stepOk = stepDepth > 0 && got.length === want.length && want.length >= 1 && shapesEqual(got.slice(1), want.slice(1));
    if (!stepOk && !shapesEqual(got, want)) {
      throw new ShapeError(`layer "${this.name}" (${this.className}) expects input of shape ${fmtShape([null, ...want])}, got ${fmtShape(x.shape)}`);
    }
  }

  /**
   * A scratch buffer from the layer's backend, reused while the size stays the same (workspaces are
   * sized once per batch shape). Not zeroed on reuse.
   */
  protected buf(key: string, size: number): Float32Array {
    let b = this.bufs.get(key);
    if (!b || b.length !== size) {
      if (b) this.backend.free(b);
      b = this.backend.alloc(size);
      this.bufs.set(key, b);
    }
    return b;
  }

  /** A result buffer: reused scratch while scratch outputs are on, else a fresh array the caller may keep. */
  protected out(key: string, size: number): Float32Array {
    return this.scratchOutputs ? this.buf(key, size) : new Float32Array(size);
  }

  protected requireForward<T>(v: T | null, what = "backward"): T {
    if (v === null) throw new ConfigError(`layer "${this.name}": ${what} called before forward`);
    return v;
  }
}

/** Shape of a batch: the per-sample shape with the batch size in front. */
export function batchShape(batch: number, sample: Shape): number[] {
  return [batch, ...sample];
}

/**
 * A layer that takes several inputs (merges, attention): used in functional models through
 * `.apply([a, b, ...])`. It implements the graph protocol (buildCall, forwardCall, backwardCall);
 * its single-input forward and backward are refused with a pointer to `apply`.
 */
export abstract class MultiInputLayer extends Layer {
  /** Per-sample shapes of the inputs, once built. */
  inputShapes: number[][] | null = null;
  /** Masks of the inputs for the current batch ([B, T] or null each), set by the model before forwardCall. */
  inputMasks: (Float32Array | null)[] = [];

  /** Declare parameters for these per-sample input shapes; return the per-sample output shapes. */
  protected abstract computeBuildCall(inputShapes: number[][], args: CallArgs): number[][];

  protected computeBuild(inputShape: number[]): number[] {
    void inputShape;
    throw new ConfigError(`layer "${this.name}" (${this.className}) takes a list of inputs: use it in a functional model, layer.apply([a, b])`);
  }

  override buildCall(inputShapes: number[][], args: CallArgs = {}): number[][] {
    if (!this.built) {
      this.params = [];
      const out = this.computeBuildCall(inputShapes, args);
      this.inputShapes = inputShapes.map((s) => [...s]);
      this.inputShape = [...inputShapes[0]!];
      this.outputShape = [...out[0]!];
      return out;
    }
    const want = this.inputShapes!;
    if (inputShapes.length !== want.length || inputShapes.some((s, k) => !shapesEqual(s, want[k]!))) {
      throw new ShapeError(`layer "${this.name}" (${this.className}) was built for inputs ${want.map((s) => fmtShape([null, ...s])).join(", ")} and is now applied to ${inputShapes.map((s) => fmtShape([null, ...s])).join(", ")}; a shared layer takes the same shapes at every call`);
    }
    return this.computeOutputShapes(args);
  }

  /** Output shapes of another call of a built layer (the options of a call may add outputs). */
  protected abstract computeOutputShapes(args: CallArgs): number[][];

  abstract override forwardCall(xs: Tensor[], training: boolean, args?: CallArgs): Tensor[];
  abstract override backwardCall(dys: (Tensor | null)[], args?: CallArgs): Tensor[];

  forward(x: Tensor, training: boolean): Tensor {
    void x; void training;
    throw new ConfigError(`layer "${this.name}" (${this.className}) takes a list of inputs: use it in a functional model, layer.apply([a, b])`);
  }

  backward(dy: Tensor): Tensor {
    void dy;
    throw new ConfigError(`layer "${this.name}" (${this.className}) takes a list of inputs: use it in a functional model, layer.apply([a, b])`);
  }

  /** A multi-input layer's mask: its first input's, when the output keeps that input's time axis. */
  override computeOutputMask(): Float32Array | null {
    this.inputMask = this.inputMasks[0] ?? null;
    return super.computeOutputMask();
  }
}
