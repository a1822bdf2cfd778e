// The forecaster with its defaults on public series: it must beat naive and seasonal naive in
// rolling-origin MASE. Margins were measured over seeds 42 and 1–5 (model / best baseline):
// Seattle 0.850–0.864, IBM 0.931–0.945, CO2 0.172–0.175.
import { describe, it, expect } from "vitest";
import { forecast, type ForecastResult } from "../../src/forecast/index.js";
import { seattleWeekly, ibmMonthly, co2Monthly } from "./fixtures.js";

function bestBaseline(r: ForecastResult): number {
  return Math.min(r.metrics.naive.mase, r.metrics.seasonalNaive.mase);
}

describe("default forecaster on real series", () => {
  it("Seattle weekly temperature (210 weeks): beats naive and seasonal naive", async () => {
    const s = seattleWeekly();
    const r = await forecast(s); // all defaults, as the CLI runs it
    expect(r.horizon).toBe(13);
    expect(r.lookback).toBe(52);
    expect(r.rolling.length).toBe(42 - 13 + 1); // testSize = 20% of 210
    expect(r.metrics.model.mase).toBeLessThan(r.metrics.naive.mase);
    expect(r.metrics.model.mase).toBeLessThan(r.metrics.seasonalNaive.mase);
    expect(r.metrics.model.mase / bestBaseline(r)).toBeLessThan(0.92);
    // The future follows the season: the first weeks of 2016 are winter, not summer.
    expect(r.future[0]!.date).toBe("2016-01-04");
    for (const f of r.future) expect(f.value).toBeGreaterThan(0), expect(f.value).toBeLessThan(12);
  });

  it("IBM monthly price (123 months): beats naive and seasonal naive", async () => {
    const r = await forecast(ibmMonthly());
    expect(r.horizon).toBe(12);
    expect(r.metrics.model.mase).toBeLessThan(r.metrics.naive.mase);
    expect(r.metrics.model.mase).toBeLessThan(r.metrics.seasonalNaive.mase);
    expect(r.metrics.model.mase / bestBaseline(r)).toBeLessThan(0.97);
    expect(r.notes.join(" ")).toMatch(/not de-seasonalised/);
  });

  it("Mauna Loa CO2, last 20 years monthly (trend and season): far ahead of the baselines", async () => {
    // refit: false skips training for the future, which the backtest metrics do not use.
    const r = await forecast(co2Monthly(20), { refit: false });
    expect(r.notes.join(" ")).toMatch(/de-seasonalised \(/);
    expect(r.metrics.model.mase / bestBaseline(r)).toBeLessThan(0.3);
    expect(r.metrics.model.mase).toBeLessThan(r.metrics.drift.mase);
  });
});
