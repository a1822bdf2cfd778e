// Whole models on each backend: selection and its errors, buffers owned by the model's backend, and
// the same training run on the reference and WebAssembly backends agreeing within 1e-5 relative.

import { describe, it, expect } from "vitest";
import { sequential, layers, Tensor, ConfigError } from "../../src/index.js";
import { getBackend, backendName, checkBackendChoice } from "../../src/backend/index.js";
import type { Layer } from "../../src/layers/layer.js";
import type { LossName } from "../../src/kernels/losses.js";

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / Math.max(m, 1e-6);
}

function data(n: number, T: number, F: number, seed: number): Tensor {
  const d = new Float32Array(n * T * F);
  for (let i = 0; i < d.length; i++) d[i] = Math.sin(0.37 * i + seed) * Math.cos(0.11 * i * seed);
  return new Tensor(d, [n, T, F]);
}

describe("backend selection", () => {
  it("runs this project on the backend it names", () => {
    const want = process.env.RECURRENT_BACKEND ?? "auto";
    expect(getBackend().name).toBe(want === "auto" ? backendName("auto") : want);
  });

  it("auto is WebAssembly on Node 20 (which has SIMD)", () => {
    expect(backendName("auto")).toBe("wasm");
  });

  it("a model keeps its backend and its flat buffers live in that backend's memory", () => {
    for (const name of ["js", "wasm"] as const) {
      const m = sequential([layers.input({ shape: [5, 2] }), layers.lstm({ units: 3 }), layers.dense({ units: 1 })], { backend: name });
      expect(m.backend.name).toBe(name);
      expect(m.backend.owns(m.parameters)).toBe(true);
      expect(m.backend.owns(m.gradients)).toBe(true);
    }
  });

  it("refuses an unknown backend or thread count, naming what it accepts", () => {
    const mk = (o: object): unknown => sequential([layers.input({ shape: [5, 2] }), layers.dense({ units: 1 })], o);
    expect(() => mk({ backend: "gpu" })).toThrow(ConfigError);
    expect(() => mk({ backend: "gpu" })).toThrow(/"auto", "js" or "wasm", got "gpu"/);
    expect(() => checkBackendChoice(3, "x")).toThrow(/got 3/);
    expect(() => mk({ threads: 0 })).toThrow(/threads must be a positive integer or "auto", got 0/);
    expect(() => mk({ threads: 1.5 })).toThrow(/got 1.5/);
  });
});

type Make = () => Layer[];
const MODELS: [string, Make, number[], LossName][] = [
  ["stacked LSTM + dropout + dense", () => [layers.lstm({ units: 12, returnSequences: true }), layers.dropout({ rate: 0.2 }), layers.lstm({ units: 7 }), layers.dense({ units: 5, activation: "relu" }), layers.dense({ units: 1 })], [9, 3], "mse"],
  ["GRU (resetAfter) and classic GRU", () => [layers.gru({ units: 10, returnSequences: true, recurrentDropout: 0.1 }), layers.gru({ units: 6, resetAfter: false })], [8, 2], "mse"],
  ["bidirectional encoder-decoder", () => [layers.bidirectional(layers.lstm({ units: 5 })), layers.repeatVector({ n: 4 }), layers.bidirectional(layers.simpleRnn({ units: 5, returnSequences: true })), layers.timeDistributed(layers.dense({ units: 1 }))], [6, 1], "mae"],
];

describe("the same training run on the js and wasm backends", () => {
  for (const [name, make, shape, loss] of MODELS) {
    it(`${name}: losses, weights and predictions agree within 1e-5 relative`, async () => {
      const x = data(24, shape[0]!, shape[1]!, 1);
      const runs = await Promise.all((["js", "wasm"] as const).map(async (backend) => {
        const m = sequential([layers.input({ shape }), ...make()], { seed: 11, backend, threads: 1 });
        m.compile({ optimizer: "adam", loss });
        const outShape = m.outputShape!;
        const y = data(24, outShape.length > 1 ? outShape[0]! : 1, outShape[outShape.length - 1]!, 2);
        const yy = outShape.length > 1 ? y : new Tensor(y.data, [24, outShape[0]!]);
        const h = await m.fit(x, yy, { epochs: 3, batchSize: 8, verbose: 0 });
        return { loss: h.history.loss!, weights: m.parameters.slice(), pred: m.predict(x).data };
      }));
      const [js, wasm] = runs as [typeof runs[0], typeof runs[0]];
      expect(relErr(wasm.loss, js.loss)).toBeLessThan(1e-5);
      expect(relErr(wasm.weights, js.weights)).toBeLessThan(1e-5);
      expect(relErr(wasm.pred, js.pred)).toBeLessThan(1e-5);
      expect(js.loss[2]!).toBeLessThan(js.loss[0]!); // it trained
    });
  }
});
