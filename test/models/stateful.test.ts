// Stateful streams: predictStep (one-step inference that keeps the states between calls), stateful
// layers carrying states across batches, and truncated BPTT over long sequences.

import { describe, it, expect } from "vitest";
import { sequential, layers, callbacks, data, Tensor, ShapeError, ConfigError } from "../../src/index.js";
import { randomTensor } from "../helpers/gradcheck.js";

/** Step t of a batch-major [B, T, F] tensor as [B, F]. */
function stepOf(x: Tensor, t: number): Tensor {
  const [B, T, F] = x.shape as [number, number, number];
  const out = new Float32Array(B * F);
  for (let b = 0; b < B; b++) out.set(x.data.subarray((b * T + t) * F, (b * T + t + 1) * F), b * F);
  return new Tensor(out, [B, F]);
}

describe("predictStep", () => {
  it("stepping a stack of LSTM, GRU and SimpleRNN gives the whole-sequence outputs step by step", () => {
    const T = 7;
    const m = sequential([
      layers.lstm({ units: 5, returnSequences: true, inputShape: [T, 3] }),
      layers.gru({ units: 4, returnSequences: true }),
      layers.simpleRnn({ units: 3, returnSequences: true }),
      layers.timeDistributed(layers.dense({ units: 2 })),
    ], { seed: 2 });
    const x = randomTensor([4, T, 3], 5);
    const full = m.predict(x); // [4, T, 2]
    for (let t = 0; t < T; t++) {
      const y = m.predictStep(stepOf(x, t)); // [4, 2]
      expect(y.shape).toEqual([4, 2]);
      const want = stepOf(full, t);
      for (let i = 0; i < y.size; i++) expect(y.data[i]).toBeCloseTo(want.data[i]!, 5);
    }
    m.resetStates();
    const again = m.predictStep(stepOf(x, 0));
    for (let i = 0; i < again.size; i++) expect(again.data[i]).toBeCloseTo(stepOf(full, 0).data[i]!, 5);
  });

  it("an Embedding → LSTM → Dense generator steps on token ids, and a run of steps continues the state", () => {
    const m = sequential([
      layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 6 }),
      layers.lstm({ units: 6 }),
      layers.dense({ units: 10, activation: "softmax" }),
    ], { seed: 7 });
    const ids = new Tensor(Float32Array.from([1, 4, 2, 9, 0, 3, 5, 5, 6, 1, 2, 8]), [2, 6]);
    const full = m.predict(ids); // last step's distribution
    let y: Tensor | null = null;
    for (let t = 0; t < 6; t++) y = m.predictStep(new Tensor(Float32Array.from([ids.data[t]!, ids.data[6 + t]!]), [2]));
    for (let i = 0; i < full.size; i++) expect(y!.data[i]).toBeCloseTo(full.data[i]!, 5);
    m.resetStates();
    const firstThree = new Tensor(Float32Array.from([1, 4, 2, 5, 6, 1]), [2, 3]);
    m.predictStep(firstThree);
    const z = m.predictStep(new Tensor(Float32Array.from([9, 0, 3, 2, 8, 0]).slice(0, 6), [2, 3]));
    const rest = new Tensor(Float32Array.from([1, 4, 2, 9, 0, 3, 5, 6, 1, 2, 8, 0]), [2, 6]);
    const want = m.predict(rest);
    for (let i = 0; i < want.size; i++) expect(z.data[i]).toBeCloseTo(want.data[i]!, 5);
  });

  it("refuses a changed batch, a Bidirectional layer and a wrong feature size", () => {
    const m = sequential([layers.lstm({ units: 3, inputShape: [5, 2] }), layers.dense({ units: 1 })]);
    m.predictStep(randomTensor([3, 2], 1));
    expect(() => m.predictStep(randomTensor([4, 2], 1))).toThrow(/batch of 3 streams, got 4; call resetStates\(\)/);
    expect(() => m.predictStep(randomTensor([3, 4], 1))).toThrow(ShapeError);
    m.resetStates();
    expect(() => m.predictStep(randomTensor([4, 2], 1))).not.toThrow();
    const bi = sequential([layers.bidirectional(layers.lstm({ units: 2 }), { inputShape: [5, 2] } as never)]);
    expect(() => bi.predictStep(randomTensor([1, 2], 1))).toThrow(/backward direction needs the future/);
  });

  it("refuses models whose layers read across steps instead of answering wrongly", () => {
    const cases = [
      sequential([layers.conv1d({ filters: 2, kernelSize: 3, padding: "causal", inputShape: [6, 1] }), layers.lstm({ units: 3 }), layers.dense({ units: 1 })]),
      sequential([layers.lstm({ units: 3, returnSequences: true, inputShape: [6, 1] }), layers.globalAveragePooling1d(), layers.dense({ units: 1 })]),
      sequential([layers.lstm({ units: 3, returnSequences: true, inputShape: [6, 1] }), layers.maxPooling1d(), layers.flatten(), layers.dense({ units: 1 })]),
    ];
    for (const m of cases) expect(() => m.predictStep(randomTensor([2, 1], 1))).toThrow(/reads across time steps/);
    const encDec = sequential([layers.lstm({ units: 3, inputShape: [6, 1] }), layers.repeatVector({ n: 6 }), layers.lstm({ units: 3, returnSequences: true }), layers.timeDistributed(layers.dense({ units: 1 }))]);
    expect(() => encDec.predictStep(randomTensor([2, 1], 1))).toThrow(ConfigError);
  });
});

describe("truncated BPTT with stateful layers", () => {
  it("tbpttChunks lays out chunk k of every stream in batch k", () => {
    const x = new Tensor(Float32Array.from({ length: 2 * 6 }, (_, i) => i), [2, 6, 1]);
    const c = data.tbpttChunks(x, null, { steps: 2 });
    expect(c.batchSize).toBe(2);
    expect(c.chunks).toBe(3);
    expect(Array.from(c.x.data)).toEqual([0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11]);
    expect(() => data.tbpttChunks(x, null, { steps: 7 })).toThrow(/no chunk of 7/);
  });

  it("a stateful LSTM fed a sequence in chunks gives the outputs of the whole sequence", () => {
    const x = randomTensor([3, 12, 2], 4);
    const whole = sequential([layers.lstm({ units: 4, returnSequences: true, inputShape: [12, 2] })], { seed: 1 });
    const chunked = sequential([layers.lstm({ units: 4, returnSequences: true, stateful: true, inputShape: [4, 2] })], { seed: 1 });
    chunked.setWeights(whole.getWeights());
    const c = data.tbpttChunks(x, null, { steps: 4 });
    const y = chunked.predict(c.x, { batchSize: c.batchSize }); // [3 chunks · 3 streams, 4, 4]
    const ref = whole.predict(x);
    for (let k = 0; k < 3; k++) for (let s = 0; s < 3; s++) for (let t = 0; t < 4; t++) for (let j = 0; j < 4; j++) {
      expect(y.data[((k * 3 + s) * 4 + t) * 4 + j]).toBeCloseTo(ref.data[(s * 12 + k * 4 + t) * 4 + j]!, 5);
    }
  });

  it("learns a cue given once at the start of a 40-step stream from 5-step chunks; without carried states it cannot", async () => {
    const S = 64, L = 40, steps = 5;
    const rngX = randomTensor([S, L, 1], 11, 0.3); // noise
    const y = new Float32Array(S * L);
    for (let s = 0; s < S; s++) {
      const cue = s % 2 === 0 ? 1 : -1;
      rngX.data[s * L] = cue; // the cue, at step 0 only
      for (let t = 0; t < L; t++) y[s * L + t] = cue > 0 ? 1 : 0;
    }
    const c = data.tbpttChunks(rngX, new Tensor(y, [S, L, 1]), { steps });
    const accuracyLate = (stateful: boolean, pred: Tensor): number => {
      // chunks 2..7: the cue is 10+ steps back, outside the chunk
      let ok = 0, n = 0;
      for (let k = 2; k < c.chunks; k++) for (let s = 0; s < S; s++) for (let t = 0; t < steps; t++) {
        const i = (k * S + s) * steps + t;
        ok += (pred.data[i]! > 0.5 ? 1 : 0) === c.y!.data[i] ? 1 : 0;
        n++;
      }
      void stateful;
      return ok / n;
    };
    const run = async (stateful: boolean): Promise<number> => {
      const m = sequential([
        layers.lstm({ units: 8, returnSequences: true, stateful, inputShape: [steps, 1] }),
        layers.timeDistributed(layers.dense({ units: 1, activation: "sigmoid" })),
      ], { seed: 3 });
      m.compile({ optimizer: { type: "adam", learningRate: 0.02 }, loss: "binaryCrossentropy" });
      await m.fit(c.x, c.y!, { epochs: 25, batchSize: c.batchSize, shuffle: false, verbose: 0, callbacks: [callbacks.resetStates()] });
      m.resetStates();
      return accuracyLate(stateful, m.predict(c.x, { batchSize: c.batchSize }));
    };
    const withState = await run(true);
    const without = await run(false);
    expect(withState).toBeGreaterThan(0.95);
    expect(without).toBeLessThan(0.7);
  }, 60_000);
});
