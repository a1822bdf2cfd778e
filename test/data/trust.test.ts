// The data layer's refusals, one by one: non-finite and float32-overflowing cells, derived
// overflow, a/b/yyyy dates decided over the whole column, ids that look like years, imputation
// limits, grids too long to build, and the chunked reader of the Node file system.

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, DataError } from "../../src/tensor/errors.js";
import {
  BlockColumn,
  DateColumnReader,
  FLOAT32_MAX,
  LineMap,
  MAX_PERIODS,
  dateColumn,
  derive,
  fillMissingPeriods,
  inferFrequency,
  medianSpacingDays,
  numericColumn,
  parseCsv,
  parseDate,
  parseNumber,
  radixOrder,
  readCell,
  regularize,
  regularizeSeries,
  resample,
  toTimeSeries,
} from "../../src/data/index.js";
import { nodeFileSystem } from "../../src/node/fs.js";
import { loadSeriesFromText } from "../../src/forecast/series.js";

const D = (s: string): number => parseDate(s);

describe("non-finite and overflowing values", () => {
  it("readCell tells numbers, missing cells, non-finite values and text apart", () => {
    expect(readCell(" 2.5 ")).toBe(2.5);
    expect(readCell("")).toBeNaN();
    expect(readCell("NA")).toBeNaN();
    for (const t of ["NaN", "nan", "Infinity", "-inf", "+Infinity", "1e300", "-3.5e38"]) expect(readCell(t)).toBe("nonfinite");
    expect(readCell(String(FLOAT32_MAX))).toBe(FLOAT32_MAX);
    expect(readCell("1e-300")).toBe(1e-300);
    expect(readCell("abc")).toBeUndefined();
    expect(parseNumber("-inf")).toBe(-Infinity);
    expect(parseNumber("NaN")).toBeNaN();
  });

  it("numericColumn refuses them with the source, column, first lines and count, or reads them as missing", () => {
    const f = parseCsv("d,v\n2020-01-01,1\n2020-01-02,1e300\n2020-01-03,NaN\n2020-01-04,\n2020-01-05,inf\n", { source: "n.csv" });
    expect(() => numericColumn(f, "v")).toThrow(
      new DataError(
        'n.csv, column "v": 3 rows hold values that are not finite as float32 (NaN, Infinity, or beyond ±3.4e38): ' +
          'line 3 ("1e300"), line 4 ("NaN"), line 6 ("inf"); fix the file, or read them as missing values (nonFinite: "missing")',
      ),
    );
    expect(Array.from(numericColumn(f, "v", { nonFinite: "missing" }))).toEqual([1, NaN, NaN, NaN, NaN]);
    expect(() => toTimeSeries(f, { date: "d", values: ["v"] })).toThrow(/3 rows hold values that are not finite/);
  });

  it("derive refuses a result that overflows float32", () => {
    const f = parseCsv("a,b\n1,2\n3e38,3e38\n", { source: "x.csv" });
    expect(() => derive(f, "s", ["a", "b"], "sum")).toThrow(/^x\.csv, column "s": 1 row holds a value that is not finite as float32 .*line 3 \("6e\+38"\); the expression overflows/);
    expect(derive(f, "m", ["a", "b"], "mean").rows[1]!.m).toBe("3e+38");
  });
});

describe("dates decided over the whole column", () => {
  it("a/b/yyyy: day/month when a first field exceeds 12, month/day when a second does, else refused", () => {
    const eu = parseCsv("date\n01/02/2020\n13/02/2020\n", { source: "e.csv" });
    expect(dateColumn(eu, "date")).toEqual([D("2020-02-01"), D("2020-02-13")]);
    const us = parseCsv("date\n01/02/2020\n01/13/2020\n", { source: "u.csv" });
    expect(dateColumn(us, "date")).toEqual([D("2020-01-02"), D("2020-01-13")]);
    const amb = parseCsv("date\n01/02/2020\n03/04/2020\n", { source: "a.csv" });
    expect(() => dateColumn(amb, "date")).toThrow(/^a\.csv, column "date": dates such as "01\/02\/2020" \(line 2\) read both as day\/month and month\/day/);
    expect(dateColumn(amb, "date", { dateFormat: "DD/MM/YYYY" })).toEqual([D("2020-02-01"), D("2020-04-03")]);
    expect(dateColumn(amb, "date", { dayFirst: false })).toEqual([D("2020-01-02"), D("2020-03-04")]);
    const mixed = parseCsv("date\n13/01/2020\n01/13/2020\n", { source: "m.csv" });
    expect(() => dateColumn(mixed, "date")).toThrow(/the dates mix day\/month \("13\/01\/2020", line 2\) and month\/day \("01\/13\/2020", line 3\)/);
    // equal fields read the same both ways; times of day and zones survive the deferred decision
    expect(dateColumn(parseCsv("date\n05/05/2020\n"), "date")).toEqual([D("2020-05-05")]);
    const timed = parseCsv("date\n13/01/2020 10:30\n14/01/2020T23:00-02:00\n");
    expect(dateColumn(timed, "date")).toEqual([D("2020-01-13T10:30"), D("2020-01-15T01:00Z")]);
  });

  it("an explicit format accepts only its spelling", () => {
    expect(parseDate("2020-01-31", { format: "YYYY-MM-DD" })).toBe(D("2020-01-31"));
    expect(() => parseDate("31/01/2020", { format: "YYYY-MM-DD", line: 4 })).toThrow('line 4: cannot parse date "31/01/2020": not a YYYY-MM-DD date');
    expect(parseDate("2020Q3", { format: "YYYY-Q" })).toBe(D("2020-07-01"));
    expect(parseDate("31.01.2020", { format: "DD.MM.YYYY" })).toBe(D("2020-01-31"));
    expect(() => parseDate("2020-01-01T10:00+25:00")).toThrow(/time zone offset \+25:00 out of range/);
  });

  it("plain numbers are years only in a column named like one, or with dateFormat YYYY", () => {
    const f = parseCsv("id,year,v\n1001,1990,1\n1002,1991,2\n", { source: "y.csv" });
    expect(() => dateColumn(f, "id")).toThrow('y.csv line 2, column "id": "1001" is a plain number, not a date');
    expect(dateColumn(f, "year")).toEqual([D("1990"), D("1991")]);
    expect(dateColumn(f, "id", { dateFormat: "YYYY" })).toEqual([D("1001"), D("1002")]);
    expect(() => new DateColumnReader("y.csv", "d", { dateFormat: "YY" as never })).toThrow(DataError);
  });

  it("the median spacing is exact whether it counts a few spacings or sorts a hundred thousand", () => {
    const few = [0, 1, 2, 4, 5, 9].map((d) => d * 86_400_000);
    expect(medianSpacingDays(few.length, (i) => few[i]!)).toBe(1);
    // 150 001 distinct spacings: falls back to sorting them
    const many: number[] = [0];
    for (let i = 1; i <= 150_001; i++) many.push(many[i - 1]! + 86_400_000 + i);
    const gaps = many.slice(1).map((t, i) => t - many[i]!).sort((a, b) => a - b);
    expect(medianSpacingDays(many.length, (i) => many[i]!)).toBe(gaps[75_000]! / 86_400_000);
    expect(inferFrequency(many)).toBe("day");
  });
});

describe("imputation limits", () => {
  const months = (list: string[]): number[] => list.map(D);

  it("a gap longer than maxGap is refused with its dates and lines; the default is 3 periods", () => {
    const f = parseCsv("m,v\n2020-01,1\n2020-02,2\n2020-07,7\n" + Array.from({ length: 40 }, (_, i) => `${2020 + Math.floor((i + 7) / 12)}-${String(((i + 7) % 12) + 1).padStart(2, "0")},${i}`).join("\n"), { source: "g.csv" });
    const ts = toTimeSeries(f, { date: "m", values: ["v"] });
    expect(() => regularizeSeries(ts)).toThrow(
      'g.csv, column "v": 4 consecutive months missing (2020-03 … 2020-06) between line 3 (2020-02-01) and line 4 (2020-07-01), more than maxGap 3 may be imputed',
    );
    expect(regularizeSeries(ts, { maxGap: 4 }).reports.v!.count).toBe(4);
  });

  it("missing cells next to absent rows count as one gap", () => {
    const dates = months(["2020-01", "2020-02", "2020-04", "2020-05", "2020-06"]);
    expect(() => fillMissingPeriods(dates, [1, NaN, 4, NaN, 6], "month", "linear", { maxShare: 1, maxGap: 1 })).toThrow(
      /2 consecutive months missing \(2020-02 … 2020-03\)/,
    );
    expect(fillMissingPeriods(dates, [1, NaN, 4, NaN, 6], "month", "linear", { maxShare: 1, maxGap: 2 }).report.count).toBe(3);
  });

  it("the share is checked against the regular series; limits themselves are checked", () => {
    const dates = Array.from({ length: 20 }, (_, i) => D("2020-01-01") + i * 2 * 86_400_000);
    expect(() => fillMissingPeriods(dates, dates.map(() => 1), "day")).toThrow(/19 of 39 days \(48\.7 %\) would be imputed/);
    expect(fillMissingPeriods(dates, dates.map(() => 1), "day", "linear", { maxShare: 0.5 }).values.length).toBe(39);
    expect(() => fillMissingPeriods(dates, dates.map(() => 1), "day", "linear", { maxShare: 2 })).toThrow(ConfigError);
    expect(() => fillMissingPeriods(dates, dates.map(() => 1), "day", "linear", { maxGap: -1 })).toThrow(ConfigError);
  });

  it("a grid longer than MAX_PERIODS fails before anything is allocated", () => {
    const far = [0, 86_400_000, 1e16];
    const t0 = performance.now();
    expect(() => regularize(far, [[1, 2, 3]], "day")).toThrow(new RegExp(`spans \\d+ days, more than the ${MAX_PERIODS} a series may have`));
    expect(() => resample(far, [1, 2, 3], { freq: "day", agg: "mean" })).toThrow(/more than the 10000000 a series may have/);
    expect(() => fillMissingPeriods(far, [1, 2, 3], "day", "linear", { maxGap: Infinity, maxShare: 1 })).toThrow(/a series may have/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("column storage for streamed rows", () => {
  it("BlockColumn keeps values across block boundaries; LineMap stores runs", () => {
    const c = new BlockColumn();
    const small = new BlockColumn();
    for (let i = 0; i < 3000; i++) small.push(i);
    expect(Array.from(small.toArray())).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    const n = (1 << 21) + 5; // past two block boundaries
    for (let i = 0; i < n; i++) c.push(i * 0.5);
    expect(c.length).toBe(n);
    const at = [0, 1023, 1024, (1 << 20) - 1, 1 << 20, (1 << 21) + 4];
    expect(at.map((i) => c.get(i))).toEqual(at.map((i) => i * 0.5));
    c.set(1 << 20, -1);
    const all = c.toArray();
    expect(all.length).toBe(n);
    expect([all[1 << 20], all[(1 << 21) + 4]]).toEqual([-1, ((1 << 21) + 4) * 0.5]);
    const l = new LineMap();
    const lines = [2, 3, 4, 7, 8, 12, 13, 14, 15];
    for (const x of lines) l.push(x);
    expect(lines.map((_, i) => l.get(i))).toEqual(lines);
  });
});

describe("radix order of rows by timestamp", () => {
  it("equals a stable comparison sort, for any spread of integer keys and for fractional ones", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.maxSafeInteger(), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })), { maxLength: 300 }),
        fc.boolean(),
        (keys, fractional) => {
          const ks = fractional && keys.length > 0 ? [...keys.slice(1), 0.5] : keys;
          const expected = ks.map((_, i) => i).sort((a, b) => ks[a]! - ks[b]! || a - b);
          expect(Array.from(radixOrder(ks.length, (i) => ks[i]!))).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("loadSeries reads an unsorted file as the sorted one", () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10)},${i}`);
    const shuffled = rows.map((r, i) => [r, (i * 7919) % 200] as const).sort((a, b) => a[1] - b[1]).map((x) => x[0]);
    const a = loadSeriesFromText("date,v\n" + rows.join("\n"));
    const b = loadSeriesFromText("date,v\n" + shuffled.join("\n"));
    expect(Array.from(b.values)).toEqual(Array.from(a.values));
    expect(b.dates).toEqual(a.dates);
  });
});

describe("Node's chunked read", () => {
  const dir = mkdtempSync(join(tmpdir(), "chunks-"));
  const path = join(dir, "bytes.bin");
  const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 256);
  writeFileSync(path, bytes);

  it("yields the file's bytes in order, at most chunkBytes at a time", () => {
    for (const size of [1, 999, 4096, 1 << 20]) {
      const parts = [...nodeFileSystem.readChunks!(path, size)];
      expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(size);
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) all.set(p, (at += p.length) - p.length);
      expect(all).toEqual(bytes);
    }
  });

  it("closes the file when the reader stops early, and reports a missing file", () => {
    const fds = (): number => readdirSync("/proc/self/fd").length;
    if (!existsSync("/proc/self/fd")) return;
    const before = fds();
    for (let k = 0; k < 20; k++) {
      for (const _ of nodeFileSystem.readChunks!(path, 10)) break;
    }
    expect(fds()).toBe(before);
    expect(() => [...nodeFileSystem.readChunks!(join(dir, "missing.bin"), 10)]).toThrow(/ENOENT/);
  });
});
