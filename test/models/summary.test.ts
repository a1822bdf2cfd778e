// summary(): parameter counts equal Keras's formulas for the tutorial models, and the table's rows
// carry the right names, output shapes and totals. Expected numbers are computed from the formulas here.

import { describe, it, expect } from "vitest";
import { sequential, layers, Sequential } from "../../src/index.js";
import { summaryRows } from "./fixtures.js";

// Keras's parameter formulas (I inputs, H units).
const lstmParams = (I: number, H: number): number => 4 * (I * H + H * H + H);
const gruParams = (I: number, H: number, resetAfter: boolean): number => 3 * (I * H + H * H + (resetAfter ? 2 * H : H));
const rnnParams = (I: number, H: number): number => I * H + H * H + H;
const denseParams = (I: number, O: number): number => I * O + O;
const fmt = (n: number): string => n.toLocaleString("en-US");

/** Table rows and the three totals lines, checked against [name (type), shape, params] triples. */
function expectTable(m: Sequential, rows: [string, string, number][]): void {
  const s = m.summary();
  expect(summaryRows(s)).toEqual(rows.map(([n, shape, p]) => [n, shape, fmt(p)]));
  const total = rows.reduce((a, r) => a + r[2], 0);
  expect(m.countParams()).toBe(total);
  const kb = ((total * 4) / 1024).toFixed(2);
  expect(s).toContain(` Total params: ${fmt(total)} (${kb} KB)`);
  expect(s).toContain(` Trainable params: ${fmt(total)} (${kb} KB)`);
  expect(s).toContain(" Non-trainable params: 0 (0.00 B)");
  expect(s.split("\n")[0]).toBe(`Model: "${m.name}"`);
}

describe("summary() parameter counts follow Keras's formulas", () => {
  it("the W_sine stack: LSTM(128, seq) → Dropout → LSTM(64) → Dropout → Dense(32, relu) → Dense(1)", () => {
    const m = sequential([
      layers.input({ shape: [50, 1] }),
      layers.lstm({ units: 128, returnSequences: true }),
      layers.dropout({ rate: 0.2 }),
      layers.lstm({ units: 64 }),
      layers.dropout({ rate: 0.2 }),
      layers.dense({ units: 32, activation: "relu" }),
      layers.dense({ units: 1 }),
    ]);
    expectTable(m, [
      ["lstm (LSTM)", "(None, 50, 128)", lstmParams(1, 128)],
      ["dropout (Dropout)", "(None, 50, 128)", 0],
      ["lstm_1 (LSTM)", "(None, 64)", lstmParams(128, 64)],
      ["dropout_1 (Dropout)", "(None, 64)", 0],
      ["dense (Dense)", "(None, 32)", denseParams(64, 32)],
      ["dense_1 (Dense)", "(None, 1)", denseParams(32, 1)],
    ]);
    expect(m.countParams()).toBe(118_081); // the figure Keras prints for this model
  });

  it("the stock stack: 4 × LSTM(50) with dropout on [60, 1]", () => {
    const m = sequential([
      layers.input({ shape: [60, 1] }),
      layers.lstm({ units: 50, returnSequences: true }), layers.dropout({ rate: 0.2 }),
      layers.lstm({ units: 50, returnSequences: true }), layers.dropout({ rate: 0.2 }),
      layers.lstm({ units: 50, returnSequences: true }), layers.dropout({ rate: 0.2 }),
      layers.lstm({ units: 50 }), layers.dropout({ rate: 0.2 }),
      layers.dense({ units: 1 }),
    ]);
    expectTable(m, [
      ["lstm (LSTM)", "(None, 60, 50)", lstmParams(1, 50)],
      ["dropout (Dropout)", "(None, 60, 50)", 0],
      ["lstm_1 (LSTM)", "(None, 60, 50)", lstmParams(50, 50)],
      ["dropout_1 (Dropout)", "(None, 60, 50)", 0],
      ["lstm_2 (LSTM)", "(None, 60, 50)", lstmParams(50, 50)],
      ["dropout_2 (Dropout)", "(None, 60, 50)", 0],
      ["lstm_3 (LSTM)", "(None, 50)", lstmParams(50, 50)],
      ["dropout_3 (Dropout)", "(None, 50)", 0],
      ["dense (Dense)", "(None, 1)", denseParams(50, 1)],
    ]);
    expect(m.countParams()).toBe(71_051);
  });

  it("the bidirectional encoder–decoder (32 units, [18, 1], RepeatVector(18), TimeDistributed(Dense(1)))", () => {
    const m = sequential([
      layers.input({ shape: [18, 1] }),
      layers.bidirectional(layers.lstm({ units: 32 })),
      layers.repeatVector({ n: 18 }),
      layers.bidirectional(layers.lstm({ units: 32, returnSequences: true })),
      layers.timeDistributed(layers.dense({ units: 1 })),
    ]);
    expectTable(m, [
      ["bidirectional (Bidirectional)", "(None, 64)", 2 * lstmParams(1, 32)],
      ["repeat_vector (RepeatVector)", "(None, 18, 64)", 0],
      ["bidirectional_1 (Bidirectional)", "(None, 18, 64)", 2 * lstmParams(64, 32)],
      ["time_distributed (TimeDistributed)", "(None, 18, 1)", denseParams(64, 1)],
    ]);
  });

  it("GRU with resetAfter true (default) and false, SimpleRNN, Embedding, and a non-concat Bidirectional", () => {
    const m = sequential([
      layers.embedding({ inputDim: 100, outputDim: 16, inputLength: 20 }),
      layers.gru({ units: 24, returnSequences: true }),
      layers.gru({ units: 12, returnSequences: true, resetAfter: false }),
      layers.bidirectional(layers.simpleRnn({ units: 8 }), { mergeMode: "sum" }),
      layers.dense({ units: 5, activation: "softmax" }),
    ]);
    expectTable(m, [
      ["embedding (Embedding)", "(None, 20, 16)", 100 * 16],
      ["gru (GRU)", "(None, 20, 24)", gruParams(16, 24, true)],
      ["gru_1 (GRU)", "(None, 20, 12)", gruParams(24, 12, false)],
      ["bidirectional (Bidirectional)", "(None, 8)", 2 * rnnParams(12, 8)],
      ["dense (Dense)", "(None, 5)", denseParams(8, 5)],
    ]);
    // the two GRU variants differ by exactly one bias row of 3H
    expect(gruParams(16, 24, true) - gruParams(16, 24, false)).toBe(3 * 24);
  });

  it("the weight shapes behind the counts use Keras's layout", () => {
    const m = sequential([layers.input({ shape: [7, 3] }), layers.lstm({ units: 5 })]);
    expect(m.getWeights().map((w) => w.shape)).toEqual([[3, 20], [5, 20], [20]]);
    const g = sequential([layers.input({ shape: [7, 3] }), layers.gru({ units: 4 })]);
    expect(g.getWeights().map((w) => w.shape)).toEqual([[3, 12], [4, 12], [2, 12]]);
    const g2 = sequential([layers.input({ shape: [7, 3] }), layers.gru({ units: 4, resetAfter: false })]);
    expect(g2.getWeights().map((w) => w.shape)).toEqual([[3, 12], [4, 12], [12]]);
  });

  it("sizes of 1 MB and more are shown in MB", () => {
    const m = sequential([layers.input({ shape: [256] }), layers.dense({ units: 1024 })]);
    const n = denseParams(256, 1024);
    expect(m.summary()).toContain(` Total params: ${fmt(n)} (${((n * 4) / 1024 / 1024).toFixed(2)} MB)`);
  });

  it("an unbuilt model refuses with a hint", () => {
    expect(() => sequential([layers.lstm({ units: 3 })]).summary()).toThrow(/not built yet; start it with layers\.input/);
  });
});
