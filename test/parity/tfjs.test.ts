// Parity with TensorFlow.js (pure-JS cpu backend): same architecture, tfjs's weights copied into
// ours, then outputs, loss gradients and the weights after one SGD and one Adam `fit` step compared.
// Every comparison uses relDiff (twin.ts): max|ours − tfjs| / max(max|tfjs|, 1e-6) per tensor, ≤ 1e-4.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import * as layers from "../../src/layers/index.js";
import type { Layer } from "../../src/layers/index.js";
import { sequential, type Sequential } from "../../src/models/sequential.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import {
  initTf, maxRelDiff, randomData, seedTfWeights, tfWeights, copyWeights,
  tfGradients, ourGradients, tfPredict, tfFitStep, toOurs, type Arr,
} from "./twin.js";

const TOL = 1e-4;
// A fit step must move the weights by far more than TOL, or comparing them after it proves nothing.
const MIN_STEP = 100 * TOL;
const B = 3, T = 7, I = 4;
const SGD_LR = 0.5;
const ADAM_LR = 0.01;
// Adam's ε sits in different places: tfjs (Kingma & Ba's Algorithm 1, as PyTorch) steps by
// lr·m̂/(√v̂ + ε); Keras, and we, by lr·√(1−β2ᵗ)/(1−β1ᵗ)·m/(√v + ε) = lr·m̂/(√v̂ + ε/√(1−β2ᵗ)).
// For the one step compared here (t = 1) our ε = 1e-7 therefore equals tfjs's ε = 1e-7/√(1−β2).
// With tfjs's ε left at 1e-7 the weights whose gradient is below ~1e-5 move differently
// (measured relDiff up to 2e-2), which is the convention, not an error in either.
const TFJS_ADAM_EPSILON = 1e-7 / Math.sqrt(1 - 0.999);

interface Case {
  name: string;
  ours: () => Layer[];
  /** tfjs layers; the first takes `inputShape`. tfjs defaults recurrentActivation to hardSigmoid, so it is set explicitly. */
  tf: (inputShape: number[]) => tf.layers.Layer[];
}

const tfLstm = (units: number, extra: Record<string, unknown> = {}): tf.layers.Layer =>
  tf.layers.lstm({ units, recurrentActivation: "sigmoid", unitForgetBias: true, ...extra });
const tfBiLstm = (units: number, mergeMode: "concat" | "sum" | "ave" | "mul", extra: Record<string, unknown> = {}, inputShape?: number[]): tf.layers.Layer =>
  tf.layers.bidirectional({
    layer: tf.layers.lstm({ units, recurrentActivation: "sigmoid", unitForgetBias: true, ...extra }) as tf.RNN,
    mergeMode, ...(inputShape ? { inputShape } : {}),
  });

const CASES: Case[] = [
  {
    name: "LSTM",
    ours: () => [layers.lstm({ units: 5 })],
    tf: (s) => [tfLstm(5, { inputShape: s })],
  },
  {
    name: "LSTM returnSequences",
    ours: () => [layers.lstm({ units: 5, returnSequences: true })],
    tf: (s) => [tfLstm(5, { returnSequences: true, inputShape: s })],
  },
  {
    // returnSequences too, so the order of the reversed outputs is checked, not only the last one
    name: "LSTM goBackwards",
    ours: () => [layers.lstm({ units: 5, returnSequences: true, goBackwards: true })],
    tf: (s) => [tfLstm(5, { returnSequences: true, goBackwards: true, inputShape: s })],
  },
  {
    name: "LSTM hardSigmoid",
    ours: () => [layers.lstm({ units: 5, recurrentActivation: "hardSigmoid" })],
    tf: (s) => [tf.layers.lstm({ units: 5, recurrentActivation: "hardSigmoid", unitForgetBias: true, inputShape: s })],
  },
  {
    name: "GRU resetAfter false",
    ours: () => [layers.gru({ units: 5, resetAfter: false, returnSequences: true })],
    tf: (s) => [tf.layers.gru({ units: 5, recurrentActivation: "sigmoid", returnSequences: true, inputShape: s })],
  },
  {
    name: "SimpleRNN",
    ours: () => [layers.simpleRnn({ units: 5, returnSequences: true })],
    tf: (s) => [tf.layers.simpleRNN({ units: 5, returnSequences: true, inputShape: s })],
  },
  {
    name: "SimpleRNN relu",
    ours: () => [layers.simpleRnn({ units: 5, activation: "relu" })],
    tf: (s) => [tf.layers.simpleRNN({ units: 5, activation: "relu", inputShape: s })],
  },
  {
    name: "Bidirectional(LSTM) concat",
    ours: () => [layers.bidirectional(layers.lstm({ units: 5, returnSequences: true }), { mergeMode: "concat" })],
    tf: (s) => [tfBiLstm(5, "concat", { returnSequences: true }, s)],
  },
  {
    name: "Bidirectional(LSTM) sum",
    ours: () => [layers.bidirectional(layers.lstm({ units: 5 }), { mergeMode: "sum" })],
    tf: (s) => [tfBiLstm(5, "sum", {}, s)],
  },
  {
    name: "Bidirectional(LSTM) ave",
    ours: () => [layers.bidirectional(layers.lstm({ units: 5, returnSequences: true }), { mergeMode: "ave" })],
    tf: (s) => [tfBiLstm(5, "ave", { returnSequences: true }, s)],
  },
  {
    name: "Bidirectional(LSTM) mul",
    ours: () => [layers.bidirectional(layers.lstm({ units: 5, returnSequences: true }), { mergeMode: "mul" })],
    tf: (s) => [tfBiLstm(5, "mul", { returnSequences: true }, s)],
  },
  {
    name: "stack LSTM → LSTM → Dense",
    ours: () => [layers.lstm({ units: 6, returnSequences: true }), layers.lstm({ units: 5 }), layers.dense({ units: 2 })],
    tf: (s) => [tfLstm(6, { returnSequences: true, inputShape: s }), tfLstm(5), tf.layers.dense({ units: 2 })],
  },
  {
    name: "encoder–decoder BiLSTM → RepeatVector → BiLSTM → TimeDistributed(Dense)",
    ours: () => [
      layers.bidirectional(layers.lstm({ units: 8 })),
      layers.repeatVector({ n: 5 }),
      layers.bidirectional(layers.lstm({ units: 8, returnSequences: true })),
      layers.timeDistributed(layers.dense({ units: 1 })),
    ],
    tf: (s) => [
      tfBiLstm(8, "concat", {}, s),
      tf.layers.repeatVector({ n: 5 }),
      tfBiLstm(8, "concat", { returnSequences: true }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) }),
    ],
  },
];

// Measured relDiffs, printed with PARITY_REPORT=1 (they go into the engine's parity notes).
const measured: Record<string, Record<string, number>> = {};
const record = (c: string, what: string, v: number): number => ((measured[c] ??= {})[what] = v);

beforeAll(initTf);
afterAll(() => {
  if (process.env.PARITY_REPORT) console.table(measured);
});

describe.each(CASES)("parity with tfjs: $name", (c) => {
  let tfModel: tf.Sequential;
  let ours: Sequential;
  let w0: Arr[];
  let x: Tensor;
  let target: Tensor;
  const seed = CASES.indexOf(c) + 1;

  beforeAll(() => {
    tfModel = tf.sequential({ layers: c.tf([T, I]) });
    seedTfWeights(tfModel, 1000 + seed);
    w0 = tfWeights(tfModel);
    ours = sequential([layers.input({ shape: [T, I] }), ...c.ours()], { seed });
    copyWeights(tfModel, ours);
    x = randomData([B, T, I], 2000 + seed);
    target = randomData([B, ...ours.outputShape!], 3000 + seed);
  });
  afterAll(() => tfModel.dispose());

  const resetTf = (): void => {
    const ws = w0.map((w) => tf.tensor(w.data, [...w.shape]));
    tfModel.setWeights(ws);
    ws.forEach((w) => w.dispose());
  };
  const resetOurs = (): void => ours.setWeights(toOurs(w0));

  it("has the same weight layout, and setWeights copies the values exactly", () => {
    const got = ours.getWeights();
    expect(got.map((w) => w.shape)).toEqual(w0.map((w) => w.shape));
    expect(maxRelDiff(got, w0)).toBe(0);
  });

  it("predicts the same outputs", () => {
    const d = record(c.name, "predict", maxRelDiff([ours.predict(x)], [tfPredict(tfModel, x)]));
    expect(d).toBeLessThanOrEqual(TOL);
  });

  it("computes the same MSE gradients for every weight tensor", () => {
    const ref = tfGradients(tfModel, x, target);
    const got = ourGradients(ours, x, target);
    // Every tensor gets a gradient on the tfjs side, so an all-zero answer of ours cannot pass.
    for (const r of ref) expect(Math.max(...r.data.map(Math.abs))).toBeGreaterThan(1e-6);
    expect(record(c.name, "gradients", maxRelDiff(got, ref))).toBeLessThanOrEqual(TOL);
  });

  it("takes the same SGD fit step", async () => {
    resetTf();
    resetOurs();
    await tfFitStep(tfModel, tf.train.sgd(SGD_LR), x, target);
    ours.compile({ optimizer: { type: "sgd", learningRate: SGD_LR }, loss: "mse" });
    await ours.fit(x, target, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
    const ref = tfWeights(tfModel);
    expect(maxRelDiff(ref, w0)).toBeGreaterThan(MIN_STEP);
    expect(record(c.name, "sgd step", maxRelDiff(ours.getWeights(), ref))).toBeLessThanOrEqual(TOL);
  });

  it("takes the same Adam fit step", async () => {
    resetTf();
    resetOurs();
    await tfFitStep(tfModel, tf.train.adam(ADAM_LR, 0.9, 0.999, TFJS_ADAM_EPSILON), x, target);
    ours.compile({ optimizer: { type: "adam", learningRate: ADAM_LR, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, loss: "mse" });
    await ours.fit(x, target, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
    const ref = tfWeights(tfModel);
    expect(maxRelDiff(ref, w0)).toBeGreaterThan(MIN_STEP);
    expect(record(c.name, "adam step", maxRelDiff(ours.getWeights(), ref))).toBeLessThanOrEqual(TOL);
  });
});

interface CountCase {
  name: string;
  inputShape: number[];
  ours: () => Layer[];
  tf: (inputShape: number[]) => tf.layers.Layer[];
  /** Worked out by hand, so a shared mistake of both libraries would still show. */
  total: number;
}

// Counting needs no weight values; tfjs's orthogonal initializer (a QR on the cpu backend) would
// take tens of seconds on these sizes, so these twins start from zeros.
const ZERO_INIT = { kernelInitializer: "zeros", recurrentInitializer: "zeros" } as const;
const tfLstm0 = (units: number, extra: Record<string, unknown> = {}): tf.layers.Layer => tfLstm(units, { ...ZERO_INIT, ...extra });
const tfBiLstm0 = (units: number, mergeMode: "concat", extra: Record<string, unknown> = {}, inputShape?: number[]): tf.layers.Layer =>
  tfBiLstm(units, mergeMode, { ...ZERO_INIT, ...extra }, inputShape);

const COUNT_CASES: CountCase[] = [
  {
    // 4·(128·(1+128)+128) + 4·(64·(128+64)+64) + (64·32+32) + (32+1)
    name: "W_sine stack", inputShape: [50, 1], total: 118_081,
    ours: () => [
      layers.lstm({ units: 128, returnSequences: true }), layers.dropout({ rate: 0.2 }),
      layers.lstm({ units: 64 }), layers.dropout({ rate: 0.2 }),
      layers.dense({ units: 32, activation: "relu" }), layers.dense({ units: 1 }),
    ],
    tf: (s) => [
      tfLstm0(128, { returnSequences: true, inputShape: s }), tf.layers.dropout({ rate: 0.2 }),
      tfLstm0(64), tf.layers.dropout({ rate: 0.2 }),
      tf.layers.dense({ units: 32, activation: "relu" }), tf.layers.dense({ units: 1 }),
    ],
  },
  {
    // 4·(50·51+50) + 3·4·(50·100+50) + 51
    name: "stock 4×LSTM(50)", inputShape: [60, 1], total: 71_051,
    ours: () => [
      ...[true, true, true, false].flatMap((rs) => [layers.lstm({ units: 50, returnSequences: rs }), layers.dropout({ rate: 0.2 })]),
      layers.dense({ units: 1 }),
    ],
    tf: (s) => [
      ...[true, true, true, false].flatMap((rs, k) => [
        tfLstm0(50, { returnSequences: rs, ...(k === 0 ? { inputShape: s } : {}) }), tf.layers.dropout({ rate: 0.2 }),
      ]),
      tf.layers.dense({ units: 1 }),
    ],
  },
  {
    // 2·4·(32·33+32) + 2·4·(32·96+32) + (64+1)
    name: "encoder–decoder 32 units, 18 steps", inputShape: [18, 1], total: 33_601,
    ours: () => [
      layers.bidirectional(layers.lstm({ units: 32 })),
      layers.repeatVector({ n: 18 }),
      layers.bidirectional(layers.lstm({ units: 32, returnSequences: true })),
      layers.timeDistributed(layers.dense({ units: 1 })),
    ],
    tf: (s) => [
      tfBiLstm0(32, "concat", {}, s),
      tf.layers.repeatVector({ n: 18 }),
      tfBiLstm0(32, "concat", { returnSequences: true }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) }),
    ],
  },
];

describe.each(COUNT_CASES)("parameter counts equal tfjs's: $name", (c) => {
  it("per layer, in total and in summary()", () => {
    const tfModel = tf.sequential({ layers: c.tf(c.inputShape) });
    const ours = sequential([layers.input({ shape: c.inputShape }), ...c.ours()]);
    try {
      expect(tfModel.countParams()).toBe(c.total);
      expect(ours.countParams()).toBe(c.total);
      const ourLayers = ours.layers.slice(1); // without the input layer, which tfjs does not list
      expect(ourLayers.map((l) => l.countParams())).toEqual(tfModel.layers.map((l) => l.countParams()));
      expect(ourLayers.map((l) => l.outputShape)).toEqual(tfModel.layers.map((l) => (l.outputShape as number[]).slice(1)));
      expect(ours.summary()).toContain(`Total params: ${c.total.toLocaleString("en-US")}`);
      expect(ours.summary()).toContain(`Trainable params: ${c.total.toLocaleString("en-US")}`);
    } finally {
      tfModel.dispose();
    }
  });
});
