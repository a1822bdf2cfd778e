// Metrics accumulated over an epoch (sums and counts), so rmse is the root of the epoch's mean,
// not a mean of per-batch roots. Keras's names are accepted as aliases; a custom metric is a
// function of (yTrue, yPred) giving one value per sample, averaged over the epoch's samples.

import { ConfigError } from "../tensor/errors.js";
import { Tensor } from "../tensor/tensor.js";
import { nearestName, fmtValue } from "../layers/options.js";
import { LOSSES, LOSS_NAMES, lossByName, normalName, type LossName } from "../kernels/losses.js";

export type MetricName = "mse" | "mae" | "rmse" | "mape" | "accuracy";
export const METRICS: readonly MetricName[] = ["mse", "mae", "rmse", "mape", "accuracy"];

/** One value per sample of the batch ([B] values): the epoch's result is their mean over the samples. */
export type MetricFn = (yTrue: Tensor, yPred: Tensor) => ArrayLike<number> | Tensor;

/** A custom metric with its name (history keys, logs); a named function can be passed alone. */
export interface CustomMetric {
  name: string;
  fn: MetricFn;
}

/** What `compile({ metrics })` takes: a name (ours or Keras's), a named function, or `{ name, fn }`. */
export type MetricArg = string | MetricFn | CustomMetric;

const METRIC_ALIASES: Record<MetricName, readonly string[]> = {
  mse: ["mse", "mean_squared_error", "meanSquaredError", "MeanSquaredError"],
  mae: ["mae", "mean_absolute_error", "meanAbsoluteError", "MeanAbsoluteError"],
  rmse: ["rmse", "root_mean_squared_error", "rootMeanSquaredError", "RootMeanSquaredError"],
  mape: ["mape", "mean_absolute_percentage_error", "meanAbsolutePercentageError", "MeanAbsolutePercentageError"],
  accuracy: ["accuracy", "acc", "Accuracy", "binary_accuracy", "binaryAccuracy", "categorical_accuracy", "categoricalAccuracy", "sparse_categorical_accuracy", "sparseCategoricalAccuracy"],
};
const METRIC_NAMES: readonly string[] = [...METRICS, ...Object.values(METRIC_ALIASES).flat().filter((n) => !(METRICS as readonly string[]).includes(n))];
const METRIC_BY_KEY = new Map<string, MetricName>(
  (Object.entries(METRIC_ALIASES) as [MetricName, readonly string[]][]).flatMap(([k, names]) => names.map((n) => [normalName(n), k] as [string, MetricName])),
);

/** Our name of a metric given under any of Keras's names; an unknown one is refused with the nearest valid name. */
export function checkMetric(m: string): MetricName {
  const hit = METRIC_BY_KEY.get(normalName(m));
  if (hit) return hit;
  const near = nearestName(m, METRIC_NAMES);
  throw new ConfigError(`unknown metric "${m}"${near ? ` (did you mean "${near}"?)` : ""}; choose one of ${METRICS.join(", ")}`);
}

/**
 * Our name of a loss given under any of Keras's names; an unknown one is refused with the nearest
 * valid name. A metric's name (rmse, mape, accuracy) gets no suggestion: the loss nearest in
 * spelling ("mse" for "rmse") would be a coincidence, not what was meant.
 */
export function resolveLossName(name: string): LossName {
  const hit = lossByName(name);
  if (hit) return hit;
  const near = METRIC_BY_KEY.has(normalName(name)) ? undefined : nearestName(name, LOSS_NAMES);
  throw new ConfigError(`unknown loss "${name}"${near ? ` (did you mean "${near}"?)` : ""}; choose one of ${LOSSES.join(", ")}`);
}

/** A metric argument as a built-in name or a custom metric with its name; checks names and shapes of the argument. */
export function checkMetricArg(m: unknown, k: number): MetricName | CustomMetric {
  if (typeof m === "string") return checkMetric(m);
  if (typeof m === "function") {
    const name = (m as MetricFn).name;
    if (!name) throw new ConfigError(`compile: metrics[${k}] is an anonymous function; name it (function f1(yTrue, yPred) { ... }) or pass { name, fn }`);
    return { name, fn: m as MetricFn };
  }
  if (m !== null && typeof m === "object") {
    const o = m as Record<string, unknown>;
    const extra = Object.keys(o).filter((key) => key !== "name" && key !== "fn");
    if (extra.length > 0) throw new ConfigError(`compile: metrics[${k}] has unknown option${extra.length > 1 ? "s" : ""} ${extra.map((e) => `'${e}'`).join(", ")}; a custom metric is { name, fn }`);
    if (typeof o.name !== "string" || o.name === "") throw new ConfigError(`compile: metrics[${k}].name must be a non-empty string, got ${fmtValue(o.name)}`);
    if (typeof o.fn !== "function") throw new ConfigError(`compile: metrics[${k}].fn must be a function (yTrue, yPred) => per-sample values, got ${fmtValue(o.fn)}`);
    return { name: o.name, fn: o.fn as MetricFn };
  }
  throw new ConfigError(`compile: metrics[${k}] must be a metric name, a named function or { name, fn }, got ${fmtValue(m)}`);
}

/** Values a user function returned, as numbers, checked to be `want` of them. */
export function valuesOf(v: unknown, want: number, what: string, shape: string): ArrayLike<number> {
  const arr: unknown = v instanceof Tensor ? v.data : v;
  const ok = arr instanceof Float32Array || arr instanceof Float64Array || (Array.isArray(arr) && arr.every((x) => typeof x === "number"));
  if (!ok) throw new ConfigError(`${what} must return ${shape} (an array, a Float32Array or a Tensor), got ${fmtValue(v)}`);
  const a = arr as ArrayLike<number>;
  if (a.length !== want) throw new ConfigError(`${what} returned ${a.length} values; it must return ${shape}: ${want} values`);
  return a;
}

/** One metric over an epoch: reset, update per batch, result. */
export interface MetricTracker {
  readonly name: string;
  reset(): void;
  update(pred: Tensor, target: Tensor, classes: number): void;
  result(): number;
}

/** The tracker of a built-in or custom metric. */
export function metricTracker(m: MetricName | CustomMetric, sparseTargets: boolean): MetricTracker {
  if (typeof m === "string") {
    const acc = new MetricAccumulator(m, sparseTargets);
    return { name: m, reset: () => acc.reset(), update: (p, t, c) => acc.update(p.data, t.data, c), result: () => acc.result() };
  }
  let sum = 0, count = 0;
  return {
    name: m.name,
    reset: () => { sum = 0; count = 0; },
    update: (p, t) => {
      const B = p.shape[0]!;
      // copies: the model reuses its output buffers, and a user function may keep what it is given
      const v = valuesOf(m.fn(new Tensor(t.data.slice(), t.shape), new Tensor(p.data.slice(), p.shape)), B, `metric "${m.name}"`, "one value per sample");
      for (let i = 0; i < B; i++) sum += v[i]!;
      count += B;
    },
    result: () => (count === 0 ? NaN : sum / count),
  };
}

export class MetricAccumulator {
  private sum = 0;
  private count = 0;
  constructor(readonly name: MetricName, private readonly sparseTargets: boolean) {}

  reset(): void {
    this.sum = 0;
    this.count = 0;
  }

  /** pred has `classes` values per position; target as in the loss (class ids when sparse). */
  update(pred: Float32Array, target: Float32Array, classes: number): void {
    const n = pred.length;
    switch (this.name) {
      case "mse":
      case "rmse":
        for (let i = 0; i < n; i++) { const d = pred[i]! - target[i]!; this.sum += d * d; }
        this.count += n;
        return;
      case "mae":
        for (let i = 0; i < n; i++) this.sum += Math.abs(pred[i]! - target[i]!);
        this.count += n;
        return;
      case "mape":
        // Keras: 100 · |y - ŷ| / max(|y|, ε)
        for (let i = 0; i < n; i++) this.sum += (100 * Math.abs(target[i]! - pred[i]!)) / Math.max(Math.abs(target[i]!), 1e-7);
        this.count += n;
        return;
      case "accuracy": {
        const rows = n / classes;
        for (let r = 0; r < rows; r++) {
          const o = r * classes;
          let hit: boolean;
          if (classes === 1) {
            hit = (pred[o]! > 0.5 ? 1 : 0) === Math.round(target[r]!);
          } else {
            let arg = 0;
            for (let j = 1; j < classes; j++) if (pred[o + j]! > pred[o + arg]!) arg = j;
            if (this.sparseTargets) hit = arg === target[r];
            else {
              let targ = 0;
              for (let j = 1; j < classes; j++) if (target[o + j]! > target[o + targ]!) targ = j;
              hit = arg === targ;
            }
          }
          if (hit) this.sum += 1;
        }
        this.count += rows;
        return;
      }
    }
  }

  result(): number {
    if (this.count === 0) return NaN;
    const m = this.sum / this.count;
    return this.name === "rmse" ? Math.sqrt(m) : m;
  }
}
