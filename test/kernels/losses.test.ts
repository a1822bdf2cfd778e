// Losses: each value against its formula computed here in float64 on a small example, and each
// gradient against central differences of lossForward itself.

import { describe, it, expect } from "vitest";
import { lossForward, checkLoss, LOSSES, type LossSpec } from "../../src/kernels/losses.js";
import { ConfigError } from "../../src/tensor/errors.js";

// Predictions are multiples of 2^-8 and the step is 2^-16, so pred ± step is exact in float32 and
// lossForward (which accumulates in float64) is differentiated without float32 rounding:
// the central difference is then off only by its truncation, ~step²·L'''/6, below 1e-7 here.
const STEP = 2 ** -16;
const GRAD_TOL = 1e-6; // max |analytic − numeric| / max |numeric|
const VALUE_TOL = 1e-9; // relative: both sides are float64 on the same float32 inputs

const f32 = (v: number[]): Float32Array => Float32Array.from(v);
const q = (v: number): number => Math.round(v * 256) / 256; // snap to the 2^-8 grid

function numericGrad(spec: LossSpec, pred: Float32Array, target: Float32Array, classes: number): Float64Array {
  const g = new Float64Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    const p = pred.slice();
    p[i] = pred[i]! + STEP;
    const lp = lossForward(spec, p, target, classes, null);
    p[i] = pred[i]! - STEP;
    const lm = lossForward(spec, p, target, classes, null);
    g[i] = (lp - lm) / (2 * STEP);
  }
  return g;
}

/** Value against `expected` and gradient against central differences; returns the gradient error. */
function check(spec: LossSpec, pred: Float32Array, target: Float32Array, classes: number, expected: number): number {
  for (const v of pred) expect(Math.abs(v * 256 - Math.round(v * 256))).toBe(0); // the exactness premise above
  const grad = new Float32Array(pred.length).fill(NaN);
  const value = lossForward(spec, pred, target, classes, grad);
  expect(Math.abs(value - expected)).toBeLessThanOrEqual(VALUE_TOL * Math.max(1, Math.abs(expected)));
  const num = numericGrad(spec, pred, target, classes);
  let maxDiff = 0, maxNum = 0;
  for (let i = 0; i < pred.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(grad[i]! - num[i]!));
    maxNum = Math.max(maxNum, Math.abs(num[i]!));
  }
  expect(maxNum).toBeGreaterThan(0);
  const err = maxDiff / maxNum;
  expect(err).toBeLessThan(GRAD_TOL); // NaN left in grad would fail here too
  return err;
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

// Regression example: 2 samples × 3 outputs, differences of both signs and sizes 0.1 … 2.4 (no zero: mae's kink).
const regPred = f32([0.5, -1.25, 2, 0.75, 3, -0.5].map(q));
const regTarget = f32([0.25, -1, 0.5, 1.5, 0.6, -0.4]);
const diffs = Array.from(regPred, (p, i) => p - regTarget[i]!);

describe("regression losses", () => {
  it("mse = mean((p − t)²)", () => {
    check({ name: "mse" }, regPred, regTarget, 3, mean(diffs.map((d) => d * d)));
  });

  it("mae = mean(|p − t|)", () => {
    check({ name: "mae" }, regPred, regTarget, 3, mean(diffs.map((d) => Math.abs(d))));
  });

  for (const delta of [1, 0.5]) {
    it(`huber (delta ${delta}) = mean(½d² if |d| ≤ δ else δ(|d| − ½δ)), both branches taken`, () => {
      const h = diffs.map((d) => (Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta)));
      expect(diffs.some((d) => Math.abs(d) <= delta - 0.01) && diffs.some((d) => Math.abs(d) > delta + 0.01)).toBe(true);
      check({ name: "huber", delta }, regPred, regTarget, 3, mean(h));
    });
  }

  it("huber with the default delta equals delta 1", () => {
    expect(lossForward({ name: "huber" }, regPred, regTarget, 3, null)).toBe(lossForward({ name: "huber", delta: 1 }, regPred, regTarget, 3, null));
  });
});

describe("binary cross-entropy", () => {
  const target = f32([1, 0, 0.25, 1, 0, 0.75]); // hard and soft labels
  it("from probabilities = mean(−y log p − (1 − y) log(1 − p)), p away from the 1e-7 clip", () => {
    const pred = f32([0.875, 0.125, 0.5, 0.3125, 0.6875, 0.9375]);
    const v = mean(Array.from(pred, (p, i) => -(target[i]! * Math.log(p) + (1 - target[i]!) * Math.log(1 - p))));
    check({ name: "binaryCrossentropy" }, pred, target, 1, v);
  });

  it("from logits = the same formula on σ(z), including large |z|", () => {
    const pred = f32([2.5, -1.75, 0.125, -3, 4.5, 12]);
    const v = mean(Array.from(pred, (z, i) => {
      const p = sigmoid(z);
      return -(target[i]! * Math.log(p) + (1 - target[i]!) * Math.log(1 - p));
    }));
    check({ name: "binaryCrossentropy", fromLogits: true }, pred, target, 1, v);
  });

  it("probabilities past the clip give the clipped value and no gradient (Keras semantics)", () => {
    const grad = new Float32Array(1);
    const v = lossForward({ name: "binaryCrossentropy" }, f32([0]), f32([1]), 1, grad);
    expect(Math.abs(v - -Math.log(1e-7))).toBeLessThan(1e-6);
    expect(grad[0]).toBe(0);
  });
});

describe("categorical cross-entropies", () => {
  const classes = 4;
  // 3 positions × 4 classes; labels 2, 0, 3
  const labels = [2, 0, 3];
  const onehot = f32(labels.flatMap((l) => [0, 1, 2, 3].map((j) => (j === l ? 1 : 0))));
  const soft = f32([0.125, 0.25, 0.5, 0.125, 0.5, 0.5, 0, 0, 0, 0.25, 0.25, 0.5]);
  // Rows that do not sum to 1: Keras rescales them, and the gradient must see the rescaling.
  const probs = f32([0.125, 0.25, 0.375, 0.125, 0.5, 0.125, 0.25, 0.125, 0.0625, 0.1875, 0.25, 0.5]);
  const logits = f32([1.5, -0.5, 2.25, 0, -1, 0.75, 0.5, 3, 0.25, -2, 1, 0.125]);

  const xentProbs = (y: Float32Array): number => mean(labels.map((_, r) => {
    const row = Array.from(probs.subarray(r * classes, (r + 1) * classes));
    const tot = row.reduce((a, b) => a + b, 0);
    return -row.reduce((s, p, j) => s + y[r * classes + j]! * Math.log(p / tot), 0);
  }));
  const xentLogits = (y: Float32Array): number => mean(labels.map((_, r) => {
    const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const z = row.reduce((s, a) => s + Math.exp(a), 0);
    return -row.reduce((s, a, j) => s + y[r * classes + j]! * Math.log(Math.exp(a) / z), 0);
  }));

  it("categorical from probabilities = mean over positions of −Σ y log(p / Σp), one-hot and soft labels", () => {
    check({ name: "categoricalCrossentropy" }, probs, onehot, classes, xentProbs(onehot));
    check({ name: "categoricalCrossentropy" }, probs, soft, classes, xentProbs(soft));
  });

  it("categorical from logits = mean over positions of −Σ y log softmax(z)", () => {
    check({ name: "categoricalCrossentropy", fromLogits: true }, logits, onehot, classes, xentLogits(onehot));
    check({ name: "categoricalCrossentropy", fromLogits: true }, logits, soft, classes, xentLogits(soft));
  });

  it("sparse categorical equals categorical on the one-hot labels, from probabilities and from logits", () => {
    const ids = f32(labels);
    check({ name: "sparseCategoricalCrossentropy" }, probs, ids, classes, xentProbs(onehot));
    check({ name: "sparseCategoricalCrossentropy", fromLogits: true }, logits, ids, classes, xentLogits(onehot));
    const gs = new Float32Array(12), gc = new Float32Array(12);
    lossForward({ name: "sparseCategoricalCrossentropy", fromLogits: true }, logits, ids, classes, gs);
    lossForward({ name: "categoricalCrossentropy", fromLogits: true }, logits, onehot, classes, gc);
    for (let i = 0; i < 12; i++) expect(Math.abs(gs[i]! - gc[i]!)).toBeLessThan(1e-7);
  });

  it("sparse categorical refuses ids that are not classes, and a wrong number of ids", () => {
    expect(() => lossForward({ name: "sparseCategoricalCrossentropy" }, probs, f32([2, 4, 0]), classes, null)).toThrow(/target 4 at position 1/);
    expect(() => lossForward({ name: "sparseCategoricalCrossentropy" }, probs, f32([1.5, 0, 0]), classes, null)).toThrow(ConfigError);
    expect(() => lossForward({ name: "sparseCategoricalCrossentropy" }, probs, f32([1, 0]), classes, null)).toThrow(/expected 3 class ids, got 2/);
  });
});

describe("checkLoss", () => {
  it("accepts every listed name and refuses others", () => {
    for (const n of LOSSES) expect(checkLoss(n).name).toBe(n);
    expect(() => checkLoss("hinge" as never)).toThrow(/unknown loss "hinge"/);
  });
});

describe("categorical cross-entropy from probabilities: clipped classes", () => {
  it("has zero gradient where the labelled class is clipped (the loss is flat there)", async () => {
    const { lossForward } = await import("../../src/kernels/losses.js");
    const g = new Float32Array(3);
    lossForward({ name: "categoricalCrossentropy" }, new Float32Array([1e-9, 0.5, 0.5]), new Float32Array([1, 0, 0]), 3, g);
    expect(Array.from(g)).toEqual([0, 0, 0]);
  });
});
