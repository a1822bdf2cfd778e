import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataError } from "../../src/tensor/errors.js";
import {
  dateColumn,
  derive,
  filterRows,
  formatDate,
  numericColumn,
  parseCsv,
  parseWhere,
  pivot,
  readCsv,
  sortByDate,
  stringColumn,
  toTimeSeries,
} from "../../src/data/index.js";

/** Runs fn and returns the DataError it throws (failing otherwise). */
function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error("expected a DataError");
}

const SMALL = "date,city,temp\n2020-01-03,A,3\n2020-01-01,A,1\n\n2020-01-02,A,\n2020-01-01,B,10\n";

describe("parseCsv / readCsv", () => {
  it("reads a header and rows, keeping file lines (header = line 1, empty lines counted)", () => {
    const f = parseCsv(SMALL, { source: "small.csv" });
    expect(f.source).toBe("small.csv");
    expect(f.columns).toEqual(["date", "city", "temp"]);
    expect(f.rows.length).toBe(4);
    expect(f.rows[0]).toEqual({ date: "2020-01-03", city: "A", temp: "3" });
    expect(f.lines).toEqual([2, 3, 5, 6]);
  });

  it("reports the starting line of a record with a multi-line quoted field", () => {
    const f = parseCsv('a,b\n1,"x\ny"\n2,z\n', { source: "q.csv" });
    expect(f.rows[0].b).toBe("x\ny");
    expect(f.lines).toEqual([2, 4]);
  });

  it("guesses ; and tab delimiters and strips a BOM", () => {
    expect(parseCsv("\uFEFFa;b\n1;2\n").rows[0]).toEqual({ a: "1", b: "2" });
    expect(parseCsv("a\tb\n1\t2\n").columns).toEqual(["a", "b"]);
  });

  it("rejects malformed files with source and line", () => {
    expect(dataError(() => parseCsv("a,b\n1,2\n3\n", { source: "bad.csv" })).message).toMatch(/^bad\.csv: .*line 3/);
    expect(dataError(() => parseCsv("a,a\n1,2\n", { source: "dup.csv" })).message).toBe(
      'dup.csv: header names column "a" twice (columns 1 and 2)',
    );
    expect(dataError(() => parseCsv("", { source: "e.csv" })).message).toMatch(/e\.csv: the file is empty/);
  });

  it("readCsv names the file by its base name and reports unreadable files", () => {
    const dir = mkdtempSync(join(tmpdir(), "recurrent-data-"));
    const path = join(dir, "tiny.csv");
    writeFileSync(path, "x,y\n1,2\n");
    expect(readCsv(path).source).toBe("tiny.csv");
    expect(dataError(() => readCsv(join(dir, "nope.csv"))).message).toMatch(/cannot read .*nope\.csv: no such file/);
  });
});

describe("columns", () => {
  const f = parseCsv(SMALL, { source: "small.csv" });

  it("reads numbers, with empty cells as NaN", () => {
    expect(Array.from(numericColumn(f, "temp"))).toEqual([3, 1, NaN, 10]);
    expect(Array.from(numericColumn(parseCsv("v\n1e3\n-.5\nNA\n+2.\n"), "v"))).toEqual([1000, -0.5, NaN, 2]);
  });

  it("missing column lists the available ones", () => {
    const weather = parseCsv("location,date,precipitation,temp_max,temp_min,wind,weather\n", { source: "weather.csv" });
    expect(dataError(() => numericColumn(weather, "tmax")).message).toBe(
      'weather.csv: no column "tmax"; available: location, date, precipitation, temp_max, temp_min, wind, weather',
    );
    expect(stringColumn(f, "CITY")).toEqual(["A", "A", "A", "B"]); // unique case-insensitive match
  });

  it("non-numeric value names file, line, column and value", () => {
    const g = parseCsv('date,temp\n2020-01-01,1\n2020-01-02,"12,5"\n', { source: "t.csv" });
    expect(dataError(() => numericColumn(g, "temp")).message).toBe('t.csv line 3, column "temp": "12,5" is not a number');
  });

  it("strict mode turns missing cells into errors", () => {
    expect(dataError(() => numericColumn(f, "temp", { strict: true })).message).toBe(
      'small.csv line 5, column "temp": missing value ("") in strict mode',
    );
  });

  it("unparseable dates give the line and value", () => {
    const g = parseCsv("date,v\n2020-01-01,1\n2020-31-01,2\n", { source: "d.csv" });
    expect(dataError(() => dateColumn(g, "date")).message).toBe(
      'd.csv line 3, column "date": cannot parse date "2020-31-01": month 31 is not between 1 and 12',
    );
  });
});

describe("where filters", () => {
  const f = parseCsv(SMALL, { source: "small.csv" });

  it("parses column=value, == and !=", () => {
    expect(parseWhere("location=Seattle")).toEqual({ column: "location", op: "=", value: "Seattle" });
    expect(parseWhere(" location == New York ")).toEqual({ column: "location", op: "=", value: "New York" });
    expect(parseWhere("symbol!=IBM")).toEqual({ column: "symbol", op: "!=", value: "IBM" });
    expect(parseWhere("x=")).toEqual({ column: "x", op: "=", value: "" });
    expect(dataError(() => parseWhere("Seattle")).message).toMatch(/expected column=value or column!=value/);
  });

  it("filters by equality and inequality, keeping lines", () => {
    const a = filterRows(f, "city=A");
    expect(a.rows.length).toBe(3);
    expect(a.lines).toEqual([2, 3, 5]);
    const b = filterRows(f, [{ column: "City", op: "!=", value: "A" }]);
    expect(b.lines).toEqual([6]);
    expect(filterRows(f, ["city=A", "temp=3"]).lines).toEqual([2]);
  });

  it("a filter matching nothing lists the values the column holds", () => {
    expect(dataError(() => filterRows(f, "city=C")).message).toBe('small.csv: no row has city = "C"; city holds: A, B');
    expect(filterRows(f, "temp!=").lines).toEqual([2, 3, 6]); // != "" keeps the non-empty cells
    const onlyA = filterRows(f, "city=A");
    expect(dataError(() => filterRows(onlyA, "city!=A")).message).toBe('small.csv: every row has city = "A"; city holds: A');
    expect(dataError(() => filterRows(f, "town=A")).message).toMatch(/no column "town"; available: date, city, temp/);
  });
});

describe("pivot", () => {
  it("spreads a group column into one column per value, blank where absent", () => {
    const f = parseCsv(SMALL, { source: "small.csv" });
    const p = pivot(f, { index: "date", columns: "city", values: "temp" });
    expect(p.columns).toEqual(["date", "A", "B"]);
    expect(p.rows.map((r) => ({ ...r }))).toEqual([
      { date: "2020-01-03", A: "3", B: "" },
      { date: "2020-01-01", A: "1", B: "10" },
      { date: "2020-01-02", A: "", B: "" },
    ]);
    expect(p.lines).toEqual([2, 3, 5]);
  });

  it("rejects two rows for one index and group, naming both lines", () => {
    const f = parseCsv("d,g,v\n1,x,1\n2,x,2\n1,x,3\n", { source: "p.csv" });
    expect(dataError(() => pivot(f, { index: "d", columns: "g", values: "v" })).message).toBe(
      'p.csv: two rows for d = "1", g = "x" (lines 2 and 4); aggregate or filter first',
    );
  });
});

describe("derive", () => {
  const f = parseCsv("a,b,c\n1,5,3\n2,,4\n-1,0,10\n", { source: "x.csv" });
  const col = (op: Parameters<typeof derive>[3], cols = ["a", "b", "c"]) => stringColumn(derive(f, "out", cols, op), "out");

  it("combines columns per row; missing inputs give missing output", () => {
    expect(col("median")).toEqual(["3", "", "0"]);
    expect(col("mean")).toEqual(["3", "", "3"]);
    expect(col("sum")).toEqual(["9", "", "9"]);
    expect(col("min")).toEqual(["1", "", "-1"]);
    expect(col("max")).toEqual(["5", "", "10"]);
    expect(col("difference", ["c", "a"])).toEqual(["2", "2", "11"]);
    expect(col("median", ["a", "c"])).toEqual(["2", "3", "4.5"]);
    expect(derive(f, "out", ["a"], "sum").columns).toEqual(["a", "b", "c", "out"]);
  });

  it("rejects bad requests", () => {
    expect(dataError(() => derive(f, "a", ["b"], "sum")).message).toMatch(/column "a" already exists/);
    expect(dataError(() => derive(f, "d", ["a", "b", "c"], "difference")).message).toMatch(/exactly two columns, got 3/);
    expect(dataError(() => derive(f, "d", ["a", "z"], "mean")).message).toMatch(/no column "z"; available: a, b, c/);
  });
});

describe("toTimeSeries", () => {
  it("sorts by date, parses values and keeps lines", () => {
    const f = filterRows(parseCsv(SMALL, { source: "small.csv" }), "city=A");
    const ts = toTimeSeries(f, { date: "date", values: ["temp"] });
    expect(ts.dates.map((d) => formatDate(d))).toEqual(["2020-01-01", "2020-01-02", "2020-01-03"]);
    expect(Array.from(ts.values[0])).toEqual([1, NaN, 3]);
    expect(ts.lines).toEqual([3, 5, 2]);
    expect(sortByDate(f, "date").lines).toEqual([3, 5, 2]);
  });

  it("reports duplicate timestamps with the date and both lines", () => {
    const f = parseCsv(SMALL, { source: "small.csv" });
    expect(dataError(() => toTimeSeries(f, { date: "date", values: ["temp"] })).message).toBe(
      "small.csv: duplicate date 2020-01-01 on lines 3 and 6; " +
        "filter rows with a where clause, pivot by the group column, or aggregate duplicates",
    );
  });

  it("can aggregate duplicates instead, ignoring missing values", () => {
    const f = parseCsv("d,v\n2020-01-01,1\n2020-01-01,4\n2020-01-02,\n2020-01-02,7\n2020-01-03,\n", { source: "a.csv" });
    const ts = toTimeSeries(f, { date: "d", values: ["v"], duplicates: "mean" });
    expect(Array.from(ts.values[0])).toEqual([2.5, 7, NaN]);
    expect(ts.lines).toEqual([0, 0, 6]);
    expect(Array.from(toTimeSeries(f, { date: "d", values: ["v"], duplicates: "sum" }).values[0])).toEqual([5, 7, NaN]);
  });
});
