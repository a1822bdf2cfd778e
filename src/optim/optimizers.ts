// Optimizers over the model's one flat parameter buffer: each step is one loop over it.
// Rules and defaults follow Keras 3 (epsilon 1e-7; rmsprop and adagrad divide by sqrt(v + ε), adam by
// sqrt(v) + ε with the bias correction folded into the rate); clipping by global norm or by value comes first.

import { ConfigError } from "../tensor/errors.js";
import type { Backend } from "../backend/backend.js";
import { referenceBackend } from "../backend/reference.js";
import { parseOptions, options, str, nonNegative, bool, z } from "../layers/options.js";

export type OptimizerName = "sgd" | "rmsprop" | "adagrad" | "adam" | "adamw";

export interface OptimizerConfig {
  type: OptimizerName;
  /** Default 0.01 for sgd, 0.001 otherwise (Keras). */
  learningRate?: number;
  /** Scale all gradients down together when their global L2 norm exceeds this. */
  clipNorm?: number;
  /** Clip every gradient element to [-clipValue, clipValue]. */
  clipValue?: number;
  /** sgd: momentum (default 0); rmsprop: momentum (default 0). */
  momentum?: number;
  /** sgd: Nesterov momentum. Default false. */
  nesterov?: boolean;
  /** rmsprop: decay of the squared-gradient average. Default 0.9. */
  rho?: number;
  /** adam, adamw. Defaults 0.9 and 0.999. */
  beta1?: number;
  beta2?: number;
  /** Default 1e-7. */
  epsilon?: number;
  /** adagrad: starting accumulator value. Default 0.1. */
  initialAccumulatorValue?: number;
  /** adamw: decoupled weight decay. Default 0.004 (Keras). */
  weightDecay?: number;
}

const NAMES: readonly OptimizerName[] = ["sgd", "rmsprop", "adagrad", "adam", "adamw"];

const unit = (): z.ZodNumber => z.number({ error: "must be in [0, 1)" }).refine((n) => n >= 0 && n < 1, { error: "must be in [0, 1)" }) as unknown as z.ZodNumber;

/** One schema for every rule: model.json keeps every field, whatever the rule reads. */
const OPTIMIZER_OPTIONS = options({
  type: str(),
  learningRate: nonNegative().optional(),
  clipNorm: nonNegative().optional(),
  clipValue: nonNegative().optional(),
  momentum: nonNegative().optional(),
  nesterov: bool().optional(),
  rho: unit().optional(),
  beta1: unit().optional(),
  beta2: unit().optional(),
  epsilon: nonNegative().optional(),
  initialAccumulatorValue: nonNegative().optional(),
  weightDecay: nonNegative().optional(),
});

/**
 * The optimizer's state besides the weights: what a step changes, so restoring it undoes steps.
 * The learning rate is not part of it (callbacks such as reduceLrOnPlateau set it on purpose).
 */
export interface OptimizerState {
  iterations: number;
  slots: Float32Array[];
}

export class Optimizer {
  readonly type: OptimizerName;
  learningRate: number;
  readonly config: Required<Omit<OptimizerConfig, "clipNorm" | "clipValue">> & Pick<OptimizerConfig, "clipNorm" | "clipValue">;
  /** Steps taken so far. */
  iterations = 0;
  /** Per-parameter state, each the layout of the parameter buffer (Adam: m, v). */
  slots: Float32Array[] = [];

  constructor(cfg: OptimizerConfig | OptimizerName) {
    const c = typeof cfg === "string" ? { type: cfg } : cfg;
    const where = c !== null && typeof c === "object" && typeof c.type === "string" ? `optimizer ${c.type}` : "optimizer";
    parseOptions(OPTIMIZER_OPTIONS, c, where);
    if (!NAMES.includes(c.type)) throw new ConfigError(`unknown optimizer "${c.type as string}"; choose one of ${NAMES.join(", ")}`);
    this.type = c.type;
    this.config = {
      type: c.type,
      learningRate: c.learningRate ?? (c.type === "sgd" ? 0.01 : 0.001),
      momentum: c.momentum ?? 0,
      nesterov: c.nesterov ?? false,
      rho: c.rho ?? 0.9,
      beta1: c.beta1 ?? 0.9,
      beta2: c.beta2 ?? 0.999,
      epsilon: c.epsilon ?? 1e-7,
      initialAccumulatorValue: c.initialAccumulatorValue ?? 0.1,
      weightDecay: c.weightDecay ?? 0.004,
      clipNorm: c.clipNorm,
      clipValue: c.clipValue,
    };
    this.learningRate = this.config.learningRate;
    for (const [k, v] of Object.entries(this.config)) {
      if (typeof v === "number" && !(Number.isFinite(v) && v >= 0)) throw new ConfigError(`optimizer ${this.type}: ${k} must be a non-negative number, got ${v}`);
    }
  }

  /** Configuration with the current learning rate, for model.json. */
  getConfig(): OptimizerConfig {
    const { clipNorm, clipValue, ...rest } = this.config;
    return { ...rest, learningRate: this.learningRate, ...(clipNorm !== undefined ? { clipNorm } : {}), ...(clipValue !== undefined ? { clipValue } : {}) };
  }

  /**
   * A copy of the state a step changes (step count, slots), reusing `into`'s
   * buffers when their sizes match. With the weights it is a consistent point to go back to.
   */
  snapshot(into?: OptimizerState): OptimizerState {
    const slots = this.slots.map((s, k) => {
      const b = into?.slots[k];
      if (b && b.length === s.length) {
        b.set(s);
        return b;
      }
      return s.slice();
    });
    return { iterations: this.iterations, slots };
  }

  /** Go back to a `snapshot`: later steps' moments and step count are forgotten. */
  restore(state: OptimizerState): void {
    this.iterations = state.iterations;
    if (state.slots.length === this.slots.length && state.slots.every((s, k) => s.length === this.slots[k]!.length)) {
      state.slots.forEach((s, k) => this.slots[k]!.set(s));
    } else {
      this.slots = state.slots.map((s) => s.slice());
    }
  }

  /** Slot buffers a step of this rule keeps (Adam: m and v). */
  slotCount(): number {
    return this.type === "sgd" ? (this.config.momentum > 0 ? 1 : 0)
      : this.type === "rmsprop" ? (this.config.momentum > 0 ? 2 : 1)
      : this.type === "adagrad" ? 1 : 2;
  }

  private ensureSlots(n: number): void {
    const count = this.slotCount();
    if (this.slots.length === count && (count === 0 || this.slots[0]!.length === n)) return;
    this.slots = Array.from({ length: count }, () => new Float32Array(n));
    if (this.type === "adagrad") this.slots[0]!.fill(this.config.initialAccumulatorValue);
  }

  /**
   * One update of `w` from gradients `g` (same layout), run by `backend` (the model's: its slots
   * are allocated there too). Clips `g` in place first.
   *
   * `trainable` lists the [start, end) ranges of `w` the step may change (a model's unfrozen
   * layers). Outside them the gradients are zeroed before clipping (so the global norm is the
   * trainable weights' norm, as in Keras), and the weights and their slots (moments) are left
   * untouched: not even Adam's momentum or AdamW's decay moves a frozen weight. Omitted: all of `w`.
   */
  step(w: Float32Array, g: Float32Array, backend: Backend = referenceBackend, trainable?: ReadonlyArray<readonly [number, number]>): void {
    this.ensureSlots(w.length);
    if (trainable) {
      let at = 0;
      for (const [a, b] of trainable) {
        if (a > at) g.fill(0, at, a);
        at = b;
      }
      if (at < g.length) g.fill(0, at);
    }
    if (this.config.clipNorm !== undefined || this.config.clipValue !== undefined) clipGradients(g, this.config.clipNorm, this.config.clipValue, backend);
    this.iterations++;
    const c = this.config;
    const update = (lo: number, hi: number): void => {
      const whole = lo === 0 && hi === w.length;
      backend.optimizerUpdate({
        rule: this.type,
        w: whole ? w : w.subarray(lo, hi),
        g: whole ? g : g.subarray(lo, hi),
        slots: whole ? this.slots : this.slots.map((s) => s.subarray(lo, hi)),
        learningRate: this.learningRate,
        momentum: c.momentum, nesterov: c.nesterov, rho: c.rho, beta1: c.beta1, beta2: c.beta2,
        epsilon: c.epsilon, weightDecay: c.weightDecay, iteration: this.iterations,
      });
    };
    if (!trainable) update(0, w.length);
    else for (const [a, b] of trainable) if (b > a) update(a, b);
  }
}

/** Global-norm clipping (all gradients scaled together), then element clipping. Returns the norm before clipping. */
export function clipGradients(g: Float32Array, clipNorm?: number, clipValue?: number, backend: Backend = referenceBackend): number {
  const norm = Math.sqrt(backend.sumSquares(g));
  if (clipNorm !== undefined && norm > clipNorm) {
    const s = clipNorm / norm;
    for (let i = 0; i < g.length; i++) g[i] *= s;
  }
  if (clipValue !== undefined) {
    for (let i = 0; i < g.length; i++) g[i] = Math.min(clipValue, Math.max(-clipValue, g[i]!));
  }
  return norm;
}
