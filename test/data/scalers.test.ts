import { describe, it, expect } from "vitest";
import { ConfigError, DataError, ShapeError } from "../../src/tensor/errors.js";
import { MinMaxScaler, StandardScaler, scalerFromJSON } from "../../src/data/index.js";

const rows = (m: Float64Array[]) => m.map((r) => Array.from(r));

describe("MinMaxScaler", () => {
  it("scales one feature to [0, 1] using the training data only", () => {
    const s = new MinMaxScaler().fit([2, 4, 6]);
    expect(Array.from(s.transform([2, 5, 6, 10]))).toEqual([0, 0.75, 1, 2]); // test data may leave the range
    expect(Array.from(s.inverseTransform([0, 0.75, 2]))).toEqual([2, 5, 10]);
  });

  it("scales each column of [n, features] separately, to a custom range", () => {
    const s = new MinMaxScaler([-1, 1]).fit([
      [0, 10],
      [5, 30],
      [10, 20],
    ]);
    expect(s.nFeatures).toBe(2);
    expect(rows(s.transform([[5, 20], [10, 10]]))).toEqual([[0, 0], [1, -1]]);
    expect(Array.from(s.transformFeature([30], 1))).toEqual([1]);
    expect(Array.from(s.inverseTransformFeature([0.5], 1))).toEqual([25]);
  });

  it("does not divide by zero on a constant column", () => {
    const s = new MinMaxScaler().fit([[3, 1], [3, 2]]);
    expect(rows(s.transform([[3, 2], [4, 2]]))).toEqual([[0, 1], [1, 1]]);
    expect(rows(s.inverseTransform(s.transform([[3, 1]])))).toEqual([[3, 1]]);
  });

  it("treats a range below rounding noise (or a denormal one) as constant", () => {
    const s = new MinMaxScaler().fit([0, 5e-324]);
    expect(Array.from(s.inverseTransform(s.transform([1, -3])))).toEqual([1, -3]);
    const t = new MinMaxScaler().fit([1e6, 1e6 + 1e-10]);
    expect(Array.from(t.transform([1e6 + 1]))).toEqual([1]);
  });

  it("round-trips through JSON", () => {
    const s = new MinMaxScaler([0, 10]).fit([[1, -5], [3, 5]]);
    const json = JSON.parse(JSON.stringify(s));
    expect(json).toEqual({ type: "MinMaxScaler", featureRange: [0, 10], dataMin: [1, -5], dataMax: [3, 5] });
    const t = MinMaxScaler.fromJSON(json);
    expect(rows(t.transform([[2, 0]]))).toEqual([[5, 5]]);
    expect(scalerFromJSON(json)).toBeInstanceOf(MinMaxScaler);
  });

  it("rejects misuse clearly", () => {
    const s = new MinMaxScaler();
    expect(s.fitted).toBe(false);
    expect(() => s.transform([1])).toThrow(DataError);
    expect(() => s.transform([1])).toThrow("MinMaxScaler.transform called before fit: fit it on the training data first");
    expect(() => s.toJSON()).toThrow(/before fit/);
    expect(() => new MinMaxScaler([1, 1])).toThrow(ConfigError);
    expect(() => s.fit([])).toThrow(/no data/);
    expect(() => s.fit([1, NaN])).toThrow("MinMaxScaler.fit: row 1, feature 0 is NaN; impute missing values before fitting");
    s.fit([[1, 2], [3, 4]]);
    expect(() => s.transform([[1, 2, 3]])).toThrow(ShapeError);
    expect(() => s.transform([1, 2])).toThrow(/fitted on 2 features but given a 1-D array/);
    expect(() => s.transformFeature([1], 2)).toThrow(/feature 2 out of range/);
    expect(() => MinMaxScaler.fromJSON({ type: "MinMaxScaler", featureRange: [0, 1], dataMin: [1], dataMax: [] })).toThrow(
      /invalid MinMaxScaler JSON/,
    );
    expect(() => MinMaxScaler.fromJSON({ type: "StandardScaler" })).toThrow(/expected "MinMaxScaler"/);
  });
});

describe("StandardScaler", () => {
  it("centres and divides by the population standard deviation", () => {
    const s = new StandardScaler().fit([2, 4, 4, 4, 5, 5, 7, 9]); // mean 5, std 2
    expect(Array.from(s.transform([5, 9, 1]))).toEqual([0, 2, -2]);
    expect(Array.from(s.inverseTransform([0.5]))).toEqual([6]);
    expect(s.toJSON()).toEqual({ type: "StandardScaler", mean: [5], std: [2] });
  });

  it("works per feature, handles constant columns, and round-trips through JSON", () => {
    const s = new StandardScaler().fitTransform([[1, 7], [3, 7]]);
    expect(rows(s)).toEqual([[-1, 0], [1, 0]]);
    const fitted = new StandardScaler().fit([[1, 7], [3, 7]]);
    const back = StandardScaler.fromJSON(JSON.parse(JSON.stringify(fitted)));
    expect(rows(back.inverseTransform([[2, 3]]))).toEqual([[4, 10]]); // constant column: scale 1
    expect(scalerFromJSON(fitted.toJSON())).toBeInstanceOf(StandardScaler);
    expect(() => scalerFromJSON({ type: "Robust" })).toThrow(/unknown type "Robust"/);
    expect(() => new StandardScaler().inverseTransform([1])).toThrow(/StandardScaler.inverseTransform called before fit/);
  });
});
