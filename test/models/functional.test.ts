// Functional models: graphs of layer calls with several inputs and outputs, shared layers, merges,
// recurrent states passed between layers. Checked against a Sequential twin, by central differences
// through the whole graph, by learning, and for their errors.

import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { input, model, sequential, layers, Tensor, Functional, ConfigError, ShapeError, ModelFormatError, loadModel, loadSequential } from "../../src/index.js";
import { gradCheck, randomTensor } from "../helpers/gradcheck.js";

const TOL = 2e-2;

/** Central differences through a whole model: L = Σ model(x) ⊙ R over every weight and every input. */
function modelGradCheck(m: Functional, xs: Tensor[]) {
  const x = (m as unknown as { prepareInputs(x: Tensor[], w: string): Tensor }).prepareInputs(xs, "test");
  return gradCheck({
    x,
    forward: (v) => m.forward(v, false),
    backward: (dy) => m.backward(dy),
    params: m.layers.flatMap((l) => l.allParams().map((p) => ({ name: `${l.name}/${p.name}`, value: p.value, grad: p.grad }))),
    eps: 1e-2,
    maxEntries: 24,
  });
}

describe("functional models", () => {
  it("a chain equals the Sequential model with the same weights: predictions and training", async () => {
    const x = randomTensor([12, 5, 3], 1);
    const y = randomTensor([12, 2], 2);
    const seq = sequential([layers.lstm({ units: 4, inputShape: [5, 3] }), layers.dense({ units: 2 })], { seed: 3 });
    const inp = input({ shape: [5, 3] });
    const out = layers.dense({ units: 2 }).apply(layers.lstm({ units: 4 }).apply(inp) as never);
    const fn = model({ inputs: inp, outputs: out as never, seed: 3 });
    fn.setWeights(seq.getWeights());
    expect(Array.from((fn.predict(x) as Tensor).data)).toEqual(Array.from(seq.predict(x).data));
    seq.compile({ optimizer: "adam", loss: "mse" });
    fn.compile({ optimizer: "adam", loss: "mse" });
    const h1 = await seq.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
    const h2 = await fn.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
    expect(h2.history.loss).toEqual(h1.history.loss);
    expect(Array.from(fn.parameters)).toEqual(Array.from(seq.parameters));
  });

  it("gradients through an encoder–decoder whose encoder states start the decoder", () => {
    const enc = input({ shape: [4, 2], name: "encoder_in" });
    const dec = input({ shape: [3, 2], name: "decoder_in" });
    const [, h, c] = layers.lstm({ units: 3, returnState: true }).apply(enc) as never[];
    const seqOut = layers.lstm({ units: 3, returnSequences: true }).apply(dec, { initialState: [h, c] as never });
    const y = layers.timeDistributed(layers.dense({ units: 2 })).apply(seqOut as never);
    const m = model({ inputs: [enc, dec], outputs: y as never, seed: 5 });
    expect(m.outputShape).toEqual([3, 2]);
    const r = modelGradCheck(m, [randomTensor([2, 4, 2], 7), randomTensor([2, 3, 2], 8)]);
    expect(r.worst, JSON.stringify(r.errors)).toBeLessThan(TOL);
  });

  it("gradients with a shared layer, merges, several outputs and a GRU state", () => {
    const a = input({ shape: [5, 2] });
    const b = input({ shape: [5, 2] });
    const shared = layers.gru({ units: 3 }); // one GRU reads both sequences
    const ha = shared.apply(a) as never;
    const hb = shared.apply(b) as never;
    const sum = layers.add().apply([ha, hb]);
    const prod = layers.multiply().apply([ha, hb]);
    const cat = layers.concatenate().apply([sum as never, prod as never, ha]);
    const o1 = layers.dense({ units: 1 }).apply(cat as never);
    const [seqs, state] = layers.simpleRnn({ units: 2, returnSequences: true, returnState: true }).apply(a) as never[];
    const o2 = layers.concatenate({ axis: 1 }).apply([seqs, layers.simpleRnn({ units: 2, returnSequences: true }).apply(b, { initialState: state }) as never]);
    const m = model({ inputs: [a, b], outputs: [o1 as never, o2 as never], seed: 9 });
    expect(m.outputShapes).toEqual([[1], [10, 2]]);
    const r = modelGradCheck(m, [randomTensor([3, 5, 2], 10), randomTensor([3, 5, 2], 11)]);
    expect(r.worst, JSON.stringify(r.errors)).toBeLessThan(TOL);
  });

  it("trains two outputs with a loss each and weighted, and predicts a list in output order", async () => {
    const n = 64;
    const x = randomTensor([n, 6, 1], 20);
    const ySum = new Float32Array(n), yCls = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < 6; t++) s += x.data[i * 6 + t]!;
      ySum[i] = s / 3;
      yCls[i] = s > 0 ? 1 : 0;
    }
    const inp = input({ shape: [6, 1] });
    const h = layers.lstm({ units: 8 }).apply(inp) as never;
    const reg = layers.dense({ units: 1, name: "reg" }).apply(h);
    const cls = layers.dense({ units: 1, activation: "sigmoid", name: "cls" }).apply(h);
    const m = model({ inputs: inp, outputs: [reg as never, cls as never], seed: 1 });
    m.compile({ optimizer: { type: "adam", learningRate: 0.02 }, loss: { reg: "mse", cls: "binaryCrossentropy" }, lossWeights: [1, 0.5], metrics: ["mae"] });
    const ys = [new Tensor(ySum, [n, 1]), new Tensor(yCls, [n, 1])];
    const before = m.evaluate(x, ys);
    const hist = await m.fit(x, ys, { epochs: 40, batchSize: 16, verbose: 0 });
    const after = m.evaluate(x, ys);
    expect(Object.keys(after).sort()).toEqual(["cls_mae", "loss", "reg_mae"]);
    expect(after.loss).toBeLessThan(before.loss * 0.3);
    expect(hist.history.reg_mae!.length).toBe(40);
    const p = m.predict(x) as Tensor[];
    expect(p.map((t) => t.shape)).toEqual([[n, 1], [n, 1]]);
  });

  it("refuses a disconnected graph, stray inputs and mismatched data with clear errors", () => {
    const a = input({ shape: [3] });
    const b = input({ shape: [3] });
    const y = layers.dense({ units: 1 }).apply(a) as never;
    expect(() => model({ inputs: [a, b], outputs: y })).toThrow(/input "input_\d+" \(inputs\[1\]\) is not connected to the outputs/);
    const c = input({ shape: [3], name: "other" });
    const z = layers.add().apply([a, c]) as never;
    expect(() => model({ inputs: a, outputs: z })).toThrow(/depend on input "other"/);
    expect(() => layers.add().apply([a, input({ shape: [4] })])).toThrow(ShapeError);
    expect(() => layers.concatenate({ axis: 0 })).toThrow(/batch axis/);
    expect(() => model({ inputs: a, outputs: new Tensor(new Float32Array(1), [1]) as never })).toThrow(/symbolic tensor/);
    const m = model({ inputs: [a, c], outputs: z });
    m.compile({ optimizer: "sgd", loss: "mse" });
    expect(() => m.predict(randomTensor([2, 3], 1))).toThrow(/2 inputs/);
    expect(() => m.predict([randomTensor([2, 3], 1), randomTensor([3, 3], 1)])).toThrow(/samples/);
    expect(() => m.compile({ optimizer: "sgd", loss: ["mse", "mae"] })).toThrow(ConfigError);
    expect(() => layers.lstm({ units: 2 }).apply(input({ shape: [4, 1] }), { initialState: [a] })).toThrow(/initialState needs 2 tensors/);
    expect(() => sequential([layers.add()])).toThrow(/functional model/);
  });

  it("saves and loads: graph, shared layers, states, per-output losses, optimizer state — identical predictions and training", async () => {
    const dir = mkdtempSync(join(tmpdir(), "functional-"));
    try {
      const a = input({ shape: [4, 2], name: "a" });
      const b = input({ shape: [3], name: "b" });
      const shared = layers.dense({ units: 3, activation: "tanh", name: "shared" });
      const [seq, h, c] = layers.lstm({ units: 3, returnSequences: true, returnState: true, name: "enc" }).apply(a) as never[];
      const dec = layers.lstm({ units: 3, name: "dec" }).apply(seq, { initialState: [h, c] }) as never;
      const o1 = layers.dense({ units: 1, name: "o1" }).apply(layers.concatenate().apply([shared.apply(dec) as never, shared.apply(b) as never]) as never);
      const o2 = layers.dense({ units: 2, name: "o2" }).apply(h);
      const m = model({ inputs: [a, b], outputs: [o1 as never, o2 as never], seed: 4, name: "two_heads" });
      m.compile({ optimizer: "adam", loss: ["mse", "mae"], lossWeights: [1, 0.25], metrics: ["mae"] });
      const xs = [randomTensor([8, 4, 2], 1), randomTensor([8, 3], 2)];
      const ys = [randomTensor([8, 1], 3), randomTensor([8, 2], 4)];
      await m.fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0 });
      await m.save(dir);
      const back = await loadModel(dir);
      expect(back).toBeInstanceOf(Functional);
      const f = back as Functional;
      expect(f.summary()).toBe(m.summary());
      expect(f.lossWeights).toEqual([1, 0.25]);
      const p1 = m.predict(xs) as Tensor[], p2 = f.predict(xs) as Tensor[];
      p1.forEach((t, k) => expect(Array.from(p2[k]!.data)).toEqual(Array.from(t.data)));
      const h1 = await m.fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0 });
      const h2 = await f.fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0 });
      expect(h2.history).toEqual(h1.history);
      await expect(loadSequential(dir)).rejects.toThrow(/functional model/);
      // a damaged graph is a ModelFormatError naming the field
      const j = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
      j.graph.outputs[0] = ["call", 99, 0];
      writeFileSync(join(dir, "model.json"), JSON.stringify(j));
      await expect(loadModel(dir)).rejects.toThrow(ModelFormatError);
      await expect(loadModel(dir)).rejects.toThrow(/graph: outputs\[0\] refers to output 0 of call 99/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("validates during fit (validationSplit and validationData) with one and with several inputs and outputs", async () => {
    const inp = input({ shape: [4, 2] });
    const single = model({ inputs: inp, outputs: layers.dense({ units: 1 }).apply(layers.lstm({ units: 3 }).apply(inp) as never) as never, seed: 2 });
    single.compile({ optimizer: "adam", loss: "mse" });
    const x = randomTensor([20, 4, 2], 1), y = randomTensor([20, 1], 2);
    const h = await single.fit(x, y, { epochs: 2, batchSize: 5, validationSplit: 0.2, verbose: 0 });
    expect(h.history.val_loss!.length).toBe(2);
    expect(h.history.val_loss![1]).toBeCloseTo(single.evaluate(x.slice0(16, 20), y.slice0(16, 20)).loss, 5);
    const a = input({ shape: [4, 2] }), b = input({ shape: [3] });
    const ha = layers.gru({ units: 3 }).apply(a) as never;
    const two = model({ inputs: [a, b], outputs: [layers.dense({ units: 1 }).apply(layers.concatenate().apply([ha, b]) as never) as never, ha], seed: 3 });
    two.compile({ optimizer: "adam", loss: ["mse", "mae"], metrics: ["mae"] });
    const xs = [x, randomTensor([20, 3], 3)], ys = [y, randomTensor([20, 3], 4)];
    const h2 = await two.fit(xs, ys, { epochs: 2, batchSize: 5, validationData: [xs, ys], verbose: 0 });
    expect(h2.history.val_loss![1]).toBeCloseTo(two.evaluate(xs, ys).loss, 5);
    expect(Object.keys(h2.history).sort()).toEqual(["dense_mae", "gru_mae", "loss", "val_dense_mae", "val_gru_mae", "val_loss"]);
  });

  it("refuses options a layer does not take, returnState inside Bidirectional, and a setWeights it cannot apply whole", () => {
    const a = input({ shape: [4, 2] });
    const s = input({ shape: [3] });
    expect(() => layers.dense({ units: 3 }).apply(a, { initialState: s })).toThrow(/Dense takes no 'initialState' option; initial states start recurrent layers/);
    expect(() => layers.lstm({ units: 3 }).apply(a, { returnAttentionScores: true })).toThrow(/LSTM takes no 'returnAttentionScores' option \(it takes initialState\)/);
    expect(() => layers.bidirectional(layers.lstm({ units: 3, returnState: true }))).toThrow(/returnState inside Bidirectional is not supported/);
    const m = model({ inputs: a, outputs: layers.dense({ units: 1 }).apply(layers.lstm({ units: 3 }).apply(a) as never) as never });
    const before = m.getWeights();
    const bad = m.getWeights();
    bad[0] = randomTensor([2, 12], 5);
    bad[3] = randomTensor([2, 1], 6); // the dense kernel is [3, 1]
    expect(() => m.setWeights(bad)).toThrow(/dense\.setWeights: weight 0 \(kernel\) expects shape \[3, 1\]/);
    m.getWeights().forEach((w, k) => expect(Array.from(w.data)).toEqual(Array.from(before[k]!.data)));
    expect(() => m.setWeights(bad.slice(1))).toThrow(/expected 5 arrays, got 4/);
  });
});
