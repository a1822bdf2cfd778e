// Learning check: precise timing (after Gers, Schraudolph & Schmidhuber 2002, "generating timed
// spikes"). A single spike arrives at a random step s < 10 of 30; the network must answer with a
// spike exactly D = 12 steps later and stay silent elsewhere. The peephole LSTM, whose gates see
// the cell state it can use as a clock, learns it on every seed within the budget; the plain
// LSTM (the same network with its peepholes held at zero: the peephole weights start at zero, so
// both start from the same weights) mostly does not yet.
import { describe, it, expect } from "vitest";
import { sequential, layers, Tensor, Rng } from "../../src/index.js";

const T = 30; // steps per sequence
const D = 12; // the delay to reproduce
const EPOCHS = 60;
const SEEDS = [1, 2, 3, 4];

function timedSpikes(n: number, seed: number): { x: Tensor; y: Tensor; s: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * T), y = new Float32Array(n * T), s = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = Math.floor(rng.next() * 10);
    s[i] = t0;
    x[i * T + t0] = 1;
    y[i * T + t0 + D] = 1;
  }
  return { x: new Tensor(x, [n, T, 1]), y: new Tensor(y, [n, T, 1]), s };
}

/** Fraction of test sequences whose output peaks exactly at s + D, above 0.5. */
async function timingAccuracy(peephole: boolean, seed: number): Promise<number> {
  const train = timedSpikes(512, 10 + seed), test = timedSpikes(256, 99);
  const m = sequential([
    layers.input({ shape: [T, 1] }),
    layers.lstm({ units: 8, peephole, returnSequences: true }),
    layers.timeDistributed(layers.dense({ units: 1, activation: "sigmoid" })),
  ], { seed });
  m.compile({ optimizer: { type: "adam", learningRate: 1e-2 }, loss: "binaryCrossentropy" });
  await m.fit(train.x, train.y, { epochs: EPOCHS, batchSize: 32, verbose: 0 });
  const p = m.predict(test.x).data;
  let ok = 0;
  for (let i = 0; i < 256; i++) {
    let peak = 0;
    for (let t = 1; t < T; t++) if (p[i * T + t]! > p[i * T + peak]!) peak = t;
    if (peak === test.s[i]! + D && p[i * T + peak]! > 0.5) ok++;
  }
  return ok / 256;
}

describe("precise timing: a spike D = 12 steps after the cue", () => {
  it("the peephole LSTM learns it on every seed; at least as well as the plain LSTM", async () => {
    // Measured (wasm backend, 60 epochs): peephole 1.00 on seeds 1–4 (first at 1.00 after 30, 40,
    // 45, 40 epochs); plain LSTM 0.32, 0.00, 0.00, 1.00 (it gets there on seeds 1 and 4 after 60–65
    // and 50 epochs, on seed 2 only after 80, on seed 3 not within 80). Chance is about 0.
    const peep: number[] = [], plain: number[] = [];
    for (const seed of SEEDS) {
      peep.push(await timingAccuracy(true, seed));
      plain.push(await timingAccuracy(false, seed));
    }
    console.log(`timed spikes after ${EPOCHS} epochs, seeds ${SEEDS.join(", ")}: peephole ${peep.map((a) => a.toFixed(2)).join(" ")}; plain ${plain.map((a) => a.toFixed(2)).join(" ")}`);
    for (const a of peep) expect(a).toBeGreaterThan(0.95);
    const mean = (v: number[]): number => v.reduce((s, a) => s + a, 0) / v.length;
    expect(mean(peep)).toBeGreaterThanOrEqual(mean(plain));
  });
});
