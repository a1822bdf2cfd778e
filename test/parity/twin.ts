// Twin models for the TensorFlow.js parity tests: the same architecture built in tfjs (pure-JS cpu
// backend) and here, with tfjs's weights copied into ours, and the numbers both sides produce.

import * as tf from "@tensorflow/tfjs";
import { Tensor, shapesEqual } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import type { Sequential } from "../../src/models/sequential.js";

/** The cpu backend, and prod mode so tfjs does not print its "install tfjs-node" banner. */
export async function initTf(): Promise<void> {
  tf.enableProdMode();
  await tf.setBackend("cpu");
  await tf.ready();
}

/**
 * Relative difference used by every parity assertion:
 *   max_i |a_i − b_i| / max(max_i |b_i|, 1e-6),  with b the reference (tfjs).
 * Scaling by the tensor's largest entry rather than per element keeps near-zero entries
 * (where float32 round-off dominates) from producing meaningless ratios.
 */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relDiff: lengths differ (${a.length} vs ${b.length})`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-6);
}

/** Values and shape: our Tensor, or a tensor read back from tfjs. */
export interface Arr {
  data: Float32Array;
  shape: readonly number[];
}

/** Worst relDiff over paired tensors (ours vs the tfjs reference), checking shapes too. */
export function maxRelDiff(ours: Arr[], ref: Arr[]): number {
  if (ours.length !== ref.length) throw new Error(`maxRelDiff: ${ours.length} tensors vs ${ref.length}`);
  let worst = 0;
  ours.forEach((t, i) => {
    const r = ref[i]!;
    if (!shapesEqual(t.shape, r.shape)) throw new Error(`tensor ${i}: shape [${t.shape.join(", ")}] vs tfjs [${r.shape.join(", ")}]`);
    worst = Math.max(worst, relDiff(t.data, r.data));
  });
  return worst;
}

export function randomData(shape: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(-scale, scale);
  return new Tensor(d, shape);
}

export const toTf = (t: Tensor): tf.Tensor => tf.tensor(t.data, [...t.shape]);

/** A tfjs tensor's values and shape, read synchronously (the cpu backend allows it). */
export function readTf(t: tf.Tensor): Arr {
  return { data: Float32Array.from(t.dataSync()), shape: [...t.shape] };
}

/** Arrays in Keras order → our tensors (copies). */
export const toOurs = (ws: Arr[]): Tensor[] => ws.map((w) => new Tensor(w.data.slice(), w.shape));

/**
 * Overwrite every tfjs weight with seeded values: uniform ±sqrt(6 / (fanIn + fanOut)) for
 * matrices (glorot scale, so gates are not saturated) and ±0.3 for biases, so that the test is
 * deterministic (tfjs's initializers are unseeded) and the bias paths carry non-zero values.
 */
export function seedTfWeights(model: tf.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  const ws = model.getWeights().map((w) => {
    const n = w.size;
    const limit = w.rank >= 2 ? Math.sqrt(6 / (w.shape[w.rank - 2]! + w.shape[w.rank - 1]!)) : 0.3;
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = rng.uniform(-limit, limit);
    return tf.tensor(d, w.shape);
  });
  model.setWeights(ws);
  ws.forEach((w) => w.dispose());
}

/** tfjs's weights, in its order (Keras order). */
export function tfWeights(model: tf.LayersModel): Arr[] {
  return model.getWeights().map(readTf);
}

/**
 * Copy tfjs's weights into ours after checking that both sides list the same number of tensors
 * with the same shapes in the same order (the Keras layout contract).
 */
export function copyWeights(from: tf.LayersModel, to: Sequential): void {
  const src = tfWeights(from);
  const ours = to.getWeights();
  const fmt = (s: readonly number[]): string => `[${s.join(", ")}]`;
  if (src.length !== ours.length) {
    throw new Error(`weight count: tfjs ${src.length} (${src.map((w) => fmt(w.shape)).join(" ")}) vs ours ${ours.length} (${ours.map((w) => fmt(w.shape)).join(" ")})`);
  }
  src.forEach((w, i) => {
    if (!shapesEqual(w.shape, ours[i]!.shape)) throw new Error(`weight ${i}: tfjs ${fmt(w.shape)} vs ours ${fmt(ours[i]!.shape)}`);
  });
  to.setWeights(toOurs(src));
}

/** tfjs gradients of mean((model(x) − t)²) w.r.t. its trainable weights, in weight order. */
export function tfGradients(model: tf.LayersModel, x: Tensor, t: Tensor): Arr[] {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const xs = toTf(x), ts = toTf(t);
  const { value, grads } = tf.variableGrads(() => {
    const y = model.apply(xs, { training: false }) as tf.Tensor;
    return tf.mean(tf.squaredDifference(y, ts)) as tf.Scalar;
  }, vars);
  const out = vars.map((v) => {
    const g = grads[v.name];
    if (!g) throw new Error(`tfjs returned no gradient for ${v.name}`);
    return readTf(g);
  });
  value.dispose();
  Object.values(grads).forEach((g) => g.dispose());
  xs.dispose();
  ts.dispose();
  return out;
}

/** Our gradients of the same loss: dL/dy = 2(y − t)/n for mse with Keras's mean reduction. */
export function ourGradients(model: Sequential, x: Tensor, t: Tensor): Tensor[] {
  model.zeroGrads();
  const y = model.forward(x, false);
  const dy = new Float32Array(y.size);
  for (let i = 0; i < y.size; i++) dy[i] = (2 * (y.data[i]! - t.data[i]!)) / y.size;
  model.backward(new Tensor(dy, y.shape));
  return model.getGradients();
}

export function tfPredict(model: tf.LayersModel, x: Tensor): Arr {
  const xs = toTf(x);
  const y = model.predict(xs) as tf.Tensor;
  const out = readTf(y);
  xs.dispose();
  y.dispose();
  return out;
}

/** One real training step through tfjs's `fit` (the whole batch, no shuffling). */
export async function tfFitStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: Tensor, t: Tensor): Promise<void> {
  model.compile({ optimizer, loss: "meanSquaredError" });
  const xs = toTf(x), ts = toTf(t);
  await model.fit(xs, ts, { epochs: 1, batchSize: x.shape[0]!, shuffle: false, verbose: 0 });
  xs.dispose();
  ts.dispose();
}
