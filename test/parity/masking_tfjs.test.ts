// Parity of masking with TensorFlow.js (pure-JS cpu backend): tf.layers.masking in front of lstm,
// gru, simpleRNN and bidirectional, the same weights on both sides (tfjs's seeded weights copied into
// ours), on a right-padded and a left-padded batch: outputs, the MSE gradient of every weight and the
// gradient with respect to the input. Every comparison uses relDiff (twin.ts), ≤ 1e-4.
//
// One convention differs: Keras's Bidirectional with returnSequences outputs zeros at masked steps
// (its docs: "the output of the masked timestep will be zero regardless of the layer's original
// zero_output_for_mask"), as ours does, while tfjs's repeats each direction's last output there.
// For those cases the tfjs side is multiplied by the mask, which is Keras's output.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import * as layers from "../../src/layers/index.js";
import type { Layer } from "../../src/layers/index.js";
import { sequential, type Sequential } from "../../src/models/sequential.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { initTf, maxRelDiff, randomData, seedTfWeights, copyWeights, ourGradients, toTf, readTf, type Arr } from "./twin.js";

const TOL = 1e-4;
const B = 4, T = 7, F = 3;

interface Case {
  name: string;
  ours: () => Layer[];
  /** tfjs layers after tf.layers.masking (which takes the input shape). */
  tf: () => tf.layers.Layer[];
  /** tfjs's output is multiplied by the mask (Keras's Bidirectional zeroes masked steps of its sequence output; tfjs does not). */
  zeroMasked?: boolean;
}

const tfLstm = (units: number, extra: Record<string, unknown> = {}): tf.layers.Layer =>
  tf.layers.lstm({ units, recurrentActivation: "sigmoid", unitForgetBias: true, ...extra });

const CASES: Case[] = [
  { name: "LSTM", ours: () => [layers.lstm({ units: 5 })], tf: () => [tfLstm(5)] },
  { name: "LSTM returnSequences", ours: () => [layers.lstm({ units: 5, returnSequences: true })], tf: () => [tfLstm(5, { returnSequences: true })] },
  {
    name: "LSTM goBackwards returnSequences",
    ours: () => [layers.lstm({ units: 5, returnSequences: true, goBackwards: true })],
    tf: () => [tfLstm(5, { returnSequences: true, goBackwards: true })],
  },
  {
    name: "GRU (resetAfter false) returnSequences",
    ours: () => [layers.gru({ units: 4, resetAfter: false, returnSequences: true })],
    tf: () => [tf.layers.gru({ units: 4, recurrentActivation: "sigmoid", returnSequences: true })],
  },
  { name: "GRU goBackwards", ours: () => [layers.gru({ units: 4, resetAfter: false, goBackwards: true })], tf: () => [tf.layers.gru({ units: 4, recurrentActivation: "sigmoid", goBackwards: true })] },
  { name: "SimpleRNN", ours: () => [layers.simpleRnn({ units: 4 })], tf: () => [tf.layers.simpleRNN({ units: 4 })] },
  {
    name: "Bidirectional LSTM concat returnSequences",
    ours: () => [layers.bidirectional(layers.lstm({ units: 4, returnSequences: true }))],
    tf: () => [tf.layers.bidirectional({ layer: tfLstm(4, { returnSequences: true }) as tf.RNN, mergeMode: "concat" })],
    zeroMasked: true,
  },
  {
    name: "Bidirectional GRU sum",
    ours: () => [layers.bidirectional(layers.gru({ units: 4, resetAfter: false }), { mergeMode: "sum" })],
    tf: () => [tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, recurrentActivation: "sigmoid" }) as tf.RNN, mergeMode: "sum" })],
  },
  {
    name: "masking → LSTM returnSequences → GRU → dense",
    ours: () => [layers.lstm({ units: 5, returnSequences: true }), layers.gru({ units: 4, resetAfter: false }), layers.dense({ units: 2 })],
    tf: () => [tfLstm(5, { returnSequences: true }), tf.layers.gru({ units: 4, recurrentActivation: "sigmoid" }), tf.layers.dense({ units: 2 })],
  },
];

/** A batch with padded steps exactly 0: right padding (real steps first) or left padding. */
function paddedBatch(side: "right" | "left", seed: number): { x: Tensor; mask: Float32Array } {
  const lens = [4, 7, 2, 5];
  const x = randomData([B, T, F], seed);
  const mask = new Float32Array(B * T);
  lens.forEach((len, b) => {
    for (let t = 0; t < T; t++) {
      const real = side === "right" ? t < len : t >= T - len;
      mask[b * T + t] = real ? 1 : 0;
      if (!real) x.data.fill(0, (b * T + t) * F, (b * T + t + 1) * F);
    }
  });
  return { x, mask };
}

/**
 * tfjs's forward with the mask given to each layer (`apply(x, { mask })`, what its Masking layer
 * passes on), the input multiplied by it as tf.layers.masking does: tfjs's Masking computes the mask
 * with `any`, which has no gradient, so the input gradient is taken through this equivalent chain
 * (checked against the model's own output below). Times the mask [B, T, 1] when the case asks.
 */
function tfForward(c: Case, model: tf.LayersModel, xs: tf.Tensor, mask: Float32Array): tf.Tensor {
  const m = tf.tensor(mask, [B, T], "bool");
  let y = tf.mul(xs, tf.tensor(mask, [B, T, 1]));
  for (const l of model.layers.slice(1)) y = l.apply(y, { mask: m, training: false }) as tf.Tensor;
  return c.zeroMasked ? tf.mul(y, tf.tensor(mask, [B, T, 1])) : y;
}

/** tfjs: output, gradients of mean((f(x) − t)²) w.r.t. every trainable weight and w.r.t. x. */
function tfReference(c: Case, model: tf.LayersModel, x: Tensor, t: Tensor, mask: Float32Array): { y: Arr; grads: Arr[]; dx: Arr } {
  let out: { y: Arr; grads: Arr[]; dx: Arr } | null = null;
  tf.tidy(() => {
    const xs = toTf(x), ts = toTf(t);
    const y = readTf(tfForward(c, model, xs, mask));
    // the chain is tfjs's masked model: its own predict (Masking layer and all) agrees
    const own = model.predict(xs) as tf.Tensor;
    expect(maxRelDiff([readTf(c.zeroMasked ? tf.mul(own, tf.tensor(mask, [B, T, 1])) : own)], [y])).toBeLessThanOrEqual(1e-6);
    if (c.zeroMasked) {
      // the convention this case corrects: tfjs's own output is not zero at masked steps
      const raw = readTf(own).data;
      const W = raw.length / (B * T);
      let atMasked = 0;
      for (let r = 0; r < B * T; r++) if (!mask[r]) for (let k = 0; k < W; k++) atMasked = Math.max(atMasked, Math.abs(raw[r * W + k]!));
      expect(atMasked).toBeGreaterThan(1e-3);
    }
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(tfForward(c, model, xs, mask), ts)) as tf.Scalar, vars);
    const g = vars.map((v) => readTf(grads[v.name]!));
    const dx = readTf(tf.grad((xi: tf.Tensor) => tf.mean(tf.squaredDifference(tfForward(c, model, xi, mask), ts)))(xs));
    out = { y, grads: g, dx };
  });
  return out!;
}

function ourInputGradient(model: Sequential, x: Tensor, t: Tensor): Tensor {
  model.zeroGrads();
  const y = model.forward(x, false);
  const dy = new Float32Array(y.size);
  for (let i = 0; i < y.size; i++) dy[i] = (2 * (y.data[i]! - t.data[i]!)) / y.size;
  const dx = model.backward(new Tensor(dy, y.shape));
  return new Tensor(dx.data.slice(), dx.shape);
}

const measured: Record<string, number> = {};
beforeAll(initTf);
afterAll(() => {
  const worst = Math.max(...Object.values(measured));
  console.log(`masking parity with tfjs: ${Object.keys(measured).length} comparisons, worst relDiff ${worst.toExponential(2)}`);
  if (process.env.PARITY_REPORT) console.table(measured);
});

describe.each(CASES)("masking parity with tfjs: $name", (c) => {
  let tfModel: tf.Sequential;
  let ours: Sequential;
  const seed = CASES.indexOf(c) + 1;

  beforeAll(() => {
    tfModel = tf.sequential({ layers: [tf.layers.masking({ maskValue: 0, inputShape: [T, F] }), ...c.tf()] });
    seedTfWeights(tfModel, 500 + seed);
    ours = sequential([layers.input({ shape: [T, F] }), layers.masking({ maskValue: 0 }), ...c.ours()], { seed });
    copyWeights(tfModel, ours);
  });
  afterAll(() => tfModel.dispose());

  it.each(["right", "left"] as const)("%s-padded batch: outputs, weight gradients and input gradient", (side) => {
    const { x, mask } = paddedBatch(side, 700 + seed);
    const target = randomData([B, ...ours.outputShape!], 800 + seed);
    const ref = tfReference(c, tfModel, x, target, mask);
    const key = `${c.name} ${side}`;
    expect(measured[`${key} output`] = maxRelDiff([ours.predict(x)], [ref.y])).toBeLessThanOrEqual(TOL);
    for (const g of ref.grads) expect(Math.max(...g.data.map(Math.abs))).toBeGreaterThan(1e-6);
    expect(measured[`${key} weight gradients`] = maxRelDiff(ourGradients(ours, x, target), ref.grads)).toBeLessThanOrEqual(TOL);
    const dx = ourInputGradient(ours, x, target);
    expect(measured[`${key} input gradient`] = maxRelDiff([dx], [ref.dx])).toBeLessThanOrEqual(TOL);
    // masked steps get no gradient on either side
    for (let r = 0; r < B * T; r++) if (!mask[r]) expect(Array.from(dx.data.slice(r * F, (r + 1) * F))).toEqual([0, 0, 0]);
    // and the mask matters: the same weights without Masking answer differently on this batch
    const plain = sequential([layers.input({ shape: [T, F] }), ...c.ours()], { seed });
    plain.setWeights(ours.getWeights());
    expect(maxRelDiff([plain.predict(x)], [ref.y])).toBeGreaterThan(1e-2);
  });
});
