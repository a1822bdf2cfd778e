// Metrics accumulated over an epoch (sums and counts), so rmse is the root of the epoch's mean,
// not a mean of per-batch roots.

import { ConfigError } from "../tensor/errors.js";

export type MetricName = "mse" | "mae" | "rmse" | "mape" | "accuracy";
export const METRICS: readonly MetricName[] = ["mse", "mae", "rmse", "mape", "accuracy"];

export function checkMetric(m: string): MetricName {
  if ((METRICS as readonly string[]).includes(m)) return m as MetricName;
  throw new ConfigError(`unknown metric "${m}"; choose one of ${METRICS.join(", ")}`);
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
