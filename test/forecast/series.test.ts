// CSV → one regular series: the bundled example, expression targets, date-column detection,
// resampling and the imputation report.

import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSeries, loadSeriesFromText, bundledDataPath } from "../../src/forecast/series.js";
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

// The audit: each finding below made a forecast out of bad data without a word, or never ended.
describe("loadSeries refuses data it cannot trust", () => {
  const dir = mkdtempSync(join(tmpdir(), "series-audit-"));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const days = (n: number, value: (i: number) => string = (i) => String(i + 1), start = Date.UTC(2020, 0, 1)): string[] =>
    Array.from({ length: n }, (_, i) => `${new Date(start + i * 86_400_000).toISOString().slice(0, 10)},${value(i)}`);
  const error = (fn: () => unknown): DataError => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      return e as DataError;
    }
    throw new Error("expected a DataError");
  };

  it("1e300 (beyond float32) is refused with the file, column, lines and count", () => {
    const rows = days(40);
    rows[9] = "2020-01-10,1e300";
    rows[19] = "2020-01-20,-1e300";
    const path = file("huge.csv", "date,value\n" + rows.join("\n") + "\n");
    expect(error(() => loadSeries(path)).message).toBe(
      'huge.csv, column "value": 2 rows hold values that are not finite as float32 (NaN, Infinity, or beyond ±3.4e38): ' +
        'line 11 ("1e300"), line 21 ("-1e300"); fix the file, or drop those rows or impute them (nonFinite: "drop" | "impute", --non-finite)',
    );
  });

  it("NaN and Infinity spelled out are refused too; the first five lines and the count are named", () => {
    const rows = days(60);
    for (const i of [3, 5, 7, 9, 11, 13, 15]) rows[i] = rows[i]!.replace(/,.*/, i % 2 ? ",NaN" : ",Infinity");
    const msg = error(() => loadSeriesFromText("date,value\n" + rows.join("\n"), { source: "t.csv" })).message;
    expect(msg).toMatch(/^t\.csv, column "value": 7 rows hold values that are not finite/);
    expect(msg).toContain('line 5 ("NaN"), line 7 ("NaN"), line 9 ("NaN"), line 11 ("NaN"), line 13 ("NaN"), … (7 rows in all)');
  });

  it("a value that becomes non-finite in a derived expression is refused, naming the expression", () => {
    const rows = Array.from({ length: 30 }, (_, i) => `2020-01-${String(i + 1).padStart(2, "0")},${i === 4 ? "3e38" : "1"},${i === 4 ? "-3e38" : "0"}`);
    const msg = error(() => loadSeriesFromText("date,a,b\n" + rows.join("\n"), { source: "d.csv", target: "difference(a,b)" })).message;
    expect(msg).toMatch(/^d\.csv, column "difference\(a,b\)": 1 row holds a value that is not finite as float32 .*line 6 \("6e\+38"\)/);
  });

  it("opting in: non-finite rows are dropped or imputed, and the notes say so", () => {
    const rows = days(40);
    rows[9] = "2020-01-10,1e300";
    const text = "date,value\n" + rows.join("\n");
    const imputed = loadSeriesFromText(text, { source: "h.csv", nonFinite: "impute" });
    expect(imputed.values[9]).toBe(10); // linear between 9 and 11
    expect(imputed.imputed.dates).toEqual(["2020-01-10"]);
    expect(imputed.notes.join("\n")).toMatch(/1 row holds a value that is not finite .*line 11 \("1e300"\): read as missing values/);
    const dropped = loadSeriesFromText(text, { source: "h.csv", nonFinite: "drop" });
    expect(Array.from(dropped.values)).toEqual(Array.from(imputed.values));
    expect(dropped.notes.join("\n")).toMatch(/line 11 \("1e300"\): rows dropped \(1 in all\)/);
  });

  it("one row dated 9999-12-31 fails at once, naming the gap and its lines", () => {
    const rows = days(90);
    rows.push("9999-12-31,1");
    const path = file("far.csv", "date,value\n" + rows.join("\n") + "\n");
    const t0 = performance.now();
    const msg = error(() => loadSeries(path)).message;
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(msg).toMatch(
      /^far\.csv, column "value": \d+ consecutive days missing \(2020-03-31 … 9999-12-30\) between line 91 \(2020-03-30\) and line 92 \(9999-12-31\), more than maxGap 3 may be imputed; allow it with maxGap \/ maxShare \(--max-gap, --max-imputed\)/,
    );
  });

  it("with resampling asked for, the 9999-12-31 row fails as fast", () => {
    const rows = days(90);
    rows.push("9999-12-31,1");
    const t0 = performance.now();
    expect(error(() => loadSeriesFromText("date,value\n" + rows.join("\n"), { source: "far.csv", freq: "week" })).message).toMatch(
      /^far\.csv, column "value": \d+ consecutive weeks missing \(2020-04-06 … 9999-12-20\) between 2020-03-30 and 9999-12-27, more than maxGap 3/,
    );
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("gaps within the limits are imputed and reported; beyond them only when asked", () => {
    const rows = days(100).filter((_, i) => i < 40 || i > 43); // 4 days missing: one more than the default gap
    const text = "date,value\n" + rows.join("\n");
    expect(error(() => loadSeriesFromText(text, { source: "g.csv" })).message).toMatch(
      /^g\.csv, column "value": 4 consecutive days missing \(2020-02-10 … 2020-02-13\) between line 41 \(2020-02-09\) and line 42 \(2020-02-14\)/,
    );
    const s = loadSeriesFromText(text, { source: "g.csv", maxGap: 4 });
    expect(s.imputed.count).toBe(4);
    expect(s.values[41]).toBeCloseTo(42, 10);
    // many short gaps: every third day missing is 33 % of the series, over the default 10 %
    const sparse = days(90).filter((_, i) => i % 3 !== 1);
    const msg = error(() => loadSeriesFromText("date,value\n" + sparse.join("\n"), { source: "s.csv" })).message;
    expect(msg).toMatch(/^s\.csv, column "value": 30 of 90 days \(33\.3 %\) would be imputed \(first: 2020-01-02, 2020-01-05, 2020-01-08, 2020-01-11, 2020-01-14, …\), more than maxShare 10 %/);
    expect(loadSeriesFromText("date,value\n" + sparse.join("\n"), { maxImputedShare: 0.4 }).imputed.count).toBe(30);
  });

  it("dd/mm/yyyy dates are read as day/month when a first field exceeds 12, and the notes say so", () => {
    const rows = days(90).map((r) => {
      const [d, v] = r.split(",");
      const [y, m, dd] = d!.split("-");
      return `${dd}/${m}/${y},${v}`;
    });
    const path = file("eu.csv", "date,value\n" + rows.join("\n") + "\n");
    const s = loadSeries(path);
    expect(s.values.length).toBe(90);
    expect(s.imputed.count).toBe(0);
    expect(s.dates[12]).toBe(Date.UTC(2020, 0, 13));
    expect(s.notes.join("\n")).toMatch(/dates in column "date" read as DD\/MM\/YYYY \("13\/01\/2020" on line 14 is not month\/day\)/);
    // the same dates month first are read as MM/DD
    const us = rows.map((r) => r.replace(/^(\d\d)\/(\d\d)/, "$2/$1"));
    expect(loadSeriesFromText("date,value\n" + us.join("\n")).notes.join("\n")).toMatch(/read as MM\/DD\/YYYY/);
  });

  it("a/b/yyyy dates that read both ways are refused, asking for dateFormat; given, it is used", () => {
    const rows = Array.from({ length: 12 }, (_, i) => `01/${String(i + 1).padStart(2, "0")}/2020,${i}`);
    const text = "date,value\n" + rows.join("\n");
    expect(error(() => loadSeriesFromText(text, { source: "amb.csv" })).message).toBe(
      'amb.csv, column "date": dates such as "01/02/2020" (line 3) read both as day/month and month/day, and no value has ' +
        'a field above 12 to tell; give the date format: dateFormat "DD/MM/YYYY" or "MM/DD/YYYY" (--date-format)',
    );
    const monthly = loadSeriesFromText(text, { dateFormat: "DD/MM/YYYY" });
    expect(monthly.freq).toBe("month");
    const daily = loadSeriesFromText(text, { dateFormat: "MM/DD/YYYY" });
    expect(daily.freq).toBe("day");
    expect(() => loadSeriesFromText(text, { dateFormat: "dd-mm" as never })).toThrow(ConfigError);
  });

  it("an integer id column is not taken for years", () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${1001 + i},${i % 7}`);
    const text = "id,value\n" + rows.join("\n");
    expect(error(() => loadSeriesFromText(text, { source: "ids.csv" })).message).toBe(
      "ids.csv: no date column found; choose one with --date from: id, value",
    );
    expect(error(() => loadSeriesFromText(text, { source: "ids.csv", date: "id" })).message).toBe(
      'ids.csv line 2, column "id": "1001" is a plain number, not a date; if the column holds years, give dateFormat "YYYY" (--date-format YYYY) or choose another date column',
    );
    const asked = loadSeriesFromText(text, { date: "id", dateFormat: "YYYY" });
    expect(asked.freq).toBe("year");
    // a column named like a year column holds years
    const years = loadSeriesFromText("year,value\n" + rows.join("\n"));
    expect(years.freq).toBe("year");
    expect(years.values.length).toBe(30);
  });

  it("reads the file in chunks through the port, never whole, with the same result at any chunk size", async () => {
    const { useFileSystem, fileSystem } = await import("../../src/io/fs.js");
    const host = fileSystem("test");
    const rows = days(120, (i) => (i % 11 === 3 ? "" : String(Math.sin(i) * 10)));
    const path = file("chunks.csv", "date,value,other\r\n" + rows.map((r, i) => `${r},"x,${i}"`).join("\r\n") + "\r\n");
    const whole = loadSeries(path);
    for (const size of [1, 3, 17, 4096]) {
      const sizes: number[] = [];
      useFileSystem({
        ...host,
        readText: () => {
          throw new Error("readText must not be used when readChunks exists");
        },
        readBytes: () => {
          throw new Error("readBytes must not be used when readChunks exists");
        },
        readChunks: (p: string) => {
          const it = host.readChunks!(p, size);
          return (function* () {
            for (const c of it) {
              sizes.push(c.length);
              yield c;
            }
          })();
        },
      });
      try {
        const s = loadSeries(path);
        expect(Array.from(s.values)).toEqual(Array.from(whole.values));
        expect(s.notes).toEqual(whole.notes);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(size);
      } finally {
        useFileSystem(host);
      }
    }
  });

  it("a missing file or an unclosed quote is a DataError naming it", () => {
    expect(error(() => loadSeries(join(dir, "nope.csv"))).message).toBe(`cannot read ${join(dir, "nope.csv")}: no such file`);
    expect(error(() => loadSeriesFromText('date,value\n2020-01-01,"1\n2020-01-02,2\n', { source: "q.csv" })).message).toMatch(
      /^q\.csv: Quote Not Closed/,
    );
  });
});
