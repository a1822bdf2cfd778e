// predict allocates no typed arrays per call once warmed up: layers write into reused buffers and
// `out` takes the result. Counted by wrapping the Float32Array constructor and `slice`.

import { describe, it, expect } from "vitest";
import { sequential, layers, Tensor } from "../../src/index.js";

function countTypedArrays(fn: () => void): number {
  const Original = globalThis.Float32Array;
  const slice = Original.prototype.slice;
  let n = 0;
  globalThis.Float32Array = new Proxy(Original, {
    construct(target, args) { n++; return Reflect.construct(target, args); },
  });
  Original.prototype.slice = function (this: Float32Array, ...a: [number?, number?]) { n++; return slice.apply(this, a); };
  try {
    fn();
  } finally {
    globalThis.Float32Array = Original;
    Original.prototype.slice = slice;
  }
  return n;
}

describe("predict allocates nothing per call", () => {
  const models = {
    "stacked LSTM + dropout + dense (W_sine's shape)": () => sequential([layers.input({ shape: [20, 1] }), layers.lstm({ units: 16, returnSequences: true }), layers.dropout({ rate: 0.2 }), layers.lstm({ units: 8 }), layers.dense({ units: 4, activation: "relu" }), layers.dense({ units: 1 })], { seed: 1 }),
    "bidirectional encoder-decoder": () => sequential([layers.input({ shape: [6, 1] }), layers.bidirectional(layers.lstm({ units: 4 })), layers.repeatVector({ n: 3 }), layers.bidirectional(layers.gru({ units: 4, returnSequences: true })), layers.timeDistributed(layers.dense({ units: 1 }))], { seed: 1 }),
    "embedding + LSTM + softmax": () => sequential([layers.input({ shape: [10] }), layers.embedding({ inputDim: 12, outputDim: 5 }), layers.simpleRnn({ units: 6, returnSequences: true }), layers.dense({ units: 12, activation: "softmax" })], { seed: 1 }),
  };
  for (const [name, make] of Object.entries(models)) {
    it(name, () => {
      const m = make();
      const shape = m.inputShape!;
      const x = new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => (shape.length === 1 ? i % 12 : Math.sin(i))), [1, ...shape]);
      const out = new Tensor(new Float32Array(m.outputShape!.reduce((a, b) => a * b, 1)), [1, ...m.outputShape!]);
      const first = m.predict(x);
      m.predict(x, { out });
      expect(Array.from(out.data)).toEqual(Array.from(first.data));
      expect(countTypedArrays(() => { for (let i = 0; i < 20; i++) m.predict(x, { out }); })).toBe(0);
      // and without `out`, one array per call: the result
      expect(countTypedArrays(() => { for (let i = 0; i < 20; i++) m.predict(x); })).toBe(20);
    });
  }

  it("checks out's shape and the batch size", () => {
    const m = models["stacked LSTM + dropout + dense (W_sine's shape)"]();
    const x = new Tensor(new Float32Array(20), [1, 20, 1]);
    expect(() => m.predict(x, { out: new Tensor(new Float32Array(2), [2, 1]) })).toThrow(/out has shape \[2, 1\], but the predictions have shape \[1, 1\]/);
    expect(() => m.predict(x, { batchSize: 0 })).toThrow(/predict: batchSize must be a positive integer, got 0/);
  });

  it("evaluate refuses batchSize 0 (it used to loop forever)", () => {
    const m = models["stacked LSTM + dropout + dense (W_sine's shape)"]();
    m.compile({ optimizer: "adam", loss: "mse" });
    const x = new Tensor(new Float32Array(20), [1, 20, 1]);
    const y = new Tensor(new Float32Array(1), [1, 1]);
    expect(() => m.evaluate(x, y, { batchSize: 0 })).toThrow(/evaluate: batchSize must be a positive integer, got 0/);
  });
});
