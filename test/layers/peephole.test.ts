// The peephole LSTM as a layer: its option and weight, config and save/load round trip, summary
// count (Keras's LSTM + 3H), inspect, the masked path (gradient check), and the formats that have
// no peephole LSTM refusing it with a clear error.

import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as layers from "../../src/layers/index.js";
import type { LSTM } from "../../src/layers/index.js";
import { fromConfig } from "../../src/layers/registry.js";
import { sequential } from "../../src/models/sequential.js";
import { input, model, type Functional } from "../../src/index.js";
import { saveModel } from "../../src/models/save.js";
import { loadModel } from "../../src/models/load.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import { ConfigError } from "../../src/tensor/errors.js";
import { tfjsArtifacts } from "../../src/interop/tfjs.js";
import { toTorchStateDictOf } from "../../src/interop/safetensors.js";
import { toTorchStateDict } from "../../src/io/torch.js";
import { gradCheck, randomTensor } from "../helpers/gradcheck.js";

const H = 4, T = 5, I = 3;

function peepholeModel(extra: Record<string, unknown> = {}) {
  const m = sequential([layers.input({ shape: [T, I] }), layers.lstm({ units: H, peephole: true, ...extra }), layers.dense({ units: 1 })]);
  const rng = new Rng(3);
  m.setWeights(m.getWeights().map((w) => new Tensor(w.data.map(() => rng.uniform(-0.8, 0.8)), w.shape)));
  return m;
}

describe("peephole LSTM: option, weight and config", () => {
  it("adds one weight `peephole` [3H] after kernel, recurrent_kernel and bias (after recurrent_kernel without a bias)", () => {
    const l = layers.lstm({ units: H, peephole: true });
    l.build([T, I]);
    expect(l.allParams().map((p) => [p.name, p.shape])).toEqual([["kernel", [I, 4 * H]], ["recurrent_kernel", [H, 4 * H]], ["bias", [4 * H]], ["peephole", [3 * H]]]);
    const nb = layers.lstm({ units: H, peephole: true, useBias: false });
    nb.build([T, I]);
    expect(nb.allParams().map((p) => p.name)).toEqual(["kernel", "recurrent_kernel", "peephole"]);
  });

  it("peepholeInitializer draws the peephole weights ([3, H] fans)", () => {
    const m = sequential([layers.input({ shape: [T, I] }), layers.lstm({ units: H, peephole: true, peepholeInitializer: "glorotUniform" })]);
    const p = m.getWeights()[3]!.data;
    expect(Array.from(sequential([layers.input({ shape: [T, I] }), layers.lstm({ units: H, peephole: true })]).getWeights()[3]!.data)).toEqual(new Array(3 * H).fill(0));
    const limit = Math.sqrt(6 / (3 + H));
    expect(Math.max(...Array.from(p).map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Array.from(p).some((v) => v !== 0)).toBe(true);
  });

  it("refuses a misspelt option naming the right one, and a non-boolean peephole", () => {
    expect(() => layers.lstm({ units: 2, peepHole: true } as never)).toThrow(ConfigError);
    expect(() => layers.lstm({ units: 2, peepHole: true } as never)).toThrow(/unknown option 'peepHole' — did you mean 'peephole'\?/);
    expect(() => layers.lstm({ units: 2, peephole: "yes" } as never)).toThrow(/peephole/);
  });

  it("getConfig carries peephole (and only when set), fromConfig rebuilds it", () => {
    const l = layers.lstm({ units: H, peephole: true, returnSequences: true });
    const c = l.getConfig();
    expect(c.peephole).toBe(true);
    expect(c.peepholeInitializer).toBe("zeros");
    expect("peephole" in layers.lstm({ units: H }).getConfig()).toBe(false);
    const back = fromConfig("LSTM", c) as LSTM;
    expect(back.peephole).toBe(true);
    expect(back.returnSequences).toBe(true);
  });

  it("summary and countParams: Keras's LSTM count + 3H", () => {
    const m = peepholeModel();
    const keras = 4 * (H * (I + H) + H); // Keras's formula for the LSTM
    expect(m.layers.find((l) => l.className === "LSTM")!.countParams()).toBe(keras + 3 * H);
    expect(m.countParams()).toBe(keras + 3 * H + H + 1);
    expect(m.summary()).toContain((keras + 3 * H).toLocaleString("en-US"));
  });

  it("saves and loads: the same config, weights and predictions", async () => {
    const m = peepholeModel({ returnSequences: false });
    const dir = mkdtempSync(join(tmpdir(), "peephole-"));
    try {
      await saveModel(m, join(dir, "m"));
      const back = await loadModel(join(dir, "m"));
      const lstm = back.layers.find((l) => l.className === "LSTM") as LSTM;
      expect(lstm.peephole).toBe(true);
      const x = randomTensor([2, T, I], 4);
      expect(Array.from((back.predict(x) as Tensor).data)).toEqual(Array.from(m.predict(x).data));
      expect(back.summary()).toBe(m.summary());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("inspect: the gates follow the peephole equations (o from c_t)", () => {
    const m = peepholeModel();
    const lstm = m.layers.find((l) => l.className === "LSTM") as LSTM;
    const x = randomTensor([1, T, I], 6);
    const r = lstm.inspect(x);
    const [W, U, b, P] = lstm.getWeights().map((w) => w.data);
    // the output gate at step 2, recomputed from the reported h_1, c_2
    const t = 2;
    for (let j = 0; j < H; j++) {
      let z = b![3 * H + j]!;
      for (let k = 0; k < I; k++) z += x.data[t * I + k]! * W![k * 4 * H + 3 * H + j]!;
      for (let k = 0; k < H; k++) z += r.hiddenState.data[(t - 1) * H + k]! * U![k * 4 * H + 3 * H + j]!;
      z += P![2 * H + j]! * r.cellState.data[t * H + j]!;
      expect(r.outputGate.data[t * H + j]).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
    }
    expect(r.hiddenState.shape).toEqual([1, T, H]);
  });
});

describe("peephole LSTM: masked steps (Keras semantics) and their gradients", () => {
  const B = 3;
  const x = randomTensor([B, T, I], 1);
  // row 0 all real, row 1 padded at the end, row 2 with a masked step in the middle and at the start
  const mask = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1]);
  for (const returnSequences of [false, true]) {
    for (const goBackwards of [false, true]) {
      it(`returnSequences=${returnSequences} goBackwards=${goBackwards}: every weight, the input; a masked step repeats the last state`, () => {
        const l = layers.lstm({ units: 3, peephole: true, returnSequences, goBackwards });
        l.build([T, I]);
        const rng = new Rng(5);
        for (const p of l.allParams()) for (let i = 0; i < p.size; i++) p.value[i] = rng.uniform(p.name === "peephole" ? -1.5 : -0.5, p.name === "peephole" ? 1.5 : 0.5);
        const r = gradCheck({
          x,
          forward: (inp) => { l.inputMask = mask; return l.forward(inp, false); },
          backward: (dy) => l.backward(dy),
          params: l.allParams().map((p) => ({ name: p.name, value: p.value, grad: p.grad })),
          eps: 1e-2,
        });
        expect(r.errors.peephole).toBeLessThan(1e-3);
        expect(r.worst).toBeLessThan(1e-3);
        if (returnSequences && !goBackwards) {
          l.inputMask = mask;
          const y = l.forward(x, false).data;
          // row 1, steps 3 and 4 masked: the output repeats step 2's
          for (const t of [3, 4]) for (let j = 0; j < 3; j++) expect(y[(1 * T + t) * 3 + j]).toBe(y[(1 * T + 2) * 3 + j]);
        }
      });
    }
  }
});

describe("peephole LSTM in a functional model", () => {
  it("an encoder–decoder whose peephole encoder's [h, c] start a peephole decoder: central differences through the graph", () => {
    const enc = input({ shape: [4, 2] });
    const dec = input({ shape: [3, 2] });
    const [, h, c] = layers.lstm({ units: 3, peephole: true, returnState: true }).apply(enc) as never[];
    const seqOut = layers.lstm({ units: 3, peephole: true, returnSequences: true }).apply(dec, { initialState: [h, c] as never });
    const y = layers.timeDistributed(layers.dense({ units: 2 })).apply(seqOut as never);
    const m: Functional = model({ inputs: [enc, dec], outputs: y as never, seed: 5 });
    const rng = new Rng(8);
    for (const l of m.layers) for (const p of l.allParams()) if (p.name === "peephole") for (let i = 0; i < p.size; i++) p.value[i] = rng.uniform(-1.5, 1.5);
    const x = (m as unknown as { prepareInputs(x: Tensor[], w: string): Tensor }).prepareInputs([randomTensor([2, 4, 2], 7), randomTensor([2, 3, 2], 8)], "test");
    const params = m.layers.flatMap((l) => l.allParams().map((p) => ({ name: `${l.name}/${p.name}`, value: p.value, grad: p.grad })));
    expect(params.filter((p) => p.name.endsWith("/peephole")).length).toBe(2);
    const r = gradCheck({ x, forward: (v) => m.forward(v, false), backward: (dy) => m.backward(dy), params, eps: 1e-2 });
    expect(r.worst, JSON.stringify(r.errors)).toBeLessThan(1e-3);
  });
});

describe("peephole LSTM stepped in time", () => {
  it("predictStep one step at a time gives predict's outputs at every step, carrying c through the peepholes", () => {
    const m = sequential([
      layers.input({ shape: [T, I] }),
      layers.lstm({ units: H, peephole: true, returnSequences: true }),
      layers.lstm({ units: 3, peephole: true, returnSequences: true }),
      layers.timeDistributed(layers.dense({ units: 2 })),
    ]);
    const rng = new Rng(11);
    m.setWeights(m.getWeights().map((w) => new Tensor(w.data.map(() => rng.uniform(-0.9, 0.9)), w.shape)));
    const B = 2;
    const x = randomTensor([B, T, I], 12);
    const whole = m.predict(x).data; // [B, T, 2]
    m.resetStates();
    let maxDiff = 0;
    for (let t = 0; t < T; t++) {
      const step = new Float32Array(B * I);
      for (let b = 0; b < B; b++) step.set(x.data.subarray((b * T + t) * I, (b * T + t + 1) * I), b * I);
      const y = m.predictStep(new Tensor(step, [B, I]));
      expect(y.shape).toEqual([B, 2]);
      for (let b = 0; b < B; b++) for (let k = 0; k < 2; k++) maxDiff = Math.max(maxDiff, Math.abs(y.data[b * 2 + k]! - whole[(b * T + t) * 2 + k]!));
    }
    expect(maxDiff).toBeLessThan(1e-6);
  });
});

describe("peephole LSTM: formats without a peephole LSTM refuse it", () => {
  it("TF.js layers format (Keras's LSTM config) names the layer and points to ONNX", () => {
    const m = peepholeModel();
    expect(() => tfjsArtifacts(m)).toThrow(ConfigError);
    expect(() => tfjsArtifacts(m)).toThrow(/layer "lstm[^"]*" is an LSTM with peephole: true, which neither TensorFlow\.js nor Keras's LSTM layer has.*ONNX/);
  });

  it("a Bidirectional peephole LSTM too", () => {
    const m = sequential([layers.input({ shape: [T, I] }), layers.bidirectional(layers.lstm({ units: 2, peephole: true }))]);
    expect(() => tfjsArtifacts(m)).toThrow(/peephole: true/);
    expect(() => toTorchStateDictOf(m)).toThrow(/peephole: true, which PyTorch's nn\.LSTM has no weights for/);
  });

  it("PyTorch state dicts (safetensors) name the layer and point to ONNX", () => {
    const m = peepholeModel();
    expect(() => toTorchStateDictOf(m)).toThrow(ConfigError);
    expect(() => toTorchStateDictOf(m)).toThrow(/layer "lstm[^"]*" is an LSTM with peephole: true, which PyTorch's nn\.LSTM has no weights for.*ONNX/);
  });

  it("toTorchStateDict given a peephole LSTM's four weights says what the fourth is", () => {
    const l = layers.lstm({ units: H, peephole: true });
    l.build([T, I]);
    expect(() => toTorchStateDict(l.getWeights(), { layer: "lstm" })).toThrow(ConfigError);
    expect(() => toTorchStateDict(l.getWeights(), { layer: "lstm" })).toThrow(/weight 3 has shape \[12\], a peephole LSTM's peephole weights \[3H\], which PyTorch's nn\.LSTM has no place for/);
  });

  it("a plain LSTM still exports to both", () => {
    const m = sequential([layers.input({ shape: [T, I] }), layers.lstm({ units: H })]);
    expect(() => tfjsArtifacts(m)).not.toThrow();
    expect(Object.keys(toTorchStateDictOf(m)).length).toBe(4);
  });
});
