// Losses: value and gradient w.r.t. the predictions in one pass, Keras reduction
// (mean over every output element for regression losses, mean over positions for cross-entropies).

import { ConfigError } from "../tensor/errors.js";
import type { Tensor } from "../tensor/tensor.js";

export type LossName =
  | "mse" | "mae" | "huber"
  | "binaryCrossentropy" | "categoricalCrossentropy" | "sparseCategoricalCrossentropy";

export const LOSSES: readonly LossName[] = [
  "mse", "mae", "huber", "binaryCrossentropy", "categoricalCrossentropy", "sparseCategoricalCrossentropy",
];

export interface LossSpec {
  name: LossName;
  /** Predictions are logits, not probabilities (cross-entropies). */
  fromLogits?: boolean;
  /** Huber threshold. Default 1. */
  delta?: number;
}

/**
 * A loss written by the user. There is no automatic differentiation here, so a loss brings its
 * gradient: `forward` returns one loss per sample ([B] values), `backward` the gradient of each
 * sample's loss with respect to that sample's predictions (yPred's shape). The model does the
 * reduction (Keras's sum over the batch divided by the batch size), the sample and class weights
 * and the sharding of a batch, so a custom loss only ever sees per-sample math.
 */
export interface CustomLoss {
  /** Shown in logs; saved in model.json (the functions are not: pass the loss again when loading). */
  name: string;
  /** Per-sample losses, B values for a batch of B samples. */
  forward(yTrue: Tensor, yPred: Tensor): ArrayLike<number> | Tensor;
  /** d loss_i / d yPred_i for every sample i: as many values as yPred, in its layout. */
  backward(yTrue: Tensor, yPred: Tensor): ArrayLike<number> | Tensor;
}

/** Keras's names (snake_case functions, camelCase, class names) of each loss, compared without case or underscores. */
const LOSS_ALIASES: Record<LossName, readonly string[]> = {
  mse: ["mse", "mean_squared_error", "meanSquaredError", "MeanSquaredError"],
  mae: ["mae", "mean_absolute_error", "meanAbsoluteError", "MeanAbsoluteError"],
  huber: ["huber", "huber_loss", "Huber"],
  binaryCrossentropy: ["binaryCrossentropy", "binary_crossentropy", "BinaryCrossentropy"],
  categoricalCrossentropy: ["categoricalCrossentropy", "categorical_crossentropy", "CategoricalCrossentropy"],
  sparseCategoricalCrossentropy: ["sparseCategoricalCrossentropy", "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"],
};

/** Every name a loss is accepted under (canonical names first). */
export const LOSS_NAMES: readonly string[] = [...LOSSES, ...Object.values(LOSS_ALIASES).flat().filter((n) => !(LOSSES as readonly string[]).includes(n))];

export const normalName = (s: string): string => s.toLowerCase().replace(/[_\s-]/g, "");

const LOSS_BY_KEY = new Map<string, LossName>(
  (Object.entries(LOSS_ALIASES) as [LossName, readonly string[]][]).flatMap(([k, names]) => names.map((n) => [normalName(n), k] as [string, LossName])),
);

/** Our name of a loss given under any of Keras's names, or undefined (models/metrics.ts refuses it with the nearest name). */
export function lossByName(name: string): LossName | undefined {
  return LOSS_BY_KEY.get(normalName(name));
}

const EPS = 1e-7; // Keras's epsilon for clipping probabilities

/** A built-in loss spec with its canonical name; unknown names throw (see models/metrics.ts for the message with the nearest name). */
export function checkLoss(spec: LossName | LossSpec): LossSpec {
  const s = typeof spec === "string" ? { name: spec } : spec;
  const name = lossByName(s.name);
  if (!name) throw new ConfigError(`unknown loss "${s.name as string}"; choose one of ${LOSSES.join(", ")}`);
  return { ...s, name };
}

export function isCustomLoss(l: unknown): l is CustomLoss {
  return l !== null && typeof l === "object" && (typeof (l as CustomLoss).forward === "function" || typeof (l as CustomLoss).backward === "function");
}

/**
 * Loss over a batch. pred has `classes` values per position (the last axis);
 * target has the same size, or one class id per position for sparse cross-entropy.
 * Writes dL/dpred into `grad` when given. Returns the loss (float64 accumulation).
 */
export function lossForward(spec: LossSpec, pred: Float32Array, target: Float32Array, classes: number, grad: Float32Array | null): number {
  const n = pred.length;
  const rows = n / classes;
  let s = 0;
  switch (spec.name) {
    case "mse":
      for (let i = 0; i < n; i++) {
        const d = pred[i]! - target[i]!;
        s += d * d;
        if (grad) grad[i] = (2 * d) / n;
      }
      return s / n;
    case "mae":
      for (let i = 0; i < n; i++) {
        const d = pred[i]! - target[i]!;
        s += Math.abs(d);
        if (grad) grad[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) / n;
      }
      return s / n;
    case "huber": {
      const delta = spec.delta ?? 1;
      for (let i = 0; i < n; i++) {
        const d = pred[i]! - target[i]!;
        const a = Math.abs(d);
        if (a <= delta) {
          s += 0.5 * d * d;
          if (grad) grad[i] = d / n;
        } else {
          s += delta * (a - 0.5 * delta);
          if (grad) grad[i] = (delta * Math.sign(d)) / n;
        }
      }
      return s / n;
    }
    case "binaryCrossentropy":
      for (let i = 0; i < n; i++) {
        const y = target[i]!;
        if (spec.fromLogits) {
          const z = pred[i]!;
          s += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
          if (grad) grad[i] = (1 / (1 + Math.exp(-z)) - y) / n;
        } else {
          const p = pred[i]!;
          const pc = Math.min(Math.max(p, EPS), 1 - EPS);
          s += -(y * Math.log(pc) + (1 - y) * Math.log(1 - pc));
          if (grad) grad[i] = p > EPS && p < 1 - EPS ? (-(y / pc) + (1 - y) / (1 - pc)) / n : 0;
        }
      }
      return s / n;
    case "categoricalCrossentropy":
    case "sparseCategoricalCrossentropy": {
      const sparse = spec.name === "sparseCategoricalCrossentropy";
      if (sparse && target.length !== rows) {
        throw new ConfigError(`sparseCategoricalCrossentropy: expected ${rows} class ids, got ${target.length}`);
      }
      for (let r = 0; r < rows; r++) {
        const o = r * classes;
        const label = sparse ? target[r]! : -1;
        if (sparse && (!Number.isInteger(label) || label < 0 || label >= classes)) {
          throw new ConfigError(`sparseCategoricalCrossentropy: target ${label} at position ${r} is not a class id in [0, ${classes})`);
        }
        const y = (j: number): number => (sparse ? (j === label ? 1 : 0) : target[o + j]!);
        if (spec.fromLogits) {
          let m = -Infinity;
          for (let j = 0; j < classes; j++) m = Math.max(m, pred[o + j]!);
          let z = 0;
          for (let j = 0; j < classes; j++) z += Math.exp(pred[o + j]! - m);
          const lse = m + Math.log(z);
          let ysum = 0;
          for (let j = 0; j < classes; j++) { const yj = y(j); ysum += yj; s += yj * (lse - pred[o + j]!); }
          if (grad) for (let j = 0; j < classes; j++) grad[o + j] = (ysum * Math.exp(pred[o + j]! - lse) - y(j)) / rows;
        } else {
          // Keras rescales the probabilities to sum to 1, then clips.
          let tot = 0;
          for (let j = 0; j < classes; j++) tot += pred[o + j]!;
          for (let j = 0; j < classes; j++) {
            const yj = y(j);
            const q = pred[o + j]! / tot;
            const qc = Math.min(Math.max(q, EPS), 1 - EPS);
            if (yj !== 0) s += -yj * Math.log(qc);
          }
          if (grad) {
            // d/dp_j of -Σ y_k log(clip(p_k / tot)) = -y_j / p_j + Σ_{k inside the clip} y_k / tot;
            // a clipped class is flat, so it contributes to neither term.
            let ysumInside = 0;
            for (let k = 0; k < classes; k++) {
              const q = pred[o + k]! / tot;
              if (q > EPS && q < 1 - EPS) ysumInside += y(k);
            }
            for (let j = 0; j < classes; j++) {
              const q = pred[o + j]! / tot;
              const inside = q > EPS && q < 1 - EPS;
              grad[o + j] = ((inside ? -y(j) / pred[o + j]! : 0) + ysumInside / tot) / rows;
            }
          }
        }
      }
      return s / rows;
    }
  }
}
