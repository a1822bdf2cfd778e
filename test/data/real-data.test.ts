// End-to-end checks on the vega-datasets CSVs, with expected numbers recomputed here from
// the raw text (plain string splitting) rather than through the module under test.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import {
  derive,
  filterRows,
  fillMissingPeriods,
  findGaps,
  formatDate,
  inferFrequency,
  makeWindows,
  pivot,
  readCsv,
  resample,
  resampleSeries,
  seasonLength,
  splitChronological,
  toTimeSeries,
} from "../../src/data/index.js";

const WEATHER = "node_modules/vega-datasets/data/weather.csv";
const STOCKS = "node_modules/vega-datasets/data/stocks.csv";

function rawRows(path: string): string[][] {
  return readFileSync(path, "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("weather.csv (Seattle, daily 2012–2015)", () => {
  const weather = readCsv(WEATHER);
  const seattle = filterRows(weather, "location=Seattle");
  const withMid = derive(seattle, "temp_mid", ["temp_max", "temp_min"], "median");
  const ts = toTimeSeries(withMid, { date: "date", values: ["temp_mid", "precipitation"] });
  // Independent: raw Seattle rows as [date, temp_max, temp_min, precipitation].
  const raw = rawRows(WEATHER)
    .filter((r) => r[0] === "Seattle")
    .map((r) => ({ date: r[1], mid: (Number(r[3]) + Number(r[4])) / 2, rain: Number(r[2]) }));

  it("filters, derives and parses every day", () => {
    expect(weather.rows.length).toBe(2922);
    expect(seattle.rows.length).toBe(1461);
    expect(ts.dates.length).toBe(1461);
    expect(inferFrequency(ts.dates)).toBe("day");
    expect(seasonLength(inferFrequency(ts.dates))).toBe(7);
    expect(findGaps(ts.dates, "day").dates).toEqual([]);
    expect(ts.values[0][0]).toBeCloseTo((12.8 + 5.0) / 2, 12);
  });

  it("monthly mean: 48 months, values match a direct computation", () => {
    const m = resampleSeries(ts, "month", "mean");
    expect(m.dates.length).toBe(48);
    expect(formatDate(m.dates[0], "month")).toBe("2012-01");
    expect(formatDate(m.dates[47], "month")).toBe("2015-12");
    for (const [k, month] of [[0, "2012-01"], [29, "2014-06"], [47, "2015-12"]] as const) {
      const expected = mean(raw.filter((r) => r.date.startsWith(month)).map((r) => r.mid));
      expect(m.values[0][k]).toBeCloseTo(expected, 10);
    }
  });

  it("weekly mean: ISO weeks from Monday 2011-12-26, 210 weeks", () => {
    const w = resampleSeries(ts, "week", "mean");
    expect(w.dates.length).toBe(210);
    expect(formatDate(w.dates[0])).toBe("2011-12-26");
    expect(formatDate(w.dates[209])).toBe("2015-12-28");
    expect(w.values[0][0]).toBeCloseTo(raw[0].mid, 12); // only Sunday 2012-01-01
    const week1 = raw.filter((r) => r.date >= "2012-01-02" && r.date <= "2012-01-08").map((r) => r.mid);
    expect(week1.length).toBe(7);
    expect(w.values[0][1]).toBeCloseTo(mean(week1), 10);
  });

  it("monthly precipitation sum preserves the total", () => {
    const m = resample(ts.dates, ts.values[1], { freq: "month", agg: "sum" });
    const total = raw.reduce((a, r) => a + r.rain, 0);
    expect(m.values.reduce((a, b) => a + b, 0)).toBeCloseTo(total, 6);
    expect(Array.from(m.counts).reduce((a, b) => a + b, 0)).toBe(1461);
  });

  it("without a location filter the duplicate dates are reported", () => {
    expect(() => toTimeSeries(weather, { date: "date", values: ["temp_max"] })).toThrow(
      "weather.csv: duplicate date 2012-01-01 on lines 2 and 1463",
    );
    expect(() => filterRows(weather, "location=Seatle")).toThrow(
      'weather.csv: no row has location = "Seatle"; location holds: Seattle, New York',
    );
  });

  it("pivots locations into columns, and windows the multivariate daily series", () => {
    const wide = pivot(weather, { index: "date", columns: "location", values: "temp_max" });
    expect(wide.columns).toEqual(["date", "Seattle", "New York"]);
    const both = toTimeSeries(wide, { date: "date", values: ["Seattle", "New York"] });
    expect(both.dates.length).toBe(1461);
    expect(both.values[1][0]).toBe(10.0);
    const win = makeWindows(both, { lookback: 28, horizon: 7, inputs: ["Seattle", "New York"], targets: ["Seattle"] });
    expect(win.xShape).toEqual([1461 - 28 - 7 + 1, 28, 2]);
    expect(win.yShape).toEqual([1427, 7, 1]);
    const split = splitChronological(win.xShape[0], { test: 0.2, validation: 0.1 });
    expect(split.test.end).toBe(1427);
    expect(split.train.end).toBe(1427 - 285 - 143);
  });
});

describe("stocks.csv (IBM, monthly 2000–2010, dates like 'Jan 1 2000')", () => {
  const stocks = readCsv(STOCKS);
  const ibm = toTimeSeries(filterRows(stocks, "symbol=IBM"), { date: "date", values: ["price"] });
  const raw = rawRows(STOCKS).filter((r) => r[0] === "IBM");

  it("parses month-name dates into a complete monthly series", () => {
    expect(ibm.dates.length).toBe(123);
    expect(inferFrequency(ibm.dates)).toBe("month");
    expect(formatDate(ibm.dates[0], "month")).toBe("2000-01");
    expect(formatDate(ibm.dates[122], "month")).toBe("2010-03");
    expect(findGaps(ibm.dates, "month").dates).toEqual([]);
    expect(ibm.values[0][0]).toBe(100.52);
    expect(ibm.lines[0]).toBe(248);
  });

  it("yearly mean of 2000 matches the raw rows", () => {
    const y = resample(ibm.dates, ibm.values[0], { freq: "year", agg: "mean" });
    expect(y.dates.length).toBe(11);
    const expected = mean(raw.filter((r) => r[1].endsWith("2000")).map((r) => Number(r[2])));
    expect(y.values[0]).toBeCloseTo(expected, 10);
  });

  it("fills a removed month and reports it", () => {
    const dates = ibm.dates.filter((_, i) => i !== 5);
    const values = ibm.values[0].filter((_, i) => i !== 5);
    const filled = fillMissingPeriods(dates, values);
    expect(filled.freq).toBe("month");
    expect(filled.values.length).toBe(123);
    expect(filled.report.dates!.map((d) => formatDate(d, "month"))).toEqual(["2000-06"]);
    expect(filled.values[5]).toBeCloseTo((ibm.values[0][4] + ibm.values[0][6]) / 2, 10);
  });

  it("all symbols together collide on dates; the error names both lines", () => {
    expect(() => toTimeSeries(stocks, { date: "date", values: ["price"] })).toThrow(
      "stocks.csv: duplicate date 2000-01-01 on lines 2 and 125",
    );
  });
});
