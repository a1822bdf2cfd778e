// Model, optimizer and callback options are checked against a schema like the layers': a misspelt
// key, a wrong type or an out-of-range value is a ConfigError naming the function, the option and the
// value, before anything is trained or changed.

import { describe, it, expect } from "vitest";
import { sequential, layers, callbacks, ConfigError, Optimizer, type Sequential } from "../../src/index.js";
import { uniform } from "./fixtures.js";

const any = (o: unknown): never => o as never;

async function refusal(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

function model(): Sequential {
  const m = sequential([layers.input({ shape: [3] }), layers.dense({ units: 1 })], { seed: 2 });
  m.compile({ optimizer: "adam", loss: "mse" });
  return m;
}
const x = uniform([4, 3], 1), y = uniform([4, 1], 2);

describe("sequential and compile", () => {
  it("sequential options", async () => {
    const mk = (o: object) => () => sequential([layers.dense({ units: 1 })], any(o));
    expect(await refusal(mk({ sed: 3 }))).toBe("sequential: unknown option 'sed' — did you mean 'seed'?");
    expect(await refusal(mk({ seed: 1.5 }))).toBe("sequential: seed must be an integer, got 1.5");
    expect(await refusal(mk({ name: 7 }))).toBe("sequential: name must be a string, got 7");
    expect(await refusal(mk({ thread: 2 }))).toBe("sequential: unknown option 'thread' — did you mean 'threads'?");
  });

  it("compile options, loss spec and metrics", async () => {
    const m = sequential([layers.input({ shape: [3] }), layers.dense({ units: 1 })]);
    expect(await refusal(() => m.compile(any({ optimizer: "adam", loss: "mse", metric: ["mae"] })))).toBe("compile: unknown option 'metric' — did you mean 'metrics'?");
    expect(await refusal(() => m.compile(any({ optimizer: "adam", loss: { name: "huber", delta: -1 } })))).toBe("compile: loss.delta must be a positive number, got -1");
    expect(await refusal(() => m.compile(any({ optimizer: "adam", loss: { name: "huber", delt: 2 } })))).toBe("compile: unknown option 'loss.delt' — did you mean 'loss.delta'?");
    expect(await refusal(() => m.compile(any({ optimizer: "adam", loss: "mse", metrics: "mae" })))).toBe('compile: metrics must be a list of metric names, got "mae"');
    expect(await refusal(() => m.compile(any({ loss: "mse" })))).toMatch(/^compile: optimizer is required/);
    expect(m.optimizer).toBeNull();
  });

  it("optimizer options", async () => {
    expect(await refusal(() => new Optimizer(any({ type: "adam", learningrate: 0.1 })))).toBe("optimizer adam: unknown option 'learningrate' — did you mean 'learningRate'?");
    expect(await refusal(() => new Optimizer(any({ type: "adam", beta1: 1.2 })))).toBe("optimizer adam: beta1 must be in [0, 1), got 1.2");
    expect(await refusal(() => new Optimizer(any({ type: "rmsprop", rho: -0.1 })))).toBe("optimizer rmsprop: rho must be in [0, 1), got -0.1");
    expect(await refusal(() => new Optimizer(any({ type: "sgd", nesterov: 1 })))).toBe("optimizer sgd: nesterov must be true or false, got 1");
    expect(await refusal(() => new Optimizer(any({ type: "sgd", clipNorm: Infinity })))).toBe("optimizer sgd: clipNorm must be a non-negative number, got Infinity");
    // every field model.json stores is accepted, whatever the rule reads
    expect(new Optimizer(new Optimizer({ type: "adamw", clipValue: 1 }).getConfig()).type).toBe("adamw");
  });
});

describe("fit, evaluate and predict", () => {
  it("fit options: unknown keys, wrong types, ranges, misspelt callback hooks — nothing is trained", async () => {
    const m = model();
    const fit = (o: object) => () => m.fit(x, y, any({ verbose: 0, ...o }));
    expect(await refusal(fit({ epoch: 3 }))).toBe("fit: unknown option 'epoch' — did you mean 'epochs'?");
    expect(await refusal(fit({ epochs: -1 }))).toBe("fit: epochs must be a non-negative integer, got -1");
    expect(await refusal(fit({ verbose: 3 }))).toBe('fit: verbose must be 0, 1, 2 or "auto", got 3');
    expect(await refusal(fit({ shuffle: "no" }))).toBe('fit: shuffle must be true or false, got "no"');
    expect(await refusal(fit({ validationData: [x] }))).toMatch(/^fit: validationData must be \[x, y\], got \[/);
    expect(await refusal(fit({ initialEpoch: 1.5 }))).toBe("fit: initialEpoch must be a non-negative integer, got 1.5");
    expect(await refusal(fit({ callbacks: [{ onEpochEnds() {} }] }))).toBe("fit: unknown option 'callbacks[0].onEpochEnds' — did you mean 'callbacks[0].onEpochEnd'?");
    expect(await refusal(fit({ callbacks: [{ onEpochEnd: 3 }] }))).toBe("fit: callbacks[0].onEpochEnd must be a function, got 3");
    expect(await refusal(fit({ run: { label: "x", index: 0, count: 0 } }))).toBe("fit: run.count must be a positive integer, got 0");
    expect(m.optimizer!.iterations).toBe(0);
    expect(m.epochsTrained).toBe(0);
  });

  it("user callbacks keep their own fields; every documented fit option is accepted", async () => {
    const m = model();
    const mine = { seen: 0, label: "mine", onEpochEnd() { this.seen++; } };
    const h = await m.fit(x, y, {
      epochs: 2, batchSize: 2, validationSplit: 0.25, shuffle: false, callbacks: [mine, callbacks.terminateOnNaN()],
      verbose: 0, progress: { interactive: false } as never, run: { label: "net", index: 0, count: 1 },
    });
    expect(mine.seen).toBe(2);
    expect(h.epoch).toEqual([0, 1]);
    await m.fit(x, y, { epochs: 3, initialEpoch: 2, validationData: [x, y], verbose: 0 });
    expect(m.epochsTrained).toBe(3);
  });

  it("evaluate and predict", async () => {
    const m = model();
    expect(await refusal(() => m.predict(x, any({ batchsize: 2 })))).toBe("predict: unknown option 'batchsize' — did you mean 'batchSize'?");
    expect(await refusal(() => m.predict(x, any({ out: [1, 2] })))).toBe("predict: out must be a Tensor, got [1,2]");
    expect(await refusal(() => m.evaluate(x, y, any({ batchSize: 2.5 })))).toBe("evaluate: batchSize must be a positive integer, got 2.5");
    expect(await refusal(() => m.evaluate(x, y, any({ verbose: 0 })))).toBe("evaluate: unknown option 'verbose'; valid options are batchSize, sampleWeight");
  });
});

describe("callbacks", () => {
  it("each factory refuses unknown keys and bad values", async () => {
    expect(await refusal(() => callbacks.earlyStopping(any({ patiance: 3 })))).toBe("earlyStopping: unknown option 'patiance' — did you mean 'patience'?");
    expect(await refusal(() => callbacks.earlyStopping(any({ mode: "minimum" })))).toBe('earlyStopping: mode must be one of auto, min, max, got "minimum"');
    expect(await refusal(() => callbacks.earlyStopping(any({ patience: -1 })))).toBe("earlyStopping: patience must be a non-negative integer, got -1");
    expect(await refusal(() => callbacks.modelCheckpoint({ filepath: "" }))).toBe('modelCheckpoint: filepath must be a non-empty string, got ""');
    expect(await refusal(() => callbacks.modelCheckpoint(any({ filepath: "c", saveBest: true })))).toBe("modelCheckpoint: unknown option 'saveBest' — did you mean 'saveBestOnly'?");
    expect(await refusal(() => callbacks.reduceLrOnPlateau({ factor: 2 }))).toBe("reduceLrOnPlateau: factor must be in (0, 1), got 2");
    expect(await refusal(() => callbacks.reduceLrOnPlateau(any({ minLR: 0.1 })))).toBe("reduceLrOnPlateau: unknown option 'minLR' — did you mean 'minLr'?");
    expect(await refusal(() => callbacks.csvLogger(any({ filename: "a.csv", seperator: ";" })))).toBe("csvLogger: unknown option 'seperator' — did you mean 'separator'?");
  });
});
