// The one table of layer kinds agrees with the classes and the factories: every kind builds a layer
// of its own class, has a `layers.*` factory of its type name, and round-trips through getConfig().

import { describe, it, expect } from "vitest";
import * as layers from "../../src/layers/index.js";
import { ConfigError } from "../../src/tensor/errors.js";

const argsFor: Record<string, Record<string, unknown>> = {
  input: { shape: [4, 2] },
  dense: { units: 3 },
  dropout: { rate: 0.5 },
  embedding: { inputDim: 10, outputDim: 4 },
  flatten: {},
  repeatVector: { n: 3 },
  lstm: { units: 3 },
  gru: { units: 3 },
  simpleRnn: { units: 3 },
  timeDistributed: {},
  bidirectional: {},
  conv1d: { filters: 2, kernelSize: 3 },
  maxPooling1d: {},
  averagePooling1d: { poolSize: 3 },
  globalAveragePooling1d: {},
  globalMaxPooling1d: {},
};

describe("layer registry", () => {
  for (const kind of layers.layerKinds()) {
    it(`${kind.className}: type "${kind.type}", prefix "${kind.prefix}"`, () => {
      const inner = kind.wraps ? layers.lstm({ units: 2, returnSequences: true }) : null;
      const made = kind.create(argsFor[kind.type]!, inner);
      expect(made.className).toBe(kind.className);
      const factory = (layers as unknown as Record<string, (...a: unknown[]) => layers.Layer>)[kind.type];
      expect(typeof factory).toBe("function");
      const viaFactory = kind.wraps ? factory!(layers.lstm({ units: 2, returnSequences: true }), argsFor[kind.type]) : factory!(argsFor[kind.type]);
      expect(viaFactory.className).toBe(kind.className);
      made.name = "x";
      const again = layers.fromConfig(kind.className, made.getConfig());
      expect(again.className).toBe(kind.className);
      expect(again.getConfig()).toEqual(made.getConfig());
      expect(layers.namePrefix(kind.className)).toBe(kind.prefix);
    });
  }

  it("recurrent kinds carry their gate count", () => {
    expect(layers.kindOfType("lstm", "t").gates).toBe(4);
    expect(layers.kindOfType("gru", "t").gates).toBe(3);
    expect(layers.kindOfType("simpleRnn", "t").gates).toBe(1);
  });

  it("unknown names are refused with the valid choices; user classes get a lower-case prefix", () => {
    expect(() => layers.kindOfType("conv2d", "model.layers[2]")).toThrow(ConfigError);
    expect(() => layers.kindOfType("conv2d", "model.layers[2]")).toThrow(/model\.layers\[2\]: unknown layer type "conv2d"; choose one of input, dense, .*conv1d.*bidirectional/);
    expect(() => layers.fromConfig("Conv2D", { name: "c" })).toThrow(/unknown layer class "Conv2D"/);
    expect(layers.namePrefix("MyCell")).toBe("mycell");
  });
});
