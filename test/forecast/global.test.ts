import { describe, it, expect } from "vitest";
import { forecastGlobal } from "../../src/forecast/global.js";
import { loadSeries } from "../../src/forecast/series.js";
import { loadForecaster } from "../../src/forecast/saved.js";
import { cli } from "../cli/helpers.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";

const SYMBOLS = ["MSFT", "AMZN", "IBM", "GOOG", "AAPL"];
const groups = SYMBOLS.map((sym) => {
  const s = loadSeries("data/stocks.csv", { target: "price", where: [`symbol=${sym}`] });
  return { group: sym, series: { name: s.name, dates: s.dates, values: s.values, freq: s.freq } };
});

describe("one global model across the five stocks of data/stocks.csv", () => {
  it("backtests every series beside its own baselines, averages the metrics, and forecasts each with intervals", async () => {
    const r = await forecastGlobal(groups, { epochs: 40, seed: 42 });
    expect(r.series.map((s) => s.group)).toEqual(SYMBOLS);
    expect(r.series.find((s) => s.group === "GOOG")!.n).toBe(68); // the shortest sets the lookback
    for (const s of r.series) {
      expect(s.future).toHaveLength(r.horizon);
      expect(s.future.every((f) => f.lo95! <= f.lo80! && f.lo80! <= f.value && f.value <= f.hi80! && f.hi80! <= f.hi95!)).toBe(true);
      expect(s.metrics.naive.mase).toBeGreaterThan(0);
    }
    // The aggregate is the plain mean over the series.
    for (const m of ["model", "naive", "seasonalNaive", "drift"] as const) {
      const mean = r.series.reduce((a, s) => a + s.metrics[m].mase, 0) / r.series.length;
      expect(r.aggregate[m]!.mase).toBeCloseTo(mean, 12);
      expect(r.aggregate[m]!.series).toBe(5);
    }
    // Measured: model 1.491, naive 1.594, seasonal naive 1.696, drift 1.591, theta 1.566 (5-stock mean MASE).
    expect(r.aggregate.model!.mase).toBeLessThan(r.aggregate.naive!.mase);
    expect(r.aggregate.model!.mase).toBeLessThan(r.aggregate.seasonalNaive!.mase);
  }, 120_000);

  it("seriesId gives the shared networks one constant one-hot channel per series", async () => {
    const three = groups.slice(0, 3);
    const r = await forecastGlobal(three, { epochs: 5, ensemble: 2, seriesId: true });
    expect(r.notes[0]).toMatch(/with a one-hot series id/);
    expect(r.series.map((s) => s.future.length)).toEqual([r.horizon, r.horizon, r.horizon]);
    // Saved, the ids travel as constant known-future columns: the loaded forecaster predicts the same.
    const dir = mkdtempSync(join(tmpdir(), "rec-global-id-"));
    await r.series[1]!.forecaster.save(dir);
    expect((await loadForecaster(dir)).predict()).toEqual(r.series[1]!.future);
    rmSync(dir, { recursive: true, force: true });
    const plain = await forecastGlobal(three, { epochs: 5, ensemble: 2 });
    // Same seeds and windows: only the id channels differ, and they change the forecasts.
    expect(r.series[0]!.future[0]!.value).not.toBe(plain.series[0]!.future[0]!.value);
  }, 60_000);

  it("refuses a single series, a transform and covariates, saying why", async () => {
    await expect(forecastGlobal(groups.slice(0, 1))).rejects.toThrow(/needs at least two series, got 1/);
    await expect(forecastGlobal(groups, { transform: "log" })).rejects.toThrow(/transforms are not supported by the global model yet \(got "log"\)/);
    await expect(forecastGlobal(groups, { covariates: { features: ["x"] } })).rejects.toThrow(/covariates are not supported by the global model yet/);
  });

  it("the CLI's --group prints every series and the mean row, and --json carries them", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "rec-global-")), "run");
    const f = await cli("forecast", "data/stocks.csv", "--group", "symbol", "--target", "price", "--where", "symbol!=AAPL", "--epochs", "5", "--json", "--quiet", "--out", out);
    expect(f.code).toBe(0);
    // One forecaster per series: `recurrent predict DIR/model/<group>` prints that series' lines of forecast.csv.
    const rows = readFileSync(join(out, "forecast.csv"), "utf8").trim().split("\n").slice(1);
    for (const sym of ["MSFT", "GOOG"]) {
      const p = await cli("predict", join(out, "model", sym));
      expect(p.code).toBe(0);
      const mine = rows.filter((r) => r.startsWith(`${sym},`)).map((r) => r.slice(sym.length + 1));
      expect(p.out.trim().split("\n").slice(1)).toEqual(mine);
    }
    rmSync(dirname(out), { recursive: true, force: true });
    const doc = JSON.parse(f.out);
    expect(doc.group).toBe("symbol");
    expect(doc.series.map((s: { group: string }) => s.group)).toEqual(["MSFT", "AMZN", "IBM", "GOOG"]);
    expect(doc.aggregate.model.series).toBe(4);
    const t = await cli("forecast", "data/stocks.csv", "--group", "symbol", "--target", "price", "--where", "symbol!=AAPL", "--epochs", "5", "--quiet");
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/Global model over 4 series/);
    expect(t.out).toMatch(/^mean\s+\d/m);
    for (const sym of ["MSFT", "AMZN", "IBM", "GOOG"]) expect(t.out).toMatch(new RegExp(`^${sym}\\s+\\d+\\s+\\d`, "m"));
  }, 120_000);
});
