// Accuracy measures against numbers worked out by hand.
import { describe, it, expect } from "vitest";
import { mae, rmse, smape, mase, maseScale, scoreAll } from "../../src/forecast/index.js";
import { DataError } from "../../src/tensor/errors.js";

const actual = [1, 2, 3, 4];
const predicted = [2, 2, 1, 4]; // errors 1, 0, 2, 0

describe("metrics", () => {
  it("mae and rmse", () => {
    expect(mae(actual, predicted)).toBe(0.75);
    expect(rmse(actual, predicted)).toBeCloseTo(Math.sqrt(5 / 4), 12);
  });

  it("smape is on the 0–200 scale and 0/0 counts as perfect", () => {
    // 200·1/3, 0, 200·2/4, 0 → 166.67 / 4
    expect(smape(actual, predicted)).toBeCloseTo((200 / 3 + 100) / 4, 10);
    expect(smape([0, 0], [0, 0])).toBe(0);
    expect(smape([1], [-1])).toBe(200);
  });

  it("maseScale uses the seasonal difference, or lag 1 below two seasons", () => {
    const train = [1, 3, 2, 5, 4, 6];
    expect(maseScale(train, 2)).toBe(1.5); // |2−1|, |5−3|, |4−2|, |6−5|
    expect(maseScale(train, 4)).toBe(1.8); // 6 < 2·4: lag 1 → 2, 1, 3, 1, 2
    expect(maseScale(train, 1)).toBe(1.8);
    expect(mase(actual, predicted, train, 2)).toBe(0.5);
    expect(scoreAll(actual, predicted, 1.5)).toEqual({ mae: 0.75, rmse: Math.sqrt(1.25), smape: (200 / 3 + 100) / 4, mase: 0.5 });
  });

  it("refuses mismatched, empty or constant inputs", () => {
    expect(() => mae([1, 2], [1])).toThrow(DataError);
    expect(() => rmse([], [])).toThrow(/no values/);
    expect(() => maseScale([3, 3, 3], 1)).toThrow(/constant/);
    expect(() => maseScale([3], 1)).toThrow(/need more than 1/);
  });
});
