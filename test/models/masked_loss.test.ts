// The loss of a masked sequence output, as Keras 3 computes it: masked steps leave the loss, which is
// the mean over the real steps; their targets change nothing, neither the loss nor the gradients.

import { describe, it, expect } from "vitest";
import { sequential, layers, input, model, Tensor, type SymbolicTensor } from "../../src/index.js";
import { randomTensor } from "../helpers/gradcheck.js";

/** Right-padded batch [B, T, F]: sample b keeps its first lens[b] steps, the rest are zeros. */
function padded(lens: number[], T: number, F: number, seed: number): Tensor {
  const x = randomTensor([lens.length, T, F], seed);
  lens.forEach((n, b) => x.data.fill(0, (b * T + n) * F, (b + 1) * T * F));
  return x;
}

describe("masked sequence losses", () => {
  const lens = [5, 3, 1, 4];
  const T = 5;

  it("a Sequential model's loss is the mean over the real steps; padded targets change neither loss nor gradients", () => {
    const m = sequential([
      layers.masking({ maskValue: 0, inputShape: [T, 2] }),
      layers.lstm({ units: 4, returnSequences: true }),
      layers.timeDistributed(layers.dense({ units: 3 })),
    ], { seed: 1 });
    m.compile({ optimizer: "sgd", loss: "mse" });
    const x = padded(lens, T, 2, 2);
    const y = randomTensor([4, T, 3], 3);
    const pred = m.predict(x);
    let sum = 0, n = 0;
    lens.forEach((len, b) => {
      for (let t = 0; t < len; t++) {
        let se = 0;
        for (let j = 0; j < 3; j++) se += (pred.data[(b * T + t) * 3 + j]! - y.data[(b * T + t) * 3 + j]!) ** 2;
        sum += se / 3;
        n++;
      }
    });
    expect(m.evaluate(x, y).loss).toBeCloseTo(sum / n, 5);
    m.zeroGrads();
    const l1 = m.trainStep(x, y).loss;
    const g1 = m.gradients.slice();
    const y2 = new Tensor(y.data.slice(), y.shape);
    lens.forEach((len, b) => { for (let t = len; t < T; t++) for (let j = 0; j < 3; j++) y2.data[(b * T + t) * 3 + j] = 100; });
    m.zeroGrads();
    const l2 = m.trainStep(x, y2).loss;
    expect(l2).toBe(l1);
    expect(Array.from(m.gradients)).toEqual(Array.from(g1));
    expect(l1).toBeCloseTo(sum / n, 5);
  });

  it("a functional model with Embedding(maskZero) and sparse cross-entropy ignores padded steps the same way", async () => {
    const ids = input({ shape: [T] });
    const h = layers.lstm({ units: 4, returnSequences: true }).apply(layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true }).apply(ids) as SymbolicTensor) as SymbolicTensor;
    const out = layers.timeDistributed(layers.dense({ units: 6, activation: "softmax" })).apply(h) as SymbolicTensor;
    const m = model({ inputs: ids, outputs: out, seed: 4 });
    m.compile({ optimizer: { type: "adam", learningRate: 0.05 }, loss: "sparseCategoricalCrossentropy" });
    const xs = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 2, 2, 0, 0, 0, 5, 0, 0, 0, 0, 3, 1, 4, 0, 0]), [4, T]);
    const y = new Tensor(Float32Array.from([2, 3, 4, 5, 1, 2, 1, 0, 0, 0, 4, 0, 0, 0, 0, 1, 4, 2, 0, 0]), [4, T]);
    const y2 = new Tensor(y.data.map((v, i) => (xs.data[i] === 0 ? 5 : v)), y.shape);
    const a = m.evaluate(xs, y).loss, b = m.evaluate(xs, y2).loss;
    expect(b).toBe(a);
    const p = m.predict(xs) as Tensor;
    let sum = 0, n = 0;
    for (let i = 0; i < 20; i++) if (xs.data[i] !== 0) { sum -= Math.log(p.data[i * 6 + y.data[i]!]!); n++; }
    expect(a).toBeCloseTo(sum / n, 4);
    const hist = await m.fit(xs, y, { epochs: 30, batchSize: 4, verbose: 0 });
    expect(hist.history.loss![29]).toBeLessThan(hist.history.loss![0]! * 0.5);
  });
});
