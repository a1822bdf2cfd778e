// Tensor construction from nested arrays, ragged-array errors, NaN detection, RNG determinism.

import { describe, it, expect } from "vitest";
import { tensor, Tensor, assertFinite } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import { ShapeError, NonFiniteError } from "../../src/tensor/errors.js";

describe("tensor", () => {
  it("infers the shape of nested arrays and keeps row-major order", () => {
    const t = tensor([[[1, 2], [3, 4], [5, 6]]]);
    expect(t.shape).toEqual([1, 3, 2]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.get(0, 2, 1)).toBe(6);
    expect(t.toArray()).toEqual([[[1, 2], [3, 4], [5, 6]]]);
  });

  it("names the first ragged index", () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/index \[1\]: expected length 2, got length 1/);
  });

  it("refuses data that does not fill the shape", () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(/needs 6 values, got 5/);
  });

  it("reports the multi-index of a NaN", () => {
    const t = tensor([[1, 2], [3, NaN]]);
    expect(() => assertFinite(t, "fit: x")).toThrow(NonFiniteError);
    expect(() => assertFinite(t, "fit: x")).toThrow(/fit: x holds NaN at index \[1, 1\]/);
  });

  it("gathers rows by index", () => {
    const t = tensor([[1, 1], [2, 2], [3, 3]]);
    expect(t.gather0([2, 0]).toArray()).toEqual([[3, 3], [1, 1]]);
  });
});

describe("Rng", () => {
  it("is deterministic by seed and differs across seeds", () => {
    const a = new Rng(7), b = new Rng(7), c = new Rng(8);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it("draws a permutation", () => {
    const p = Array.from(new Rng(3).permutation(50)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("draws normals with mean 0 and variance 1", () => {
    const r = new Rng(11);
    let s = 0, ss = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) { const v = r.normal(); s += v; ss += v * v; }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(ss / n - 1)).toBeLessThan(0.05);
  });
});
