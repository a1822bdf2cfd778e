// The statistical classics as backtest baselines: fitted once on the training span, run over each
// origin's history; at the first origin each is exactly the method itself; nothing after an
// origin reaches its forecast; scored beside naive, seasonal naive and drift.
import { describe, it, expect } from "vitest";
import { statBaselineForecasts, STAT_BASELINES } from "../../src/forecast/stat_baselines.js";
import { rollingOrigin, scoreBacktest } from "../../src/forecast/backtest.js";
import { STAT_METHODS } from "../../src/forecast/stats/index.js";
import { forecast } from "../../src/forecast/forecaster.js";
import { synthetic } from "./fixtures.js";

const H = 6;
const values = Float64Array.from(synthetic(120, { seed: 4, amplitude: 3, trend: 0.08, noise: 0.3 }).values);
const origins = Array.from({ length: 19 }, (_, i) => 95 + i); // training span: the first 96 values

describe("statBaselineForecasts", () => {
  const run = statBaselineForecasts(values, origins, H, 12);

  it("forecasts every method from every origin", () => {
    expect(Object.keys(run.forecasts)).toEqual([...STAT_BASELINES]);
    for (const k of STAT_BASELINES) {
      expect(run.forecasts[k]).toHaveLength(origins.length);
      for (const row of run.forecasts[k]!) {
        expect(row).toHaveLength(H);
        expect(row.every(Number.isFinite)).toBe(true);
      }
    }
    expect(run.etsModel).toMatch(/^[AM](N|A|Ad)[NAM]$/);
    expect(run.notes).toEqual([]);
  });

  it("at the first origin, each is the method fitted on the training span", () => {
    const train = values.slice(0, 96);
    for (const k of ["ses", "holt", "damped", "ets", "theta"] as const) expect(run.forecasts[k]![0], k).toEqual(STAT_METHODS[k]!(train, 12, H));
    const comb = STAT_METHODS.comb!(train, 12, H);
    run.forecasts.comb![0]!.forEach((v, h) => expect(v).toBeCloseTo(comb[h]!, 9));
  });

  it("later origins use their whole history, and nothing after it", () => {
    // The states move with the data: a later origin's forecast is not the first one's.
    expect(run.forecasts.ets![10]).not.toEqual(run.forecasts.ets![0]);
    const changed = Float64Array.from(values);
    for (let t = 106; t < changed.length; t++) changed[t] = changed[t]! * 1.5 + 7;
    const again = statBaselineForecasts(changed, origins, H, 12);
    for (const k of STAT_BASELINES) {
      // Origins up to index 105 (rows 0…10) saw none of the change; row 11 (origin 106) did.
      expect(again.forecasts[k]!.slice(0, 11), k).toEqual(run.forecasts[k]!.slice(0, 11));
      expect(again.forecasts[k]![11], k).not.toEqual(run.forecasts[k]![11]);
    }
  });

  it("on a trending seasonal series, the classics beat naive and drift", () => {
    const scores = scoreBacktest(values, rollingOrigin(values, (h) => Array(H).fill(h[h.length - 1]), { horizon: H, testSize: 24 }), H, 12);
    for (const k of ["holt", "damped", "ets", "theta", "comb"] as const) {
      expect(scores.metrics[k]!.mase, k).toBeLessThan(scores.metrics.naive.mase);
      expect(scores.metrics[k]!.mase, k).toBeLessThan(scores.metrics.drift.mase);
    }
    expect(scores.maeByStep.ets).toHaveLength(H);
    expect(Object.keys(scores.metrics)).toEqual(["model", "naive", "seasonalNaive", "drift", ...STAT_BASELINES]);
    const plain = scoreBacktest(values, rollingOrigin(values, () => Array(H).fill(0), { horizon: H, testSize: 24 }), H, 12, { statistical: false });
    expect(Object.keys(plain.metrics)).toEqual(["model", "naive", "seasonalNaive", "drift"]);
    expect(plain.notes).toEqual([]);
  });

  it("a series with values ≤ 0 gets the additive models only, and every method still runs", () => {
    const shifted = Float64Array.from(values, (v) => v - 20);
    const r = statBaselineForecasts(shifted, origins, H, 12);
    expect(Object.keys(r.forecasts)).toEqual([...STAT_BASELINES]);
    expect(r.etsModel).toMatch(/^A/);
  });
});

describe("forecast() scores the statistical baselines", () => {
  it("in its metrics, report and notes", async () => {
    const s = synthetic(96, { seed: 2 });
    const r = await forecast(s, { epochs: 2, ensemble: 1, horizon: 6, testSize: 18, refit: false });
    expect(Object.keys(r.metrics)).toEqual(["model", "naive", "seasonalNaive", "drift", ...STAT_BASELINES]);
    for (const k of STAT_BASELINES) expect(Number.isFinite(r.metrics[k]!.mase), k).toBe(true);
    expect(Object.keys(r.report.metrics)).toEqual(Object.keys(r.metrics));
    const best = r.report.backtestByStep[0]!.best!;
    expect(STAT_BASELINES).toContain(best.method);
    expect(STAT_BASELINES.every((k) => r.metrics[k]!.mae >= r.metrics[best.method as (typeof STAT_BASELINES)[number]]!.mae)).toBe(true);
    expect(r.notes.some((n) => /statistical baselines fitted once on the training span.*automatic ETS chose/.test(n))).toBe(true);
  });
});
