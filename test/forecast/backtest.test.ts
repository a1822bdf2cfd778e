// Rolling-origin backtest: origin count and placement, no look-ahead (a poisoned future must not
// change any forecast made before it), and baseline scores worked out by hand.
import { describe, it, expect } from "vitest";
import { rollingOrigin, scoreBacktest, NetworkEnsemble, type NetworkSpec } from "../../src/forecast/index.js";
import { synthetic } from "./fixtures.js";

const line = Array.from({ length: 10 }, (_, i) => i); // 0 … 9

describe("rollingOrigin", () => {
  it("forecasts from the last training point to n−1−H: testSize − H + 1 origins", () => {
    const seen: number[] = [];
    const run = rollingOrigin(line, (h, o) => (seen.push(h.length), [o, o]), { horizon: 2, testSize: 4 });
    expect(run.origins).toEqual([5, 6, 7]); // 4 − 2 + 1; train is 0 … 5
    expect(seen).toEqual([6, 7, 8]); // each history ends at its origin
    expect(run.forecasts).toEqual([[5, 5], [6, 6], [7, 7]]);
    expect(rollingOrigin(line, () => [0], { horizon: 1, testSize: 1 }).origins).toEqual([8]);
  });

  it("refuses a test span shorter than the horizon or a forecaster returning the wrong length", () => {
    expect(() => rollingOrigin(line, () => [0], { horizon: 3, testSize: 2 })).toThrow(/at least the horizon/);
    expect(() => rollingOrigin(line, () => [0], { horizon: 2, testSize: 3 })).toThrow(/returned 1 values/);
    expect(() => rollingOrigin(line, () => [0], { horizon: 1, testSize: 10 })).toThrow(/no training data/);
  });

  it("scores the model and the baselines over every origin and step", () => {
    const run = rollingOrigin(line, () => [0, 0], { horizon: 2, testSize: 4 });
    const s = scoreBacktest(line, run, 2, 1);
    // Actuals 6,7 | 7,8 | 8,9; the training span 0…5 steps by 1, so MASE = MAE.
    expect(s.metrics.model.mae).toBe(7.5);
    expect(s.metrics.model.mase).toBe(7.5);
    expect(s.metrics.naive.mae).toBe(1.5); // errors 1, 2 at every origin
    expect(s.maeByStep.naive).toEqual([1, 2]);
    expect(s.metrics.drift.mae).toBe(0); // the line itself
    expect(s.forecasts.seasonalNaive).toEqual(s.forecasts.naive); // season 1
  });

  it("a trained network's forecasts ignore everything after their origin", async () => {
    const s = synthetic(96, { seed: 4 });
    const values = Float64Array.from(s.values);
    const spec: NetworkSpec = {
      preset: "lstm", strategy: "direct", lookback: 12, horizon: 6, season: 12, epochs: 3, patience: 5,
      seed: 1, ensemble: 2, verbose: 0,
    };
    const testSize = 24;
    const net = await NetworkEnsemble.fit(values.slice(0, 96 - testSize), spec);
    const clean = rollingOrigin(values, (h) => net.forecast(h), { horizon: 6, testSize });
    expect(clean.origins.length).toBe(testSize - 6 + 1);
    for (const k of [0, 7, 18]) {
      const o = clean.origins[k]!;
      for (const poison of [NaN, 1e12]) {
        const poisoned = values.slice();
        poisoned.fill(poison, o + 1);
        const run = rollingOrigin(poisoned, (h, origin) => (origin === o ? net.forecast(h) : new Array(6).fill(0)), { horizon: 6, testSize });
        expect(run.forecasts[k]).toEqual(clean.forecasts[k]);
      }
    }
  });
});
