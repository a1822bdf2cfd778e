// Layer options are checked against a schema: a misspelt key, a wrong type or an out-of-range value
// is refused with a ConfigError naming the factory, the option and the value (and the nearest valid
// name for a misspelling), instead of silently building a different layer.

import { describe, it, expect } from "vitest";
import { layers, ConfigError } from "../../src/index.js";
import { editDistance, nearestName, parseOptions, options, positiveInt } from "../../src/layers/options.js";

function refusal(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const any = (o: unknown): never => o as never;

describe("edit distance and the nearest name", () => {
  it("counts insertions, deletions and substitutions, ignoring case", () => {
    expect(editDistance("returnSequence", "returnSequences")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("Units", "units")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("suggests only plausible typos", () => {
    expect(nearestName("reccurentDropout", ["dropout", "recurrentDropout"])).toBe("recurrentDropout");
    expect(nearestName("unit", ["units", "useBias"])).toBe("units");
    expect(nearestName("colour", ["units", "useBias"])).toBeUndefined();
  });

  it("parseOptions refuses a non-object and reports every problem at once", () => {
    const s = options({ units: positiveInt(), n: positiveInt().optional() });
    expect(refusal(() => parseOptions(s, 3, "thing")).message).toBe("thing: options must be an object, got 3");
    expect(refusal(() => parseOptions(s, { units: 0, n: -1 }, "thing")).message)
      .toBe("thing: units must be a positive integer, got 0; n must be a positive integer, got -1");
  });
});

describe("every layer factory refuses unknown keys with the nearest valid name", () => {
  const cases: [string, () => unknown, string][] = [
    ["lstm", () => layers.lstm(any({ units: 8, returnSequence: true })), "lstm: unknown option 'returnSequence' — did you mean 'returnSequences'?"],
    ["gru", () => layers.gru(any({ units: 8, resetAftr: false })), "gru: unknown option 'resetAftr' — did you mean 'resetAfter'?"],
    ["simpleRnn", () => layers.simpleRnn(any({ units: 8, recurrentDropOut: 0.1 })), "simpleRnn: unknown option 'recurrentDropOut' — did you mean 'recurrentDropout'?"],
    ["dense", () => layers.dense(any({ units: 1, activaton: "relu" })), "dense: unknown option 'activaton' — did you mean 'activation'?"],
    ["dropout", () => layers.dropout(any({ rat: 0.1 })), "dropout: unknown option 'rat' — did you mean 'rate'?"],
    ["embedding", () => layers.embedding(any({ inputDim: 5, outputDim: 2, inputLen: 3 })), "embedding: unknown option 'inputLen' — did you mean 'inputLength'?"],
    ["input", () => layers.input(any({ shape: [3], batchsize: 2 })), "input: unknown option 'batchsize' — did you mean 'batchSize'?"],
    ["flatten", () => layers.flatten(any({ nam: "f" })), "flatten: unknown option 'nam' — did you mean 'name'?"],
    ["repeatVector", () => layers.repeatVector(any({ n: 2, times: 3 })), "repeatVector: unknown option 'times'; valid options are name, inputShape, batchSize, n"],
    ["timeDistributed", () => layers.timeDistributed(layers.dense({ units: 1 }), any({ mergeMode: "sum" })), "timeDistributed: unknown option 'mergeMode'; valid options are name, inputShape, batchSize"],
    ["bidirectional", () => layers.bidirectional(layers.lstm({ units: 2 }), any({ mergemode: "sum" })), "bidirectional: unknown option 'mergemode' — did you mean 'mergeMode'?"],
  ];
  for (const [name, f, msg] of cases) it(name, () => expect(refusal(f).message).toBe(msg));
});

describe("wrong types and out-of-range values name the option and the value", () => {
  const cases: [() => unknown, string][] = [
    [() => layers.lstm(any({ units: "8" })), 'lstm: units must be a positive integer, got "8"'],
    [() => layers.lstm(any({})), "lstm: units is required (a positive integer)"],
    [() => layers.gru({ units: 4, dropout: 1 }), "gru: dropout must be in [0, 1), got 1"],
    [() => layers.lstm(any({ units: 4, returnSequences: "yes" })), 'lstm: returnSequences must be true or false, got "yes"'],
    [() => layers.simpleRnn({ units: 4, recurrentDropout: NaN }), "simpleRnn: recurrentDropout must be in [0, 1), got NaN"],
    [() => layers.dense({ units: 2.5 }), "dense: units must be a positive integer, got 2.5"],
    [() => layers.dense(any({ units: 2, kernelInitializer: "glorot" })), 'dense: kernelInitializer must be one of glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal, orthogonal, zeros, ones, randomUniform, randomNormal, got "glorot"'],
    [() => layers.dense({ units: 2, inputShape: [3, -1] }), "dense: inputShape[1] must be a positive integer, got -1"],
    [() => layers.dropout({ rate: -0.1 }), "dropout: rate must be in [0, 1), got -0.1"],
    [() => layers.embedding(any({ inputDim: 0, outputDim: 2 })), "embedding: inputDim must be a positive integer, got 0"],
    [() => layers.input({ shape: [10, 0] }), "input: shape[1] must be a positive integer, got 0"],
    [() => layers.input(any(undefined)), "input: options must be an object, got undefined"],
    [() => layers.repeatVector({ n: 0 }), "repeatVector: n must be a positive integer, got 0"],
    [() => layers.bidirectional(layers.lstm({ units: 2 }), any({ mergeMode: "avg" })), 'bidirectional: mergeMode must be one of concat, sum, mul, ave, got "avg"'],
    [() => layers.timeDistributed(any({ units: 1 })), "timeDistributed: the first argument must be a layer (e.g. layers.dense({ units: 1 })), got object"],
  ];
  for (const [f, msg] of cases) it(msg, () => expect(refusal(f).message).toBe(msg));
});

describe("every option accepted before is still accepted", () => {
  it("the full option set of each factory builds", () => {
    const rec: layers.RecurrentArgs = {
      units: 3, activation: "tanh", useBias: true, kernelInitializer: "glorotUniform", recurrentInitializer: "orthogonal",
      biasInitializer: "zeros", returnSequences: true, returnState: false, goBackwards: false, stateful: false,
      dropout: 0.1, recurrentDropout: 0.1, name: "r", inputShape: [4, 2], batchSize: 8,
    };
    expect(layers.lstm({ ...rec, recurrentActivation: "hardSigmoid", unitForgetBias: false }).units).toBe(3);
    expect(layers.gru({ ...rec, recurrentActivation: "sigmoid", resetAfter: false }).units).toBe(3);
    expect(layers.simpleRnn({ ...rec, activation: "relu" }).units).toBe(3);
    expect(layers.dense({ units: 2, activation: "softmax", useBias: false, kernelInitializer: "heNormal", biasInitializer: "ones", name: "d", inputShape: [3], batchSize: 4 }).units).toBe(2);
    expect(layers.dropout({ rate: 0, name: "x" }).rate).toBe(0);
    expect(layers.embedding({ inputDim: 5, outputDim: 2, embeddingsInitializer: "randomNormal", inputLength: 3, name: "e" }).inputDim).toBe(5);
    expect(layers.input({ shape: [3, 1], name: "in", batchSize: 2 }).shape).toEqual([3, 1]);
    expect(layers.flatten({ name: "f" }).name).toBe("f");
    expect(layers.repeatVector({ n: 2, name: "rv" }).n).toBe(2);
    expect(layers.bidirectional(layers.gru({ units: 2 }), { mergeMode: "ave", name: "b" }).mergeMode).toBe("ave");
    expect(layers.timeDistributed(layers.dense({ units: 1 }), { name: "td" }).name).toBe("td");
  });

  it("every layer kind rebuilds from its own getConfig() (the model.json path)", () => {
    const built = [
      layers.lstm({ units: 2, returnSequences: true, inputShape: [3, 1] }), layers.gru({ units: 2 }), layers.simpleRnn({ units: 2, batchSize: 4 }),
      layers.dense({ units: 2, inputShape: [3] }), layers.dropout({ rate: 0.2 }), layers.embedding({ inputDim: 4, outputDim: 2, inputLength: 3 }),
      layers.input({ shape: [2], batchSize: 3 }), layers.flatten(), layers.repeatVector({ n: 2 }),
      layers.timeDistributed(layers.dense({ units: 1 })), layers.bidirectional(layers.lstm({ units: 2 }), { mergeMode: "mul" }),
    ];
    for (const l of built) {
      const again = layers.fromConfig(l.className, { ...l.getConfig(), name: l.name || "x" });
      expect(again.getConfig()).toEqual({ ...l.getConfig(), name: l.name || "x", ...(l.children().length ? { layer: again.getConfig().layer } : {}) });
    }
  });
});
