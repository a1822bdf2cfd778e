// CSV → one regular series: the bundled example, expression targets, date-column detection,
// resampling and the imputation report.

import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSeries, bundledDataPath } from "../../src/forecast/series.js";
import { DataError, ConfigError } from "../../src/tensor/errors.js";

describe("loadSeries", () => {
  it("builds the bundled example: weekly Seattle median temperature", () => {
    const s = loadSeries(bundledDataPath("weather.csv"), { where: ["location=Seattle"], target: "median(temp_max,temp_min)", freq: "week" });
    expect(s.name).toBe("median(temp_max,temp_min)");
    expect(s.freq).toBe("week");
    expect(s.values.length).toBe(210);
    expect(s.imputed.count).toBe(0);
    // the week of 2012-01-02 (Mon) .. 2012-01-08: mean of the daily (max+min)/2, recomputed from the raw rows
    const raw = [[10.6, 2.8], [11.7, 7.2], [12.2, 5.6], [8.9, 2.8], [4.4, 2.2], [7.2, 2.8], [10, 2.8]];
    const expected = raw.reduce((a, [x, y]) => a + (x! + y!) / 2, 0) / 7;
    expect(s.values[1]).toBeCloseTo(expected, 10);
    expect(s.notes.join("\n")).toMatch(/resampled from day to week \(mean\): 210 periods/);
  });

  it("finds the date column and the only numeric column by itself", () => {
    const s = loadSeries(bundledDataPath("stocks.csv"), { where: ["symbol=IBM"] });
    expect(s.name).toBe("price");
    expect(s.freq).toBe("month");
    expect(s.values.length).toBe(123);
  });

  it("reports imputed periods instead of filling them silently", () => {
    const dir = mkdtempSync(join(tmpdir(), "series-"));
    const path = join(dir, "gaps.csv");
    // one month in twelve (8 %) is within the default limits (a gap of 3, 10 % of the series)
    const rows = Array.from({ length: 12 }, (_, i) => `2020-${String(i + 1).padStart(2, "0")},${i + 1}`).filter((_, i) => i !== 2);
    writeFileSync(path, "month,value\n" + rows.join("\n") + "\n");
    const s = loadSeries(path, {});
    expect(Array.from(s.values)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(s.imputed).toEqual({ count: 1, method: "linear", dates: ["2020-03-01"] });
    expect(s.notes.join("\n")).toMatch(/1 missing value imputed \(linear\): 2020-03/);
  });

  it("asks for --target when several numeric columns could be meant", () => {
    expect(() => loadSeries(bundledDataPath("weather.csv"), { where: ["location=Seattle"] }))
      .toThrow(new DataError("weather.csv: choose the column to forecast with --target; numeric columns: precipitation, temp_max, temp_min, wind; all columns: location, date, precipitation, temp_max, temp_min, wind, weather"));
  });

  it("refuses an unknown frequency or aggregation with the choices", () => {
    expect(() => loadSeries(bundledDataPath("stocks.csv"), { freq: "hourly" as never })).toThrow(ConfigError);
    expect(() => loadSeries(bundledDataPath("stocks.csv"), { agg: "mode" as never })).toThrow(/--agg must be one of mean, median, sum, min, max, last, first/);
  });
});
