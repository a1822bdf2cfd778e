// Baseline forecasts against values worked out by hand.
import { describe, it, expect } from "vitest";
import { naive, seasonalNaive, drift } from "../../src/forecast/index.js";

const history = [1, 2, 3, 4, 5, 6, 7];

describe("baselines", () => {
  it("naive repeats the last value", () => {
    expect(naive(history, 3)).toEqual([7, 7, 7]);
  });

  it("seasonal naive repeats the last season, also beyond one season", () => {
    expect(seasonalNaive(history, 5, 3)).toEqual([5, 6, 7, 5, 6]);
    expect(seasonalNaive([10, 20, 30, 40], 2, 4)).toEqual([10, 20]);
    expect(seasonalNaive(history, 2, 1)).toEqual(naive(history, 2));
  });

  it("drift extends the line through the first and last values", () => {
    expect(drift(history, 3)).toEqual([8, 9, 10]);
    expect(drift([4, 0, 1], 2)).toEqual([-0.5, -2]); // slope (1 − 4) / 2
    expect(drift([5], 2)).toEqual([5, 5]);
  });

  it("refuses too short a history or a bad horizon", () => {
    expect(() => seasonalNaive([1, 2], 1, 3)).toThrow(/at least 3/);
    expect(() => naive([], 1)).toThrow(/at least 1/);
    expect(() => drift(history, 0)).toThrow(/horizon/);
  });
});
