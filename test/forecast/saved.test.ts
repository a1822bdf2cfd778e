// A forecaster saved whole (every network, the seasonal profile, the scale, the anchors, the
// history) and loaded back forecasts exactly what it forecast before, from its own history or from
// a newer series; damaged files are refused with the reason.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forecast, loadForecaster, futureCsv, isForecasterDir, type ForecastResult } from "../../src/forecast/index.js";
import { addPeriods } from "../../src/data/index.js";
import { ConfigError, DataError, ModelFormatError } from "../../src/tensor/errors.js";
import { synthetic } from "./fixtures.js";

let dir: string;
let result: ForecastResult;
const s = synthetic(96, { seed: 3, amplitude: 4 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "recurrent-saved-"));
  result = await forecast(s, { epochs: 3, ensemble: 3, horizon: 6, testSize: 18 });
  await result.forecaster.save(join(dir, "f"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Forecaster.save / loadForecaster", () => {
  it("writes forecaster.json and one model directory per network", () => {
    expect(readdirSync(join(dir, "f")).sort()).toEqual(["forecaster.json", "network-1", "network-2", "network-3"]);
    expect(isForecasterDir(join(dir, "f"))).toBe(true);
    const f = JSON.parse(readFileSync(join(dir, "f", "forecaster.json"), "utf8")) as Record<string, unknown>;
    expect(f).toMatchObject({ format: "recurrent-forecaster", version: 1, freq: "month", lookback: 12, horizon: 6, season: 12, strategy: "direct", model: "lstm" });
    expect(f.future).toEqual(result.future);
    expect((f.profile as { mode: string } | null)?.mode).toBeDefined(); // the seasonal profile travels with the networks
  });

  it("the loaded forecaster gives the saved forecast exactly, from its own history", async () => {
    const g = await loadForecaster(join(dir, "f"));
    expect(g.predict()).toEqual(result.future);
    expect(futureCsv(g.predict())).toBe(futureCsv(result.future));
    expect(g.models).toHaveLength(3);
  });

  it("and the same forecast as the original from a newer series", async () => {
    const g = await loadForecaster(join(dir, "f"));
    const values = [...Array.from(s.values), 20.5, 21.25, 19.75];
    const dates = values.map((_, i) => addPeriods(s.dates[0]!, "month", i));
    const newer = { name: "synthetic", dates, values, freq: "month" as const };
    const a = result.forecaster.predict(newer);
    expect(a[0]!.date).toBe("2008-04");
    expect(g.predict(newer)).toEqual(a);
    // a forecast that ignored the new points would be the old one shifted; it is not
    expect(a.map((f) => f.value)).not.toEqual(result.future.map((f) => f.value));
  });

  it("refuses a series of another frequency, too short a series and a NaN", async () => {
    const g = await loadForecaster(join(dir, "f"));
    expect(() => g.predict({ ...s, freq: "week" })).toThrow(/trained on monthly data but the series is weekly/);
    expect(() => g.predict({ ...s, dates: s.dates.slice(0, 5), values: Array.from(s.values).slice(0, 5) })).toThrow(DataError);
    expect(() => g.predict({ ...s, values: Array.from(s.values, (v, i) => (i === 90 ? NaN : v)) })).toThrow(/2007-07 \(index 90\) is NaN/);
  });

  it("refuses a directory without a forecaster and a damaged forecaster.json", async () => {
    await expect(loadForecaster(dir)).rejects.toThrow(ConfigError);
    const path = join(dir, "f", "forecaster.json");
    const good = readFileSync(path, "utf8");
    const bad = async (edit: (f: Record<string, unknown>) => void, want: RegExp): Promise<void> => {
      const f = JSON.parse(good) as Record<string, unknown>;
      edit(f);
      writeFileSync(path, JSON.stringify(f));
      await expect(loadForecaster(join(dir, "f"))).rejects.toThrow(ModelFormatError);
      await expect(loadForecaster(join(dir, "f"))).rejects.toThrow(want);
    };
    try {
      await bad((f) => (f.format = "something-else"), /not a saved forecaster/);
      await bad((f) => (f.version = 2), /version 2 is not supported/);
      await bad((f) => (f.lookback = 24), /network 1 \(network-1\) takes \[12,1\] and gives 6 value\(s\), but the forecaster needs \[24, 1\] → 6/);
      await bad((f) => ((f.profile as { values: number[] }).values = [1, 2]), /"profile" must be null or hold a mode and 12 seasonal values/);
      await bad((f) => ((f.history as { values: number[] }).values = [1, 2, 3]), /"history" must hold at least lookback 12/);
      writeFileSync(path, good.slice(0, 100));
      await expect(loadForecaster(join(dir, "f"))).rejects.toThrow(/forecaster\.json: not valid JSON/);
    } finally {
      writeFileSync(path, good);
    }
  });
});
