// Functional models with attention layers: training moves every attention weight, and save / load
// round-trips them (configs, the scalar and [dim] weights, the returned attention weights as a
// second output) so the loaded model predicts the same numbers; an embedding's padding mask reaches
// attention through an LSTM.

import { describe, it, expect, afterAll } from "vitest";
import { layers, model, input, loadModel, Tensor, type SymbolicTensor, type Functional } from "../../src/index.js";
import { tempDir, removeTempDirs } from "./fixtures.js";
import { randomTensor } from "../helpers/gradcheck.js";

afterAll(removeTempDirs);

function build(seed: number) {
  const q = input({ shape: [4, 3], name: "query" });
  const v = input({ shape: [5, 3], name: "value" });
  const k = input({ shape: [5, 3], name: "key" });
  const [luong, weights] = layers.attention({ useScale: true, scoreMode: "concat", name: "luong" }).apply([q, v, k], { returnAttentionScores: true }) as SymbolicTensor[];
  const bahdanau = layers.additiveAttention({ name: "bahdanau" }).apply([q, v]) as SymbolicTensor;
  const both = layers.concatenate().apply([luong!, bahdanau]) as SymbolicTensor;
  const out = layers.dense({ units: 2, name: "head" }).apply(both) as SymbolicTensor;
  return model({ inputs: [q, v, k], outputs: [out, weights!], seed });
}

describe("attention in a functional model", () => {
  const xs = [randomTensor([6, 4, 3], 1), randomTensor([6, 5, 3], 2), randomTensor([6, 5, 3], 3)];

  it("trains every attention weight and round-trips through save and loadModel", async () => {
    const m = build(3);
    expect(m.getLayer("luong").getWeights().map((w) => w.shape)).toEqual([[], []]);
    expect(m.getLayer("bahdanau").getWeights().map((w) => w.shape)).toEqual([[3]]);
    const before = m.getWeights().map((w) => w.clone());
    m.compile({ optimizer: { type: "adam", learningRate: 0.05 }, loss: ["mse", "mse"], lossWeights: [1, 0] });
    await m.fit(xs, [randomTensor([6, 4, 2], 4), new Tensor(new Float32Array(6 * 4 * 5), [6, 4, 5])], { epochs: 3, batchSize: 3, verbose: 0 });
    const after = m.getWeights();
    // luong scale, concat_score_weight, bahdanau scale: each moved
    for (const i of [0, 1, 2]) expect(Math.max(...after[i]!.data.map((x, j) => Math.abs(x - before[i]!.data[j]!)))).toBeGreaterThan(1e-3);
    const dir = await tempDir();
    await m.save(dir);
    const again = await loadModel(dir);
    expect(again.getLayer("luong").getConfig()).toEqual({ name: "luong", useScale: true, scoreMode: "concat", dropout: 0 });
    expect(again.getLayer("bahdanau").className).toBe("AdditiveAttention");
    const p1 = m.predict(xs) as unknown as Tensor[];
    const p2 = (again as Functional).predict(xs) as unknown as Tensor[];
    expect(p2.map((t) => t.shape)).toEqual([[6, 4, 2], [6, 4, 5]]);
    p1.forEach((t, k) => expect([...p2[k]!.data]).toEqual([...t.data]));
  });

  it("masks from embedding({ maskZero }) reach attention through an LSTM: padded steps get no weight and output zeros", () => {
    const ids = input({ shape: [5], name: "ids" });
    const emb = layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true }).apply(ids) as SymbolicTensor;
    const seq = layers.lstm({ units: 4, returnSequences: true }).apply(emb) as SymbolicTensor;
    const [ctx, w] = layers.additiveAttention().apply([seq, seq], { returnAttentionScores: true }) as SymbolicTensor[];
    const m = model({ inputs: ids, outputs: [ctx!, w!], seed: 5 });
    // sample 0 padded after 3 tokens, sample 1 not padded
    const x = new Tensor(Float32Array.from([3, 1, 4, 0, 0, 2, 5, 1, 3, 4]), [2, 5]);
    const [out, weights] = m.predict(x) as unknown as Tensor[];
    for (let i = 0; i < 5; i++) {
      for (let j = 3; j < 5; j++) expect(weights!.data[i * 5 + j]).toBe(0); // sample 0: padded keys
      const row = [...out!.data.slice(i * 4, i * 4 + 4)];
      if (i >= 3) expect(row).toEqual([0, 0, 0, 0]); // sample 0: padded queries
      else expect(row.some((v) => v !== 0)).toBe(true);
    }
    for (let k = 25; k < 50; k++) expect(weights!.data[k]).toBeGreaterThan(0); // sample 1: every step
  });

  it("the causal-mask call option survives save and loadModel", async () => {
    const q = input({ shape: [4, 3] });
    const [o, w] = layers.attention().apply([q, q], { useCausalMask: true, returnAttentionScores: true }) as SymbolicTensor[];
    const m = model({ inputs: q, outputs: [o!, w!], seed: 2 });
    const dir = await tempDir();
    await m.save(dir);
    const again = (await loadModel(dir)) as Functional;
    const x = randomTensor([2, 4, 3], 9);
    const [, weights] = again.predict(x) as unknown as Tensor[];
    for (let b = 0; b < 2; b++) for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(weights!.data[(b * 4 + i) * 4 + j]).toBe(0);
    (again.predict(x) as unknown as Tensor[]).forEach((t, k) => expect([...t.data]).toEqual([...(m.predict(x) as unknown as Tensor[])[k]!.data]));
  });
});
