// plotAttention: the heatmap of an attention layer's weights renders headless with one cell per
// (query, value) pair, labelled axes (repeated labels keep their own cells), a 0–1 colour scale,
// a terminal rendering shaded by weight, and clear errors for malformed weights and labels.

import { describe, it, expect } from "vitest";
import { plotAttention, toSvg } from "../../src/report/plots.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { ConfigError } from "../../src/tensor/errors.js";

// a [2, 3, 4] batch; sample 1 is a sharp diagonal-ish alignment
const W = new Tensor(Float32Array.from([
  0.25, 0.25, 0.25, 0.25, 0.1, 0.2, 0.3, 0.4, 0.7, 0.1, 0.1, 0.1,
  1, 0, 0, 0, 0, 0.7, 0.3, 0, 0, 0, 0, 1,
]), [2, 3, 4]);

describe("plotAttention", () => {
  it("draws one rect per (query, value) pair, with the labels on the axes", async () => {
    const { spec } = plotAttention(W, { sample: 1, queryLabels: ["a", "b", "a"], valueLabels: ["x", "y", "x", "z"], title: "reversal" });
    const svg = await toSvg(spec);
    expect(svg.startsWith("<svg")).toBe(true);
    const start = svg.indexOf('role-mark attention_marks"');
    expect(start).toBeGreaterThan(0);
    expect(svg.slice(start, svg.indexOf("</g>", start)).match(/<path/g)?.length).toBe(12);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(texts).toEqual(expect.arrayContaining(["reversal", "query step", "value step (attended to)", "x", "y", "z", "a", "b"]));
    expect(texts.filter((t) => t === "x").length).toBe(2); // repeated labels keep their own columns
    const data = (spec.data as { values: { q: number; v: number; weight: number }[] }).values;
    expect(data.find((d) => d.q === 1 && d.v === 1)!.weight).toBeCloseTo(0.7, 6);
    expect((spec.encoding as { color: { scale: { domain: number[] } } }).color.scale.domain).toEqual([0, 1]);
  });

  it("the terminal rendering shades each cell: the full weight darkest, zero blank", () => {
    const { terminal } = plotAttention(W, { sample: 1, queryLabels: ["q0", "q1", "q2"], valueLabels: ["a", "b", "c", "d"] });
    const lines = terminal.split("\n");
    expect(lines[0]).toBe("Attention weights");
    expect(lines[1]).toBe("    abcd");
    expect(lines.slice(2, 5)).toEqual(["q0 │█   │", "q1 │ ▓░ │", "q2 │   █│"]);
    expect(lines[5]).toMatch(/\[ \]\[░\]\[▒\]\[▓\]\[█\] 0 → 1\.00$/);
  });

  it("takes a [Tq, Tv] tensor or a list of rows, and step numbers when no labels are given", () => {
    const rows = [[0.5, 0.5], [0, 1]];
    const a = plotAttention(rows);
    const b = plotAttention(new Tensor(Float32Array.from(rows.flat()), [2, 2]));
    expect(a.spec.data).toEqual(b.spec.data);
    expect(a.terminal.split("\n")[1]).toBe("   01");
  });

  it("refuses malformed weights, a sample out of range and labels of the wrong length", () => {
    expect(() => plotAttention(W, { sample: 2 })).toThrow(/plotAttention: sample 2 is not in 0\.\.1/);
    expect(() => plotAttention(W, { queryLabels: ["a"] })).toThrow(ConfigError);
    expect(() => plotAttention(W, { queryLabels: ["a"] })).toThrow(/queryLabels must be 3 strings \(one per query step\), got 1 entries/);
    expect(() => plotAttention(W, { valueLabels: ["a", "b", "c", "d", "e"] })).toThrow(/valueLabels must be 4 strings/);
    expect(() => plotAttention(new Tensor(new Float32Array(4), [4]))).toThrow(/must be \[batch, Tq, Tv\] or \[Tq, Tv\], got \[4\]/);
    expect(() => plotAttention([[1, 0], [1]])).toThrow(/row 1 of the weights has 1 values, row 0 has 2/);
    expect(() => plotAttention([[NaN, 1]])).toThrow(/NaN or Infinity/);
    expect(() => plotAttention(null as never)).toThrow(/weights must be a Tensor/);
  });
});
