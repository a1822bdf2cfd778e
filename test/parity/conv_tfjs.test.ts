// Parity of conv1d and the 1-D poolings with TensorFlow.js (pure-JS cpu backend): the same layers
// built on both sides, tfjs's seeded weights copied into ours, then outputs, the MSE gradients of
// every weight and the gradient with respect to the input compared, plus one SGD fit step.
// Every comparison uses relDiff (twin.ts): max|ours − tfjs| / max(max|tfjs|, 1e-6) per tensor, ≤ 1e-4.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import * as layers from "../../src/layers/index.js";
import type { Layer } from "../../src/layers/index.js";
import { sequential, type Sequential } from "../../src/models/sequential.js";
import { Tensor } from "../../src/tensor/tensor.js";
import {
  initTf, maxRelDiff, randomData, seedTfWeights, tfWeights, copyWeights, tfGradients, ourGradients,
  tfPredict, tfFitStep, toTf, readTf, type Arr,
} from "./twin.js";

const TOL = 1e-4;
const B = 3, T = 12, C = 3;

interface Case {
  name: string;
  ours: () => Layer[];
  tf: (inputShape: number[]) => tf.layers.Layer[];
  /**
   * Why tfjs's own gradient cannot be the reference: then the input gradient is compared with
   * central differences of tfjs's forward pass instead (these cases have no activation, so the
   * loss is quadratic in x and the central difference is exact up to float32 rounding).
   */
  noTfGradient?: string;
}

type Pad = "valid" | "same";
const NO_DILATED_GRADIENT = "tfjs has no gradient for dilated convolutions (\"dilation rates greater than 1 are not yet supported in gradients\")";
const AVG_SAME_GRADIENT = "tfjs's average-pooling gradient divides by poolSize where its forward pass (and Keras) divides by the real entries of a \"same\" window";
const conv = (filters: number, kernelSize: number, padding: Pad, extra: Record<string, unknown> = {}): Case => ({
  ...(extra.dilationRate ? { noTfGradient: NO_DILATED_GRADIENT } : {}),
  name: `conv1d ${filters} filters, kernelSize ${kernelSize}, ${padding}${Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : ""}`,
  ours: () => [layers.conv1d({ filters, kernelSize, padding, ...extra })],
  tf: (s) => [tf.layers.conv1d({ filters, kernelSize, padding, ...extra, inputShape: s } as Parameters<typeof tf.layers.conv1d>[0])],
});

const CASES: Case[] = [];
// tf.layers.conv1d refuses "causal" ("not implemented yet"): causal padding is checked against tfjs ops below
for (const padding of ["valid", "same"] as const) {
  CASES.push(conv(4, 3, padding));
  CASES.push(conv(4, 4, padding, { strides: 2 }));
  CASES.push(conv(2, 2, padding, { dilationRate: 3 }));
  CASES.push(conv(3, 5, padding, { strides: 3, activation: "tanh" }));
}
CASES.push(conv(4, 3, "same", { activation: "relu", useBias: false }));
CASES.push(conv(4, 3, "same", { activation: "sigmoid", strides: 2 }));
CASES.push(conv(4, 1, "valid", { activation: "elu" }));

// A conv in front so that the pooling has weights to check gradients through.
const pooled = (kind: "max" | "average", args: { poolSize?: number; strides?: number; padding?: "valid" | "same" }): Case => ({
  name: `${kind}Pooling1d ${args.padding} poolSize ${args.poolSize} strides ${args.strides ?? "-"}`,
  ...(kind === "average" && args.padding === "same" ? { noTfGradient: AVG_SAME_GRADIENT } : {}),
  ours: () => [layers.conv1d({ filters: 4, kernelSize: 2 }), kind === "max" ? layers.maxPooling1d(args) : layers.averagePooling1d(args)],
  tf: (s) => [tf.layers.conv1d({ filters: 4, kernelSize: 2, inputShape: s }),
    kind === "max" ? tf.layers.maxPooling1d(args) : tf.layers.averagePooling1d(args)],
});
for (const kind of ["max", "average"] as const) {
  for (const padding of ["valid", "same"] as const) {
    CASES.push(pooled(kind, { poolSize: 2, padding }));
    CASES.push(pooled(kind, { poolSize: 3, padding })); // 11 steps: "same" pads one step, unevenly placed
    CASES.push(pooled(kind, { poolSize: 3, strides: 1, padding }));
    CASES.push(pooled(kind, { poolSize: 4, strides: 3, padding }));
  }
}
CASES.push({
  name: "conv1d → globalAveragePooling1d",
  ours: () => [layers.conv1d({ filters: 4, kernelSize: 3 }), layers.globalAveragePooling1d()],
  tf: (s) => [tf.layers.conv1d({ filters: 4, kernelSize: 3, inputShape: s }), tf.layers.globalAveragePooling1d({})],
});
CASES.push({
  name: "conv1d → globalMaxPooling1d",
  ours: () => [layers.conv1d({ filters: 4, kernelSize: 3 }), layers.globalMaxPooling1d()],
  tf: (s) => [tf.layers.conv1d({ filters: 4, kernelSize: 3, inputShape: s }), tf.layers.globalMaxPooling1d({})],
});
CASES.push({
  name: "CNN–LSTM: conv1d same relu → maxPooling1d → lstm → dense",
  ours: () => [layers.conv1d({ filters: 6, kernelSize: 3, padding: "same", activation: "relu" }), layers.maxPooling1d({ poolSize: 2 }),
    layers.lstm({ units: 5 }), layers.dense({ units: 2 })],
  tf: (s) => [tf.layers.conv1d({ filters: 6, kernelSize: 3, padding: "same", activation: "relu", inputShape: s }), tf.layers.maxPooling1d({ poolSize: 2 }),
    tf.layers.lstm({ units: 5, recurrentActivation: "sigmoid", unitForgetBias: true }), tf.layers.dense({ units: 2 })],
});

/** tfjs's gradient of mean((model(x) − t)²) with respect to x. */
function tfInputGradient(model: tf.LayersModel, x: Tensor, t: Tensor): Arr {
  const xs = toTf(x), ts = toTf(t);
  const g = tf.grad((xi: tf.Tensor) => tf.mean(tf.squaredDifference(model.apply(xi, { training: false }) as tf.Tensor, ts)))(xs);
  const out = readTf(g);
  [xs, ts, g].forEach((v) => v.dispose());
  return out;
}

/** Central differences (step 1e-2) of mean((f(x) − t)²) computed by tfjs, entry by entry of x. */
function tfNumericInputGradient(f: (x: tf.Tensor) => tf.Tensor, x: Tensor, t: Tensor): Arr {
  const ts = toTf(t);
  const loss = (d: Float32Array): number => tf.tidy(() => tf.mean(tf.squaredDifference(f(tf.tensor(d, [...x.shape])), ts)).dataSync()[0]!);
  const d = x.data.slice();
  const g = new Float32Array(d.length);
  const eps = 1e-2;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    d[i] = v + eps;
    const lp = loss(d);
    d[i] = v - eps;
    const lm = loss(d);
    d[i] = v;
    g[i] = (lp - lm) / (2 * eps);
  }
  ts.dispose();
  return { data: g, shape: [...x.shape] };
}

/** Ours: the same loss's gradient, backward through every layer to the input. */
function ourInputGradient(model: Sequential, x: Tensor, t: Tensor): Tensor {
  model.zeroGrads();
  const y = model.forward(x, false);
  const dy = new Float32Array(y.size);
  for (let i = 0; i < y.size; i++) dy[i] = (2 * (y.data[i]! - t.data[i]!)) / y.size;
  const dx = model.backward(new Tensor(dy, y.shape));
  return new Tensor(dx.data.slice(), dx.shape);
}

const measured: Record<string, Record<string, number>> = {};
const record = (c: string, what: string, v: number): number => ((measured[c] ??= {})[what] = v);
beforeAll(initTf);
afterAll(() => {
  let worst = 0;
  for (const r of Object.values(measured)) for (const v of Object.values(r)) worst = Math.max(worst, v);
  console.log(`conv parity with tfjs: ${Object.keys(measured).length} cases, worst relDiff ${worst.toExponential(2)}`);
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
    tfModel = tf.sequential({ layers: c.tf([T, C]) });
    seedTfWeights(tfModel, 1000 + seed);
    w0 = tfWeights(tfModel);
    ours = sequential([layers.input({ shape: [T, C] }), ...c.ours()], { seed });
    copyWeights(tfModel, ours);
    x = randomData([B, T, C], 2000 + seed);
    target = randomData([B, ...ours.outputShape!], 3000 + seed);
  });
  afterAll(() => tfModel.dispose());

  it("has the same output shape, weight layout and parameter count", () => {
    expect([...(tfModel.outputs[0]!.shape)].slice(1)).toEqual(ours.outputShape);
    expect(ours.getWeights().map((w) => w.shape)).toEqual(w0.map((w) => w.shape));
    expect(ours.countParams()).toBe(tfModel.countParams());
  });

  it("predicts the same outputs", () => {
    expect(record(c.name, "predict", maxRelDiff([ours.predict(x)], [tfPredict(tfModel, x)]))).toBeLessThanOrEqual(TOL);
  });

  it.runIf(c.noTfGradient)("computes the input gradient tfjs's forward pass implies (tfjs's own gradient is no reference here)", () => {
    const numeric = tfNumericInputGradient((xi) => tfModel.apply(xi, { training: false }) as tf.Tensor, x, target);
    // float32 losses differenced over a step of 2e-2: about 1e-3 of rounding
    expect(record(c.name, "input gradient vs tfjs numeric", maxRelDiff([ourInputGradient(ours, x, target)], [numeric]))).toBeLessThanOrEqual(2e-3);
    if (c.noTfGradient === AVG_SAME_GRADIENT) {
      // and tfjs's analytic gradient really is off (so this case is not skipped for nothing)
      expect(maxRelDiff([tfInputGradient(tfModel, x, target)], [numeric])).toBeGreaterThan(1e-2);
    }
  });

  it.skipIf(c.noTfGradient)("computes the same gradients for every weight and for the input", () => {
    const ref = tfGradients(tfModel, x, target);
    for (const r of ref) expect(Math.max(...r.data.map(Math.abs))).toBeGreaterThan(1e-6);
    expect(record(c.name, "weight gradients", maxRelDiff(ourGradients(ours, x, target), ref))).toBeLessThanOrEqual(TOL);
    const dxRef = tfInputGradient(tfModel, x, target);
    expect(Math.max(...dxRef.data.map(Math.abs))).toBeGreaterThan(1e-6);
    expect(record(c.name, "input gradient", maxRelDiff([ourInputGradient(ours, x, target)], [dxRef]))).toBeLessThanOrEqual(TOL);
  });

  it.skipIf(c.noTfGradient)("takes the same SGD fit step", async () => {
    ours.setWeights(w0.map((w) => new Tensor(w.data.slice(), w.shape)));
    await tfFitStep(tfModel, tf.train.sgd(0.5), x, target);
    ours.compile({ optimizer: { type: "sgd", learningRate: 0.5 }, loss: "mse" });
    await ours.fit(x, target, { epochs: 1, batchSize: B, shuffle: false, verbose: 0 });
    const ref = tfWeights(tfModel);
    expect(maxRelDiff(ref, w0)).toBeGreaterThan(1e-2);
    expect(record(c.name, "sgd step", maxRelDiff(ours.getWeights(), ref))).toBeLessThanOrEqual(TOL);
  });
});

// tf.layers.conv1d refuses padding "causal", so the reference is built from tfjs ops: (kernelSize − 1)·dilation
// zeros on the left with tf.pad, then a "valid" tf.conv1d, the bias and the activation.
describe("causal padding against tfjs ops (tf.pad on the left, then a valid tf.conv1d)", () => {
  const cases = [
    { kernelSize: 3, strides: 1, dilationRate: 1, activation: "linear" },
    { kernelSize: 4, strides: 2, dilationRate: 1, activation: "tanh" },
    { kernelSize: 5, strides: 3, dilationRate: 1, activation: "relu" },
    { kernelSize: 1, strides: 1, dilationRate: 1, activation: "sigmoid" },
    { kernelSize: 2, strides: 1, dilationRate: 3, activation: "linear" },
    { kernelSize: 3, strides: 1, dilationRate: 2, activation: "linear" },
  ] as const;
  for (const [k, g] of cases.entries()) {
    it(JSON.stringify(g), () => {
      const F = 4;
      const ours = sequential([layers.input({ shape: [T, C] }), layers.conv1d({ filters: F, padding: "causal", ...g })], { seed: k });
      const w = ours.getWeights().map((t, i) => randomData([...t.shape], 500 + 10 * k + i, 0.6));
      ours.setWeights(w);
      const kernel = toTf(w[0]!), bias = toTf(w[1]!);
      const f = (xi: tf.Tensor, kk = kernel, bb = bias): tf.Tensor => {
        const padded = tf.pad(xi as tf.Tensor3D, [[0, 0], [(g.kernelSize - 1) * g.dilationRate, 0], [0, 0]]);
        const z = tf.add(tf.conv1d(padded, kk as tf.Tensor3D, g.strides, "valid", "NWC", g.dilationRate), bb);
        return g.activation === "linear" ? z : g.activation === "tanh" ? tf.tanh(z) : g.activation === "relu" ? tf.relu(z) : tf.sigmoid(z);
      };
      const x = randomData([B, T, C], 600 + k);
      const xs = toTf(x);
      const yRef = readTf(f(xs));
      expect(ours.outputShape).toEqual(yRef.shape.slice(1));
      expect(record(`causal ${JSON.stringify(g)}`, "predict", maxRelDiff([ours.predict(x)], [yRef]))).toBeLessThanOrEqual(TOL);
      const target = randomData([...yRef.shape], 700 + k);
      const ts = toTf(target);
      const loss = (xi: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor): tf.Scalar => tf.mean(tf.squaredDifference(f(xi, kk, bb), ts)) as tf.Scalar;
      if (g.dilationRate === 1) {
        const [dx, dk, db] = tf.grads(loss)([xs, kernel, bias]).map(readTf) as [Arr, Arr, Arr];
        expect(record(`causal ${JSON.stringify(g)}`, "weight gradients", maxRelDiff(ourGradients(ours, x, target), [dk, db]))).toBeLessThanOrEqual(TOL);
        expect(record(`causal ${JSON.stringify(g)}`, "input gradient", maxRelDiff([ourInputGradient(ours, x, target)], [dx]))).toBeLessThanOrEqual(TOL);
      } else {
        // no dilated gradients in tfjs: central differences of the (linear) forward pass instead
        const numeric = tfNumericInputGradient((xi) => f(xi), x, target);
        expect(record(`causal ${JSON.stringify(g)}`, "input gradient vs tfjs numeric", maxRelDiff([ourInputGradient(ours, x, target)], [numeric]))).toBeLessThanOrEqual(2e-3);
      }
      [xs, ts, kernel, bias].forEach((v) => v.dispose());
    });
  }
});
