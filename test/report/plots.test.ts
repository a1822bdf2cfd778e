// The exported pictures: each spec renders headless to an SVG with the expected marks and axis
// titles, and each terminal rendering has its title, legend and expected number of lines.

import { describe, it, expect } from "vitest";
import { plotHistory, plotPredictions, plotScatter, plotGates, toSvg } from "../../src/report/plots.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { ConfigError } from "../../src/tensor/errors.js";
import { sequential } from "../../src/models/sequential.js";
import * as layers from "../../src/layers/index.js";

/** Well-formed enough: one root <svg>, and every opened element closed in order. */
function expectSvg(svg: string): void {
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else stack.push(m[2]!);
  }
  expect(stack).toEqual([]);
}

/**
 * Number of items drawn by the mark named `name`: vega draws each item as one <path>, in one group
 * per series for lines.
 */
function markItems(svg: string, name: string): number {
  let n = 0;
  for (const m of svg.matchAll(new RegExp(`role-mark ${name}_marks"`, "g"))) {
    n += svg.slice(m.index, svg.indexOf("</g>", m.index)).match(/<path/g)?.length ?? 0;
  }
  expect(n).toBeGreaterThan(0);
  return n;
}

const axisTitles = (svg: string) =>
  [...svg.matchAll(/role-axis-title[^>]*>\s*<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe("plotHistory", () => {
  const history = {
    epoch: [1, 2, 3, 4],
    history: { loss: [1000, 10, 1, 0.1], val_loss: [900, 20, 2, 0.5], mae: [3, 2, 1.5, 1], val_mae: [3.5, 2.5, 2, 1.8] },
  };

  it("draws one panel per metric family with a training and a validation line", async () => {
    const { spec } = plotHistory(history);
    const svg = await toSvg(spec);
    expectSvg(svg);
    expect(markItems(svg, "history_0")).toBe(2);
    expect(markItems(svg, "history_1")).toBe(2);
    expect(svg).not.toContain("history_2_marks");
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(["epoch", "loss (log scale)", "mae"]));
  });

  it("uses a log axis only when values span more than two decades", () => {
    const panels = plotHistory(history).spec.vconcat as { encoding: { y: { scale: { type?: string } } } }[];
    expect(panels.map((p) => p.encoding.y.scale.type)).toEqual(["log", undefined]);
  });

  it("renders each family in the terminal with title, rows, x axis and legend", () => {
    const text = plotHistory(history, { termHeight: 8 }).terminal;
    const blocks = text.split("\n\n");
    expect(blocks).toHaveLength(2);
    const loss = blocks[0]!.split("\n");
    expect(loss).toHaveLength(1 + 8 + 2);
    expect(loss[0]).toBe("Training history: loss");
    expect(loss.at(-1)).toContain("* training");
    expect(loss.at(-1)).toContain("o validation");
    expect(loss.at(-1)).toContain("(log scale)");
    expect(blocks[1]!.split("\n").at(-1)).not.toContain("log scale");
    // The first epoch's loss (the largest) sits on the top row, the last on the bottom.
    expect(loss[1]).toMatch(/│\*|│o/);
    expect(loss[8]).toMatch(/│ {3}\*/);
  });

  it("takes a real History", async () => {
    const model = sequential([layers.dense({ units: 1, inputShape: [2] })], { seed: 1 });
    model.compile({ loss: "mse", optimizer: "sgd", metrics: ["mae"] });
    const x = [[0, 1], [1, 0], [1, 1], [0, 0]];
    const h = await model.fit(x, [[1], [1], [2], [0]], { epochs: 3, verbose: 0, validationSplit: 0.5 });
    const { terminal } = plotHistory(h);
    expect(terminal).toContain("Training history: loss");
  });

  it("refuses an empty history", () => {
    expect(() => plotHistory({ history: {} })).toThrow(ConfigError);
  });
});

describe("plotPredictions", () => {
  const actual = [1, 2, 3, 4, 5, 4, 3];
  const predicted = [1.1, 2.2, 2.9, 4.1, 4.8, 4.2, 3];

  it("draws one line per series, baselines included", async () => {
    const { spec } = plotPredictions({ actual, predicted, baselines: { naive: [1, 1, 2, 3, 4, 5, 4] } });
    const svg = await toSvg(spec);
    expectSvg(svg);
    expect(markItems(svg, "predictions")).toBe(3);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(["index", "value"]));
    expect(svg).toContain(">naive<");
  });

  it("uses the given legend names in the terminal", () => {
    const text = plotPredictions({ actual, predicted, labels: ["observed", "model"] }, { termHeight: 6 }).terminal;
    const lines = text.split("\n");
    expect(lines).toHaveLength(1 + 6 + 2);
    expect(lines[0]).toBe("observed vs model");
    expect(lines.at(-1)).toMatch(/\* observed\s+o model/);
    expect(lines.at(-2)).toContain("index 0…6");
  });

  it("averages series longer than the terminal width", () => {
    const long = Array.from({ length: 500 }, (_, i) => Math.sin(i / 20));
    const lines = plotPredictions({ actual: long, predicted: long }, { termWidth: 40 }).terminal.split("\n");
    for (const l of lines.slice(1, -2)) expect(l.length - l.indexOf("│") - 1).toBeLessThanOrEqual(40);
  });

  it("refuses duplicate names and all-NaN input", () => {
    expect(() => plotPredictions({ actual, predicted, baselines: { actual } })).toThrow(ConfigError);
    expect(() => plotPredictions({ actual: [NaN], predicted: [NaN] })).toThrow(ConfigError);
  });
});

describe("plotScatter", () => {
  it("draws one point per pair and the diagonal", async () => {
    const { spec, terminal } = plotScatter({ actual: [1, 2, 3, 4, NaN], predicted: [1.2, 1.8, 3.3, 4, 2] }, { termHeight: 10, termWidth: 30 });
    const svg = await toSvg(spec);
    expectSvg(svg);
    expect(markItems(svg, "points")).toBe(4);
    expect(markItems(svg, "identity")).toBe(1);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(["actual", "predicted"]));
    const lines = terminal.split("\n");
    expect(lines).toHaveLength(1 + 10 + 2);
    expect(lines[0]).toBe("Predicted vs actual");
    expect(lines.at(-1)).toContain("y = x");
    expect(terminal.match(/o/g)!.length - 1).toBe(4); // four points plus the legend's "o"
  });

  it("refuses arrays of different lengths", () => {
    expect(() => plotScatter({ actual: [1, 2], predicted: [1] })).toThrow(ConfigError);
  });
});

describe("plotGates", () => {
  // [batch 2, time 5, units 3]; sample 1 of `ramp` rises with time step.
  const B = 2, T = 5, H = 3;
  const tensor = (f: (b: number, t: number, u: number) => number) => {
    const d = new Float32Array(B * T * H);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let u = 0; u < H; u++) d[(b * T + t) * H + u] = f(b, t, u);
    return new Tensor(d, [B, T, H]);
  };
  const ramp = tensor((b, t) => (b === 1 ? t / (T - 1) : 0));
  const gru = { updateGate: ramp, resetGate: ramp, candidate: tensor((_, t) => t - 2), hiddenState: tensor(() => 0.1) };

  it("draws a units × time grid of cells for every GRU gate and state", async () => {
    const svg = await toSvg(plotGates(gru, { sample: 1 }).spec);
    expectSvg(svg);
    for (const key of ["updateGate", "resetGate", "candidate", "hiddenState"]) expect(markItems(svg, `gate_${key}`)).toBe(T * H);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(["time step", "unit"]));
  });

  it("shades the terminal heatmap by value, with title and range legend", () => {
    const blocks = plotGates(gru, { sample: 1 }).terminal.split("\n\n");
    expect(blocks).toHaveLength(4);
    const update = blocks[0]!.split("\n");
    expect(update).toHaveLength(1 + H + 1);
    expect(update[0]).toBe("GRU gates, sample 1: update gate");
    for (const row of update.slice(1, -1)) expect(row).toMatch(/│ ░▒▓█│$/);
    expect(update.at(-1)).toContain("0 → 1.00");
  });

  it("has six panels for an LSTM's inspect()", async () => {
    const model = sequential([layers.lstm({ units: 4, inputShape: [6, 2] })], { seed: 3 });
    const x = Array.from({ length: 2 }, (_, b) => Array.from({ length: 6 }, (_, t) => [Math.sin(t + b), Math.cos(t)]));
    const internals = model.inspect(0, x);
    const plot = plotGates(internals, { sample: 1 });
    const titles = plot.terminal.split("\n\n").map((b) => b.split("\n")[0]);
    expect(titles).toEqual(["input gate", "forget gate", "output gate", "candidate", "cell state", "hidden state"].map((l) => `LSTM gates, sample 1: ${l}`));
    const svg = await toSvg(plot.spec);
    expectSvg(svg);
    expect(markItems(svg, "gate_cellState")).toBe(6 * 4);
  });

  it("refuses a sample outside the batch", () => {
    expect(() => plotGates(gru, { sample: 2 })).toThrow(ConfigError);
  });
});
