// A layer's parameters are views into its model's buffers: a layer object added to a second model
// would silently rewire the first. It is refused with a ConfigError that says to create a new layer.

import { describe, it, expect } from "vitest";
import { sequential, layers, ConfigError } from "../../src/index.js";
import { uniform, firstBitDifference } from "./fixtures.js";

describe("one layer object, one model", () => {
  it("a layer already in a model is refused by a second model, and the first keeps working unchanged", () => {
    const shared = layers.lstm({ units: 4 });
    const first = sequential([layers.input({ shape: [5, 2] }), shared, layers.dense({ units: 1 })], { seed: 1, name: "first" });
    const x = uniform([3, 5, 2], 1);
    const before = first.predict(x).data.slice();
    const weights = first.parameters.slice();
    expect(() => sequential([layers.input({ shape: [5, 3] }), shared, layers.dense({ units: 1 })], { seed: 2 }))
      .toThrow(new ConfigError('sequential: layer "lstm" (LSTM) already belongs to model "first"; a layer object can serve one model only — create a new layer with the same options for this one'));
    expect(firstBitDifference(first.parameters, weights)).toBe(-1);
    expect(Array.from(first.predict(x).data)).toEqual(Array.from(before));
    expect(shared.inputShape).toEqual([5, 2]);
  });

  it("a layer inside a wrapper belongs to the wrapper; a layer in a model cannot be wrapped for another", () => {
    const inner = layers.lstm({ units: 2 });
    const bi = layers.bidirectional(inner);
    expect(() => sequential([layers.input({ shape: [4, 1] }), inner])).toThrow(/^sequential: this LSTM layer already belongs to a bidirectional wrapper/);
    sequential([layers.input({ shape: [4, 1] }), bi]);
    expect(() => layers.timeDistributed(layers.bidirectional(inner) as never)).toThrow(ConfigError);
    const d = layers.dense({ units: 1 });
    sequential([layers.input({ shape: [2] }), d]);
    expect(() => layers.timeDistributed(d)).toThrow(/^timeDistributed: layer "dense" \(Dense\) already belongs to model "sequential"/);
  });

  it("the same layer twice in one Sequential is refused", () => {
    const d = layers.dense({ units: 2 });
    expect(() => sequential([layers.input({ shape: [2] }), d, d])).toThrow(
      new ConfigError("sequential: layers[1] and layers[2] are the same layer object; a Sequential model is a chain of distinct layers — create a new layer for position 2"));
  });

  it("a model whose construction failed leaves its layers free; a disposed model releases them", () => {
    const l = layers.lstm({ units: 2 });
    expect(() => sequential([layers.input({ shape: [4, 1] }), l, layers.input({ shape: [1] })])).toThrow(/input layer may only come first/);
    const m = sequential([layers.input({ shape: [4, 1] }), l]);
    expect(l.owner).toBe(m);
    m.dispose();
    expect(l.owner).toBeNull();
    const again = sequential([layers.input({ shape: [4, 1] }), l]);
    expect(again.predict(uniform([2, 4, 1], 3)).shape).toEqual([2, 2]);
  });
});
