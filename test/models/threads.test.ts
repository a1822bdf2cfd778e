// Data-parallel training: worker threads each run the training step on a shard of the batch and
// their gradients are summed in shard order, so the result follows the one-thread run.

import { describe, it, expect } from "vitest";
import { sequential, layers, Tensor, ConfigError } from "../../src/index.js";
import type { Layer } from "../../src/layers/layer.js";

function series(n: number, T: number, seed: number): { x: Tensor; y: Tensor } {
  const x = new Float32Array(n * T), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) x[i * T + t] = Math.sin(0.3 * (i + t) + seed);
    y[i] = Math.sin(0.3 * (i + T) + seed);
  }
  return { x: new Tensor(x, [n, T, 1]), y: new Tensor(y, [n, 1]) };
}

async function train(threads: number, dropout: number, epochs = 3): Promise<{ loss: number[]; weights: Float32Array }> {
  const { x, y } = series(96, 12, 0.5);
  const m = sequential([
    layers.input({ shape: [12, 1] }),
    layers.lstm({ units: 16, returnSequences: true, recurrentDropout: dropout }),
    layers.dropout({ rate: dropout }),
    layers.gru({ units: 8 }),
    layers.dense({ units: 1 }),
  ], { seed: 5, threads });
  m.compile({ optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse", metrics: ["mae"] });
  const h = await m.fit(x, y, { epochs, batchSize: 32, verbose: 0 });
  return { loss: h.history.loss!, weights: m.parameters.slice() };
}

describe("threads", () => {
  it("threads: 2 follows the threads: 1 loss curve within float tolerance (no dropout)", async () => {
    const one = await train(1, 0, 5);
    const two = await train(2, 0, 5);
    const three = await train(3, 0, 5);
    for (const other of [two, three]) {
      other.loss.forEach((l, k) => expect(Math.abs(l - one.loss[k]!) / one.loss[k]!).toBeLessThan(1e-4));
      let d = 0;
      for (let i = 0; i < one.weights.length; i++) d = Math.max(d, Math.abs(other.weights[i]! - one.weights[i]!));
      expect(d).toBeLessThan(1e-4);
    }
    expect(one.loss[4]!).toBeLessThan(one.loss[0]! * 0.8);
  });

  it("is deterministic for a seed and a thread count, with dropout", async () => {
    const a = await train(2, 0.2);
    const b = await train(2, 0.2);
    expect(a.loss).toEqual(b.loss);
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    // each shard draws its own masks, so two threads differ from one once dropout is on
    const one = await train(1, 0.2);
    expect(one.loss[2]).not.toEqual(a.loss[2]);
  });

  it("a second fit continues the workers' dropout streams: 2 + 1 epochs equal 3, bit for bit, with dropout", async () => {
    const { x, y } = series(96, 12, 0.5);
    const make = () => {
      const m = sequential([
        layers.input({ shape: [12, 1] }),
        layers.lstm({ units: 16, returnSequences: true, recurrentDropout: 0.2 }),
        layers.dropout({ rate: 0.2 }),
        layers.gru({ units: 8 }),
        layers.dense({ units: 1 }),
      ], { seed: 5, threads: 2 });
      m.compile({ optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse" });
      return m;
    };
    const straight = make();
    const hs = await straight.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
    const split = make();
    await split.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
    const h = await split.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
    expect(h.epoch).toEqual([2]);
    expect(h.history.loss).toEqual(hs.history.loss!.slice(2));
    expect(Array.from(split.parameters)).toEqual(Array.from(straight.parameters));
    straight.dispose();
    split.dispose();
  });

  it("a stateful model refuses more than one thread; auto keeps small models on one", async () => {
    const { x, y } = series(32, 12, 0);
    const m = sequential([layers.input({ shape: [12, 1] }), layers.lstm({ units: 4, stateful: true, batchSize: 8 }), layers.dense({ units: 1 })], { threads: 2 });
    m.compile({ optimizer: "sgd", loss: "mse" });
    await expect(m.fit(x, y, { batchSize: 8, shuffle: false, verbose: 0 })).rejects.toThrow(ConfigError);
    await expect(m.fit(x, y, { batchSize: 8, shuffle: false, verbose: 0 })).rejects.toThrow(/stateful model .* one thread/);
  });

  it("a failing worker surfaces its error instead of hanging", async () => {
    const { x } = series(32, 12, 0);
    const m = sequential([layers.input({ shape: [12, 1] }), layers.lstm({ units: 4 }), layers.dense({ units: 2, activation: "softmax" })], { threads: 2 });
    m.compile({ optimizer: "sgd", loss: "sparseCategoricalCrossentropy" });
    const ids = new Tensor(new Float32Array(32).map((_, i) => (i < 20 ? i % 2 : 7)), [32, 1]); // id 7 lands in the second shard
    await expect(m.fit(x, ids, { batchSize: 32, shuffle: false, verbose: 0 })).rejects.toThrow(/class|id|7/);
  });
});

describe("threads in inference", () => {
  it("predict and evaluate on two threads equal one thread, in row order", async () => {
    const { x, y } = series(70, 12, 1.5);
    const make = (threads: number) => {
      const m = sequential([layers.input({ shape: [12, 1] }), layers.lstm({ units: 16, returnSequences: true }), layers.lstm({ units: 8 }), layers.dense({ units: 3 })], { seed: 9, threads });
      m.compile({ optimizer: "adam", loss: "mse" });
      return m;
    };
    const one = make(1), two = make(2);
    const p1 = one.predict(x, { batchSize: 32 }), p2 = two.predict(x, { batchSize: 32 });
    expect(p2.shape).toEqual([70, 3]);
    let d = 0;
    for (let i = 0; i < p1.size; i++) d = Math.max(d, Math.abs(p1.data[i]! - p2.data[i]!));
    expect(d).toBeLessThan(1e-6);
    const y3 = new Tensor(new Float32Array(70 * 3).map((_, i) => y.data[i % 70]!), [70, 3]);
    expect(two.evaluate(x, y3).loss).toBeCloseTo(one.evaluate(x, y3).loss, 6);
    // the pool is kept between calls and follows weight updates
    await two.fit(x, y3, { epochs: 1, batchSize: 32, verbose: 0 });
    one.setWeights(two.getWeights());
    const q1 = one.predict(x), q2 = two.predict(x);
    for (let i = 0; i < q1.size; i++) d = Math.max(d, Math.abs(q1.data[i]! - q2.data[i]!));
    expect(d).toBeLessThan(1e-6);
    // fewer rows than threads (one sample, a last batch of one): the idle thread is skipped
    const x1 = x.slice0(0, 1);
    expect(Array.from(two.predict(x1).data)).toEqual(Array.from(one.predict(x1).data));
    expect(two.predict(x, { batchSize: 23 }).shape).toEqual([70, 3]); // 23 + 23 + 23 + 1
    two.dispose();
    one.dispose();
  });
});

describe("threads: gradients of one batch equal one thread's, layer by layer", () => {
  const cases: [string, () => Layer[], number[], "mse" | "sparseCategoricalCrossentropy"][] = [
    ["LSTM (returnSequences, goBackwards, no unit forget bias) + LSTM", () => [layers.lstm({ units: 9, returnSequences: true, goBackwards: true, unitForgetBias: false }), layers.lstm({ units: 5 })], [7, 3], "mse"],
    ["GRU resetAfter + classic GRU + SimpleRNN (relu)", () => [layers.gru({ units: 6, returnSequences: true }), layers.gru({ units: 5, resetAfter: false, returnSequences: true }), layers.simpleRnn({ units: 4, activation: "relu" })], [7, 3], "mse"],
    ["bidirectional (sum) + repeatVector + timeDistributed dense", () => [layers.bidirectional(layers.lstm({ units: 4 }), { mergeMode: "sum" }), layers.repeatVector({ n: 3 }), layers.timeDistributed(layers.dense({ units: 2, activation: "tanh" }))], [7, 3], "mse"],
    ["embedding + LSTM + softmax", () => [layers.embedding({ inputDim: 11, outputDim: 4 }), layers.lstm({ units: 6, returnSequences: true, activation: "relu", recurrentActivation: "hardSigmoid" }), layers.dense({ units: 11, activation: "softmax" })], [7], "sparseCategoricalCrossentropy"],
  ];
  for (const [name, make, shape, loss] of cases) {
    it(name, async () => {
      const n = 29; // shards of 15 and 14 rows
      const size = shape.reduce((a, b) => a * b, 1);
      const x = new Tensor(new Float32Array(n * size).map((_, i) => (shape.length === 1 ? (i * 7) % 11 : Math.sin(0.7 * i))), [n, ...shape]);
      const grads = await Promise.all([1, 2].map(async (threads) => {
        const m = sequential([layers.input({ shape }), ...make()], { seed: 4, threads });
        m.compile({ optimizer: { type: "sgd", learningRate: 0 }, loss });
        const out = m.outputShape!;
        const y = loss === "mse"
          ? new Tensor(new Float32Array(n * out.reduce((a, b) => a * b, 1)).map((_, i) => Math.cos(i)), [n, ...out])
          : new Tensor(new Float32Array(n * shape[0]!).map((_, i) => (i * 3) % 11), [n, shape[0]!]);
        const h = await m.fit(x, y, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
        const g = m.gradients.slice();
        m.dispose();
        return { g, loss: h.history.loss![0]! };
      }));
      const [one, two] = grads as [typeof grads[0], typeof grads[0]];
      let d = 0, mx = 0;
      for (let i = 0; i < one.g.length; i++) { d = Math.max(d, Math.abs(one.g[i]! - two.g[i]!)); mx = Math.max(mx, Math.abs(one.g[i]!)); }
      expect(mx).toBeGreaterThan(0);
      expect(d / mx).toBeLessThan(1e-5);
      expect(Math.abs(two.loss - one.loss) / one.loss).toBeLessThan(1e-6);
    });
  }
});
