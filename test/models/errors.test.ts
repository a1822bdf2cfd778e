// Errors are part of the API: bad shapes, non-finite data, a loss that blows up during training and
// unknown names each fail with the right error class and a message that says what, where and why.

import { describe, it, expect } from "vitest";
import {
  sequential, layers, callbacks, Sequential, Tensor, ShapeError, NonFiniteError, ConfigError, type Callback,
} from "../../src/index.js";
import { uniform, sineWindows, firstBitDifference } from "./fixtures.js";

/** Catches a synchronous or asynchronous throw and returns it (fails the test if nothing throws). */
async function caught(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

function compiled(): Sequential {
  const m = sequential([
    layers.input({ shape: [10, 2] }),
    layers.lstm({ units: 4 }),
    layers.dense({ units: 1 }),
  ], { seed: 1 });
  m.compile({ optimizer: "adam", loss: "mse" });
  return m;
}

describe("wrong input shape names the layer and both shapes", () => {
  const y = uniform([4, 1], 2);
  const calls = {
    fit: (m: Sequential, x: Tensor) => m.fit(x, y, { verbose: 0 }),
    predict: (m: Sequential, x: Tensor) => m.predict(x),
    evaluate: (m: Sequential, x: Tensor) => m.evaluate(x, y),
  };
  for (const [where, call] of Object.entries(calls)) {
    it(`${where}: wrong feature count and wrong rank`, async () => {
      const m = compiled();
      const e1 = await caught(() => call(m, uniform([4, 10, 3], 1)));
      expect(e1).toBeInstanceOf(ShapeError);
      expect(e1.message).toBe('layer "input_layer" (InputLayer) expects input of shape [null, 10, 2], got [4, 10, 3]');
      const e2 = await caught(() => call(m, uniform([4, 10], 1)));
      expect(e2).toBeInstanceOf(ShapeError);
      expect(e2.message).toBe('layer "input_layer" (InputLayer) expects input of shape [null, 10, 2], got [4, 10]');
    });
  }

  it("a model built by its first fit checks later inputs at its first real layer", async () => {
    const m = sequential([layers.gru({ units: 3 }), layers.dense({ units: 1 })], { seed: 1 });
    m.compile({ optimizer: "sgd", loss: "mse" });
    await m.fit(uniform([4, 10, 2], 1), uniform([4, 1], 2), { verbose: 0 });
    const e = await caught(() => m.predict(uniform([3, 12, 2], 1)));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe('layer "gru" (GRU) expects input of shape [null, 10, 2], got [3, 12, 2]');
  });

  it("an unbuilt recurrent model given 2-D data says it wants [batch, time, features]", async () => {
    const m = sequential([layers.lstm({ units: 3 }), layers.dense({ units: 1 })]);
    const e = await caught(() => m.predict(uniform([4, 10], 1)));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe('layer "lstm" (LSTM) expects input of shape [batch, time, features], got [null, 10]');
  });

  it("data without a batch axis", async () => {
    const m = sequential([layers.dense({ units: 1 })]);
    const e = await caught(() => m.predict([1, 2, 3]));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe("predict: input needs a batch axis, got shape [3]");
  });

  it("ragged nested arrays name the index where the lengths disagree", async () => {
    const m = compiled();
    const e = await caught(() => m.predict([[[1, 2]], [[1, 2], [3, 4]]]));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe("predict: x: ragged array at index [1]: expected length 1, got length 2");
  });
});

describe("targets", () => {
  it("of the wrong shape name both shapes and the last layer (fit, evaluate, validationData)", async () => {
    const m = compiled();
    const x = uniform([4, 10, 2], 1);
    const want = 'targets have shape [4, 2] but the model outputs [null, 1] (last layer "dense")';
    const e1 = await caught(() => m.fit(x, uniform([4, 2], 2), { verbose: 0 }));
    expect(e1).toBeInstanceOf(ShapeError);
    expect(e1.message).toBe(`fit: ${want}`);
    expect((await caught(() => m.evaluate(x, uniform([4, 2], 2)))).message).toBe(`evaluate: ${want}`);
    const e3 = await caught(() => m.fit(x, uniform([4, 1], 2), { verbose: 0, validationData: [x, uniform([4, 2], 3)] }));
    expect(e3.message).toBe(`fit (validationData): ${want}`);
  });

  it("x and y with different sample counts", async () => {
    const m = compiled();
    const e = await caught(() => m.fit(uniform([4, 10, 2], 1), uniform([5, 1], 2), { verbose: 0 }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe("fit: x has 4 samples but y has 5");
    expect((await caught(() => m.evaluate(uniform([4, 10, 2], 1), uniform([3, 1], 2)))).message).toBe("evaluate: x has 4 samples but y has 3");
  });
});

describe("NaN or Infinity in the data gives the index", () => {
  it("in x, y and validation data, at fit, evaluate and predict", async () => {
    const m = compiled();
    const x = uniform([4, 10, 2], 1);
    const y = uniform([4, 1], 2);
    const xBad = x.clone();
    xBad.data[1 * 20 + 3 * 2 + 1] = NaN; // sample 1, step 3, feature 1
    const yBad = y.clone();
    yBad.data[2] = Infinity;
    const yNeg = y.clone();
    yNeg.data[3] = -Infinity;

    const e1 = await caught(() => m.fit(xBad, y, { verbose: 0 }));
    expect(e1).toBeInstanceOf(NonFiniteError);
    expect(e1.message).toBe("fit: x holds NaN at index [1, 3, 1]: clean or impute the data first");
    expect((await caught(() => m.fit(x, yBad, { verbose: 0 }))).message).toBe("fit: y holds Infinity at index [2, 0]: clean or impute the data first");
    expect((await caught(() => m.evaluate(x, yNeg))).message).toMatch(/^evaluate: y holds -Infinity at index \[3, 0\]/);
    expect((await caught(() => m.predict(xBad))).message).toMatch(/^predict: x holds NaN at index \[1, 3, 1\]/);
    expect((await caught(() => m.fit(x, y, { verbose: 0, validationData: [xBad, y] }))).message).toMatch(/^fit: validation x holds NaN at index \[1, 3, 1\]/);
    // nothing was trained by the refused calls
    expect(m.optimizer!.iterations).toBe(0);
  });
});

describe("a loss that becomes non-finite during training", () => {
  const { x, y } = sineWindows(40, 6, 9); // 5 batches of 8

  function small(): Sequential {
    const m = sequential([layers.input({ shape: [6, 1] }), layers.lstm({ units: 4 }), layers.dense({ units: 1 })], { seed: 3 });
    m.compile({ optimizer: { type: "sgd", learningRate: 0.05 }, loss: "mse" });
    return m;
  }

  /**
   * Snapshots the weights at the start of every batch and writes NaN into one weight at the end of
   * (epoch, batch); the next batch's loss is then NaN.
   */
  function corrupter(epoch: number, batch: number): Callback & { snaps: Map<string, Float32Array>; ends: string[]; trainEnds: number } {
    let e = -1;
    return {
      snaps: new Map(), ends: [], trainEnds: 0,
      onEpochBegin(ep) { e = ep; },
      onBatchBegin(b) { this.snaps.set(`${e}:${b}`, this.model!.parameters.slice()); },
      onBatchEnd(b) {
        this.ends.push(`${e}:${b}`);
        if (e === epoch && b === batch) this.model!.parameters[7] = NaN;
      },
      onTrainEnd() { this.trainEnds++; },
    };
  }

  it("fit throws NonFiniteError naming epoch and batch and keeps the last weights whose loss was finite", async () => {
    const m = small();
    const cb = corrupter(1, 2);
    const e = await caught(() => m.fit(x, y, { epochs: 4, batchSize: 8, verbose: 0, callbacks: [cb] }));
    expect(e).toBeInstanceOf(NonFiniteError);
    // epoch 2 and batch 4 counted from 1 (0-based epoch 1, batch 3)
    expect(e.message).toBe("loss became NaN at epoch 2, batch 4; training stopped and the weights of the last finite step were kept");
    expect(cb.ends.at(-1)).toBe("1:2");
    expect(m.parameters.every(Number.isFinite)).toBe(true);
    // the weights batch 3 (1:2) started from: the last ones that gave a finite loss
    expect(firstBitDifference(m.parameters, cb.snaps.get("1:2")!)).toBe(-1);
  });

  it("a corruption at an epoch's last batch is caught at the next epoch's first batch", async () => {
    const m = small();
    const cb = corrupter(0, 4);
    const e = await caught(() => m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [cb] }));
    expect(e.message).toMatch(/^loss became NaN at epoch 2, batch 1;/);
    expect(firstBitDifference(m.parameters, cb.snaps.get("0:4")!)).toBe(-1);
  });

  it("a huge learning rate: Infinity or NaN, with the batch right after the last finite one", async () => {
    const m = sequential([layers.input({ shape: [6, 1] }), layers.lstm({ units: 4 }), layers.dense({ units: 1 })], { seed: 3 });
    m.compile({ optimizer: { type: "sgd", learningRate: 1e25 }, loss: "mse" });
    const seen: string[] = [];
    let ep = 0;
    const rec: Callback = { onEpochBegin(e) { ep = e; }, onBatchEnd(b) { seen.push(`${ep + 1}:${b + 1}`); } };
    const e = await caught(() => m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [rec] }));
    expect(e).toBeInstanceOf(NonFiniteError);
    const match = /^loss became (NaN|Infinity) at epoch (\d+), batch (\d+);/.exec(e.message);
    expect(match).not.toBeNull();
    const [epoch, batch] = [Number(match![2]), Number(match![3])];
    const last = seen.at(-1)!.split(":").map(Number);
    // the failing batch is the one after the last that ended
    expect(batch === 1 ? [epoch - 1, 5] : [epoch, batch - 1]).toEqual(last);
    expect(m.parameters.every(Number.isFinite)).toBe(true);
  });

  it("with terminateOnNaN training stops without throwing and history.stopReason says why", async () => {
    const m = small();
    const cb = corrupter(1, 2);
    let epochBegins = 0;
    const h = await m.fit(x, y, {
      epochs: 4, batchSize: 8, verbose: 0,
      callbacks: [cb, callbacks.terminateOnNaN(), { onEpochBegin() { epochBegins++; } }],
    });
    expect(h.stopReason).toBe("loss became NaN at epoch 2, batch 4; training stopped and the weights of the last finite step were kept");
    expect(epochBegins).toBe(2); // epochs 3 and 4 never started
    expect(cb.trainEnds).toBe(1);
    expect(h.history.loss!.every(Number.isFinite)).toBe(true); // the NaN batch is not averaged in
    expect(firstBitDifference(m.parameters, cb.snaps.get("1:2")!)).toBe(-1);
  });
});

describe("unknown names give ConfigErrors listing the valid choices", () => {
  const m = (): Sequential => sequential([layers.input({ shape: [3] }), layers.dense({ units: 1 })]);

  it("optimizer", () => {
    expect(() => m().compile({ optimizer: "adamm" as never, loss: "mse" })).toThrow(ConfigError);
    expect(() => m().compile({ optimizer: { type: "nadam" as never }, loss: "mse" }))
      .toThrow('unknown optimizer "nadam"; choose one of sgd, rmsprop, adagrad, adam, adamw');
  });

  it("loss", () => {
    expect(() => m().compile({ optimizer: "sgd", loss: "rmse" as never }))
      .toThrow(new ConfigError('unknown loss "rmse"; choose one of mse, mae, huber, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy'));
  });

  it("metric", () => {
    expect(() => m().compile({ optimizer: "sgd", loss: "mse", metrics: ["mae", "r2"] }))
      .toThrow(new ConfigError('unknown metric "r2"; choose one of mse, mae, rmse, mape, accuracy'));
  });

  it("activation, in dense and in recurrent layers", () => {
    const list = "linear, relu, relu6, sigmoid, hardSigmoid, tanh, elu, selu, softplus, softsign";
    expect(() => layers.dense({ units: 2, activation: "gelu" as never })).toThrow(new ConfigError(`dense: unknown activation "gelu"; choose one of ${list}, softmax`));
    expect(() => layers.lstm({ units: 2, recurrentActivation: "hard_sigmoid" as never })).toThrow(new ConfigError(`lstm: unknown activation "hard_sigmoid"; choose one of ${list}`));
    expect(() => layers.gru({ units: 2, activation: "swish" as never })).toThrow(/^gru: unknown activation "swish"/);
  });

  it("fit before compile, a bad batch size or validation split", async () => {
    const x = uniform([4, 3], 1), y = uniform([4, 1], 2);
    expect((await caught(() => m().fit(x, y, { verbose: 0 }))).message).toBe("fit: call compile({ optimizer, loss }) first");
    const c = m();
    c.compile({ optimizer: "sgd", loss: "mse" });
    const e = await caught(() => c.fit(x, y, { batchSize: 0, verbose: 0 }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe("fit: batchSize must be a positive integer, got 0");
    expect((await caught(() => c.fit(x, y, { validationSplit: 1.5, verbose: 0 }))).message).toBe("fit: validationSplit must be in (0, 1), got 1.5");
  });
});

describe("bad arguments from JavaScript get the library's typed errors, never a raw TypeError", () => {
  const m = (): Sequential => {
    const s = sequential([layers.input({ shape: [3, 2] }), layers.lstm({ units: 2 }), layers.dense({ units: 1 })], { seed: 1 });
    s.compile({ optimizer: "adam", loss: "mse" });
    return s;
  };
  const x = uniform([2, 3, 2], 1);
  const cases: [string, (s: Sequential) => unknown, new (...a: never[]) => Error, RegExp][] = [
    ["setWeights(null)", (s) => s.setWeights(null as never), ShapeError, /^setWeights: expected a list of tensors/],
    ["a layer's setWeights with non-tensors", (s) => s.layers[1]!.setWeights([{}, {}, {}] as never), ShapeError, /^lstm\.setWeights: weight 0 \(kernel\) must be a Tensor of shape \[2, 8\], got object/],
    ["a layer's forward on a non-tensor", (s) => (s.layers[1] as unknown as { forwardWithState(x: unknown, t: boolean): unknown }).forwardWithState({}, false), ShapeError, /^layer "lstm" \(LSTM\) takes a Tensor, got object/],
    ["save to a number", (s) => s.save(123 as never), ConfigError, /^save: the directory must be a non-empty string, got 123/],
    ["save with null options", (s) => s.save("/tmp/never-written", null as never), ConfigError, /^save: options must be an object, got null/],
    ["save with a misspelt option", (s) => s.save("/tmp/never-written", { overwrites: true } as never), ConfigError, /^save: unknown option 'overwrites' — did you mean 'overwrite'\?/],
    ["restoreState(null)", (s) => s.restoreState(null as never), ConfigError, /^restoreState: expected what snapshotState\(\) returned, got null/],
    ["compile(null)", (s) => s.compile(null as never), ConfigError, /^compile: options must be an object, got null/],
    ["fit with null options", (s) => s.fit(x, uniform([2, 1], 2), null as never), ConfigError, /^fit: options must be an object, got null/],
    ["sequential with a non-layer", () => sequential([1 as never]), ConfigError, /^sequential: layers\[0\] must be a layer/],
    ["a factory called without options", () => (layers.lstm as unknown as () => unknown)(), ConfigError, /^lstm: options must be an object, got undefined/],
    ["bidirectional(null)", () => layers.bidirectional(null as never), ConfigError, /^bidirectional: the first argument must be a layer/],
  ];
  for (const [name, call, cls, msg] of cases) {
    it(name, async () => {
      const e = await caught(() => call(m()));
      expect(e).toBeInstanceOf(cls);
      expect(e.message).toMatch(msg);
    });
  }

  it("loadModel(undefined)", async () => {
    const { loadModel } = await import("../../src/index.js");
    const e = await caught(() => loadModel(undefined as never));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe("loadModel: the directory must be a non-empty string, got undefined");
  });
});
