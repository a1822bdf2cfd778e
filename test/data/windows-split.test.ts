import { describe, it, expect } from "vitest";
import { ConfigError, DataError } from "../../src/tensor/errors.js";
import { lastWindow, makeWindows, sliceWindows, splitChronological } from "../../src/data/index.js";

describe("makeWindows", () => {
  it("many-to-one on a single feature", () => {
    const w = makeWindows([10, 11, 12, 13, 14], { lookback: 3, horizon: 1 });
    expect(w.xShape).toEqual([2, 3, 1]);
    expect(w.yShape).toEqual([2, 1, 1]);
    expect(Array.from(w.X)).toEqual([10, 11, 12, 11, 12, 13]);
    expect(Array.from(w.Y)).toEqual([13, 14]);
    expect(w.origins).toEqual([2, 3]);
  });

  it("many-to-many with covariates chosen by name, batch-major layout", () => {
    const data = { columns: ["temp", "rain", "wind"], values: [[0, 1, 2, 3, 4, 5], [10, 11, 12, 13, 14, 15], [20, 21, 22, 23, 24, 25]] };
    const w = makeWindows(data, { lookback: 2, horizon: 2, inputs: ["temp", "rain", "wind"], targets: ["temp", "wind"] });
    expect(w.xShape).toEqual([3, 2, 3]);
    expect(w.yShape).toEqual([3, 2, 2]);
    expect(w.inputs).toEqual([0, 1, 2]);
    expect(w.targets).toEqual([0, 2]);
    expect(w.origins).toEqual([1, 2, 3]);
    // Window 1: inputs rows 1..2, targets rows 3..4.
    expect(Array.from(w.X.subarray(6, 12))).toEqual([1, 11, 21, 2, 12, 22]);
    expect(Array.from(w.Y.subarray(4, 8))).toEqual([3, 23, 4, 24]);
  });

  it("accepts rows [n][features] with column indices", () => {
    const rows = [[1, 100], [2, 200], [3, 300], [4, 400]];
    const w = makeWindows(rows, { lookback: 2, horizon: 1, inputs: [1, 0], targets: [1] });
    expect(Array.from(w.X)).toEqual([100, 1, 200, 2, 200, 2, 300, 3]);
    expect(Array.from(w.Y)).toEqual([300, 400]);
  });

  it("aligns strided windows to the end so the latest window is kept", () => {
    const w = makeWindows([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { lookback: 2, horizon: 1, stride: 3 });
    expect(w.origins).toEqual([2, 5, 8]);
    expect(Array.from(w.Y)).toEqual([3, 6, 9]);
  });

  it("says how many rows are needed when there are too few", () => {
    expect(() => makeWindows([1, 2, 3, 4], { lookback: 3, horizon: 2 })).toThrow(DataError);
    expect(() => makeWindows([1, 2, 3, 4], { lookback: 3, horizon: 2 })).toThrow(
      "makeWindows: lookback 3 + horizon 2 needs at least 5 rows; the series has 4",
    );
  });

  it("rejects bad options, unknown columns and missing values", () => {
    expect(() => makeWindows([1, 2, 3], { lookback: 0, horizon: 1 })).toThrow(ConfigError);
    expect(() => makeWindows([1, 2, 3], { lookback: 1, horizon: 1, stride: 1.5 })).toThrow(/stride must be a positive integer/);
    const data = { columns: ["a", "b"], values: [[1, 2, 3], [4, NaN, 6]] };
    expect(() => makeWindows(data, { lookback: 1, horizon: 1, inputs: ["c"] })).toThrow('makeWindows: no input column "c"; available: a, b');
    expect(() => makeWindows([[1], [2]], { lookback: 1, horizon: 1, inputs: ["a"] })).toThrow(/no column names; use indices/);
    expect(() => makeWindows([1, 2], { lookback: 1, horizon: 1, targets: [1] })).toThrow(/target column index 1 out of range/);
    expect(() => makeWindows(data, { lookback: 1, horizon: 1 })).toThrow('makeWindows: row 1, column "b" is NaN; impute missing values first');
  });

  it("lastWindow takes the final lookback rows; sliceWindows cuts by window index", () => {
    const lw = lastWindow({ columns: ["a", "b"], values: [[1, 2, 3], [4, 5, 6]] }, { lookback: 2, inputs: ["b", "a"] });
    expect(lw.xShape).toEqual([1, 2, 2]);
    expect(Array.from(lw.X)).toEqual([5, 2, 6, 3]);
    expect(lw.origin).toBe(2);
    expect(() => lastWindow([1], { lookback: 2 })).toThrow(/needs at least 2 rows; the series has 1/);
    const w = makeWindows([0, 1, 2, 3, 4, 5], { lookback: 2, horizon: 2 });
    const s = sliceWindows(w, 1, 3);
    expect(s.xShape).toEqual([2, 2, 1]);
    expect(s.origins).toEqual([2, 3]);
    expect(Array.from(s.X)).toEqual([1, 2, 2, 3]);
    expect(Array.from(s.Y)).toEqual([3, 4, 4, 5]);
    expect(() => sliceWindows(w, 2, 9)).toThrow(/outside the 3 windows/);
  });
});

describe("splitChronological", () => {
  it("takes validation and test from the end, by count or fraction", () => {
    expect(splitChronological(100, { test: 20, validation: 10 })).toEqual({
      train: { start: 0, end: 70 },
      validation: { start: 70, end: 80 },
      test: { start: 80, end: 100 },
    });
    expect(splitChronological(48, { test: 0.25, validation: 0.1 })).toEqual({
      train: { start: 0, end: 31 },
      validation: { start: 31, end: 36 },
      test: { start: 36, end: 48 },
    });
    expect(splitChronological(10, { test: 0.01 }).test).toEqual({ start: 9, end: 10 }); // at least one
    expect(splitChronological(5)).toEqual({ train: { start: 0, end: 5 }, validation: { start: 5, end: 5 }, test: { start: 5, end: 5 } });
  });

  it("errors on impossible sizes", () => {
    expect(() => splitChronological(10, { test: 5, validation: 5 })).toThrow(
      "splitChronological: validation 5 + test 5 leaves 0 of 10 items for training; need at least 1",
    );
    expect(() => splitChronological(0)).toThrow(DataError);
    expect(() => splitChronological(10, { test: -1 })).toThrow(/test must be a count or a fraction/);
    expect(() => splitChronological(10, { test: 2.5 })).toThrow(/neither a fraction below 1 nor a whole count/);
  });
});
