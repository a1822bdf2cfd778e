// Sequential model: a stack of layers over one flat parameter buffer and one gradient buffer of the
// same layout (DESIGN decision 2), with Keras's compile / fit / evaluate / predict / summary.

import { Tensor, toTensor, assertFinite, type NestedArray, sizeOf, shapesEqual } from "../tensor/tensor.js";
import { Rng } from "../tensor/rng.js";
import { ConfigError, NonFiniteError, ShapeError, fmtShape } from "../tensor/errors.js";
import { Layer, Input, RecurrentLayer, MultiInputLayer, LSTM, GRU, namePrefix, type LstmInternals, type GruInternals } from "../layers/index.js";
import { Optimizer, type OptimizerConfig, type OptimizerName, type OptimizerState } from "../optim/optimizers.js";
import { isCustomLoss, type CustomLoss, type LossName, type LossSpec } from "../kernels/losses.js";
import { checkMetricArg, metricTracker, resolveLossName, valuesOf, type CustomMetric, type MetricArg, type MetricName, type MetricTracker } from "./metrics.js";
import { withStepMode, type Param } from "../layers/layer.js";
import { type Callback, type Logs, TerminateOnNaN } from "./callbacks.js";
import { ProgressLogger, defaultProgress, type ProgressRenderer, type RunContext, type TrainEnd } from "./progress.js";
import { saveModel } from "./save.js";
import { getBackend, checkBackendChoice, referenceBackend, type Backend, type BackendChoice } from "../backend/index.js";
import { parallelHost, checkThreads, getDefaultThreads, type ParallelPool } from "./parallel.js";
import { parseOptions, options, z, str, bool, positiveInt, nonNegativeInt, fn, fmtValue } from "../layers/options.js";

/** Layers that map each time step on its own (or have no time axis), so predictStep can run them a step at a time. */
const STEP_LAYERS = new Set(["InputLayer", "Dense", "Dropout", "Embedding", "Masking", "TimeDistributed"]);

/** Estimated FLOPs of one batch below which "auto" threads stays on one thread. */
const PARALLEL_MIN_FLOP = 3e8;

// Worker threads hold replicas of a model; they stop when the model is collected (or disposed).
const closePools = new FinalizationRegistry<{ pool: ParallelPool | null }>((h) => h.pool?.close());

// The flat buffers live in the backend's memory, which a WebAssembly heap does not garbage-collect:
// when a model is collected, its buffers go back to the backend.
const releaseBuffers = new FinalizationRegistry<{ backend: Backend; bufs: Float32Array[] }>(
  ({ backend, bufs }) => { for (const b of bufs) backend.free(b); },
);

export interface SequentialOptions {
  /** Seed for initial weights, dropout masks and shuffling. Default 42. */
  seed?: number;
  /** Default "sequential". */
  name?: string;
  /**
   * Where the numbers live and which kernels run them: "wasm" (WebAssembly SIMD), "js" (the
   * reference TypeScript kernels) or "auto" (default: wasm where the runtime supports SIMD).
   */
  backend?: BackendChoice;
  /**
   * Threads that share each training batch (data parallel; Node's worker threads). "auto"
   * (default) uses every core when a batch is big enough to repay the hand-off (about 3e8
   * floating-point operations), else one. Results are deterministic for a given seed and
   * thread count; a different thread count draws different dropout masks.
   */
  threads?: number | "auto";
}

export interface CompileArgs {
  optimizer: OptimizerConfig | OptimizerName | Optimizer;
  /** A loss name (ours or Keras's: "mse", "mean_squared_error", "binary_crossentropy", ...), `{ name, fromLogits?, delta? }`, or a custom loss `{ name, forward, backward }`. */
  loss: LossName | string | LossSpec | (Omit<LossSpec, "name"> & { name: string }) | CustomLoss;
  /** Metric names (ours or Keras's: "mae", "acc", ...), named functions `(yTrue, yPred) => per-sample values`, or `{ name, fn }`. */
  metrics?: MetricArg[];
}

export type Data = Tensor | NestedArray;

/** One weight per sample: a [N] tensor, an array or a typed array. */
export type SampleWeight = Tensor | ArrayLike<number> | NestedArray;

/** Weight of each class id (sparse ids, the argmax of one-hot targets, or 0 / 1 for binary targets); classes not listed weigh 1. */
export type ClassWeight = Record<number | string, number>;

export interface FitArgs {
  /** Epochs to run in this call (default 1); with `initialEpoch`, the epoch to stop before. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. */
  validationSplit?: number;
  /**
   * [x, y] or [x, y, sampleWeight] (the weights scale the validation loss as in training); for a
   * functional model with several inputs or outputs, x and y are lists as in `fit`.
   */
  validationData?: [Data | Data[], Data | Data[]] | [Data | Data[], Data | Data[], SampleWeight];
  /**
   * Per-sample weights ([N]): each sample's loss is multiplied by its weight, and a batch's loss is
   * the sum of the weighted losses divided by the batch size (Keras's reduction, not a division
   * by the sum of the weights). With validationSplit the held-out part keeps its weights.
   */
  sampleWeight?: SampleWeight;
  /** Per-class weights for class targets (training only, as in Keras); multiplies sampleWeight. */
  classWeight?: ClassWeight;
  /** Shuffle the training samples every epoch. Default true. */
  shuffle?: boolean;
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar, 2 one line per epoch; "auto" (default): 1 when the renderer is interactive (a terminal), else 2. */
  verbose?: 0 | 1 | 2 | "auto";
  /**
   * Epoch to start from (resuming a saved run); with it, `epochs` is the epoch to stop before, as in
   * Keras. Without it (the default) a call continues the model's count: it runs `epochs` more epochs
   * numbered from `epochsTrained`, so calling fit again continues the shuffles and dropout masks
   * instead of repeating the first call's, and history and callbacks see epochs N+1, N+2, …
   */
  initialEpoch?: number;
  /** Draws verbose output. Default: the host's (a terminal in Node, console lines elsewhere). */
  progress?: ProgressRenderer;
  /** Which of several runs this is, for the renderer (e.g. network 2 of 4 of an ensemble). */
  run?: RunContext;
}

/** Weights and optimizer state at one moment (see `Sequential.snapshotState`). */
export interface TrainingSnapshot {
  parameters: Float32Array;
  optimizer: OptimizerState | null;
}

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
  /** Why training ended before `epochs`, if it did. */
  stopReason?: string;
}

export interface EvaluateArgs {
  /** Samples per forward pass. Default 32. */
  batchSize?: number;
  /** Per-sample weights of the loss ([N]); metrics stay unweighted, as Keras's `metrics`. */
  sampleWeight?: SampleWeight;
}

export interface PredictArgs {
  /** Samples per forward pass. Default 32. */
  batchSize?: number;
  /** Write the predictions here (shape [samples, ...output]) instead of a new tensor: with it, predict allocates nothing per call. */
  out?: Tensor;
}

const anyValue = (what: string): z.ZodType => z.custom((v) => v !== undefined, { error: `must be ${what}` });
const integer = (): z.ZodNumber => z.number({ error: "must be an integer" }).refine(Number.isInteger, { error: "must be an integer" }) as unknown as z.ZodNumber;
const objectOf = (what: string): z.ZodType => z.custom((v) => v !== null && typeof v === "object", { error: `must be ${what}` });

const SEQUENTIAL_OPTIONS = options({
  seed: integer().optional(),
  name: str().optional(),
  backend: anyValue('"auto", "js" or "wasm"').optional(),
  threads: anyValue('a positive integer or "auto"').optional(),
});

const LOSS = z.union([
  str(),
  options({ name: str(), fromLogits: bool().optional(), delta: z.number({ error: "must be a positive number" }).refine((d) => d > 0 && Number.isFinite(d), { error: "must be a positive number" }).optional() }),
], { error: "must be a loss name or { name, fromLogits?, delta? }" });

const CUSTOM_LOSS = z.looseObject({
  name: z.string({ error: "must be a non-empty string" }).min(1, { error: "must be a non-empty string" }),
  forward: fn(),
  backward: fn(),
}, { error: "must be { name, forward, backward }" });

const COMPILE_OPTIONS = options({
  optimizer: z.custom((v) => typeof v === "string" || (v !== null && typeof v === "object"), { error: "must be an optimizer name, { type, ... } or an Optimizer" }),
  loss: anyValue("a loss name, { name, fromLogits?, delta? } or a custom loss { name, forward, backward }"),
  metrics: z.array(anyValue("a metric"), { error: "must be a list of metric names" }).optional(),
});

const SAMPLE_WEIGHT = z.custom((v) => v instanceof Tensor || ArrayBuffer.isView(v) || Array.isArray(v), { error: "must be a [N] tensor or array of weights" });
const CLASS_WEIGHT = z.record(z.string(), z.number({ error: "must be a non-negative number" }).refine((n) => Number.isFinite(n) && n >= 0, { error: "must be a non-negative number" }), { error: "must be an object { class: weight }" });

const CALLBACK_METHODS = ["onTrainBegin", "onTrainEnd", "onEpochBegin", "onEpochEnd", "onBatchBegin", "onBatchEnd"] as const;

/** A callback: any object; its on* members must be the known hooks (a misspelt hook would never run). */
const CALLBACK = z.looseObject(Object.fromEntries(CALLBACK_METHODS.map((m) => [m, fn().optional()])), { error: "must be a callback object" })
  .superRefine((cb, ctx) => {
    for (const key of Object.keys(cb)) {
      if (/^on[A-Z]/.test(key) && !(CALLBACK_METHODS as readonly string[]).includes(key)) {
        ctx.addIssue({ code: "unrecognized_keys", keys: [key], input: cb });
      }
    }
  });

const VERBOSE = z.custom<0 | 1 | 2 | "auto">((v) => v === 0 || v === 1 || v === 2 || v === "auto", { error: 'must be 0, 1, 2 or "auto"' });

const FIT_OPTIONS = options({
  epochs: nonNegativeInt().optional(),
  batchSize: positiveInt().optional(),
  validationSplit: z.number({ error: "must be in (0, 1)" }).refine((s) => s === 0 || (s > 0 && s < 1), { error: "must be in (0, 1)" }).optional(),
  // [x, y] or [x, y, sampleWeight]; the third element is checked with the other weights
  validationData: z.custom((v) => Array.isArray(v) && (v.length === 2 || v.length === 3) && v[0] !== undefined && v[1] !== undefined, { error: "must be [x, y]" }).optional(),
  sampleWeight: SAMPLE_WEIGHT.optional(),
  classWeight: CLASS_WEIGHT.optional(),
  shuffle: bool().optional(),
  callbacks: z.array(CALLBACK, { error: "must be a list of callbacks" }).optional(),
  verbose: VERBOSE.optional(),
  initialEpoch: nonNegativeInt().optional(),
  progress: objectOf("a progress renderer").optional(),
  run: options({ label: str(), index: nonNegativeInt(), count: positiveInt() }).optional(),
});

// sampleWeight is checked on its own (below, and against the data by sampleWeights): the strict
// schema keeps the options a misspelt key is told about to the ones every call takes.
const EVALUATE_OPTIONS = options({ batchSize: positiveInt().optional(), sampleWeight: SAMPLE_WEIGHT.optional() });
const PREDICT_OPTIONS = options({
  batchSize: positiveInt().optional(),
  out: z.custom<Tensor>((v) => v instanceof Tensor, { error: "must be a Tensor" }).optional(),
});

/** A loss argument as a built-in spec (canonical name) or a checked custom loss. */
function checkLossArg(loss: unknown): LossSpec | CustomLoss {
  if (typeof loss === "string") return { name: resolveLossName(loss) };
  if (typeof loss === "function") {
    throw new ConfigError(`compile: loss is a plain function; without automatic differentiation a loss must bring its gradient: pass { name, forward(yTrue, yPred) → one loss per sample, backward(yTrue, yPred) → d loss_i / d yPred }`);
  }
  if (isCustomLoss(loss)) {
    parseOptions(options({ loss: CUSTOM_LOSS }), { loss }, "compile");
    return loss;
  }
  const spec = parseOptions(options({ loss: LOSS }), { loss }, "compile").loss as LossSpec | string;
  const s = typeof spec === "string" ? { name: spec } : { ...spec };
  return { ...s, name: resolveLossName(s.name) };
}

/** Mix a seed with integers into a new 32-bit seed (per-layer, per-epoch random streams). */
export function mixSeed(seed: number, a: number, b: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(a + 1, 0xc2b2ae35) ^ Math.imul(b + 1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/**
 * What every model shares: the flat parameter and gradient buffers over its layers, compile / fit /
 * evaluate / predict, weights, snapshots and saving. A model sees its data as one tensor per batch
 * ([batch, ...per-sample]); `Sequential` runs a chain of layers on it, `Functional` (functional.ts)
 * a graph with several inputs and outputs packed side by side in it.
 */
export abstract class Model {
  readonly layers: Layer[];
  readonly seed: number;
  name: string;
  /** All weights, in layer order (each layer's views point here). */
  parameters: Float32Array = new Float32Array(0);
  /** Gradients, same layout as `parameters`. */
  gradients: Float32Array = new Float32Array(0);
  optimizer: Optimizer | null = null;
  loss: LossSpec | CustomLoss | null = null;
  /** Built-in metric names (canonical) and custom metrics, in the order given to compile. */
  metrics: (MetricName | CustomMetric)[] = [];
  /**
   * Set by loadModel when the model was saved compiled with custom functions it was not given
   * again: their names. fit and evaluate refuse to run until compile() is called with them.
   */
  missingCustom: { loss: string | null; metrics: string[] } | null = null;
  /** Set by callbacks to end training after the current epoch. */
  stopTraining = false;
  /** Epochs trained so far (saved with the model, for resuming). */
  epochsTrained = 0;
  /** The backend chosen at construction ("auto" resolved). */
  readonly backend: Backend;
  private readonly pool: { pool: ParallelPool | null } = { pool: null };
  private scratchDepth = 0;
  /** The `threads` option as given. */
  readonly threads: number | "auto";
  protected inputShapeValue: number[] | null = null;

  /** Common set-up; the subclass checks and names the layers, builds, and claims them. */
  protected constructor(layers: Layer[], options: SequentialOptions, where: string) {
    parseOptions(SEQUENTIAL_OPTIONS, options, where);
    this.layers = [...layers];
    this.seed = options.seed ?? 42;
    this.name = options.name ?? where;
    this.backend = getBackend(options.backend === undefined ? undefined : checkBackendChoice(options.backend, where));
    this.threads = options.threads === undefined ? getDefaultThreads() : checkThreads(options.threads, where);
    closePools.register(this, this.pool, this);
  }

  get built(): boolean {
    return this.inputShapeValue !== null;
  }

  /** Per-sample input shape, once built. */
  get inputShape(): number[] | null {
    return this.inputShapeValue ? [...this.inputShapeValue] : null;
  }

  /** Per-sample output shape, once built (a functional model: its outputs side by side, flattened). */
  abstract get outputShape(): number[] | null;

  protected nameLayers(): void {
    const used = new Set<string>();
    for (const l of this.layers) if (l.name) {
      if (used.has(l.name)) throw new ConfigError(`sequential: two layers are named "${l.name}"`);
      used.add(l.name);
    }
    const counts = new Map<string, number>();
    for (const l of this.layers) {
      if (l.name) continue;
      const base = namePrefix(l.className);
      let k = counts.get(base) ?? 0;
      let name = k === 0 ? base : `${base}_${k}`;
      while (used.has(name)) name = `${base}_${++k}`;
      counts.set(base, k + 1);
      used.add(name);
      l.name = name;
    }
  }

  /** Build every layer for a per-sample input shape, allocate the flat buffers and initialise the weights. */
  build(inputShape: number[]): void {
    if (this.built) return;
    this.buildLayers(inputShape);
    const params = this.layers.flatMap((l) => l.allParams());
    const total = params.reduce((s, p) => s + p.size, 0);
    const be = this.backend;
    this.parameters = be.alloc(total);
    this.gradients = be.alloc(total);
    if (be.name !== "js") releaseBuffers.register(this, { backend: be, bufs: [this.parameters, this.gradients] });
    for (const l of this.layers) l.setBackend(be);
    const rng = new Rng(this.seed);
    let off = 0;
    for (const p of params) {
      p.value = this.parameters.subarray(off, off + p.size);
      p.grad = this.gradients.subarray(off, off + p.size);
      p.initialize(rng);
      off += p.size;
    }
    this.inputShapeValue = [...inputShape];
    this.seedLayers(0x7fffffff);
  }

  /** Build the layers for a per-sample input shape (the subclass's topology). */
  protected abstract buildLayers(inputShape: number[]): void;

  /** Give each layer its own random stream for `epoch` (so a resumed run draws the same masks). */
  protected seedLayers(epoch: number): void {
    this.reseed(epoch, 0);
  }

  /**
   * Seed every layer's random stream (dropout masks) for an epoch and a shard of the batch:
   * shard 0 draws what a one-thread run draws; each other shard has a stream of its own.
   */
  reseed(epoch: number, shard: number): void {
    this.layers.forEach((l, k) => {
      const s = mixSeed(this.seed, k, epoch);
      l.setRng(new Rng(shard === 0 ? s : mixSeed(s, shard, 0x5eed)));
    });
  }

  /**
   * The thread pool for batches of `batch` samples (null: run on this thread). "auto" shards a
   * batch only when its estimated cost (FLOPs ≈ flopPerParam · parameters · samples · steps: 2 for
   * inference, 6 for training) repays the hand-off. A pool is kept between calls.
   */
  protected poolFor(batch: number, flopPerParam: number, what: string): ParallelPool | null {
    const host = parallelHost();
    const stateful = this.layers.some((l) => l instanceof RecurrentLayer && l.stateful);
    // a masked sequence loss is a mean over the real steps of the whole batch, which a shard cannot know
    if (this.makesMasks()) return null;
    // a custom loss is code: it cannot be sent to worker threads, so training runs here
    const custom = flopPerParam === 6 && isCustomLoss(this.loss);
    if (custom && typeof this.threads === "number" && this.threads > 1) {
      throw new ConfigError(`${what}: a custom loss ("${this.loss!.name}") runs on the calling thread only (functions cannot be sent to worker threads); use threads: 1 or "auto"`);
    }
    if (custom) return null;
    let threads: number;
    if (this.threads === "auto") {
      const steps = this.inputShapeValue!.length >= 2 ? this.inputShapeValue![0]! : 1;
      const flop = flopPerParam * this.countParams() * batch * steps;
      threads = !host || stateful || batch < 8 || flop < PARALLEL_MIN_FLOP ? 1 : Math.min(host.cores(), Math.floor(batch / 4));
    } else if (this.threads === 1) {
      threads = 1;
    } else {
      if (!host) throw new ConfigError(`${what}: threads ${this.threads} needs worker threads, which this runtime does not offer; use threads: 1`);
      if (stateful) throw new ConfigError(`${what}: a stateful model carries its states from batch to batch and runs on one thread; use threads: 1`);
      threads = Math.max(1, Math.min(this.threads, batch));
    }
    if (threads === 1) return null;
    // a running pool serves any batch that wants threads (shards it has no rows for stay idle)
    if (this.pool.pool && (this.threads === "auto" || this.pool.pool.threads === threads)) return this.pool.pool;
    this.pool.pool?.close();
    this.pool.pool = host!.start({
      layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
      inputShape: this.inputShapeValue!, outputShape: this.outputShape!, seed: this.seed, backend: this.backend.name,
    }, this.parameters, this.gradients, threads);
    return this.pool.pool;
  }

  /** Stop the model's worker threads and give its buffers back to the backend; the model is unusable after. */
  dispose(): void {
    this.pool.pool?.close();
    this.pool.pool = null;
    closePools.unregister(this);
    releaseBuffers.unregister(this);
    for (const l of this.layers) {
      l.setBackend(referenceBackend);
      l.release(this);
    }
    this.backend.free(this.parameters);
    this.backend.free(this.gradients);
    this.parameters = new Float32Array(0);
    this.gradients = new Float32Array(0);
  }

  protected ensureBuilt(x: Tensor, where: string): void {
    if (this.built) return;
    if (x.rank < 2) throw new ShapeError(`${where}: input needs a batch axis, got shape ${fmtShape(x.shape)}`);
    this.build(x.shape.slice(1) as number[]);
  }

  compile(args: CompileArgs): void {
    parseOptions(COMPILE_OPTIONS, args, "compile");
    const optimizer = args.optimizer instanceof Optimizer ? args.optimizer : new Optimizer(args.optimizer);
    const loss = checkLossArg(args.loss);
    const metrics = (args.metrics ?? []).map((m, k) => checkMetricArg(m, k));
    const seen = new Set<string>(["loss"]);
    for (const m of metrics) {
      const name = typeof m === "string" ? m : m.name;
      if (name === "loss") throw new ConfigError(`compile: a metric cannot be named "loss" (the loss's own key in logs and history); rename it`);
      if (seen.has(name)) throw new ConfigError(`compile: metric "${name}" is given twice; give each metric once, under its own name`);
      seen.add(name);
    }
    this.optimizer = optimizer;
    this.loss = loss;
    this.metrics = metrics;
    this.missingCustom = null;
  }

  /** Forward over a batch in the model's packed layout; keeps what backward needs. */
  abstract forward(x: Tensor, training?: boolean): Tensor;

  /** Backward from dL/d(output) through every layer; accumulates into `gradients`, returns dL/dx. */
  abstract backward(dy: Tensor): Tensor;

  zeroGrads(): void {
    this.gradients.fill(0);
  }

  /**
   * The training step seam (DESIGN decision 9): forward, loss and backward on a batch or a slice
   * of one, with no I/O and no optimizer step. Gradients are ADDED into `gradients`, scaled so that
   * slices of one batch of `globalBatch` samples sum to the gradient of the whole batch's mean loss;
   * the returned loss is this slice's share of that mean (slices' losses sum to the batch loss).
   * `fit` runs it on whole batches; worker threads run it on their shards.
   */
  trainStep(x: Tensor, y: Tensor, globalBatch = x.shape[0]!, sampleWeight: Float32Array | null = null): { loss: number; output: Tensor } {
    const loss = this.requireCompiled("trainStep").loss;
    const out = this.forward(x, true);
    const grad = new Float32Array(out.size);
    const l = this.batchLoss(loss, out, y, sampleWeight, grad, globalBatch, "trainStep");
    if (!Number.isFinite(l)) return { loss: l, output: out };
    this.backward(new Tensor(grad, out.shape));
    return { loss: l, output: out };
  }

  /**
   * Σ_i w_i · loss_i / divisor over the samples of a batch (w_i = 1 without weights), where loss_i
   * is sample i's mean loss over its outputs: with divisor = the batch size this is Keras's
   * reduction (sum over batch size), and shards of a batch sum to the whole batch's loss. Writes
   * the gradient of that value w.r.t. the predictions into `grad` when given. A sample of weight 0
   * is skipped (neither its loss nor its gradient is computed).
   */
  protected batchLoss(loss: LossSpec | CustomLoss, out: Tensor, y: Tensor, w: Float32Array | null, grad: Float32Array | null, divisor: number, what: string, classes = this.classes(), mask = this.lossMask): number {
    const B = out.shape[0]!;
    if (w && w.length !== B) throw new ShapeError(`${what}: ${w.length} sample weights for a batch of ${B} samples`);
    if (mask && !isCustomLoss(loss) && out.rank >= 3 && mask.length === B * out.shape[1]!) {
      return this.maskedBatchLoss(loss, out, y, w, grad, divisor, classes, mask);
    }
    if (isCustomLoss(loss)) {
      const yt = new Tensor(y.data.slice(), y.shape), yp = new Tensor(out.data.slice(), out.shape);
      const ls = valuesOf(loss.forward(yt, yp), B, `loss "${loss.name}": forward`, "one loss per sample");
      let s = 0;
      for (let i = 0; i < B; i++) if (!w || w[i] !== 0) s += (w ? w[i]! : 1) * ls[i]!;
      if (grad && Number.isFinite(s)) {
        const g = valuesOf(loss.backward(yt, yp), out.size, `loss "${loss.name}": backward`, `the gradient of each sample's loss, in yPred's shape ${fmtShape(out.shape)}`);
        const per = out.size / B;
        for (let i = 0; i < B; i++) {
          const k = (w ? w[i]! : 1) / divisor;
          for (let j = i * per; j < (i + 1) * per; j++) grad[j] = k === 0 ? 0 : g[j]! * k;
        }
      }
      return s / divisor;
    }
    if (!w) {
      const share = B / divisor;
      const l = this.backend.loss({ spec: loss, pred: out.data, target: y.data, classes, grad }) * share;
      if (grad && share !== 1 && Number.isFinite(l)) for (let i = 0; i < grad.length; i++) grad[i] *= share;
      return l;
    }
    const per = out.size / B, tper = y.size / B;
    let s = 0;
    for (let i = 0; i < B; i++) {
      const wi = w[i]!;
      const g = grad ? grad.subarray(i * per, (i + 1) * per) : null;
      if (wi === 0) {
        g?.fill(0);
        continue;
      }
      const li = this.backend.loss({ spec: loss, pred: out.data.subarray(i * per, (i + 1) * per), target: y.data.subarray(i * tper, (i + 1) * tper), classes, grad: g });
      s += wi * li;
      if (g) {
        const k = wi / divisor;
        for (let j = 0; j < g.length; j++) g[j] *= k;
      }
    }
    return s / divisor;
  }

  /**
   * The loss of a sequence output that carries a mask [B, T] (Masking or Embedding({ maskZero })
   * below, and every layer after them keeping the time axis), as Keras 3 computes it: masked steps
   * leave the loss, which is the (sample-weighted) mean over the real steps of the batch. Scaled like
   * the unmasked loss: by B / divisor (1 in training, the batch size for evaluate's sums).
   */
  private maskedBatchLoss(loss: LossSpec, out: Tensor, y: Tensor, w: Float32Array | null, grad: Float32Array | null, divisor: number, classes: number, mask: Float32Array): number {
    const B = out.shape[0]!, T = out.shape[1]!;
    const rows = B * T;
    const per = out.size / rows, tper = y.size / rows;
    let valid = 0;
    for (let r = 0; r < rows; r++) if (mask[r]! > 0) valid++;
    if (valid === 0) {
      grad?.fill(0);
      return 0;
    }
    const scale = B / divisor / valid;
    let s = 0;
    for (let r = 0; r < rows; r++) {
      const wr = mask[r]! > 0 ? (w ? w[Math.floor(r / T)]! : 1) : 0;
      const g = grad ? grad.subarray(r * per, (r + 1) * per) : null;
      if (wr === 0) {
        g?.fill(0);
        continue;
      }
      const l = this.backend.loss({ spec: loss, pred: out.data.subarray(r * per, (r + 1) * per), target: y.data.subarray(r * tper, (r + 1) * tper), classes, grad: g });
      s += wr * l;
      if (g) for (let j = 0; j < g.length; j++) g[j] *= wr * scale;
    }
    return s * scale;
  }

  /** The mask of the output of the last forward ([B, T]), or null: what the loss leaves out. */
  protected lossMask: Float32Array | null = null;

  /** Whether a layer makes masks (Masking, Embedding with maskZero): the masked loss is computed on one thread. */
  protected makesMasks(): boolean {
    const makes = (l: Layer): boolean => l.className === "Masking" || (l.className === "Embedding" && (l as unknown as { maskZero?: boolean }).maskZero === true) || l.children().some(makes);
    return this.layers.some(makes);
  }

  /**
   * The [start, end) ranges of the flat buffers the optimizer may change: the weights of layers
   * with `trainable` true (and, in a wrapper, of wrapped layers that are). Undefined when every
   * weight is trainable.
   */
  trainableRanges(): [number, number][] | undefined {
    const frozen = this.frozenParams();
    if (frozen.size === 0) return undefined;
    const ranges: [number, number][] = [];
    let off = 0;
    for (const p of this.layers.flatMap((l) => l.allParams())) {
      if (!frozen.has(p)) {
        const last = ranges[ranges.length - 1];
        if (last && last[1] === off) last[1] = off + p.size;
        else ranges.push([off, off + p.size]);
      }
      off += p.size;
    }
    return ranges;
  }

  /** Weights the optimizer must not change: every weight of a frozen layer, wrapped layers included. */
  protected frozenParams(): Set<Param> {
    const frozen = new Set<Param>();
    const visit = (l: Layer, parentFrozen: boolean): void => {
      const f = parentFrozen || !l.trainable;
      const children = l.children();
      const inChildren = new Set(children.flatMap((c) => c.allParams()));
      if (f) for (const p of l.allParams()) if (!inChildren.has(p)) frozen.add(p);
      for (const c of children) visit(c, f);
    };
    for (const l of this.layers) visit(l, false);
    return frozen;
  }

  /** Parameters the optimizer updates (Keras's "Trainable params"). */
  countTrainableParams(): number {
    const frozen = this.frozenParams();
    return this.layers.flatMap((l) => l.allParams()).reduce((s, p) => s + (frozen.has(p) ? 0 : p.size), 0);
  }

  countParams(): number {
    return this.parameters.length;
  }

  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  getGradients(): Tensor[] {
    return this.layers.flatMap((l) => l.getGradients());
  }

  setWeights(weights: Tensor[]): void {
    this.requireBuilt("setWeights");
    if (!Array.isArray(weights)) throw new ShapeError(`setWeights: expected a list of tensors (as getWeights() returns), got ${fmtValue(weights)}`);
    // check every tensor before writing any, so a refused call leaves the weights as they were
    const params = this.layers.flatMap((l) => l.allParams().map((p, i) => ({ l, p, i })));
    if (weights.length !== params.length) throw new ShapeError(`setWeights: expected ${params.length} arrays, got ${weights.length}`);
    params.forEach(({ l, p, i }, k) => {
      const w = weights[k];
      if (!(w instanceof Tensor)) throw new ShapeError(`${l.name}.setWeights: weight ${i} (${p.name}) must be a Tensor of shape ${fmtShape(p.shape)}, got ${fmtValue(w)}`);
      if (!shapesEqual(w.shape, p.shape)) throw new ShapeError(`${l.name}.setWeights: weight ${i} (${p.name}) expects shape ${fmtShape(p.shape)}, got ${fmtShape(w.shape)}`);
    });
    let k = 0;
    for (const l of this.layers) {
      const n = l.allParams().length;
      if (k + n > weights.length) {
        throw new ShapeError(`setWeights: expected ${this.layers.reduce((s, m) => s + m.allParams().length, 0)} arrays, got ${weights.length}`);
      }
      l.setWeights(weights.slice(k, k + n));
      k += n;
    }
    if (k !== weights.length) throw new ShapeError(`setWeights: expected ${k} arrays, got ${weights.length}`);
  }

  resetStates(): void {
    for (const l of this.layers) l.resetStates();
  }

  /** The weights with the optimizer's state (moments, step count): a consistent point to return to. */
  snapshotState(): TrainingSnapshot {
    return { parameters: this.parameters.slice(), optimizer: this.optimizer?.snapshot() ?? null };
  }

  /** Return to a `snapshotState()`: weights and optimizer state together. */
  restoreState(s: TrainingSnapshot): void {
    if (s === null || typeof s !== "object" || !(s.parameters instanceof Float32Array)) {
      throw new ConfigError(`restoreState: expected what snapshotState() returned, got ${fmtValue(s)}`);
    }
    if (s.parameters.length !== this.parameters.length) {
      throw new ShapeError(`restoreState: the snapshot holds ${s.parameters.length} parameters, the model ${this.parameters.length}`);
    }
    this.parameters.set(s.parameters);
    if (s.optimizer && this.optimizer) this.optimizer.restore(s.optimizer);
  }

  protected requireBuilt(what: string): void {
    if (!this.built) throw new ConfigError(`${what}: the model is not built yet; start it with layers.input({ shape }) or call fit/predict first`);
  }

  protected requireCompiled(what: string): { loss: LossSpec | CustomLoss; optimizer: Optimizer } {
    const miss = this.missingCustom;
    if (miss) {
      const names = [...(miss.loss ? [miss.loss] : []), ...miss.metrics];
      const parts = [...(miss.loss ? [`the custom loss "${miss.loss}"`] : []), ...(miss.metrics.length ? [`the custom metric${miss.metrics.length > 1 ? "s" : ""} ${miss.metrics.map((m) => `"${m}"`).join(", ")}`] : [])];
      throw new ConfigError(`${what}: this model was saved compiled with ${parts.join(" and ")}, whose code a model file cannot hold; pass ${names.length > 1 ? "them" : "it"} again: loadModel(dir, { customObjects: { ${names.join(", ")} } }), or model.compile({ optimizer: model.optimizer, loss, metrics }) (passing model.optimizer keeps its saved moments)`);
    }
    if (!this.loss || !this.optimizer) throw new ConfigError(`${what}: call compile({ optimizer, loss }) first`);
    return { loss: this.loss, optimizer: this.optimizer };
  }

  /** Check targets against the model output; sparse cross-entropy takes class ids without the class axis. */
  protected checkTargets(y: Tensor, x: Tensor, what: string): void {
    if (y.shape[0] !== x.shape[0]) {
      throw new ShapeError(`${what}: x has ${x.shape[0]} samples but y has ${y.shape[0]}`);
    }
    const out = this.outputShape!;
    const got = y.shape.slice(1);
    if (isCustomLoss(this.loss)) return; // a custom loss reads targets of any per-sample shape
    const sparse = this.isSparse();
    const ok = sparse
      ? shapesEqual(got, out.slice(0, -1)) || shapesEqual(got, [...out.slice(0, -1), 1])
      : shapesEqual(got, out);
    if (!ok) {
      const want = sparse ? `${fmtShape([null, ...out.slice(0, -1)])} (class ids)` : fmtShape([null, ...out]);
      throw new ShapeError(`${what}: targets have shape ${fmtShape(y.shape)} but the model outputs ${want} (last layer "${this.layers[this.layers.length - 1]!.name}")`);
    }
  }

  /** Inputs as a finite tensor of the model's input shape (building the model from it if needed). */
  protected prepareInputs(xIn: Data, what: string, xName = "x"): Tensor {
    const x = toTensor(xIn, `${what}: ${xName}`);
    assertFinite(x, `${what}: ${xName}`);
    this.ensureBuilt(x, what);
    this.layers[0]!.checkInputShape(x);
    return x;
  }

  /** Inputs and targets checked against the model and each other; names `what` in every error. */
  protected prepareData(xIn: Data, yIn: Data, what: string, validation = false): { x: Tensor; y: Tensor } {
    const v = validation ? "validation " : "";
    const x = this.prepareInputs(xIn, what, `${v}x`);
    const y = toTensor(yIn, `${what}: ${v}y`);
    assertFinite(y, `${what}: ${v}y`);
    this.checkTargets(y, x, validation ? `${what} (validationData)` : what);
    return { x, y };
  }

  protected isSparse(): boolean {
    return !isCustomLoss(this.loss) && this.loss?.name === "sparseCategoricalCrossentropy";
  }

  protected trackers(): MetricTracker[] {
    const sparse = this.isSparse();
    return this.metrics.map((m) => metricTracker(m, sparse));
  }

  /**
   * Per-sample weights for n samples as a Float32Array, or null without any: `sampleWeight` times
   * the weight of each sample's class in `classWeight` (class ids from sparse targets, the argmax
   * of one-hot targets, or the rounded value of a single binary target, as Keras reads them).
   */
  protected sampleWeights(sw: SampleWeight | undefined, cw: ClassWeight | undefined, y: Tensor, what: string, label = "sampleWeight"): Float32Array | null {
    const n = y.shape[0]!;
    let w: Float32Array | null = null;
    if (sw !== undefined) {
      if (!(sw instanceof Tensor || ArrayBuffer.isView(sw) || Array.isArray(sw))) throw new ConfigError(`${what}: ${label} must be a [N] tensor or array of weights, got ${fmtValue(sw)}`);
      const t = sw instanceof Tensor ? sw : ArrayBuffer.isView(sw) ? new Tensor(Float32Array.from(sw as ArrayLike<number>), [(sw as ArrayLike<number>).length]) : toTensor(sw as NestedArray, `${what}: ${label}`);
      if (!(t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1)) || t.shape[0] !== n) {
        throw new ShapeError(`${what}: ${label} has shape ${fmtShape(t.shape)}; it needs one weight per sample: [${n}]`);
      }
      for (let i = 0; i < n; i++) {
        const v = t.data[i]!;
        if (!(Number.isFinite(v) && v >= 0)) throw new ConfigError(`${what}: ${label}[${i}] must be a finite non-negative number, got ${v}`);
      }
      w = Float32Array.from(t.data);
    }
    if (cw !== undefined) {
      const table = new Map<number, number>();
      for (const [k, v] of Object.entries(cw)) {
        const id = Number(k);
        if (!Number.isInteger(id) || id < 0) throw new ConfigError(`${what}: classWeight keys must be class ids (integers >= 0), got ${JSON.stringify(k)}`);
        table.set(id, v);
      }
      const per = y.size / n;
      if (y.rank > 2) {
        throw new ConfigError(`${what}: classWeight needs one class per sample, but the targets have shape ${fmtShape(y.shape)} (a class per time step); weight the samples with sampleWeight instead`);
      }
      if (isCustomLoss(this.loss) || !["binaryCrossentropy", "categoricalCrossentropy", "sparseCategoricalCrossentropy"].includes(this.loss!.name)) {
        throw new ConfigError(`${what}: classWeight applies to class targets (binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy); the loss is "${this.loss!.name}" — use sampleWeight`);
      }
      w ??= new Float32Array(n).fill(1);
      for (let i = 0; i < n; i++) {
        let c: number;
        if (per === 1) c = Math.round(y.data[i]!);
        else {
          c = 0;
          for (let j = 1; j < per; j++) if (y.data[i * per + j]! > y.data[i * per + c]!) c = j;
        }
        w[i] *= table.get(c) ?? 1;
      }
    }
    return w;
  }

  protected classes(): number {
    const out = this.outputShape!;
    return out[out.length - 1]!;
  }

  async fit(xIn: Data, yIn: Data, args: FitArgs = {}): Promise<History> {
    parseOptions(FIT_OPTIONS, args, "fit");
    this.scratchEnter();
    try {
      return await this.runFit(xIn, yIn, args);
    } finally {
      this.scratchExit();
    }
  }

  protected async runFit(xIn: Data, yIn: Data, args: FitArgs): Promise<History> {
    const { loss, optimizer } = this.requireCompiled("fit");
    let { x, y } = this.prepareData(xIn, yIn, "fit");
    let w = this.sampleWeights(args.sampleWeight, undefined, y, "fit");
    // Without initialEpoch a call continues the model's count: `epochs` more, numbered from
    // epochsTrained, so a second fit draws new shuffles and dropout masks (they are seeded by the
    // epoch) and a split run equals the straight one. With initialEpoch, Keras's meaning: run
    // epochs initialEpoch … epochs-1.
    const initialEpoch = args.initialEpoch ?? this.epochsTrained;
    const epochs = args.initialEpoch === undefined ? this.epochsTrained + (args.epochs ?? 1) : args.epochs ?? 1;
    const batchSize = args.batchSize ?? 32;

    let xv: Tensor | null = null;
    let yv: Tensor | null = null;
    let wv: Float32Array | null = null;
    if (args.validationData) {
      ({ x: xv, y: yv } = this.prepareData(args.validationData[0] as Data, args.validationData[1] as Data, "fit", true));
      wv = this.sampleWeights(args.validationData[2], undefined, yv, "fit", "validationData[2] (sample weights)");
    } else if (args.validationSplit) {
      const s = args.validationSplit;
      if (!(s > 0 && s < 1)) throw new ConfigError(`fit: validationSplit must be in (0, 1), got ${s}`);
      const n = x.shape[0]!;
      const cut = Math.floor(n * (1 - s));
      if (cut <= 0 || cut >= n) throw new ConfigError(`fit: validationSplit ${s} of ${n} samples leaves an empty training or validation set`);
      xv = x.slice0(cut, n);
      yv = y.slice0(cut, n);
      x = x.slice0(0, cut);
      y = y.slice0(0, cut);
      if (w) {
        wv = w.slice(cut, n);
        w = w.slice(0, cut);
      }
    }
    // class weights weigh the training samples only (Keras)
    if (args.classWeight !== undefined) {
      const cw = this.sampleWeights(undefined, args.classWeight, y, "fit");
      if (w && cw) for (let i = 0; i < w.length; i++) w[i] *= cw[i]!;
      else w = cw;
    }

    const n = x.shape[0]!;
    const steps = Math.ceil(n / batchSize);
    const progress = args.progress ?? defaultProgress();
    const verbose = args.verbose === undefined || args.verbose === "auto" ? (progress.interactive ? 1 : 2) : args.verbose;
    const callbacks: Callback[] = [...(args.callbacks ?? [])];
    const logger = verbose ? new ProgressLogger(verbose, epochs, steps, progress, args.run) : null;
    if (logger) callbacks.push(logger);
    for (const c of callbacks) c.model = this;
    const quietOnNaN = callbacks.some((c) => c instanceof TerminateOnNaN);
    const accs = this.trackers();
    const classes = this.classes();
    const history: History = { epoch: [], history: {} };
    // The last consistent point (weights and optimizer state before the latest step) to go back
    // to when a loss is not finite: restoring only the weights would keep a poisoned Adam moment.
    const lastGood = new Float32Array(this.parameters.length);
    let lastGoodOpt = optimizer.snapshot();
    const shuffle = args.shuffle ?? true;
    this.stopTraining = false;

    const pool = this.poolFor(Math.min(batchSize, n), 6, "fit");
    const trainSpec = { loss: loss as LossSpec, targetShape: y.shape.slice(1) as number[] };
    const wBatch = w ? new Float32Array(Math.min(batchSize, n)) : null;
    let stoppedBy: TrainEnd["stoppedBy"];
    for (const c of callbacks) await c.onTrainBegin?.({});
    for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      this.seedLayers(epoch);
      const order = shuffle ? new Rng(mixSeed(this.seed, -1, epoch)).permutation(n) : identity(n);
      for (const c of callbacks) await c.onEpochBegin?.(epoch, {});
      let lossSum = 0;
      let seen = 0;
      for (const a of accs) a.reset();
      for (let b = 0; b < steps; b++) {
        const lo = b * batchSize, hi = Math.min(n, lo + batchSize);
        for (const c of callbacks) await c.onBatchBegin?.(b, {});
        const xb = x.gather0(order, lo, hi);
        const yb = y.gather0(order, lo, hi);
        let wb: Float32Array | null = null;
        if (w && wBatch) {
          wb = wBatch.subarray(0, hi - lo);
          for (let i = lo; i < hi; i++) wb[i - lo] = w[order[i]!]!;
        }
        this.zeroGrads();
        const { loss: l, output: out } = pool
          ? pool.trainStep(xb, yb, trainSpec, epoch, (xs, ys, ws) => this.trainStep(xs, ys, hi - lo, ws), wb)
          : this.trainStep(xb, yb, hi - lo, wb);
        if (!Number.isFinite(l)) {
          const first = epoch === initialEpoch && b === 0;
          if (!first) {
            this.parameters.set(lastGood);
            optimizer.restore(lastGoodOpt);
          }
          const kept = first
            ? "the weights are unchanged (the starting weights already give a non-finite loss: check the data scale and the loss)"
            : "the weights of the last finite step were kept";
          const msg = `loss became ${l} at epoch ${epoch + 1}, batch ${b + 1}; training stopped and ${kept}`;
          history.stopReason = msg;
          stoppedBy = "nonFinite";
          if (!quietOnNaN) throw new NonFiniteError(msg);
          this.stopTraining = true;
          break;
        }
        lastGood.set(this.parameters);
        lastGoodOpt = optimizer.snapshot(lastGoodOpt);
        optimizer.step(this.parameters, this.gradients, this.backend, this.trainableRanges());
        lossSum += l * (hi - lo);
        seen += hi - lo;
        for (const a of accs) a.update(out, yb, classes);
        const batchLogs: Logs = { loss: lossSum / seen };
        accs.forEach((a) => (batchLogs[a.name] = a.result()));
        for (const c of callbacks) await c.onBatchEnd?.(b, batchLogs);
      }
      if (seen === 0) break;
      const logs: Logs = { loss: lossSum / seen };
      accs.forEach((a) => (logs[a.name] = a.result()));
      if (xv && yv) {
        const v = this.evaluatePrepared(xv, yv, wv, batchSize); // already checked (and, for a graph, packed)
        for (const [k, val] of Object.entries(v)) logs[`val_${k}`] = val;
      }
      this.epochsTrained = epoch + 1;
      history.epoch.push(epoch);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
      for (const c of callbacks) await c.onEpochEnd?.(epoch, logs);
      if (this.stopTraining && !history.stopReason) {
        history.stopReason = `stopped by a callback after epoch ${epoch + 1}`;
        stoppedBy = "callback";
      }
    }
    for (const c of callbacks) await c.onTrainEnd?.({});
    logger?.trainEnd(this.epochsTrained, stoppedBy, history.stopReason);
    return history;
  }

  /**
   * Run fn with the layers writing into reused buffers (Layer.setScratchOutputs): fit, evaluate and
   * predict copy what they keep, so nothing is allocated per batch. Nested calls (a callback that
   * predicts during fit) keep it on until the outermost ends.
   */
  protected withScratch<T>(fn: () => T): T {
    this.scratchEnter();
    try {
      return fn();
    } finally {
      this.scratchExit();
    }
  }

  protected scratchEnter(): void {
    if (this.scratchDepth++ === 0) for (const l of this.layers) l.setScratchOutputs(true);
  }

  protected scratchExit(): void {
    if (--this.scratchDepth === 0) for (const l of this.layers) l.setScratchOutputs(false);
  }

  /** Inference on one batch, sharded over the thread pool when it is big enough. */
  private inferBatch(x: Tensor, batchSize: number): Tensor {
    const pool = this.poolFor(x.shape[0]!, 2, "predict");
    return pool ? pool.predict(x, (xs) => this.forward(xs, false)) : this.forward(x, false);
  }

  /** Loss and metrics over a data set, in inference mode. */
  evaluate(xIn: Data, yIn: Data, args: EvaluateArgs = {}): Record<string, number> {
    parseOptions(EVALUATE_OPTIONS, args, "evaluate");
    return this.withScratch(() => this.runEvaluate(xIn, yIn, args));
  }

  protected runEvaluate(xIn: Data, yIn: Data, args: EvaluateArgs): Record<string, number> {
    const loss = this.requireCompiled("evaluate").loss;
    const { x, y } = this.prepareData(xIn, yIn, "evaluate");
    const w = this.sampleWeights(args.sampleWeight, undefined, y, "evaluate");
    return this.evaluatePrepared(x, y, w, args.batchSize ?? 32);
  }

  /** Loss and metrics over checked data (what prepareData returns), in inference mode. */
  protected evaluatePrepared(x: Tensor, y: Tensor, w: Float32Array | null, batchSize: number): Record<string, number> {
    const loss = this.requireCompiled("evaluate").loss;
    const classes = this.classes();
    const accs = this.trackers();
    const n = x.shape[0]!;
    let s = 0;
    for (let lo = 0; lo < n; lo += batchSize) {
      const hi = Math.min(n, lo + batchSize);
      const out = this.inferBatch(x.slice0(lo, hi), batchSize);
      const yb = y.slice0(lo, hi);
      s += this.batchLoss(loss, out, yb, w ? w.subarray(lo, hi) : null, null, 1, "evaluate");
      for (const a of accs) a.update(out, yb, classes);
    }
    const res: Record<string, number> = { loss: s / n };
    for (const a of accs) res[a.name] = a.result();
    return res;
  }

  /** Outputs for every sample, in inference mode, computed in batches. */
  predict(xIn: Data, args: PredictArgs = {}): Tensor | Tensor[] {
    parseOptions(PREDICT_OPTIONS, args, "predict");
    return this.withScratch(() => this.runPredict(xIn, args));
  }

  protected runPredict(xIn: Data, args: PredictArgs): Tensor {
    const x = this.prepareInputs(xIn, "predict");
    const batchSize = args.batchSize ?? 32;
    const n = x.shape[0]!;
    const out = this.outputShape!;
    const per = sizeOf(out);
    let result: Tensor;
    if (args.out) {
      if (!shapesEqual(args.out.shape, [n, ...out])) {
        throw new ShapeError(`predict: out has shape ${fmtShape(args.out.shape)}, but the predictions have shape ${fmtShape([n, ...out])}`);
      }
      result = args.out;
    } else {
      result = new Tensor(new Float32Array(n * per), [n, ...out]);
    }
    for (let lo = 0; lo < n; lo += batchSize) {
      const hi = Math.min(n, lo + batchSize);
      const y = this.inferBatch(lo === 0 && hi === n ? x : x.slice0(lo, hi), batchSize);
      result.data.set(y.data, lo * per);
    }
    return result;
  }

  /** The layer with this name or index. */
  getLayer(which: string | number): Layer {
    const l = typeof which === "number" ? this.layers[which] : this.layers.find((m) => m.name === which);
    if (!l) throw new ConfigError(`getLayer: no layer ${JSON.stringify(which)}; layers are ${this.layers.map((m) => m.name).join(", ")}`);
    return l;
  }

  /**
   * Per-timestep gate activations and states of an LSTM or GRU layer for inputs x,
   * each [B, T, H] (inference mode; the layers below it run first).
   */
  abstract inspect(which: string | number, xIn: Data | Data[]): LstmInternals | GruInternals;

  /** A Keras-style table of the layers, their output shapes and parameter counts; then the totals. */
  abstract summary(): string;

  /** The three totals lines of a summary. */
  protected summaryTotals(): string[] {
    const total = this.countParams();
    const trainable = this.countTrainableParams();
    const bytes = (n: number): string => {
      const b = n * 4;
      return b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MB` : b >= 1024 ? `${(b / 1024).toFixed(2)} KB` : `${b.toFixed(2)} B`;
    };
    return [
      ` Total params: ${total.toLocaleString("en-US")} (${bytes(total)})`,
      ` Trainable params: ${trainable.toLocaleString("en-US")} (${bytes(trainable)})`,
      ` Non-trainable params: ${(total - trainable).toLocaleString("en-US")} (${bytes(total - trainable)})`,
    ];
  }

  /** Save to a directory: model.json (topology, compile settings, training state) + weights.bin. */
  async save(dir: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    await saveModel(this, dir, opts);
  }
}

/** A linear stack of layers: each layer's output is the next one's input. */
export class Sequential extends Model {
  constructor(layers: Layer[], options: SequentialOptions = {}) {
    if (!Array.isArray(layers) || layers.length === 0) throw new ConfigError("sequential: give at least one layer");
    layers.forEach((l, k) => {
      if (!(l instanceof Layer)) throw new ConfigError(`sequential: layers[${k}] must be a layer (layers.dense(...), layers.lstm(...), ...), got ${fmtValue(l)}`);
      const first = layers.indexOf(l);
      if (first !== k) {
        throw new ConfigError(`sequential: layers[${first}] and layers[${k}] are the same layer object; a Sequential model is a chain of distinct layers — create a new layer for position ${k}`);
      }
      if (l.owner !== null) l.claim(layers, "", "sequential"); // a layer owned elsewhere: claim refuses it
    });
    super(layers, options, "sequential");
    this.layers.slice(1).forEach((l, k) => {
      if (l instanceof Input) throw new ConfigError(`sequential: an input layer may only come first (found at position ${k + 1})`);
      if (l instanceof MultiInputLayer) throw new ConfigError(`sequential: layer "${l.name || l.className}" (${l.className}) takes several inputs; use it in a functional model (input(), layer.apply, model())`);
    });
    if (this.layers[0] instanceof MultiInputLayer) throw new ConfigError(`sequential: layer "${this.layers[0].name || this.layers[0].className}" (${this.layers[0].className}) takes several inputs; use it in a functional model (input(), layer.apply, model())`);
    this.nameLayers();
    const first = this.layers[0]!;
    if (first.declaredInputShape) this.build(first.declaredInputShape);
    for (const l of this.layers) l.claim(this, `model "${this.name}"`, "sequential");
  }

  /** Outputs for every sample, in inference mode, computed in batches. */
  override predict(xIn: Data, args: PredictArgs = {}): Tensor {
    return super.predict(xIn, args) as Tensor;
  }

  /**
   * One step of online inference that keeps the recurrent states between calls (until
   * `resetStates()`): x is one time step for each of B streams — [B, features] or [B, 1, features]
   * (token ids: [B] or [B, 1]) — or a short run of steps [B, T, features]. Every recurrent layer
   * starts from the states the previous call ended with (zeros at first), so a generator or a
   * streaming detector feeds its output back step by step with the trained model itself. Returns
   * the model's output for the last step given (an output with a time axis keeps it for [B, T, ...]
   * input and drops it for input without one).
   */
  predictStep(xIn: Data): Tensor {
    this.requireBuilt("predictStep");
    const want = this.inputShapeValue!;
    if (want.length < 1) throw new ConfigError("predictStep: the model has no time axis to step along");
    let x = toTensor(xIn, "predictStep: x");
    assertFinite(x, "predictStep: x");
    const noTime = x.rank === want.length; // [B, F] for input [T, F]; [B] for ids [T]
    if (noTime) x = x.reshape([x.shape[0]!, 1, ...x.shape.slice(1)]);
    if (x.rank !== want.length + 1 || !shapesEqual(x.shape.slice(2), want.slice(1))) {
      throw new ShapeError(`predictStep: x must be one step ${fmtShape([null, ...want.slice(1)])} or a run of steps ${fmtShape([null, null, ...want.slice(1)])} for a model whose input is ${fmtShape([null, ...want])}, got ${fmtShape(toTensor(xIn, "predictStep: x").shape)}`);
    }
    const B = x.shape[0]!;
    if (this.stepBatch !== null && this.stepBatch !== B) {
      throw new ShapeError(`predictStep: the states are for a batch of ${this.stepBatch} streams, got ${B}; call resetStates() to start a batch of ${B}`);
    }
    // Stepping is exact only when every layer maps step t to step t: recurrent layers (while the
    // time axis lasts) and per-step layers. Convolutions, poolings, flatten, repeatVector and
    // Bidirectional read across steps (or the future), so the stepped answer would be wrong.
    let timeKept = true;
    for (const l of this.layers) {
      if (l instanceof RecurrentLayer) {
        if (!timeKept) throw new ConfigError(`predictStep: layer "${l.name}" (${l.className}) comes after the time axis ended (a recurrent layer without returnSequences, or repeatVector), so it does not see one input step per step; step the model only up to there, or use predict`);
        if (!l.returnSequences) timeKept = false;
        continue;
      }
      const perStep = STEP_LAYERS.has(l.className) && !l.children().some((c) => c instanceof RecurrentLayer || !STEP_LAYERS.has(c.className));
      if (!perStep) {
        throw new ConfigError(`predictStep: layer "${l.name}" (${l.className}) reads across time steps${l.className === "Bidirectional" ? " (its backward direction needs the future)" : ""}, so a model cannot run it one step at a time; predictStep takes models of recurrent, dense, dropout, embedding, masking and timeDistributed layers — use predict on whole sequences`);
      }
    }
    const y = withStepMode(() => {
      let h = x;
      let mask: Float32Array | null = null;
      for (const l of this.layers) {
        l.inputMask = mask;
        if (l instanceof RecurrentLayer) {
          const r = l.forwardWithState(h, false, this.stepStates.get(l));
          this.stepStates.set(l, r.states);
          h = r.output;
        } else {
          h = l.forward(h, false);
        }
        mask = l.computeOutputMask();
      }
      return h;
    });
    this.stepBatch = B;
    const out = new Tensor(y.data.slice(), y.shape);
    const last = this.layers[this.layers.length - 1]!;
    // an output with a time axis: keep the last step's when x came without one
    if (noTime && last.outputShape && last.outputShape.length >= 2 && out.rank >= 3 && out.shape[1] === 1) return out.reshape([B, ...out.shape.slice(2)]);
    return out;
  }

  override resetStates(): void {
    super.resetStates();
    this.stepStates.clear();
    this.stepBatch = null;
  }

  private readonly stepStates = new Map<Layer, Tensor[]>();
  private stepBatch: number | null = null;

  /** Per-sample output shape, once built. */
  get outputShape(): number[] | null {
    const last = this.layers[this.layers.length - 1]!;
    return last.outputShape ? [...last.outputShape] : null;
  }

  protected buildLayers(inputShape: number[]): void {
    let shape = [...inputShape];
    for (const l of this.layers) {
      if (l instanceof RecurrentLayer && l.returnState) {
        throw new ConfigError(`layer "${l.name}": returnState has no place in a Sequential model; use the functional API (input(), layer.apply, model()), or call the layer's forwardWithState() directly`);
      }
      shape = l.build(shape);
    }
  }

  /** Forward through every layer. */
  forward(x: Tensor, training = false): Tensor {
    this.ensureBuilt(x, "forward");
    let h = x;
    let mask: Float32Array | null = null; // which steps are real (Masking, Embedding maskZero), passed up the stack
    for (const l of this.layers) {
      l.inputMask = mask;
      h = l.forward(h, training);
      mask = l.computeOutputMask();
    }
    this.lossMask = mask;
    return h;
  }

  /** Backward through every layer from dL/d(output); accumulates into `gradients`, returns dL/dx. */
  backward(dy: Tensor): Tensor {
    let g = dy;
    for (let k = this.layers.length - 1; k >= 0; k--) g = this.layers[k]!.backward(g);
    return g;
  }

  /**
   * Per-timestep gate activations and states of an LSTM or GRU layer for inputs x,
   * each [B, T, H] (inference mode; the layers below it run first).
   */
  inspect(which: string | number, xIn: Data): LstmInternals | GruInternals {
    const x = toTensor(xIn, "inspect: x");
    this.ensureBuilt(x, "inspect");
    const target = this.getLayer(which);
    let h = x;
    let mask: Float32Array | null = null;
    for (const l of this.layers) {
      l.inputMask = mask;
      if (l === target) {
        if (l instanceof LSTM || l instanceof GRU) return l.inspect(h);
        throw new ConfigError(`inspect: layer "${l.name}" is a ${l.className}; only LSTM and GRU layers have gates to inspect`);
      }
      h = l.forward(h, false);
      mask = l.computeOutputMask();
    }
    throw new ConfigError("inspect: layer not found");
  }

  /** A Keras-style table: layer (type), output shape, parameter count; then the totals. */
  summary(): string {
    this.requireBuilt("summary");
    const rows = this.layers
      .filter((l) => !(l instanceof Input))
      .map((l) => [`${l.name} (${l.className})`, `(None, ${l.outputShape!.join(", ")})`, l.countParams().toLocaleString("en-US")]);
    const head = ["Layer (type)", "Output Shape", "Param #"];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 2);
    const cell = (s: string, i: number): string => (i === 2 ? s.padStart(w[i]! - 1) + " " : " " + s.padEnd(w[i]! - 1));
    const line = (l: string, m: string, r: string, f: string): string => l + w.map((n) => f.repeat(n)).join(m) + r;
    const out = [
      `Model: "${this.name}"`,
      line("┏", "┳", "┓", "━"),
      "┃" + head.map(cell).join("┃") + "┃",
      line("┡", "╇", "┩", "━"),
      ...rows.flatMap((r, k) => [
        "│" + r.map(cell).join("│") + "│",
        ...(k < rows.length - 1 ? [line("├", "┼", "┤", "─")] : []),
      ]),
      line("└", "┴", "┘", "─"),
      ...this.summaryTotals(),
    ];
    return out.join("\n");
  }
}

function identity(n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return p;
}

/** Build a Sequential model; `seed` makes initial weights, dropout and shuffling reproducible. */
export function sequential(layers: Layer[], options: SequentialOptions = {}): Sequential {
  return new Sequential(layers, options);
}
