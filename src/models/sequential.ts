// Sequential model: a stack of layers over one flat parameter buffer and one gradient buffer of the
// same layout (DESIGN decision 2), with Keras's compile / fit / evaluate / predict / summary.

import { Tensor, toTensor, assertFinite, type NestedArray, sizeOf, shapesEqual } from "../tensor/tensor.js";
import { Rng } from "../tensor/rng.js";
import { ConfigError, NonFiniteError, ShapeError, fmtShape } from "../tensor/errors.js";
import { Layer, Input, RecurrentLayer, LSTM, GRU, namePrefix, type LstmInternals, type GruInternals } from "../layers/index.js";
import { Optimizer, type OptimizerConfig, type OptimizerName, type OptimizerState } from "../optim/optimizers.js";
import { checkLoss, type LossName, type LossSpec } from "../kernels/losses.js";
import { MetricAccumulator, checkMetric, type MetricName } from "./metrics.js";
import { type Callback, type Logs, TerminateOnNaN } from "./callbacks.js";
import { ProgressLogger, defaultProgress, type ProgressRenderer, type RunContext, type TrainEnd } from "./progress.js";
import { saveModel } from "./save.js";
import { getBackend, checkBackendChoice, referenceBackend, type Backend, type BackendChoice } from "../backend/index.js";
import { parallelHost, checkThreads, getDefaultThreads, type ParallelPool } from "./parallel.js";
import { parseOptions, options, z, str, bool, positiveInt, nonNegativeInt, fn, fmtValue } from "../layers/options.js";

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
  loss: LossName | LossSpec;
  metrics?: string[];
}

export type Data = Tensor | NestedArray;

export interface FitArgs {
  /** Epochs to run in this call (default 1); with `initialEpoch`, the epoch to stop before. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. */
  validationSplit?: number;
  validationData?: [Data, Data];
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
}

export interface PredictArgs extends EvaluateArgs {
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

const COMPILE_OPTIONS = options({
  optimizer: z.custom((v) => typeof v === "string" || (v !== null && typeof v === "object"), { error: "must be an optimizer name, { type, ... } or an Optimizer" }),
  loss: LOSS,
  metrics: z.array(str(), { error: "must be a list of metric names" }).optional(),
});

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
  validationData: z.tuple([anyValue("inputs"), anyValue("targets")], { error: "must be [x, y]" }).optional(),
  shuffle: bool().optional(),
  callbacks: z.array(CALLBACK, { error: "must be a list of callbacks" }).optional(),
  verbose: VERBOSE.optional(),
  initialEpoch: nonNegativeInt().optional(),
  progress: objectOf("a progress renderer").optional(),
  run: options({ label: str(), index: nonNegativeInt(), count: positiveInt() }).optional(),
});

const EVALUATE_OPTIONS = options({ batchSize: positiveInt().optional() });
const PREDICT_OPTIONS = options({
  batchSize: positiveInt().optional(),
  out: z.custom<Tensor>((v) => v instanceof Tensor, { error: "must be a Tensor" }).optional(),
});

/** Mix a seed with integers into a new 32-bit seed (per-layer, per-epoch random streams). */
export function mixSeed(seed: number, a: number, b: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(a + 1, 0xc2b2ae35) ^ Math.imul(b + 1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

export class Sequential {
  readonly layers: Layer[];
  readonly seed: number;
  name: string;
  /** All weights, in layer order (each layer's views point here). */
  parameters: Float32Array = new Float32Array(0);
  /** Gradients, same layout as `parameters`. */
  gradients: Float32Array = new Float32Array(0);
  optimizer: Optimizer | null = null;
  loss: LossSpec | null = null;
  metrics: MetricName[] = [];
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
  private inputShapeValue: number[] | null = null;

  constructor(layers: Layer[], options: SequentialOptions = {}) {
    if (!Array.isArray(layers) || layers.length === 0) throw new ConfigError("sequential: give at least one layer");
    parseOptions(SEQUENTIAL_OPTIONS, options, "sequential");
    layers.forEach((l, k) => {
      if (!(l instanceof Layer)) throw new ConfigError(`sequential: layers[${k}] must be a layer (layers.dense(...), layers.lstm(...), ...), got ${fmtValue(l)}`);
      const first = layers.indexOf(l);
      if (first !== k) {
        throw new ConfigError(`sequential: layers[${first}] and layers[${k}] are the same layer object; a Sequential model is a chain of distinct layers — create a new layer for position ${k}`);
      }
      if (l.owner !== null) l.claim(this, "", "sequential"); // a layer owned elsewhere: claim refuses it
    });
    this.layers = [...layers];
    this.seed = options.seed ?? 42;
    this.name = options.name ?? "sequential";
    this.backend = getBackend(options.backend === undefined ? undefined : checkBackendChoice(options.backend, "sequential"));
    this.threads = options.threads === undefined ? getDefaultThreads() : checkThreads(options.threads, "sequential");
    closePools.register(this, this.pool, this);
    this.layers.slice(1).forEach((l, k) => {
      if (l instanceof Input) throw new ConfigError(`sequential: an input layer may only come first (found at position ${k + 1})`);
    });
    this.nameLayers();
    const first = this.layers[0]!;
    if (first.declaredInputShape) this.build(first.declaredInputShape);
    for (const l of this.layers) l.claim(this, `model "${this.name}"`, "sequential");
  }

  get built(): boolean {
    return this.inputShapeValue !== null;
  }

  /** Per-sample input shape, once built. */
  get inputShape(): number[] | null {
    return this.inputShapeValue ? [...this.inputShapeValue] : null;
  }

  /** Per-sample output shape, once built. */
  get outputShape(): number[] | null {
    const last = this.layers[this.layers.length - 1]!;
    return last.outputShape ? [...last.outputShape] : null;
  }

  private nameLayers(): void {
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
    let shape = [...inputShape];
    for (const l of this.layers) {
      if (l instanceof RecurrentLayer && l.returnState) {
        throw new ConfigError(`layer "${l.name}": returnState has no place in a Sequential model; call the layer's forwardWithState() directly`);
      }
      shape = l.build(shape);
    }
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

  /** Give each layer its own random stream for `epoch` (so a resumed run draws the same masks). */
  private seedLayers(epoch: number): void {
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
  private poolFor(batch: number, flopPerParam: number, what: string): ParallelPool | null {
    const host = parallelHost();
    const stateful = this.layers.some((l) => l instanceof RecurrentLayer && l.stateful);
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

  private ensureBuilt(x: Tensor, where: string): void {
    if (this.built) return;
    if (x.rank < 2) throw new ShapeError(`${where}: input needs a batch axis, got shape ${fmtShape(x.shape)}`);
    this.build(x.shape.slice(1) as number[]);
  }

  compile(args: CompileArgs): void {
    parseOptions(COMPILE_OPTIONS, args, "compile");
    this.optimizer = args.optimizer instanceof Optimizer ? args.optimizer : new Optimizer(args.optimizer);
    this.loss = checkLoss(args.loss);
    this.metrics = (args.metrics ?? []).map(checkMetric);
  }

  /** Forward through every layer. */
  forward(x: Tensor, training = false): Tensor {
    this.ensureBuilt(x, "forward");
    let h = x;
    for (const l of this.layers) h = l.forward(h, training);
    return h;
  }

  /** Backward through every layer from dL/d(output); accumulates into `gradients`, returns dL/dx. */
  backward(dy: Tensor): Tensor {
    let g = dy;
    for (let k = this.layers.length - 1; k >= 0; k--) g = this.layers[k]!.backward(g);
    return g;
  }

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
  trainStep(x: Tensor, y: Tensor, globalBatch = x.shape[0]!): { loss: number; output: Tensor } {
    const loss = this.requireCompiled("trainStep").loss;
    const out = this.forward(x, true);
    const grad = new Float32Array(out.size);
    const share = x.shape[0]! / globalBatch;
    const l = this.backend.loss({ spec: loss, pred: out.data, target: y.data, classes: this.classes(), grad }) * share;
    if (!Number.isFinite(l)) return { loss: l, output: out };
    if (share !== 1) for (let i = 0; i < grad.length; i++) grad[i] *= share;
    this.backward(new Tensor(grad, out.shape));
    return { loss: l, output: out };
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

  private requireBuilt(what: string): void {
    if (!this.built) throw new ConfigError(`${what}: the model is not built yet; start it with layers.input({ shape }) or call fit/predict first`);
  }

  private requireCompiled(what: string): { loss: LossSpec; optimizer: Optimizer } {
    if (!this.loss || !this.optimizer) throw new ConfigError(`${what}: call compile({ optimizer, loss }) first`);
    return { loss: this.loss, optimizer: this.optimizer };
  }

  /** Check targets against the model output; sparse cross-entropy takes class ids without the class axis. */
  private checkTargets(y: Tensor, x: Tensor, what: string): void {
    if (y.shape[0] !== x.shape[0]) {
      throw new ShapeError(`${what}: x has ${x.shape[0]} samples but y has ${y.shape[0]}`);
    }
    const out = this.outputShape!;
    const got = y.shape.slice(1);
    const sparse = this.loss?.name === "sparseCategoricalCrossentropy";
    const ok = sparse
      ? shapesEqual(got, out.slice(0, -1)) || shapesEqual(got, [...out.slice(0, -1), 1])
      : shapesEqual(got, out);
    if (!ok) {
      const want = sparse ? `${fmtShape([null, ...out.slice(0, -1)])} (class ids)` : fmtShape([null, ...out]);
      throw new ShapeError(`${what}: targets have shape ${fmtShape(y.shape)} but the model outputs ${want} (last layer "${this.layers[this.layers.length - 1]!.name}")`);
    }
  }

  /** Inputs as a finite tensor of the model's input shape (building the model from it if needed). */
  private prepareInputs(xIn: Data, what: string, xName = "x"): Tensor {
    const x = toTensor(xIn, `${what}: ${xName}`);
    assertFinite(x, `${what}: ${xName}`);
    this.ensureBuilt(x, what);
    this.layers[0]!.checkInputShape(x);
    return x;
  }

  /** Inputs and targets checked against the model and each other; names `what` in every error. */
  private prepareData(xIn: Data, yIn: Data, what: string, validation = false): { x: Tensor; y: Tensor } {
    const v = validation ? "validation " : "";
    const x = this.prepareInputs(xIn, what, `${v}x`);
    const y = toTensor(yIn, `${what}: ${v}y`);
    assertFinite(y, `${what}: ${v}y`);
    this.checkTargets(y, x, validation ? `${what} (validationData)` : what);
    return { x, y };
  }

  private classes(): number {
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

  private async runFit(xIn: Data, yIn: Data, args: FitArgs): Promise<History> {
    const { loss, optimizer } = this.requireCompiled("fit");
    let { x, y } = this.prepareData(xIn, yIn, "fit");
    // Without initialEpoch a call continues the model's count: `epochs` more, numbered from
    // epochsTrained, so a second fit draws new shuffles and dropout masks (they are seeded by the
    // epoch) and a split run equals the straight one. With initialEpoch, Keras's meaning: run
    // epochs initialEpoch … epochs-1.
    const initialEpoch = args.initialEpoch ?? this.epochsTrained;
    const epochs = args.initialEpoch === undefined ? this.epochsTrained + (args.epochs ?? 1) : args.epochs ?? 1;
    const batchSize = args.batchSize ?? 32;

    let xv: Tensor | null = null;
    let yv: Tensor | null = null;
    if (args.validationData) {
      ({ x: xv, y: yv } = this.prepareData(args.validationData[0], args.validationData[1], "fit", true));
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
    const accs = this.metrics.map((m) => new MetricAccumulator(m, loss.name === "sparseCategoricalCrossentropy"));
    const classes = this.classes();
    const history: History = { epoch: [], history: {} };
    // The last consistent point (weights and optimizer state before the latest step) to go back
    // to when a loss is not finite: restoring only the weights would keep a poisoned Adam moment.
    const lastGood = new Float32Array(this.parameters.length);
    let lastGoodOpt = optimizer.snapshot();
    const shuffle = args.shuffle ?? true;
    this.stopTraining = false;

    const pool = this.poolFor(Math.min(batchSize, n), 6, "fit");
    const trainSpec = { loss, targetShape: y.shape.slice(1) as number[] };
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
        this.zeroGrads();
        const { loss: l, output: out } = pool
          ? pool.trainStep(xb, yb, trainSpec, epoch, (xs, ys) => this.trainStep(xs, ys, hi - lo))
          : this.trainStep(xb, yb);
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
        optimizer.step(this.parameters, this.gradients, this.backend);
        lossSum += l * (hi - lo);
        seen += hi - lo;
        for (const a of accs) a.update(out.data, yb.data, classes);
        const batchLogs: Logs = { loss: lossSum / seen };
        accs.forEach((a) => (batchLogs[a.name] = a.result()));
        for (const c of callbacks) await c.onBatchEnd?.(b, batchLogs);
      }
      if (seen === 0) break;
      const logs: Logs = { loss: lossSum / seen };
      accs.forEach((a) => (logs[a.name] = a.result()));
      if (xv && yv) {
        const v = this.evaluate(xv, yv, { batchSize });
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
  private withScratch<T>(fn: () => T): T {
    this.scratchEnter();
    try {
      return fn();
    } finally {
      this.scratchExit();
    }
  }

  private scratchEnter(): void {
    if (this.scratchDepth++ === 0) for (const l of this.layers) l.setScratchOutputs(true);
  }

  private scratchExit(): void {
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

  private runEvaluate(xIn: Data, yIn: Data, args: EvaluateArgs): Record<string, number> {
    const loss = this.requireCompiled("evaluate").loss;
    const { x, y } = this.prepareData(xIn, yIn, "evaluate");
    const batchSize = args.batchSize ?? 32;
    const classes = this.classes();
    const accs = this.metrics.map((m) => new MetricAccumulator(m, loss.name === "sparseCategoricalCrossentropy"));
    const n = x.shape[0]!;
    let s = 0;
    for (let lo = 0; lo < n; lo += batchSize) {
      const hi = Math.min(n, lo + batchSize);
      const out = this.inferBatch(x.slice0(lo, hi), batchSize);
      const yb = y.slice0(lo, hi);
      s += this.backend.loss({ spec: loss, pred: out.data, target: yb.data, classes, grad: null }) * (hi - lo);
      for (const a of accs) a.update(out.data, yb.data, classes);
    }
    const res: Record<string, number> = { loss: s / n };
    for (const a of accs) res[a.name] = a.result();
    return res;
  }

  /** Outputs for every sample, in inference mode, computed in batches. */
  predict(xIn: Data, args: PredictArgs = {}): Tensor {
    parseOptions(PREDICT_OPTIONS, args, "predict");
    return this.withScratch(() => this.runPredict(xIn, args));
  }

  private runPredict(xIn: Data, args: PredictArgs): Tensor {
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
  inspect(which: string | number, xIn: Data): LstmInternals | GruInternals {
    const x = toTensor(xIn, "inspect: x");
    this.ensureBuilt(x, "inspect");
    const target = this.getLayer(which);
    let h = x;
    for (const l of this.layers) {
      if (l === target) {
        if (l instanceof LSTM || l instanceof GRU) return l.inspect(h);
        throw new ConfigError(`inspect: layer "${l.name}" is a ${l.className}; only LSTM and GRU layers have gates to inspect`);
      }
      h = l.forward(h, false);
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
    const total = this.countParams();
    const bytes = (n: number): string => {
      const b = n * 4;
      return b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MB` : b >= 1024 ? `${(b / 1024).toFixed(2)} KB` : `${b.toFixed(2)} B`;
    };
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
      ` Total params: ${total.toLocaleString("en-US")} (${bytes(total)})`,
      ` Trainable params: ${total.toLocaleString("en-US")} (${bytes(total)})`,
      ` Non-trainable params: 0 (0.00 B)`,
    ];
    return out.join("\n");
  }

  /** Save to a directory: model.json (topology, compile settings, training state) + weights.bin. */
  async save(dir: string, opts: { overwrite?: boolean } = {}): Promise<void> {
    await saveModel(this, dir, opts);
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
